//! Association and channel configuration.

use std::time::Duration;

/// Settings of one association. Defaults suit WebRTC data channels; the SDP-driven values
/// are `max_message_size`, `remote_max_message_size`, `zero_checksum` and the ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Our SCTP port (`a=sctp-port`, 5000 by default).
    pub local_port: u16,
    /// The peer's SCTP port (its `a=sctp-port`).
    pub remote_port: u16,
    /// Whether we are the DTLS client: RFC 8832 §6 — the DTLS client uses even stream
    /// ids for the channels it opens, the server odd ones.
    pub dtls_client: bool,
    /// Largest message we accept (our `a=max-message-size`); larger incoming messages
    /// abort the association, so memory stays bounded.
    pub max_message_size: usize,
    /// Largest message the peer accepts (its `a=max-message-size`; RFC 8841 §6: 64 KiB
    /// when absent).
    pub remote_max_message_size: usize,
    /// Announce that we accept a zero checksum with DTLS as the alternate error
    /// detection method (RFC 9653), and skip the checksum toward a peer that announced
    /// the same. Settable from SDP `a=sctp-zero-checksum` style negotiation.
    pub zero_checksum: bool,
    /// Offer I-DATA message interleaving (RFC 8260); used when both ends offer it.
    pub interleaving: bool,
    /// Largest SCTP packet we send (before DTLS). RFC 8261 §5: 1200 is safe for WebRTC.
    pub mtu: usize,
    /// Receive buffer: the window we advertise (a_rwnd).
    pub receive_window: u32,
    /// Bytes we queue for sending before [`crate::SendError::BufferFull`].
    pub send_buffer_limit: usize,
    /// Streams we ask for in each direction.
    pub streams: u16,
    /// RFC 9260 §16: RTO.Initial.
    pub rto_initial: Duration,
    /// RTO.Min.
    pub rto_min: Duration,
    /// RTO.Max.
    pub rto_max: Duration,
    /// Max.Init.Retransmits.
    pub max_init_retransmits: u32,
    /// Association.Max.Retrans.
    pub max_retransmits: u32,
    /// HB.interval.
    pub heartbeat_interval: Duration,
    /// RFC 9260 §6.2: delayed SACK timeout (at most 500 ms, 200 ms recommended).
    pub delayed_ack: Duration,
    /// Valid.Cookie.Life.
    pub cookie_lifetime: Duration,
    /// Seed for the association's RNG (tags, initial TSNs, cookie key); `None` draws
    /// one from the operating system.
    pub rng_seed: Option<[u8; 32]>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            local_port: 5000,
            remote_port: 5000,
            dtls_client: true,
            max_message_size: 256 * 1024,
            remote_max_message_size: 64 * 1024,
            zero_checksum: false,
            interleaving: true,
            mtu: 1200,
            receive_window: 4 * 1024 * 1024,
            send_buffer_limit: 16 * 1024 * 1024,
            streams: 65_535,
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_millis(400),
            rto_max: Duration::from_secs(60),
            max_init_retransmits: 8,
            max_retransmits: 10,
            heartbeat_interval: Duration::from_secs(30),
            delayed_ack: Duration::from_millis(200),
            cookie_lifetime: Duration::from_secs(60),
            rng_seed: None,
        }
    }
}

/// How a channel retransmits (RFC 8832 §5.1 channel types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reliability {
    /// Retransmit until acknowledged.
    Reliable,
    /// Give up on a message after this many retransmissions (RFC 3758).
    MaxRetransmits(u32),
    /// Give up on a message this long after it was queued (RFC 3758 timed reliability).
    MaxLifetime(Duration),
}

/// How to open a data channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Label (RFC 8832 §5.1).
    pub label: String,
    /// Sub-protocol.
    pub protocol: String,
    /// In-order delivery.
    pub ordered: bool,
    /// Retransmission policy.
    pub reliability: Reliability,
    /// Priority (RFC 8832 §5.1; 256 = "normal").
    pub priority: u16,
    /// A pre-agreed stream id: no DCEP handshake, both sides open the same id.
    pub negotiated: Option<u16>,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        Self {
            label: String::new(),
            protocol: String::new(),
            ordered: true,
            reliability: Reliability::Reliable,
            priority: 256,
            negotiated: None,
        }
    }
}

/// What a message holds (RFC 8831 §8 PPIDs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// UTF-8 text (PPID 51, or 56 when empty).
    Text,
    /// Binary (PPID 53, or 57 when empty).
    Binary,
}
