//! The association: handshake, data path, timers, shutdown, data channels.

mod cookie;
mod data_tracker;
mod reassembly;
mod retransmit;
mod rto;
mod send_queue;
mod stream_map;
mod timer;

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use ring::hmac;

use crate::chunk::data::DATA_HEADER_LEN;
use crate::chunk::idata::IDATA_HEADER_LEN;
use crate::chunk::{
    kind, pad4, AbortChunk, Chunk, CookieEchoChunk, ErrorCause, ErrorChunk, ForwardTsnChunk,
    HeartbeatChunk, InitChunk, Parameter, ReConfigChunk, ReconfigResult, SackChunk, ShutdownChunk,
    ShutdownCompleteChunk, CHUNK_HEADER_LEN,
};
use crate::config::{ChannelConfig, Config, MessageKind, Reliability};
use crate::dcep::{self, DataChannelOpen, DcepMessage};
use crate::error::{OpenChannelError, ReceiveError, SendError};
use crate::packet::{CommonHeader, Packet, PacketWriter, COMMON_HEADER_LEN};

use cookie::{StateCookie, CAP_FORWARD_TSN, CAP_IDATA, CAP_RECONFIG, CAP_ZERO_CHECKSUM};
use data_tracker::{DataTracker, Observed};
use reassembly::Reassembly;
use retransmit::RetransmitQueue;
use rto::Rto;
use send_queue::{OutMessage, SendQueue};
use stream_map::StreamMap;
use timer::{Timer, Timers};

/// RFC 9653 §4: Error Detection Method Identifier of DTLS.
const EDMID_DTLS: u32 = 1;

/// Something that happened, for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The association is established; channels can carry data.
    Connected,
    /// The peer opened a channel with DATA_CHANNEL_OPEN.
    ChannelOpened {
        /// Stream id of the channel.
        id: u16,
        /// Label.
        label: String,
        /// Sub-protocol.
        protocol: String,
        /// In-order delivery.
        ordered: bool,
        /// Retransmission policy.
        reliability: Reliability,
        /// Priority.
        priority: u16,
    },
    /// A message arrived on a channel.
    Message {
        /// Stream id of the channel.
        channel: u16,
        /// Text or binary.
        kind: MessageKind,
        /// The message.
        data: Bytes,
    },
    /// A channel's buffered amount fell to or below its low threshold.
    BufferedAmountLow {
        /// Stream id of the channel.
        channel: u16,
    },
    /// A channel is closed: its streams are reset in both directions.
    ChannelClosed {
        /// Stream id of the channel.
        channel: u16,
    },
    /// The association ended abnormally.
    ConnectionLost {
        /// Why.
        reason: LostReason,
    },
    /// The association shut down gracefully.
    Closed,
}

/// Why an association was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LostReason {
    /// The peer sent ABORT; the text of a User-Initiated Abort cause if any.
    PeerAborted(String),
    /// We called [`Association::abort`].
    LocalAbort,
    /// Too many retransmissions without an answer (Association.Max.Retrans).
    Timeout,
    /// The handshake got no answer (Max.Init.Retransmits).
    HandshakeTimeout,
    /// The peer violated the protocol.
    ProtocolViolation(&'static str),
}

/// Association states (RFC 9260 §4), carrying what each needs.
#[derive(Debug, Clone)]
enum State {
    Closed,
    CookieWait(CookieWait),
    CookieEchoed(CookieEchoed),
    Established,
    ShutdownPending,
    ShutdownSent,
    ShutdownReceived,
    ShutdownAckSent,
}

#[derive(Debug, Clone)]
struct CookieWait {
    my_tag: u32,
    my_initial_tsn: u32,
    retransmits: u32,
}

#[derive(Debug, Clone)]
struct CookieEchoed {
    cookie: Bytes,
    retransmits: u32,
}

/// The Transmission Control Block (RFC 9260 §14): everything that exists once the
/// association does.
#[derive(Debug, Clone)]
struct Tcb {
    my_tag: u32,
    peer_tag: u32,
    zero_checksum_tx: bool,
    idata: bool,
    forward_tsn: bool,
    reconfig: bool,
    inbound_streams: u16,
    outbound_streams: u16,
    tx: RetransmitQueue,
    rx: DataTracker,
    reassembly: Reassembly,
    rto: Rto,
    error_count: u32,
    control: VecDeque<Chunk>,
    heartbeat: Option<(u64, Instant)>,
    /// A tail loss probe went out and nothing was acknowledged since (one per episode).
    tlp_fired: bool,
    /// DATA arrived since the last heartbeat tick (else reassembly buffers are released).
    received_since_tick: bool,
    shutdown_retransmits: u32,
    // RFC 6525 state.
    next_req_seq: u32,
    peer_last_req_seq: u32,
    peer_last_req_result: ReconfigResult,
    reconfig_in_flight: Option<ResetRequest>,
}

/// Control chunks waiting to be sent; answers the peer provokes (HEARTBEAT ACK, ERROR,
/// RE-CONFIG responses) beyond this are dropped so a flood cannot grow memory.
const MAX_CONTROL_QUEUE: usize = 256;

impl Tcb {
    fn queue_control(&mut self, chunk: Chunk) {
        if self.control.len() < MAX_CONTROL_QUEUE {
            self.control.push_back(chunk);
        }
    }
}

#[derive(Debug, Clone)]
struct ResetRequest {
    seq: u32,
    last_tsn: u32,
    streams: Vec<u16>,
}

#[derive(Debug, Clone)]
struct ChannelState {
    label: String,
    protocol: String,
    ordered: bool,
    reliability: Reliability,
    priority: u16,
    /// The peer acknowledged our DATA_CHANNEL_OPEN, or no handshake was needed.
    acked: bool,
    closing: bool,
    out_reset: bool,
    in_reset: bool,
}

/// Where a transmit's bytes are: the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Transmit {
    /// Length of the SCTP packet written to the buffer.
    pub size: usize,
}

/// One SCTP association carrying WebRTC data channels, as a sans-IO state machine.
///
/// Feed it the decrypted DTLS application data with [`Association::handle_receive`] and
/// timeouts with [`Association::handle_timeout`]; after each such call or any mutation
/// ([`Association::send`], [`Association::open_channel`], ...) drain
/// [`Association::poll_transmit`] (packets to encrypt and send), then
/// [`Association::poll_event`], then ask [`Association::poll_timeout`] when to call
/// `handle_timeout` next. All packets available at once should be handed in before
/// polling transmits: the association then answers the whole batch with one SACK.
///
/// The association is plain data (no shared pointers, no closures), so it can be moved
/// between threads or hosts whole.
#[derive(Debug, Clone)]
pub struct Association {
    config: Config,
    rng: ChaCha20Rng,
    cookie_key: [u8; 32],
    epoch: Option<Instant>,
    last_now: Option<Instant>,
    state: State,
    terminated: bool,
    tcb: Option<Tcb>,
    timers: Timers,
    events: VecDeque<Event>,
    out_packets: VecDeque<Vec<u8>>,
    send_queue: SendQueue,
    channels: StreamMap<ChannelState>,
    reset_pending: BTreeSet<u16>,
    next_msg_id: u64,
    rx_event_bytes: usize,
    last_advertised_rwnd: u32,
}

impl Association {
    /// A new association in the CLOSED state. It answers an INIT from the peer; call
    /// [`Association::connect`] to initiate (both sides may: simultaneous open works).
    pub fn new(mut config: Config) -> Self {
        let seed = config.rng_seed.unwrap_or_else(|| {
            let mut seed = [0u8; 32];
            // SystemRandom only fails when the OS has no entropy source at all.
            let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed);
            seed
        });
        let mut rng = ChaCha20Rng::from_seed(seed);
        let mut cookie_key = [0u8; 32];
        rng.fill_bytes(&mut cookie_key);
        config.mtu = config.mtu.clamp(256, 65_535);
        config.streams = config.streams.max(1);
        // A message must fit the receive window, or reassembly could deadlock.
        config.receive_window = config.receive_window.max(
            u32::try_from(config.max_message_size)
                .unwrap_or(u32::MAX)
                .saturating_add(65_536),
        );
        Self {
            config,
            rng,
            cookie_key,
            epoch: None,
            last_now: None,
            state: State::Closed,
            terminated: false,
            tcb: None,
            timers: Timers::default(),
            events: VecDeque::new(),
            out_packets: VecDeque::new(),
            send_queue: SendQueue::default(),
            channels: StreamMap::new(),
            reset_pending: BTreeSet::new(),
            next_msg_id: 0,
            rx_event_bytes: 0,
            last_advertised_rwnd: 0,
        }
    }

    // ---- getters ----

    /// Whether the association is established (or shutting down with data still flowing).
    pub fn is_established(&self) -> bool {
        matches!(
            self.state,
            State::Established | State::ShutdownPending | State::ShutdownReceived
        )
    }

    /// Whether the association ended (closed, aborted or lost).
    pub fn is_closed(&self) -> bool {
        self.terminated
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether both ends agreed on I-DATA (RFC 8260).
    pub fn uses_interleaving(&self) -> bool {
        self.tcb.as_ref().is_some_and(|t| t.idata)
    }

    /// Whether we omit the checksum toward the peer (it accepted RFC 9653).
    pub fn sends_zero_checksum(&self) -> bool {
        self.tcb.as_ref().is_some_and(|t| t.zero_checksum_tx)
    }

    /// Smoothed round-trip time, once measured.
    pub fn rtt(&self) -> Option<Duration> {
        self.tcb.as_ref().and_then(|t| t.rto.srtt())
    }

    /// Congestion window in bytes (for stats).
    pub fn congestion_window(&self) -> usize {
        self.tcb.as_ref().map_or(0, |t| t.tx.cwnd)
    }

    /// A borrowing handle to an open channel.
    pub fn channel(&mut self, id: u16) -> Option<Channel<'_>> {
        if self.channels.contains_key(id) {
            Some(Channel { assoc: self, id })
        } else {
            None
        }
    }

    /// Ids of the channels not yet closed.
    pub fn channel_ids(&self) -> impl Iterator<Item = u16> + '_ {
        self.channels.keys()
    }

    /// Bytes queued on a channel and not yet handed to the network (W3C bufferedAmount).
    pub fn buffered_amount(&self, channel: u16) -> usize {
        self.send_queue.buffered(channel)
    }

    // ---- mutators ----

    /// Starts the handshake: sends INIT (RFC 9260 §5.1 A).
    pub fn connect(&mut self, now: Instant) {
        self.touch(now);
        if !matches!(self.state, State::Closed) || self.terminated {
            return;
        }
        let my_tag = self.random_tag();
        let my_initial_tsn = self.rng.next_u32();
        self.state = State::CookieWait(CookieWait {
            my_tag,
            my_initial_tsn,
            retransmits: 0,
        });
        self.send_init(my_tag, my_initial_tsn);
        self.timers.set(Timer::T1, now + self.config.rto_initial);
    }

    /// Opens a data channel. Without `negotiated`, the id follows RFC 8832 §6 parity
    /// (even for the DTLS client) and a DATA_CHANNEL_OPEN is queued; the channel can carry
    /// messages at once (they stay ordered until the peer's ACK).
    pub fn open_channel(&mut self, config: ChannelConfig) -> Result<u16, OpenChannelError> {
        if self.terminated || self.is_shutting_down() {
            return Err(OpenChannelError::Closed);
        }
        if config.label.len() > usize::from(u16::MAX)
            || config.protocol.len() > usize::from(u16::MAX)
        {
            return Err(OpenChannelError::LabelTooLong);
        }
        let streams = self
            .tcb
            .as_ref()
            .map_or(self.config.streams, |t| t.outbound_streams);
        let id = match config.negotiated {
            Some(id) => {
                if self.channels.contains_key(id) {
                    return Err(OpenChannelError::IdInUse(id));
                }
                id
            }
            None => {
                let mut id = if self.config.dtls_client { 0u32 } else { 1 };
                while id < u32::from(streams) && self.channels.contains_key(id as u16) {
                    id += 2;
                }
                if id >= u32::from(streams) {
                    return Err(OpenChannelError::NoFreeId);
                }
                id as u16
            }
        };
        if id >= streams {
            return Err(OpenChannelError::IdOutOfRange { id, streams });
        }
        let negotiated = config.negotiated.is_some();
        self.channels.insert(
            id,
            ChannelState {
                label: config.label.clone(),
                protocol: config.protocol.clone(),
                ordered: config.ordered,
                reliability: config.reliability,
                priority: config.priority,
                acked: negotiated,
                closing: false,
                out_reset: false,
                in_reset: false,
            },
        );
        if !negotiated {
            let open = DcepMessage::Open(DataChannelOpen {
                ordered: config.ordered,
                reliability: config.reliability,
                priority: config.priority,
                label: config.label,
                protocol: config.protocol,
            });
            self.enqueue(id, dcep::PPID_DCEP, false, open.encode(), None, None);
        }
        Ok(id)
    }

    /// Queues a message on a channel. `data` is not copied.
    pub fn send(&mut self, channel: u16, kind: MessageKind, data: Bytes) -> Result<(), SendError> {
        if self.terminated || self.is_shutting_down() {
            return Err(SendError::Closed);
        }
        let Some(ch) = self.channels.get(channel) else {
            return Err(SendError::UnknownChannel(channel));
        };
        if ch.closing {
            return Err(SendError::ChannelClosing(channel));
        }
        if data.len() > self.config.remote_max_message_size {
            return Err(SendError::MessageTooLarge {
                len: data.len(),
                limit: self.config.remote_max_message_size,
            });
        }
        let buffered = self.send_queue.total_buffered();
        if buffered + data.len() > self.config.send_buffer_limit {
            return Err(SendError::BufferFull {
                buffered,
                limit: self.config.send_buffer_limit,
            });
        }
        // RFC 8831 §6.6: empty messages travel as one zero byte with the "empty" PPIDs.
        let (ppid, data) = match (kind, data.is_empty()) {
            (MessageKind::Text, false) => (dcep::PPID_STRING, data),
            (MessageKind::Text, true) => (dcep::PPID_STRING_EMPTY, Bytes::from_static(&[0])),
            (MessageKind::Binary, false) => (dcep::PPID_BINARY, data),
            (MessageKind::Binary, true) => (dcep::PPID_BINARY_EMPTY, Bytes::from_static(&[0])),
        };
        // RFC 8832 §6: until the ACK arrives, user messages are sent ordered.
        let unordered = !ch.ordered && ch.acked;
        let (max_rtx, lifetime) = match ch.reliability {
            Reliability::Reliable => (None, None),
            Reliability::MaxRetransmits(n) => (Some(n), None),
            Reliability::MaxLifetime(d) => (None, Some(d)),
        };
        let expires = lifetime.and_then(|d| self.last_now.map(|now| now + d));
        self.enqueue(channel, ppid, unordered, data, max_rtx, expires);
        Ok(())
    }

    /// Closes a channel: once its queued data is out, its outgoing stream is reset
    /// (RFC 8831 §6.7, RFC 6525); [`Event::ChannelClosed`] follows when the peer reset
    /// its side too.
    pub fn close_channel(&mut self, channel: u16) {
        if let Some(ch) = self.channels.get_mut(channel) {
            if !ch.closing {
                ch.closing = true;
                self.reset_pending.insert(channel);
            }
        }
    }

    /// Updates the largest message the peer accepts, e.g. when its SDP answer with
    /// `a=max-message-size` arrives after the association was created (0 means no limit,
    /// RFC 8841 §6.1, clamped to our send buffer).
    pub fn set_remote_max_message_size(&mut self, size: usize) {
        self.config.remote_max_message_size = if size == 0 {
            self.config.send_buffer_limit
        } else {
            size
        };
    }

    /// Sets the threshold below which [`Event::BufferedAmountLow`] fires.
    pub fn set_buffered_amount_low_threshold(&mut self, channel: u16, threshold: usize) {
        self.send_queue.set_low_threshold(channel, threshold);
    }

    /// Starts a graceful shutdown (RFC 9260 §9.2): queued data is delivered first.
    pub fn shutdown(&mut self, now: Instant) {
        self.touch(now);
        match self.state {
            State::Established => {
                self.state = State::ShutdownPending;
                self.check_shutdown(now);
            }
            State::CookieWait(_) | State::CookieEchoed(_) | State::Closed => {
                self.abort_with(now, None, LostReason::LocalAbort)
            }
            _ => {}
        }
    }

    /// Aborts the association at once (RFC 9260 §9.1).
    pub fn abort(&mut self, now: Instant, reason: &str) {
        self.touch(now);
        let cause = ErrorCause::user_initiated_abort(&reason.as_bytes()[..reason.len().min(256)]);
        self.abort_with(now, Some(cause), LostReason::LocalAbort);
    }

    // ---- input ----

    /// Handles one SCTP packet (decrypted DTLS application data). The bytes are copied
    /// once; use [`Association::handle_receive_bytes`] to hand over an owned buffer.
    pub fn handle_receive(&mut self, now: Instant, data: &[u8]) -> Result<(), ReceiveError> {
        self.handle_receive_bytes(now, Bytes::copy_from_slice(data))
    }

    /// Handles one SCTP packet; payloads are delivered as slices of `data`.
    ///
    /// Chunks after a malformed one are ignored; the error says what was wrong.
    pub fn handle_receive_bytes(&mut self, now: Instant, data: Bytes) -> Result<(), ReceiveError> {
        self.touch(now);
        if self.terminated {
            return Err(ReceiveError::Closed);
        }
        let packet = Packet::parse(data, self.config.zero_checksum)?;
        if packet.header.dst_port != self.config.local_port {
            return Err(ReceiveError::WrongPort {
                dst: packet.header.dst_port,
                ours: self.config.local_port,
            });
        }
        let vtag = packet.header.verification_tag;
        let mut chunks = packet.chunks().peekable();
        // RFC 9260 §8.5.1: INIT travels alone with tag 0; ABORT and SHUTDOWN COMPLETE
        // may carry the reflected tag; COOKIE ECHO is checked against its cookie.
        let first = match chunks.peek() {
            Some(Ok(c)) => c.kind(),
            Some(Err(e)) => return Err(e.clone().into()),
            None => return Ok(()),
        };
        match first {
            kind::INIT => {
                if vtag != 0 {
                    return Err(ReceiveError::WrongVerificationTag { tag: vtag });
                }
                if let Some(Ok(Chunk::Init(init))) = chunks.next() {
                    self.handle_init(now, init);
                }
                return Ok(());
            }
            kind::ABORT | kind::SHUTDOWN_COMPLETE => {
                let reflected = matches!(
                    chunks.peek(),
                    Some(Ok(Chunk::Abort(AbortChunk {
                        reflected_tag: true,
                        ..
                    }))) | Some(Ok(Chunk::ShutdownComplete(ShutdownCompleteChunk {
                        reflected_tag: true
                    })))
                );
                if !self.tag_ok(vtag, reflected) {
                    return Err(ReceiveError::WrongVerificationTag { tag: vtag });
                }
            }
            kind::COOKIE_ECHO => {}
            kind::INIT_ACK => {
                let ok = match &self.state {
                    State::CookieWait(cw) => cw.my_tag == vtag,
                    _ => false,
                };
                if !ok {
                    return Err(ReceiveError::WrongVerificationTag { tag: vtag });
                }
            }
            _ => {
                if self.tcb.as_ref().is_none_or(|t| t.my_tag != vtag) {
                    return Err(ReceiveError::WrongVerificationTag { tag: vtag });
                }
            }
        }
        let mut got_data = false;
        let mut immediate = false;
        for chunk in chunks {
            let chunk = chunk?;
            // A packet led by COOKIE ECHO had its tag checked against the cookie only;
            // what is bundled after it must carry the tag of the association it created.
            if first == kind::COOKIE_ECHO
                && !matches!(chunk, Chunk::CookieEcho(_))
                && self.tcb.as_ref().is_none_or(|t| t.my_tag != vtag)
            {
                break;
            }
            let is_idata = chunk.kind() == kind::I_DATA;
            match chunk {
                Chunk::Data(d) | Chunk::IData(d) if self.data_kind_ok(is_idata) => {
                    immediate |= d.immediate;
                    got_data = true;
                    self.handle_data(now, d);
                }
                Chunk::Data(_) | Chunk::IData(_) => {
                    self.abort_with(
                        now,
                        Some(ErrorCause::protocol_violation("DATA/I-DATA mismatch")),
                        LostReason::ProtocolViolation("DATA/I-DATA mismatch"),
                    );
                }
                Chunk::Init(_) => {} // INIT bundled with others: ignore (§6.10).
                Chunk::InitAck(ack) => self.handle_init_ack(now, ack),
                Chunk::CookieEcho(c) => self.handle_cookie_echo(now, vtag, c.cookie),
                Chunk::CookieAck => self.handle_cookie_ack(now),
                Chunk::Sack(s) => self.handle_sack(now, &s),
                Chunk::Heartbeat(h) => {
                    if let Some(tcb) = self.tcb.as_mut() {
                        if h.info.len() + 8 + COMMON_HEADER_LEN <= self.config.mtu {
                            tcb.queue_control(Chunk::HeartbeatAck(h));
                        }
                    }
                }
                Chunk::HeartbeatAck(h) => self.handle_heartbeat_ack(now, &h.info),
                Chunk::Abort(a) => {
                    let reason = a
                        .causes
                        .iter()
                        .find(|c| c.code == ErrorCause::USER_INITIATED_ABORT)
                        .map(|c| String::from_utf8_lossy(&c.info).into_owned())
                        .unwrap_or_default();
                    self.lose(LostReason::PeerAborted(reason));
                    return Ok(());
                }
                Chunk::Shutdown(s) => self.handle_shutdown(now, s),
                Chunk::ShutdownAck => self.handle_shutdown_ack(),
                Chunk::ShutdownComplete(_) => {
                    if matches!(self.state, State::ShutdownAckSent) {
                        self.finish_close();
                    }
                    return Ok(());
                }
                Chunk::Error(_) => {}
                Chunk::ForwardTsn(f) | Chunk::IForwardTsn(f) => {
                    got_data = true;
                    immediate = true;
                    self.handle_forward_tsn(f);
                }
                Chunk::ReConfig(r) => self.handle_reconfig(now, r),
                Chunk::Unknown {
                    kind: code,
                    flags,
                    value,
                    ..
                } => {
                    // RFC 9260 §3.2: the two high bits say what to do.
                    if code & 0x40 != 0 {
                        if let Some(tcb) = self.tcb.as_mut() {
                            let mut raw = Vec::with_capacity(4 + value.len().min(256));
                            raw.put_u8(code);
                            raw.put_u8(flags);
                            let shown = value.len().min(256);
                            raw.put_u16((4 + shown) as u16);
                            raw.extend_from_slice(&value[..shown]);
                            tcb.queue_control(Chunk::Error(ErrorChunk {
                                causes: vec![ErrorCause::unrecognized_chunk(raw.into())],
                            }));
                        }
                    }
                    if code & 0x80 == 0 {
                        break;
                    }
                }
            }
            if self.terminated {
                return Ok(());
            }
        }
        if got_data {
            self.after_data(now, immediate);
        }
        Ok(())
    }

    /// Handles expired timers; an early or extra call does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.touch(now);
        if self.terminated {
            return;
        }
        for timer in timer::ALL {
            if self.timers.take_expired(timer, now) {
                self.on_timer(timer, now);
                if self.terminated {
                    return;
                }
            }
        }
    }

    // ---- output ----

    /// Writes the next packet to send into `buf` (cleared first).
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        self.touch(now);
        if let Some(p) = self.out_packets.pop_front() {
            buf.clear();
            buf.extend_from_slice(&p);
            return Some(Transmit { size: buf.len() });
        }
        if self.terminated {
            return None;
        }
        self.maybe_send_reconfig(now);
        let size = self.build_packet(now, buf)?;
        self.collect_buffered_low();
        Some(Transmit { size })
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        if self.events.is_empty() {
            self.collect_buffered_low();
        }
        let event = self.events.pop_front()?;
        if let Event::Message { data, .. } = &event {
            self.rx_event_bytes = self.rx_event_bytes.saturating_sub(data.len());
            // RFC 9260 §6.2: announce a reopened window rather than let the peer probe.
            if let Some(tcb) = self.tcb.as_mut() {
                let window = self.config.receive_window;
                let now_rwnd =
                    window.saturating_sub((tcb.reassembly.buffered() + self.rx_event_bytes) as u32);
                if self.last_advertised_rwnd < window / 2 && now_rwnd >= window / 2 {
                    tcb.rx.sack_now = true;
                }
            }
        }
        Some(event)
    }

    /// When [`Association::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.terminated {
            return None;
        }
        self.timers.next()
    }

    // ---- internals: handshake ----

    fn touch(&mut self, now: Instant) {
        if self.epoch.is_none() {
            self.epoch = Some(now);
        }
        self.last_now = Some(self.last_now.map_or(now, |l| l.max(now)));
    }

    fn millis(&self, now: Instant) -> u64 {
        self.epoch
            .map_or(0, |e| now.saturating_duration_since(e).as_millis() as u64)
    }

    fn random_tag(&mut self) -> u32 {
        loop {
            let tag = self.rng.next_u32();
            if tag != 0 {
                return tag;
            }
        }
    }

    fn key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.cookie_key)
    }

    fn our_params(&self) -> Vec<Parameter> {
        let mut ext = vec![kind::FORWARD_TSN, kind::RE_CONFIG];
        if self.config.interleaving {
            ext.push(kind::I_DATA);
            ext.push(kind::I_FORWARD_TSN);
        }
        let mut params = vec![
            Parameter::ForwardTsnSupported,
            Parameter::SupportedExtensions(ext.into()),
        ];
        if self.config.zero_checksum {
            params.push(Parameter::ZeroChecksumAcceptable(EDMID_DTLS));
        }
        params
    }

    fn encode_packet(&self, vtag: u32, chunk: &Chunk) -> Vec<u8> {
        let mut buf = Vec::with_capacity(COMMON_HEADER_LEN + chunk.padded_len());
        let mut w = PacketWriter::new(
            &mut buf,
            CommonHeader {
                src_port: self.config.local_port,
                dst_port: self.config.remote_port,
                verification_tag: vtag,
            },
        );
        w.push(chunk);
        let _ = w.finish(false);
        buf
    }

    fn send_init(&mut self, my_tag: u32, my_initial_tsn: u32) {
        let init = Chunk::Init(InitChunk {
            initiate_tag: my_tag,
            a_rwnd: self.config.receive_window,
            outbound_streams: self.config.streams,
            inbound_streams: self.config.streams,
            initial_tsn: my_initial_tsn,
            params: self.our_params(),
        });
        let p = self.encode_packet(0, &init);
        self.out_packets.push_back(p);
    }

    fn peer_caps(&self, init: &InitChunk) -> u8 {
        let mut caps = 0;
        if init.zero_checksum_method() == Some(EDMID_DTLS) {
            caps |= CAP_ZERO_CHECKSUM;
        }
        if init.forward_tsn_supported() {
            caps |= CAP_FORWARD_TSN;
        }
        if init.supports_extension(kind::I_DATA) {
            caps |= CAP_IDATA;
        }
        if init.supports_extension(kind::RE_CONFIG) {
            caps |= CAP_RECONFIG;
        }
        caps
    }

    /// RFC 9260 §5.1 B and §5.2.1: answer with INIT ACK and a signed cookie, keeping no
    /// state. In COOKIE-WAIT/ECHOED (simultaneous open) our existing tag and TSN are reused.
    fn handle_init(&mut self, now: Instant, init: InitChunk) {
        let (my_tag, my_initial_tsn) = match (&self.state, &self.tcb) {
            (State::CookieWait(cw), _) => (cw.my_tag, cw.my_initial_tsn),
            (_, Some(tcb)) => (tcb.my_tag, tcb.tx.next_tsn()),
            (State::Closed, None) => (self.random_tag(), self.rng.next_u32()),
            _ => return,
        };
        let cookie = StateCookie {
            my_tag,
            peer_tag: init.initiate_tag,
            my_initial_tsn,
            peer_initial_tsn: init.initial_tsn,
            peer_a_rwnd: init.a_rwnd,
            peer_outbound_streams: init.outbound_streams,
            peer_inbound_streams: init.inbound_streams,
            peer_caps: self.peer_caps(&init),
            created_ms: self.millis(now),
        }
        .seal(&self.key());
        let mut params = vec![Parameter::StateCookie(cookie)];
        params.extend(self.our_params());
        let ack = Chunk::InitAck(InitChunk {
            initiate_tag: my_tag,
            a_rwnd: self.config.receive_window,
            outbound_streams: self.config.streams,
            inbound_streams: self.config.streams,
            initial_tsn: my_initial_tsn,
            params,
        });
        let p = self.encode_packet(init.initiate_tag, &ack);
        self.out_packets.push_back(p);
    }

    #[allow(clippy::too_many_arguments)]
    fn make_tcb(
        &self,
        my_tag: u32,
        peer_tag: u32,
        my_initial_tsn: u32,
        peer_initial_tsn: u32,
        peer_a_rwnd: u32,
        peer_os: u16,
        peer_mis: u16,
        caps: u8,
    ) -> Tcb {
        let idata = self.config.interleaving && caps & CAP_IDATA != 0;
        // Bounds the TSN tracker (and the fragments it can make us hold) whatever the peer sends.
        let max_ahead = u64::from(self.config.receive_window / 64).max(4096);
        Tcb {
            my_tag,
            peer_tag,
            zero_checksum_tx: self.config.zero_checksum && caps & CAP_ZERO_CHECKSUM != 0,
            idata,
            forward_tsn: caps & CAP_FORWARD_TSN != 0,
            reconfig: caps & CAP_RECONFIG != 0,
            inbound_streams: self.config.streams.min(peer_os),
            outbound_streams: self.config.streams.min(peer_mis),
            tx: RetransmitQueue::new(my_initial_tsn, peer_a_rwnd, self.config.mtu),
            rx: DataTracker::new(peer_initial_tsn, max_ahead),
            reassembly: Reassembly::new(idata, self.config.max_message_size),
            rto: Rto::new(
                self.config.rto_initial,
                self.config.rto_min,
                self.config.rto_max,
            ),
            error_count: 0,
            control: VecDeque::new(),
            heartbeat: None,
            tlp_fired: false,
            received_since_tick: false,
            shutdown_retransmits: 0,
            next_req_seq: my_initial_tsn,
            peer_last_req_seq: peer_initial_tsn.wrapping_sub(1),
            peer_last_req_result: ReconfigResult::Performed,
            reconfig_in_flight: None,
        }
    }

    fn handle_init_ack(&mut self, now: Instant, ack: InitChunk) {
        let State::CookieWait(cw) = &self.state else {
            return;
        };
        let Some(cookie) = ack.state_cookie().cloned() else {
            return;
        };
        let caps = self.peer_caps(&ack);
        let mut tcb = self.make_tcb(
            cw.my_tag,
            ack.initiate_tag,
            cw.my_initial_tsn,
            ack.initial_tsn,
            ack.a_rwnd,
            ack.outbound_streams,
            ack.inbound_streams,
            caps,
        );
        tcb.queue_control(Chunk::CookieEcho(CookieEchoChunk {
            cookie: cookie.clone(),
        }));
        self.tcb = Some(tcb);
        self.state = State::CookieEchoed(CookieEchoed {
            cookie,
            retransmits: 0,
        });
        self.timers.set(Timer::T1, now + self.config.rto_initial);
    }

    /// RFC 9260 §5.1 D and §5.2.4.
    fn handle_cookie_echo(&mut self, now: Instant, vtag: u32, raw: Bytes) {
        let Some(cookie) = StateCookie::open(&raw, &self.key()) else {
            return;
        };
        if cookie.my_tag != vtag {
            return;
        }
        let age = self.millis(now).saturating_sub(cookie.created_ms);
        if age > self.config.cookie_lifetime.as_millis() as u64 {
            return;
        }
        let fresh = |this: &Self| {
            this.make_tcb(
                cookie.my_tag,
                cookie.peer_tag,
                cookie.my_initial_tsn,
                cookie.peer_initial_tsn,
                cookie.peer_a_rwnd,
                cookie.peer_outbound_streams,
                cookie.peer_inbound_streams,
                cookie.peer_caps,
            )
        };
        match &self.state {
            State::Closed => {
                self.tcb = Some(fresh(self));
                self.enter_established(now);
            }
            State::CookieWait(cw) if cw.my_tag == cookie.my_tag => {
                self.tcb = Some(fresh(self));
                self.enter_established(now);
            }
            State::CookieEchoed(_) => {
                let same = self
                    .tcb
                    .as_ref()
                    .is_some_and(|t| t.my_tag == cookie.my_tag && t.peer_tag == cookie.peer_tag);
                if !same {
                    if self.tcb.as_ref().is_some_and(|t| t.my_tag == cookie.my_tag) {
                        // §5.2.4 case B: the peer's tag changed in a collision; adopt it.
                        self.tcb = Some(fresh(self));
                    } else {
                        return;
                    }
                }
                if let Some(tcb) = self.tcb.as_mut() {
                    tcb.control.retain(|c| !matches!(c, Chunk::CookieEcho(_)));
                }
                self.enter_established(now);
            }
            _ => {
                // Duplicate COOKIE ECHO: answer again if it is ours (§5.2.4 case D).
                let same = self
                    .tcb
                    .as_ref()
                    .is_some_and(|t| t.my_tag == cookie.my_tag && t.peer_tag == cookie.peer_tag);
                if !same {
                    return;
                }
            }
        }
        if let Some(tcb) = self.tcb.as_mut() {
            tcb.control.push_front(Chunk::CookieAck);
        }
    }

    fn handle_cookie_ack(&mut self, now: Instant) {
        if matches!(self.state, State::CookieEchoed(_)) {
            if let Some(tcb) = self.tcb.as_mut() {
                tcb.control.retain(|c| !matches!(c, Chunk::CookieEcho(_)));
            }
            self.enter_established(now);
        }
    }

    fn enter_established(&mut self, now: Instant) {
        self.state = State::Established;
        self.timers.stop(Timer::T1);
        let interval = self.config.heartbeat_interval;
        self.timers.set(Timer::Heartbeat, now + interval);
        self.events.push_back(Event::Connected);
    }

    fn tag_ok(&self, vtag: u32, reflected: bool) -> bool {
        if let Some(tcb) = &self.tcb {
            if reflected {
                return vtag == tcb.peer_tag;
            }
            return vtag == tcb.my_tag;
        }
        match &self.state {
            State::CookieWait(cw) => !reflected && vtag == cw.my_tag,
            _ => false,
        }
    }

    fn data_kind_ok(&self, is_idata: bool) -> bool {
        self.tcb.as_ref().is_some_and(|t| t.idata == is_idata)
    }

    // ---- internals: data path ----

    fn enqueue(
        &mut self,
        stream: u16,
        ppid: u32,
        unordered: bool,
        payload: Bytes,
        max_retransmits: Option<u32>,
        expires: Option<Instant>,
    ) {
        let id = self.next_msg_id;
        self.next_msg_id += 1;
        self.send_queue.push(
            stream,
            OutMessage::new(id, ppid, unordered, payload, max_retransmits, expires),
        );
    }

    fn handle_data(&mut self, now: Instant, chunk: crate::chunk::DataChunk) {
        if !matches!(
            self.state,
            State::Established | State::ShutdownPending | State::ShutdownSent
        ) {
            return;
        }
        let window = self.config.receive_window as usize;
        let Some(tcb) = self.tcb.as_mut() else {
            return;
        };
        if !tcb.rx.is_new(chunk.tsn) {
            tcb.rx.observe(chunk.tsn);
            return;
        }
        // RFC 9260 §6.2: with no room, drop new data except the one TSN that fills the
        // cumulative hole (it can only free memory).
        let used = tcb.reassembly.buffered() + self.rx_event_bytes + chunk.payload.len();
        let fills_hole = tcb.rx.unwrap(chunk.tsn) == tcb.rx.cum_unwrapped() + 1;
        if used > window && !fills_hole {
            return;
        }
        let Observed::New(tsn) = tcb.rx.observe(chunk.tsn) else {
            return;
        };
        if chunk.stream_id >= tcb.inbound_streams {
            tcb.queue_control(Chunk::Error(ErrorChunk {
                causes: vec![ErrorCause::invalid_stream_identifier(chunk.stream_id)],
            }));
            return;
        }
        if tcb.reassembly.insert(chunk, tsn).is_err() {
            self.abort_with(
                now,
                Some(ErrorCause::protocol_violation("message too large")),
                LostReason::ProtocolViolation("message larger than max-message-size"),
            );
        }
    }

    fn after_data(&mut self, now: Instant, immediate: bool) {
        let delayed_ack = self.config.delayed_ack;
        let Some(tcb) = self.tcb.as_mut() else {
            return;
        };
        tcb.rx.packets_since_sack += 1;
        tcb.received_since_tick = true;
        // RFC 9260 §6.2: SACK at least every second packet, and at once on gaps, duplicates,
        // or the I bit; the SACK itself is built when the batch is polled.
        if immediate || tcb.rx.packets_since_sack >= 2 || tcb.rx.has_gaps() {
            tcb.rx.sack_now = true;
        }
        if !tcb.rx.sack_now && !self.timers.is_running(Timer::DelayedAck) {
            self.timers.set(Timer::DelayedAck, now + delayed_ack);
        }
        self.deliver_ready();
    }

    fn deliver_ready(&mut self) {
        loop {
            let Some(tcb) = self.tcb.as_mut() else {
                return;
            };
            let Some(msg) = tcb.reassembly.ready.pop_front() else {
                return;
            };
            let kind = match msg.ppid {
                dcep::PPID_DCEP => {
                    self.handle_dcep(msg.stream_id, &msg.payload);
                    continue;
                }
                dcep::PPID_STRING | dcep::PPID_STRING_PARTIAL => (MessageKind::Text, msg.payload),
                dcep::PPID_STRING_EMPTY => (MessageKind::Text, Bytes::new()),
                dcep::PPID_BINARY_EMPTY => (MessageKind::Binary, Bytes::new()),
                dcep::PPID_BINARY | dcep::PPID_BINARY_PARTIAL => (MessageKind::Binary, msg.payload),
                _ => (MessageKind::Binary, msg.payload),
            };
            // RFC 8831 §6.5: a stream carries data only as part of a data channel. Data on
            // one no channel uses (never opened, or already reset) would surface on the
            // next channel to take that id; libwebrtc drops it too.
            if !self.channels.contains_key(msg.stream_id) {
                log::debug!(
                    "sctp: dropping {} bytes on stream {} without a data channel",
                    kind.1.len(),
                    msg.stream_id
                );
                continue;
            }
            self.rx_event_bytes += kind.1.len();
            self.events.push_back(Event::Message {
                channel: msg.stream_id,
                kind: kind.0,
                data: kind.1,
            });
        }
    }

    fn handle_dcep(&mut self, stream: u16, payload: &[u8]) {
        match DcepMessage::parse(payload) {
            Ok(DcepMessage::Open(open)) => {
                if self.channels.contains_key(stream) {
                    return;
                }
                self.channels.insert(
                    stream,
                    ChannelState {
                        label: open.label.clone(),
                        protocol: open.protocol.clone(),
                        ordered: open.ordered,
                        reliability: open.reliability,
                        priority: open.priority,
                        acked: true,
                        closing: false,
                        out_reset: false,
                        in_reset: false,
                    },
                );
                self.enqueue(
                    stream,
                    dcep::PPID_DCEP,
                    false,
                    DcepMessage::Ack.encode(),
                    None,
                    None,
                );
                self.events.push_back(Event::ChannelOpened {
                    id: stream,
                    label: open.label,
                    protocol: open.protocol,
                    ordered: open.ordered,
                    reliability: open.reliability,
                    priority: open.priority,
                });
            }
            Ok(DcepMessage::Ack) => {
                if let Some(ch) = self.channels.get_mut(stream) {
                    ch.acked = true;
                }
            }
            Err(_) => log::debug!("sctp: malformed DCEP message on stream {stream}"),
        }
    }

    fn handle_sack(&mut self, now: Instant, sack: &SackChunk) {
        let Some(tcb) = self.tcb.as_mut() else {
            return;
        };
        let outcome = tcb.tx.handle_sack(sack, now);
        if let Some(rtt) = outcome.rtt {
            tcb.rto.sample(rtt);
        }
        if outcome.cum_advanced {
            tcb.error_count = 0;
        }
        if outcome.acked_any {
            tcb.tlp_fired = false;
        }
        for (stream, msg) in tcb.tx.abandoned_messages.drain(..) {
            self.send_queue.discard(stream, msg);
        }
        if tcb.tx.has_in_flight() {
            if outcome.cum_advanced || !self.timers.is_running(Timer::T3Rtx) {
                self.timers.set(Timer::T3Rtx, now + tcb.rto.rto());
            }
        } else {
            self.timers.stop(Timer::T3Rtx);
        }
        arm_probe(
            &mut self.timers,
            tcb,
            now,
            self.config.mtu,
            self.config.delayed_ack,
        );
        self.check_shutdown(now);
    }

    fn handle_forward_tsn(&mut self, f: ForwardTsnChunk) {
        let Some(tcb) = self.tcb.as_mut() else {
            return;
        };
        if !tcb.forward_tsn {
            return;
        }
        let new_cum = tcb.rx.unwrap(f.new_cumulative_tsn);
        if tcb.rx.forward(f.new_cumulative_tsn) {
            tcb.reassembly.forward(new_cum, &f.skipped);
        } else {
            // Still honor stream skips for data we already passed.
            tcb.reassembly.forward(tcb.rx.cum_unwrapped(), &f.skipped);
        }
    }

    fn handle_heartbeat_ack(&mut self, now: Instant, info: &[u8]) {
        let Some(tcb) = self.tcb.as_mut() else {
            return;
        };
        if info.len() != 8 {
            return;
        }
        let mut nonce = [0u8; 8];
        nonce.copy_from_slice(info);
        let nonce = u64::from_be_bytes(nonce);
        if let Some((expected, sent)) = tcb.heartbeat {
            if expected == nonce {
                tcb.heartbeat = None;
                tcb.error_count = 0;
                tcb.rto.sample(now.saturating_duration_since(sent));
            }
        }
    }

    fn handle_shutdown(&mut self, now: Instant, s: ShutdownChunk) {
        let Some(tcb) = self.tcb.as_ref() else {
            return;
        };
        let sack = SackChunk {
            cumulative_tsn_ack: s.cumulative_tsn_ack,
            a_rwnd: tcb.tx.peer_rwnd as u32,
            gap_ack_blocks: Vec::new(),
            duplicate_tsns: Vec::new(),
        };
        self.handle_sack(now, &sack);
        match self.state {
            State::Established | State::ShutdownPending => {
                self.state = State::ShutdownReceived;
                self.check_shutdown(now);
            }
            State::ShutdownSent => {
                self.state = State::ShutdownAckSent;
                if let Some(tcb) = self.tcb.as_mut() {
                    tcb.queue_control(Chunk::ShutdownAck);
                    self.timers.set(Timer::T2Shutdown, now + tcb.rto.rto());
                }
            }
            _ => {}
        }
    }

    fn handle_shutdown_ack(&mut self) {
        if matches!(self.state, State::ShutdownSent | State::ShutdownAckSent) {
            if let Some(tcb) = &self.tcb {
                let p = self.encode_packet(
                    tcb.peer_tag,
                    &Chunk::ShutdownComplete(ShutdownCompleteChunk {
                        reflected_tag: false,
                    }),
                );
                self.out_packets.push_back(p);
            }
            self.finish_close();
        }
    }

    fn check_shutdown(&mut self, now: Instant) {
        let drained =
            !self.send_queue.has_data() && self.tcb.as_ref().is_some_and(|t| t.tx.all_acked());
        if !drained {
            return;
        }
        let Some(tcb) = self.tcb.as_mut() else {
            return;
        };
        match self.state {
            State::ShutdownPending => {
                self.state = State::ShutdownSent;
                tcb.queue_control(Chunk::Shutdown(ShutdownChunk {
                    cumulative_tsn_ack: tcb.rx.cum_tsn(),
                }));
                self.timers.set(Timer::T2Shutdown, now + tcb.rto.rto());
                self.timers.stop(Timer::T3Rtx);
            }
            State::ShutdownReceived => {
                self.state = State::ShutdownAckSent;
                tcb.queue_control(Chunk::ShutdownAck);
                self.timers.set(Timer::T2Shutdown, now + tcb.rto.rto());
                self.timers.stop(Timer::T3Rtx);
            }
            _ => {}
        }
    }

    fn is_shutting_down(&self) -> bool {
        matches!(
            self.state,
            State::ShutdownPending
                | State::ShutdownSent
                | State::ShutdownReceived
                | State::ShutdownAckSent
        )
    }

    fn finish_close(&mut self) {
        self.state = State::Closed;
        self.terminated = true;
        self.timers.stop_all();
        self.events.push_back(Event::Closed);
    }

    fn lose(&mut self, reason: LostReason) {
        self.state = State::Closed;
        self.terminated = true;
        self.timers.stop_all();
        self.events.push_back(Event::ConnectionLost { reason });
    }

    fn abort_with(&mut self, _now: Instant, cause: Option<ErrorCause>, reason: LostReason) {
        if self.terminated {
            return;
        }
        if let Some(tcb) = &self.tcb {
            let abort = Chunk::Abort(AbortChunk {
                reflected_tag: false,
                causes: cause.into_iter().collect(),
            });
            let p = self.encode_packet(tcb.peer_tag, &abort);
            self.out_packets.push_back(p);
        }
        self.lose(reason);
    }

    // ---- internals: stream reset (RFC 6525) ----

    fn handle_reconfig(&mut self, now: Instant, r: ReConfigChunk) {
        for param in r.params {
            match param {
                Parameter::OutgoingResetRequest {
                    request_seq,
                    last_assigned_tsn,
                    streams,
                    ..
                } => self.handle_incoming_reset(request_seq, last_assigned_tsn, streams),
                Parameter::IncomingResetRequest { request_seq, .. }
                | Parameter::SsnTsnResetRequest { request_seq } => {
                    // We do not act on these; answer so the peer does not wait.
                    if let Some(tcb) = self.tcb.as_mut() {
                        let result = if request_seq == tcb.peer_last_req_seq.wrapping_add(1) {
                            tcb.peer_last_req_seq = request_seq;
                            tcb.peer_last_req_result = ReconfigResult::Denied;
                            ReconfigResult::Denied
                        } else {
                            ReconfigResult::BadSequenceNumber
                        };
                        tcb.queue_control(Chunk::ReConfig(ReConfigChunk {
                            params: vec![Parameter::ReconfigResponse {
                                response_seq: request_seq,
                                result,
                            }],
                        }));
                    }
                }
                Parameter::ReconfigResponse {
                    response_seq,
                    result,
                } => self.handle_reconfig_response(now, response_seq, result),
                _ => {}
            }
        }
    }

    /// RFC 6525 §5.2.2: the peer resets its outgoing streams, i.e. our incoming ones.
    fn handle_incoming_reset(&mut self, seq: u32, last_tsn: u32, streams: Vec<u16>) {
        let Some(tcb) = self.tcb.as_mut() else {
            return;
        };
        let result = if seq == tcb.peer_last_req_seq
            && tcb.peer_last_req_result != ReconfigResult::InProgress
        {
            tcb.peer_last_req_result
        } else if seq == tcb.peer_last_req_seq || seq == tcb.peer_last_req_seq.wrapping_add(1) {
            tcb.peer_last_req_seq = seq;
            let last = tcb.rx.unwrap(last_tsn);
            if last > tcb.rx.cum_unwrapped() {
                // E2: deferred until everything before the reset has arrived; the peer
                // retries on "in progress".
                ReconfigResult::InProgress
            } else {
                let all: Vec<u16> = if streams.is_empty() {
                    self.channels.keys().collect()
                } else {
                    streams
                };
                for s in &all {
                    tcb.reassembly.reset_stream(*s);
                }
                for s in all {
                    if let Some(ch) = self.channels.get_mut(s) {
                        ch.in_reset = true;
                        if !ch.closing {
                            // RFC 8831 §6.7: answer a reset by resetting our side too.
                            ch.closing = true;
                            self.reset_pending.insert(s);
                        }
                        if ch.out_reset {
                            self.channels.remove(s);
                            self.events.push_back(Event::ChannelClosed { channel: s });
                        }
                    }
                }
                ReconfigResult::Performed
            }
        } else {
            ReconfigResult::BadSequenceNumber
        };
        let Some(tcb) = self.tcb.as_mut() else {
            return;
        };
        if result != ReconfigResult::BadSequenceNumber {
            tcb.peer_last_req_result = result;
        }
        tcb.queue_control(Chunk::ReConfig(ReConfigChunk {
            params: vec![Parameter::ReconfigResponse {
                response_seq: seq,
                result,
            }],
        }));
    }

    fn handle_reconfig_response(&mut self, now: Instant, seq: u32, result: ReconfigResult) {
        let Some(tcb) = self.tcb.as_mut() else {
            return;
        };
        let Some(req) = &tcb.reconfig_in_flight else {
            return;
        };
        if req.seq != seq {
            return;
        }
        match result {
            ReconfigResult::InProgress => {
                self.timers.set(Timer::Reconfig, now + tcb.rto.rto());
            }
            _ => {
                let streams = tcb
                    .reconfig_in_flight
                    .take()
                    .map(|r| r.streams)
                    .unwrap_or_default();
                self.timers.stop(Timer::Reconfig);
                for s in streams {
                    self.outgoing_reset_done(s);
                }
            }
        }
    }

    fn outgoing_reset_done(&mut self, stream: u16) {
        self.send_queue.reset_stream(stream);
        if let Some(ch) = self.channels.get_mut(stream) {
            ch.out_reset = true;
            if ch.in_reset {
                self.channels.remove(stream);
                self.events
                    .push_back(Event::ChannelClosed { channel: stream });
            }
        }
    }

    fn maybe_send_reconfig(&mut self, now: Instant) {
        if self.reset_pending.is_empty() || !self.is_established() {
            return;
        }
        let Some(tcb) = self.tcb.as_mut() else {
            return;
        };
        if tcb.reconfig_in_flight.is_some() {
            return;
        }
        let ready: Vec<u16> = self
            .reset_pending
            .iter()
            .copied()
            .filter(|s| self.send_queue.is_drained(*s))
            .take(32)
            .collect();
        if ready.is_empty() {
            return;
        }
        for s in &ready {
            self.reset_pending.remove(s);
        }
        if !tcb.reconfig {
            // The peer cannot reset streams: close locally.
            for s in ready {
                if let Some(ch) = self.channels.get_mut(s) {
                    ch.in_reset = true;
                }
                self.outgoing_reset_done(s);
            }
            return;
        }
        let req = ResetRequest {
            seq: tcb.next_req_seq,
            last_tsn: tcb.tx.last_assigned_tsn(),
            streams: ready,
        };
        tcb.next_req_seq = tcb.next_req_seq.wrapping_add(1);
        tcb.control
            .push_back(reset_chunk(&req, tcb.peer_last_req_seq));
        tcb.reconfig_in_flight = Some(req);
        self.timers.set(Timer::Reconfig, now + tcb.rto.rto());
    }

    // ---- internals: timers ----

    fn on_timer(&mut self, timer: Timer, now: Instant) {
        match timer {
            Timer::T1 => self.on_t1(now),
            Timer::T2Shutdown => {
                let max = self.config.max_retransmits;
                let Some(tcb) = self.tcb.as_mut() else {
                    return;
                };
                tcb.shutdown_retransmits += 1;
                if tcb.shutdown_retransmits > max {
                    self.abort_with(now, None, LostReason::Timeout);
                    return;
                }
                tcb.rto.back_off();
                let chunk = match self.state {
                    State::ShutdownSent => Chunk::Shutdown(ShutdownChunk {
                        cumulative_tsn_ack: tcb.rx.cum_tsn(),
                    }),
                    State::ShutdownAckSent => Chunk::ShutdownAck,
                    _ => return,
                };
                tcb.queue_control(chunk);
                self.timers.set(Timer::T2Shutdown, now + tcb.rto.rto());
            }
            Timer::T3Rtx => {
                let max = self.config.max_retransmits;
                let Some(tcb) = self.tcb.as_mut() else {
                    return;
                };
                if tcb.tx.is_empty() {
                    return;
                }
                tcb.error_count += 1;
                if tcb.error_count > max {
                    self.abort_with(now, None, LostReason::Timeout);
                    return;
                }
                tcb.rto.back_off();
                tcb.tx.handle_t3_expiry(now);
                self.timers.stop(Timer::Probe);
                for (stream, msg) in tcb.tx.abandoned_messages.drain(..) {
                    self.send_queue.discard(stream, msg);
                }
                if tcb.tx.forward_tsn(tcb.idata).is_some() {
                    tcb.tx.fwd_tsn_needed = true;
                }
                self.timers.set(Timer::T3Rtx, now + tcb.rto.rto());
            }
            Timer::Probe => {
                let established = self.is_established();
                let Some(tcb) = self.tcb.as_mut() else {
                    return;
                };
                if tcb.tx.has_in_flight() && !tcb.tlp_fired && established {
                    tcb.tlp_fired = true;
                    tcb.tx.probe(now);
                    for (stream, msg) in tcb.tx.abandoned_messages.drain(..) {
                        self.send_queue.discard(stream, msg);
                    }
                }
            }
            Timer::DelayedAck => {
                if let Some(tcb) = self.tcb.as_mut() {
                    tcb.rx.sack_now = true;
                }
            }
            Timer::Heartbeat => {
                let interval = self.config.heartbeat_interval;
                let max = self.config.max_retransmits;
                let Some(tcb) = self.tcb.as_mut() else {
                    return;
                };
                if !std::mem::take(&mut tcb.received_since_tick) {
                    tcb.reassembly.trim();
                }
                if tcb.heartbeat.take().is_some() {
                    tcb.error_count += 1;
                    if tcb.error_count > max {
                        self.abort_with(now, None, LostReason::Timeout);
                        return;
                    }
                }
                if !tcb.tx.has_in_flight() {
                    let nonce = self.rng.next_u64();
                    tcb.heartbeat = Some((nonce, now));
                    tcb.queue_control(Chunk::Heartbeat(HeartbeatChunk {
                        info: Bytes::copy_from_slice(&nonce.to_be_bytes()),
                    }));
                }
                self.timers
                    .set(Timer::Heartbeat, now + interval + tcb.rto.rto());
            }
            Timer::Reconfig => {
                let max = self.config.max_retransmits;
                let Some(tcb) = self.tcb.as_mut() else {
                    return;
                };
                let Some(req) = &tcb.reconfig_in_flight else {
                    return;
                };
                tcb.error_count += 1;
                if tcb.error_count > max {
                    self.abort_with(now, None, LostReason::Timeout);
                    return;
                }
                let chunk = reset_chunk(req, tcb.peer_last_req_seq);
                tcb.queue_control(chunk);
                tcb.rto.back_off();
                self.timers.set(Timer::Reconfig, now + tcb.rto.rto());
            }
        }
    }

    fn on_t1(&mut self, now: Instant) {
        let max = self.config.max_init_retransmits;
        let rto_max = self.config.rto_max;
        let base = self.config.rto_initial;
        let retransmits = match &mut self.state {
            State::CookieWait(cw) => {
                cw.retransmits += 1;
                cw.retransmits
            }
            State::CookieEchoed(ce) => {
                ce.retransmits += 1;
                ce.retransmits
            }
            _ => return,
        };
        if retransmits > max {
            self.abort_with(now, None, LostReason::HandshakeTimeout);
            return;
        }
        match self.state.clone() {
            State::CookieWait(cw) => self.send_init(cw.my_tag, cw.my_initial_tsn),
            State::CookieEchoed(ce) => {
                if let Some(tcb) = self.tcb.as_mut() {
                    if !tcb
                        .control
                        .iter()
                        .any(|c| matches!(c, Chunk::CookieEcho(_)))
                    {
                        tcb.control
                            .push_back(Chunk::CookieEcho(CookieEchoChunk { cookie: ce.cookie }));
                    }
                }
            }
            _ => {}
        }
        let backoff = base.saturating_mul(1 << retransmits.min(16)).min(rto_max);
        self.timers.set(Timer::T1, now + backoff);
    }

    // ---- internals: packet assembly ----

    fn collect_buffered_low(&mut self) {
        for channel in self.send_queue.crossed_low.drain(..) {
            if self.channels.contains_key(channel) {
                self.events.push_back(Event::BufferedAmountLow { channel });
            }
        }
    }

    fn build_packet(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<usize> {
        let mtu = self.config.mtu;
        let window = self.config.receive_window;
        let mut data_allowed = matches!(
            self.state,
            State::Established | State::ShutdownPending | State::ShutdownReceived
        );
        let sack_allowed = data_allowed || matches!(self.state, State::ShutdownSent);
        let tcb = self.tcb.as_mut()?;
        let mut w = PacketWriter::new(
            buf,
            CommonHeader {
                src_port: self.config.local_port,
                dst_port: self.config.remote_port,
                verification_tag: tcb.peer_tag,
            },
        );
        let data_waiting =
            data_allowed && (self.send_queue.has_data() || tcb.tx.has_retransmissions());
        // Control chunks first: COOKIE ECHO must lead its packet (§6.10).
        while let Some(c) = tcb.control.front() {
            let len = c.padded_len();
            if w.len() + len > mtu {
                if w.is_empty() {
                    tcb.control.pop_front();
                    continue;
                }
                break;
            }
            if matches!(c, Chunk::CookieEcho(_)) && !w.is_empty() {
                break;
            }
            if let Some(c) = tcb.control.pop_front() {
                // RFC 9260 §5.1 D: DATA may ride behind COOKIE ECHO, which saves a round
                // trip for the first messages (a DATA_CHANNEL_OPEN, typically).
                data_allowed |= matches!(c, Chunk::CookieEcho(_));
                w.push(&c);
            }
        }
        let pending_ack = tcb.rx.packets_since_sack > 0 || tcb.rx.sack_now;
        if sack_allowed && (tcb.rx.sack_now || (pending_ack && data_waiting)) {
            let used = (tcb.reassembly.buffered() + self.rx_event_bytes) as u32;
            let a_rwnd = window.saturating_sub(used);
            let room = mtu.saturating_sub(w.len() + CHUNK_HEADER_LEN + 12);
            let max_blocks = (room / 4).min(64);
            let sack = tcb.rx.make_sack(a_rwnd, max_blocks);
            self.last_advertised_rwnd = a_rwnd;
            if w.len()
                + pad4(
                    CHUNK_HEADER_LEN
                        + 12
                        + 4 * (sack.gap_ack_blocks.len() + sack.duplicate_tsns.len()),
                )
                <= mtu
            {
                w.push(&Chunk::Sack(sack));
            } else {
                let mut sack = sack;
                sack.duplicate_tsns.clear();
                w.push(&Chunk::Sack(sack));
            }
            self.timers.stop(Timer::DelayedAck);
        }
        if tcb.tx.fwd_tsn_needed && tcb.forward_tsn && data_allowed {
            if let Some((new_cum, skipped)) = tcb.tx.forward_tsn(tcb.idata) {
                let f = ForwardTsnChunk {
                    new_cumulative_tsn: new_cum,
                    skipped,
                };
                let chunk = if tcb.idata {
                    Chunk::IForwardTsn(f)
                } else {
                    Chunk::ForwardTsn(f)
                };
                if w.len() + chunk.padded_len() <= mtu {
                    w.push(&chunk);
                    tcb.tx.fwd_tsn_needed = false;
                }
            } else {
                tcb.tx.fwd_tsn_needed = false;
            }
        }
        if data_allowed {
            let header = if tcb.idata {
                IDATA_HEADER_LEN
            } else {
                DATA_HEADER_LEN
            };
            let mut sent_data = false;
            while tcb.tx.can_retransmit() {
                let Some(len) = tcb.tx.peek_retransmit_len() else {
                    break;
                };
                if w.len() + pad4(header + len) > mtu {
                    break;
                }
                let Some(chunk) = tcb.tx.next_retransmit(now) else {
                    break;
                };
                chunk.write_chunk(tcb.idata, w_buf(&mut w));
                sent_data = true;
            }
            tcb.tx.end_packet();
            loop {
                let room = mtu.saturating_sub(w.len() + header) & !3;
                if room < 4 {
                    break;
                }
                let room = if tcb.tx.flight_size() > 0 {
                    room.min(tcb.tx.peer_rwnd)
                } else {
                    room
                };
                if room == 0 || !tcb.tx.can_send_new(room.min(1)) {
                    break;
                }
                let Some(fragment) = self.send_queue.next_fragment(now, room, tcb.idata) else {
                    break;
                };
                let chunk = tcb.tx.send_new(fragment, now);
                chunk.write_chunk(tcb.idata, w_buf(&mut w));
                sent_data = true;
            }
            if sent_data {
                if !self.timers.is_running(Timer::T3Rtx) {
                    self.timers.set(Timer::T3Rtx, now + tcb.rto.rto());
                }
                arm_probe(&mut self.timers, tcb, now, mtu, self.config.delayed_ack);
            }
        }
        if w.is_empty() {
            return None;
        }
        let zero = tcb.zero_checksum_tx && self.is_established();
        Some(w.finish(zero))
    }
}

/// RFC 8985 §7.2: schedule a tail loss probe two smoothed RTTs after the last send (plus
/// the peer's delayed-ack allowance when a single packet is out), never after T3-rtx.
fn arm_probe(timers: &mut Timers, tcb: &Tcb, now: Instant, mtu: usize, delayed_ack: Duration) {
    let Some(srtt) = tcb.rto.srtt() else {
        return;
    };
    if tcb.tlp_fired || !tcb.tx.has_in_flight() {
        timers.stop(Timer::Probe);
        return;
    }
    let mut pto = (2 * srtt).max(Duration::from_millis(10));
    if tcb.tx.flight_size() <= mtu {
        pto += delayed_ack;
    }
    timers.set(Timer::Probe, now + pto.min(tcb.rto.rto()));
}

fn w_buf<'a>(w: &'a mut PacketWriter<'_>) -> &'a mut Vec<u8> {
    w.buf_mut()
}

fn reset_chunk(req: &ResetRequest, peer_last_req_seq: u32) -> Chunk {
    Chunk::ReConfig(ReConfigChunk {
        params: vec![Parameter::OutgoingResetRequest {
            request_seq: req.seq,
            response_seq: peer_last_req_seq,
            last_assigned_tsn: req.last_tsn,
            streams: req.streams.clone(),
        }],
    })
}

/// A borrowing handle to one data channel.
#[derive(Debug)]
pub struct Channel<'a> {
    assoc: &'a mut Association,
    id: u16,
}

impl Channel<'_> {
    /// The stream id.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The label.
    pub fn label(&self) -> &str {
        self.assoc
            .channels
            .get(self.id)
            .map_or("", |c| c.label.as_str())
    }

    /// The sub-protocol.
    pub fn protocol(&self) -> &str {
        self.assoc
            .channels
            .get(self.id)
            .map_or("", |c| c.protocol.as_str())
    }

    /// Whether delivery is in order.
    pub fn ordered(&self) -> bool {
        self.assoc.channels.get(self.id).is_some_and(|c| c.ordered)
    }

    /// The retransmission policy.
    pub fn reliability(&self) -> Reliability {
        self.assoc
            .channels
            .get(self.id)
            .map_or(Reliability::Reliable, |c| c.reliability)
    }

    /// The priority.
    pub fn priority(&self) -> u16 {
        self.assoc.channels.get(self.id).map_or(0, |c| c.priority)
    }

    /// Queues a message.
    pub fn send(&mut self, kind: MessageKind, data: Bytes) -> Result<(), SendError> {
        self.assoc.send(self.id, kind, data)
    }

    /// Bytes queued and not yet sent.
    pub fn buffered_amount(&self) -> usize {
        self.assoc.buffered_amount(self.id)
    }

    /// Sets the low-water mark for [`Event::BufferedAmountLow`].
    pub fn set_buffered_amount_low_threshold(&mut self, threshold: usize) {
        self.assoc
            .set_buffered_amount_low_threshold(self.id, threshold);
    }

    /// Closes the channel (see [`Association::close_channel`]).
    pub fn close(self) {
        self.assoc.close_channel(self.id);
    }
}
