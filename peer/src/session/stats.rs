//! `getStats()`: counters of the connection, its transport and its data channels, as
//! typed values rather than the browser's string-keyed report.

use std::time::Duration;

use oxrtc_dtls::CipherSuite;
use oxrtc_ice::{CandidatePairStats, Role as IceRole};

use super::channels::DataChannelState;
use super::{IceConnectionState, PeerConnectionState};

/// The whole report (W3C `RTCStatsReport`, one field per stats type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcStatsReport {
    /// `peer-connection` stats.
    pub peer_connection: PeerConnectionStats,
    /// `transport` stats: the one BUNDLE transport.
    pub transport: TransportStats,
    /// `candidate-pair` stats, one per pair ICE formed.
    pub candidate_pairs: Vec<CandidatePairStats>,
    /// `data-channel` stats of the channels not closed yet.
    pub data_channels: Vec<DataChannelStats>,
}

/// `RTCPeerConnectionStats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeerConnectionStats {
    /// Channels that reached `open`.
    pub data_channels_opened: u32,
    /// Channels that reached `closed`.
    pub data_channels_closed: u32,
}

/// `RTCTransportStats`, plus the SCTP association's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportStats {
    /// Datagrams sent.
    pub packets_sent: u64,
    /// Datagrams received (anything that reached the session, junk included).
    pub packets_received: u64,
    /// Bytes of the datagrams sent.
    pub bytes_sent: u64,
    /// Bytes of the datagrams received.
    pub bytes_received: u64,
    /// Our ICE role.
    pub ice_role: IceRole,
    /// `iceState`.
    pub ice_state: IceConnectionState,
    /// The connection as a whole.
    pub connection_state: PeerConnectionState,
    /// The negotiated DTLS cipher suite, once connected.
    pub dtls_cipher: Option<CipherSuite>,
    /// The SCTP round-trip time estimate.
    pub sctp_rtt: Option<Duration>,
    /// The SCTP congestion window in bytes.
    pub sctp_congestion_window: Option<usize>,
}

/// `RTCDataChannelStats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChannelStats {
    /// Label.
    pub label: String,
    /// Sub-protocol.
    pub protocol: String,
    /// SCTP stream id, once known.
    pub id: Option<u16>,
    /// `readyState`.
    pub state: DataChannelState,
    /// Messages sent.
    pub messages_sent: u64,
    /// Payload bytes sent.
    pub bytes_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
}

/// Per-channel counters kept by the session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ChannelCounters {
    pub(crate) messages_sent: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) messages_received: u64,
    pub(crate) bytes_received: u64,
}

/// Session-wide counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TransportCounters {
    pub(crate) packets_sent: u64,
    pub(crate) packets_received: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) bytes_received: u64,
    pub(crate) channels_opened: u32,
    pub(crate) channels_closed: u32,
}
