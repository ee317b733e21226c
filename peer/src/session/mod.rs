//! The sans-IO PeerConnection: JSEP, ICE, DTLS and SCTP data channels for one
//! connection, driven with the same five verbs as every oxrtc layer.
//!
//! A [`Session`] never touches a socket or a clock. The driver (the tokio
//! [`PeerConnection`](crate::PeerConnection), or an application's own loop) hands it
//! datagrams and the time, and sends what [`Session::poll_transmit`] returns:
//!
//! ```
//! use std::time::Instant;
//! use oxrtc::session::{Session, SessionConfig, SessionEvent};
//! use oxrtc::DataChannelInit;
//!
//! let now = Instant::now();
//! let mut offerer = Session::new(SessionConfig::default())?;
//! let mut answerer = Session::new(SessionConfig::default())?;
//! offerer.add_local_candidate("127.0.0.1:4000".parse()?)?;
//! answerer.add_local_candidate("127.0.0.1:4001".parse()?)?;
//! offerer.end_of_local_candidates();
//! answerer.end_of_local_candidates();
//!
//! let chat = offerer.create_data_channel(now, "chat", &DataChannelInit::default())?;
//! let offer = offerer.create_offer()?;
//! offerer.set_local_description(now, offer)?;
//! answerer.set_remote_description(now, offerer.local_description().unwrap())?;
//! let answer = answerer.create_answer()?;
//! answerer.set_local_description(now, answer)?;
//! offerer.set_remote_description(now, answerer.local_description().unwrap())?;
//!
//! // A perfect network: move datagrams until both sides are quiet.
//! let mut opened = false;
//! for _ in 0..50 {
//!     offerer.handle_timeout(now);
//!     answerer.handle_timeout(now);
//!     while let Some(t) = offerer.poll_transmit() {
//!         answerer.handle_receive(now, t.remote, t.local, &t.data);
//!     }
//!     while let Some(t) = answerer.poll_transmit() {
//!         offerer.handle_receive(now, t.remote, t.local, &t.data);
//!     }
//!     while let Some(event) = offerer.poll_event() {
//!         opened |= event == SessionEvent::DataChannelOpen(chat);
//!     }
//!     while answerer.poll_event().is_some() {}
//! }
//! assert!(opened);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod channels;
mod media;
pub(crate) mod sdp;
mod stats;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use oxrtc_dtls::{Certificate, Connection as DtlsConnection, Event as DtlsEvent, HashAlgorithm};
use oxrtc_ice::{
    Agent, AgentConfig, AgentEvent, Candidate as IceCandidate, ConnectionState, Credentials,
    Datagram, GatheringState, Path, Role as IceRole,
};
use oxrtc_sctp::{Association, Event as SctpEvent, MessageKind};
use oxrtc_sdp::{SessionDescription, Setup};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::description::{RtcIceCandidateInit, RtcSessionDescription, SdpType};
use crate::error::Error;

use channels::Channels;
pub use channels::{ChannelId, ChannelInfo, DataChannelInit, DataChannelMessage, DataChannelState};
use media::Transceiver;
pub use media::{MediaKind, RtpCodec, RtpCodecCapability, TransceiverId};
pub use oxrtc_sdp::Direction;
use sdp::{LocalTransport, RemoteTransport};
use stats::TransportCounters;
pub use stats::{DataChannelStats, PeerConnectionStats, RtcStatsReport, TransportStats};

/// W3C `RTCIceConnectionState`: the ICE agent's state.
pub type IceConnectionState = ConnectionState;
/// W3C `RTCIceGatheringState`.
pub type IceGatheringState = GatheringState;

/// W3C `RTCPeerConnectionState`: ICE and DTLS together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerConnectionState {
    /// Nothing has started.
    New,
    /// ICE checks or the DTLS handshake are under way.
    Connecting,
    /// ICE and DTLS are up.
    Connected,
    /// ICE lost its consent checks for a while; it may come back.
    Disconnected,
    /// ICE or DTLS failed.
    Failed,
    /// `close()` was called.
    Closed,
}

/// W3C `RTCSignalingState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalingState {
    /// No offer/answer exchange in progress.
    Stable,
    /// We set our offer and wait for the answer.
    HaveLocalOffer,
    /// We set the peer's offer and owe an answer.
    HaveRemoteOffer,
    /// Closed.
    Closed,
}

/// Settings of one session.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Our DTLS certificate; a fresh ECDSA P-256 one when `None` (as browsers do per
    /// connection unless given one).
    pub certificate: Option<Certificate>,
    /// Seed for every random value of the session (ICE credentials and tie-breaker,
    /// DTLS randoms, SCTP tags); from the operating system when `None`.
    pub rng_seed: Option<[u8; 32]>,
    /// The largest data channel message we accept (our `a=max-message-size`).
    pub max_message_size: usize,
    /// ICE timers and limits (role and credentials are the session's).
    pub ice: AgentConfig,
    /// STUN servers (resolved addresses) asked for server-reflexive candidates from
    /// every host candidate: what a peer behind NAT needs. Empty by default; gathering
    /// completes when every server answered or timed out.
    pub stun_servers: Vec<SocketAddr>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            certificate: None,
            rng_seed: None,
            max_message_size: 256 * 1024,
            ice: AgentConfig::default(),
            stun_servers: Vec::new(),
        }
    }
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The local socket address to send from.
    pub local: SocketAddr,
    /// The destination.
    pub remote: SocketAddr,
    /// The payload.
    pub data: Vec<u8>,
}

/// What happened, for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A local candidate to trickle to the peer; `None` when gathering is complete.
    IceCandidate(Option<RtcIceCandidateInit>),
    /// `icegatheringstatechange`.
    IceGatheringStateChange(IceGatheringState),
    /// `iceconnectionstatechange`.
    IceConnectionStateChange(IceConnectionState),
    /// `connectionstatechange`.
    ConnectionStateChange(PeerConnectionState),
    /// `signalingstatechange`.
    SignalingStateChange(SignalingState),
    /// The peer opened a channel (`datachannel`); it is open.
    DataChannel(ChannelId),
    /// One of our channels opened.
    DataChannelOpen(ChannelId),
    /// A message arrived.
    DataChannelMessage(ChannelId, DataChannelMessage),
    /// A channel's buffered amount fell to its low threshold.
    DataChannelBufferedAmountLow(ChannelId),
    /// A channel closed.
    DataChannelClose(ChannelId),
    /// The peer sends media on this transceiver (`track`): RTP for it follows as
    /// [`SessionEvent::Rtp`].
    Track(TransceiverId),
    /// A decrypted RTP packet the peer sent on a transceiver.
    Rtp(TransceiverId, Bytes),
    /// The peer asked for a keyframe (PLI or FIR) of what we send on a transceiver.
    KeyframeRequest(TransceiverId),
}

/// One m-line of the negotiation, in order.
#[derive(Debug, Clone)]
enum Section {
    Data {
        mid: String,
    },
    Media(TransceiverId),
    /// Refused (by us or by the peer): kept with port 0 in later descriptions.
    Rejected {
        offered: oxrtc_sdp::MediaDescription,
    },
}

/// SRTP in both directions, keyed from DTLS.
struct SrtpContexts {
    local: oxrtc_srtp::Context,
    remote: oxrtc_srtp::Context,
}

/// The DTLS transport's life, for the connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DtlsState {
    New,
    Connecting,
    Connected,
    Closed,
    Failed,
}

/// Numeric mids the peer uses that we count past (far more sections than any
/// description holds).
const MAX_MID_NUMBER: u32 = 1 << 20;

/// Queue capacity kept once drained; a burst's larger queues are freed.
const IDLE_QUEUE: usize = 64;

/// Room for an RTP header with the MID extension.
const FIXED_HEADER_ROOM: usize = 32;
/// Remote SSRCs remembered (simulcast layers, RTX, a few restarts).
const MAX_REMOTE_SSRCS: usize = 64;

fn rtp_error(e: &oxrtc_rtp::RtpError) -> &'static str {
    match e {
        oxrtc_rtp::RtpError::BufferTooSmall { .. } => "RTP packet too large",
        _ => "RTP header cannot be written",
    }
}

/// What a transceiver negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransceiverInfo {
    /// Audio or video.
    pub kind: MediaKind,
    /// Its section's mid, once offered or answered.
    pub mid: Option<String>,
    /// What the application asked for.
    pub direction: Direction,
    /// What negotiation gave.
    pub current_direction: Option<Direction>,
    /// The negotiated codecs.
    pub codecs: Vec<RtpCodec>,
    /// The payload type our track's codec goes under.
    pub send_payload_type: Option<u8>,
    /// Our SSRC on it.
    pub ssrc: u32,
}

/// Early DTLS datagrams kept until the role is known (a peer can finish ICE and send
/// its ClientHello before its answer reaches us).
const MAX_EARLY_DTLS: usize = 16;

/// One PeerConnection without I/O.
pub struct Session {
    rng: ChaCha20Rng,
    certificate: Certificate,
    fingerprint: oxrtc_dtls::Fingerprint,
    max_message_size: usize,
    session_id: u64,
    session_version: u64,
    ice: Agent,
    local_candidates: Vec<IceCandidate>,
    local_gathering_done: bool,
    stun_servers: Vec<SocketAddr>,
    /// Server-reflexive gathering, while STUN servers are being asked.
    srflx: Option<oxrtc_ice::gather::SrflxGatherer>,
    gathering_announced: GatheringState,
    pending_remote_candidates: Vec<IceCandidate>,
    signaling: SignalingState,
    /// The last description `create_offer`/`create_answer` returned.
    last_created: Option<SessionDescription>,
    // The applied descriptions as text: a parsed description weighs about 14 times its
    // text (6.8 KiB for a 0.5 KiB data offer), and is only needed again rarely.
    local: Option<(SdpType, String)>,
    remote: Option<(SdpType, String)>,
    remote_transport: Option<RemoteTransport>,
    transport_mid: Option<String>,
    transport_started: bool,
    dtls_role: Option<oxrtc_dtls::Role>,
    dtls: Option<DtlsConnection>,
    dtls_state: DtlsState,
    early_dtls: Vec<(SocketAddr, SocketAddr, Vec<u8>)>,
    last_data_path: Option<(SocketAddr, SocketAddr)>,
    sctp: Option<Association>,
    sctp_buf: Vec<u8>,
    channels: Channels,
    ice_state: IceConnectionState,
    state: PeerConnectionState,
    closed: bool,
    counters: TransportCounters,
    transceivers: Vec<Transceiver>,
    /// The m-line order of the last description (offered or answered).
    sections: Vec<Section>,
    next_mid: u32,
    // Boxed: two contexts hold their key schedules inline (about 4 KiB), which a
    // data-only connection should not carry.
    srtp: Option<Box<SrtpContexts>>,
    /// DTLS-SRTP keys, turned into contexts when media first needs them: a data-only
    /// connection never pays for the key schedules.
    srtp_keys: Option<oxrtc_dtls::SrtpKeyingMaterial>,
    /// Which transceiver a remote SSRC belongs to, once known.
    remote_ssrcs: std::collections::HashMap<u32, TransceiverId>,
    cname: String,
    /// New ICE credentials for the next offer, after `restart_ice`.
    restart_credentials: Option<Credentials>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<SessionEvent>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("signaling", &self.signaling)
            .field("state", &self.state)
            .field("ice_state", &self.ice_state)
            .finish_non_exhaustive()
    }
}

fn system_seed() -> Result<[u8; 32], Error> {
    let mut seed = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
        .map_err(|_| Error::Operation("no system randomness".into()))?;
    Ok(seed)
}

impl Session {
    /// A new session. Fails only when a certificate must be generated and cannot be.
    pub fn new(config: SessionConfig) -> Result<Self, Error> {
        let seed = match config.rng_seed {
            Some(s) => s,
            None => system_seed()?,
        };
        let mut rng = ChaCha20Rng::from_seed(seed);
        let certificate = match config.certificate {
            Some(c) => c,
            None => Certificate::generate().map_err(|e| Error::Operation(e.to_string()))?,
        };
        let fingerprint = certificate.fingerprint(HashAlgorithm::Sha256);
        let mut ice_seed = [0u8; 32];
        rng.fill_bytes(&mut ice_seed);
        let ice = Agent::new(AgentConfig {
            role: IceRole::Controlling,
            lite: false,
            local_credentials: Some(Credentials::random(&mut rng)),
            rng_seed: Some(ice_seed),
            ..config.ice
        });
        // RFC 8866 §5.2: a session id that fits a signed 64-bit number, as browsers use.
        let session_id = rng.next_u64() >> 2;
        let cname = format!("{:016x}", rng.next_u64());
        Ok(Self {
            rng,
            certificate,
            fingerprint,
            max_message_size: config.max_message_size,
            session_id,
            session_version: 1,
            ice,
            local_candidates: Vec::new(),
            local_gathering_done: false,
            stun_servers: config.stun_servers.clone(),
            srflx: None,
            gathering_announced: GatheringState::New,
            pending_remote_candidates: Vec::new(),
            signaling: SignalingState::Stable,
            last_created: None,
            local: None,
            remote: None,
            remote_transport: None,
            transport_mid: None,
            transport_started: false,
            dtls_role: None,
            dtls: None,
            dtls_state: DtlsState::New,
            early_dtls: Vec::new(),
            last_data_path: None,
            sctp: None,
            sctp_buf: Vec::with_capacity(1500),
            channels: Channels::default(),
            ice_state: ConnectionState::New,
            state: PeerConnectionState::New,
            closed: false,
            counters: TransportCounters::default(),
            transceivers: Vec::new(),
            sections: Vec::new(),
            next_mid: 0,
            srtp: None,
            srtp_keys: None,
            remote_ssrcs: std::collections::HashMap::new(),
            cname,
            restart_credentials: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    /// W3C: every method of a closed connection throws `InvalidStateError`.
    fn ensure_open(&self) -> Result<(), Error> {
        if self.closed {
            Err(Error::InvalidState("connection closed"))
        } else {
            Ok(())
        }
    }

    // ----- getters -----

    /// `connectionState`.
    pub fn connection_state(&self) -> PeerConnectionState {
        self.state
    }

    /// `iceConnectionState`.
    pub fn ice_connection_state(&self) -> IceConnectionState {
        self.ice_state
    }

    /// `iceGatheringState`.
    pub fn ice_gathering_state(&self) -> IceGatheringState {
        self.gathering_announced
    }

    /// `signalingState`.
    pub fn signaling_state(&self) -> SignalingState {
        self.signaling
    }

    /// Our ICE username fragment: what a [`UdpMux`](crate::UdpMux) routes a new peer
    /// address by.
    pub fn local_ufrag(&self) -> &str {
        &self.ice.local_credentials().ufrag
    }

    /// Our certificate's SHA-256 fingerprint, as it appears in our descriptions.
    pub fn fingerprint(&self) -> &oxrtc_dtls::Fingerprint {
        &self.fingerprint
    }

    /// The ICE pair in use, once there is one.
    pub fn selected_path(&self) -> Option<Path> {
        self.ice.selected_path()
    }

    /// `localDescription`: the last description set locally, with the candidates
    /// gathered so far.
    pub fn local_description(&self) -> Option<RtcSessionDescription> {
        let (sdp_type, text) = self.local.as_ref()?;
        let desc: SessionDescription = text.parse().ok()?;
        let complete = self.gathering_announced == GatheringState::Complete;
        let desc = sdp::with_candidates(&desc, &self.local_candidates, complete);
        Some(RtcSessionDescription {
            sdp_type: *sdp_type,
            sdp: desc.to_string(),
        })
    }

    /// `remoteDescription`.
    pub fn remote_description(&self) -> Option<RtcSessionDescription> {
        let (sdp_type, text) = self.remote.as_ref()?;
        Some(RtcSessionDescription {
            sdp_type: *sdp_type,
            sdp: text.clone(),
        })
    }

    /// What the session knows of a channel; `None` once it is closed and forgotten.
    pub fn channel_info(&self, channel: ChannelId) -> Option<ChannelInfo> {
        Some(self.channels.get(channel)?.info.clone())
    }

    /// Bytes queued on a channel and not yet acknowledged by the peer.
    pub fn buffered_amount(&self, channel: ChannelId) -> usize {
        match (self.channels.stream_of(channel), &self.sctp) {
            (Some(stream), Some(sctp)) => sctp.buffered_amount(stream),
            _ => 0,
        }
    }

    /// `getStats()`.
    pub fn stats(&self) -> RtcStatsReport {
        let c = self.counters;
        let data_channels = self
            .channels
            .ids()
            .into_iter()
            .filter_map(|id| self.channels.get(id))
            .map(|e| DataChannelStats {
                label: e.info.label.clone(),
                protocol: e.info.protocol.clone(),
                id: e.info.id,
                state: e.info.state,
                messages_sent: e.counters.messages_sent,
                bytes_sent: e.counters.bytes_sent,
                messages_received: e.counters.messages_received,
                bytes_received: e.counters.bytes_received,
            })
            .collect();
        RtcStatsReport {
            peer_connection: PeerConnectionStats {
                data_channels_opened: c.channels_opened,
                data_channels_closed: c.channels_closed,
            },
            transport: TransportStats {
                packets_sent: c.packets_sent,
                packets_received: c.packets_received,
                bytes_sent: c.bytes_sent,
                bytes_received: c.bytes_received,
                ice_role: self.ice.role(),
                ice_state: self.ice_state,
                connection_state: self.state,
                dtls_cipher: self.dtls.as_ref().and_then(|d| d.cipher_suite()),
                sctp_rtt: self.sctp.as_ref().and_then(|s| s.rtt()),
                sctp_congestion_window: self.sctp.as_ref().map(|s| s.congestion_window()),
            },
            candidate_pairs: self.ice.candidate_pairs().collect(),
            data_channels,
        }
    }

    // ----- candidates -----

    /// Adds a host candidate for a bound local socket (the driver owns the socket).
    pub fn add_local_candidate(&mut self, addr: SocketAddr) -> Result<(), Error> {
        self.add_local_ice_candidate(IceCandidate::host(addr), addr)?;
        if !self.stun_servers.is_empty() {
            let mut seed = [0u8; 32];
            self.rng.fill_bytes(&mut seed);
            let gatherer = self.srflx.get_or_insert_with(|| {
                oxrtc_ice::gather::SrflxGatherer::new(oxrtc_ice::gather::SrflxConfig {
                    rng_seed: Some(seed),
                    ..Default::default()
                })
            });
            for server in &self.stun_servers {
                gatherer.add_query(addr, *server);
            }
        }
        Ok(())
    }

    /// Adds any local candidate with the socket address it is sent from (`base`):
    /// host, server-reflexive, relayed.
    pub fn add_local_ice_candidate(
        &mut self,
        candidate: IceCandidate,
        base: SocketAddr,
    ) -> Result<(), Error> {
        self.ensure_open()?;
        self.ice
            .add_local_candidate_with_base(candidate.clone(), base)
            .map_err(|e| Error::Operation(e.to_string()))?;
        self.local_candidates.push(candidate.clone());
        if self.gathering_announced == GatheringState::Gathering {
            self.announce_candidate(&candidate);
        }
        Ok(())
    }

    /// Says that no more host candidates will come. Gathering completes once the STUN
    /// servers, if any, have answered or timed out (their queries go out at the next
    /// [`Session::handle_timeout`]).
    pub fn end_of_local_candidates(&mut self) {
        self.local_gathering_done = true;
        self.finish_gathering_if_done();
    }

    fn gathering_done(&self) -> bool {
        self.local_gathering_done && self.srflx.as_ref().is_none_or(|g| g.is_done())
    }

    fn finish_gathering_if_done(&mut self) {
        if !self.gathering_done() {
            return;
        }
        self.ice.end_of_local_candidates();
        if self.gathering_announced == GatheringState::Gathering {
            self.announce_gathering_complete();
        }
    }

    /// `addIceCandidate`: a candidate the peer trickled. An empty candidate string
    /// means the peer has no more.
    pub fn add_ice_candidate(&mut self, init: &RtcIceCandidateInit) -> Result<(), Error> {
        self.ensure_open()?;
        if self.remote.is_none() {
            return Err(Error::InvalidState("no remote description"));
        }
        if let (Some(mid), Some(remote)) = (&init.sdp_mid, &self.remote_transport) {
            if *mid != remote.mid {
                // A candidate for a rejected (media) section: nothing uses it.
                return Ok(());
            }
        }
        let line = init.candidate.trim();
        let line = line.strip_prefix("a=").unwrap_or(line);
        if line.is_empty() {
            if self.transport_started {
                self.ice.end_of_remote_candidates();
            }
            return Ok(());
        }
        let candidate: oxrtc_sdp::Candidate = line
            .parse()
            .map_err(|e: oxrtc_sdp::SdpError| Error::InvalidAccess(e.to_string()))?;
        let candidate = sdp::ice_candidate(&candidate)?;
        if self.transport_started {
            // A candidate the agent cannot use (an unresolved `.local` name) is not an
            // error for the application: browsers ignore what they cannot pair.
            if let Err(e) = self.ice.add_remote_candidate(candidate) {
                log::debug!("remote candidate ignored: {e}");
            }
        } else {
            self.pending_remote_candidates.push(candidate);
        }
        Ok(())
    }

    fn announce_candidate(&mut self, candidate: &IceCandidate) {
        let Some(mid) = self.transport_mid.clone() else {
            return;
        };
        self.events
            .push_back(SessionEvent::IceCandidate(Some(RtcIceCandidateInit {
                candidate: candidate.to_sdp_string(),
                sdp_mid: Some(mid),
                sdp_m_line_index: Some(0),
                username_fragment: Some(self.ice.local_credentials().ufrag.clone()),
            })));
    }

    fn announce_gathering_complete(&mut self) {
        self.events.push_back(SessionEvent::IceCandidate(None));
        self.gathering_announced = GatheringState::Complete;
        self.events.push_back(SessionEvent::IceGatheringStateChange(
            GatheringState::Complete,
        ));
    }

    /// Browsers gather after the first `setLocalDescription`: what the driver gathered
    /// before is announced then.
    fn start_gathering(&mut self) {
        if self.gathering_announced != GatheringState::New || self.transport_mid.is_none() {
            return;
        }
        self.gathering_announced = GatheringState::Gathering;
        self.events.push_back(SessionEvent::IceGatheringStateChange(
            GatheringState::Gathering,
        ));
        for c in self.local_candidates.clone() {
            self.announce_candidate(&c);
        }
        if self.gathering_done() {
            self.announce_gathering_complete();
        }
    }

    // ----- JSEP -----

    fn local_transport(&self) -> LocalTransport<'_> {
        let credentials = self
            .restart_credentials
            .as_ref()
            .unwrap_or_else(|| self.ice.local_credentials());
        LocalTransport {
            ufrag: &credentials.ufrag,
            pwd: &credentials.pwd,
            fingerprint: &self.fingerprint,
            sctp_port: 5000,
            max_message_size: self.max_message_size,
        }
    }

    /// `createOffer`: a data section when a channel exists or was negotiated before.
    pub fn create_offer(&mut self) -> Result<RtcSessionDescription, Error> {
        self.ensure_open()?;
        if self.signaling == SignalingState::HaveRemoteOffer {
            return Err(Error::InvalidState("cannot offer while answering"));
        }
        // Sections keep their place; new transceivers and the first data channel add
        // theirs at the end (RFC 8829 §5.2.2).
        for i in 0..self.transceivers.len() {
            if self.transceivers[i].mid.is_none() {
                let mid = self.allocate_mid();
                self.transceivers[i].mid = Some(mid);
                self.sections.push(Section::Media(TransceiverId(i as u32)));
            }
        }
        let has_data = self
            .sections
            .iter()
            .any(|s| matches!(s, Section::Data { .. }));
        if !has_data && !self.channels.ids().is_empty() {
            let mid = self.allocate_mid();
            self.sections.push(Section::Data { mid });
        }
        let sections = self
            .sections
            .iter()
            .map(|section| match section {
                Section::Data { mid } => sdp::offered_data(mid),
                Section::Media(id) => {
                    let t = &self.transceivers[id.0 as usize];
                    let codecs = if t.codecs.is_empty() {
                        media::offered_codecs(t)
                    } else {
                        t.codecs.clone()
                    };
                    sdp::LocalSection::Media(media::media_section(
                        t,
                        t.mid.as_deref().unwrap_or_default(),
                        t.direction,
                        &codecs,
                    ))
                }
                Section::Rejected { offered } => sdp::rejected_section(offered),
            })
            .collect();
        // RFC 8842 §5.5: later offers keep the negotiated role.
        let setup = match self.dtls_role {
            None => Setup::ActPass,
            Some(oxrtc_dtls::Role::Client) => Setup::Active,
            Some(oxrtc_dtls::Role::Server) => Setup::Passive,
        };
        self.session_version += 1;
        let desc = sdp::description(
            self.session_id,
            self.session_version,
            &self.local_transport(),
            setup,
            sections,
        );
        let complete = self.gathering_announced == GatheringState::Complete;
        // JSEP §5.2.1: candidates gathered so far go into the offer.
        let text = sdp::with_candidates(&desc, &self.local_candidates, complete).to_string();
        self.last_created = Some(desc);
        Ok(RtcSessionDescription::offer(text))
    }

    /// `createAnswer` to the remote offer.
    pub fn create_answer(&mut self) -> Result<RtcSessionDescription, Error> {
        self.ensure_open()?;
        if self.signaling != SignalingState::HaveRemoteOffer {
            return Err(Error::InvalidState("no remote offer to answer"));
        }
        let Some(offer) = self
            .remote
            .as_ref()
            .and_then(|(_, text)| text.parse::<SessionDescription>().ok())
        else {
            return Err(Error::InvalidState("no remote offer to answer"));
        };
        let offered_setup = self
            .remote_transport
            .as_ref()
            .map_or(Setup::ActPass, |t| t.setup);
        let sections = self
            .sections
            .iter()
            .map(|section| match section {
                Section::Data { mid } => {
                    match offer.media.iter().find(|m| m.mid() == Some(mid.as_str())) {
                        Some(offered) => sdp::answered_data(offered, mid),
                        None => sdp::offered_data(mid),
                    }
                }
                Section::Media(id) => {
                    let t = &self.transceivers[id.0 as usize];
                    let mid = t.mid.as_deref().unwrap_or_default();
                    let direction = t.current.unwrap_or(Direction::Inactive);
                    sdp::LocalSection::Media(media::media_section(t, mid, direction, &t.codecs))
                }
                Section::Rejected { offered } => sdp::rejected_section(offered),
            })
            .collect();
        self.session_version += 1;
        let desc = sdp::description(
            self.session_id,
            self.session_version,
            &self.local_transport(),
            sdp::answer_setup(offered_setup),
            sections,
        );
        let complete = self.gathering_announced == GatheringState::Complete;
        let text = sdp::with_candidates(&desc, &self.local_candidates, complete).to_string();
        self.last_created = Some(desc);
        Ok(RtcSessionDescription::answer(text))
    }

    /// `setLocalDescription`. An empty `sdp` applies the last created offer or answer
    /// (the browser's argument-less form).
    pub fn set_local_description(
        &mut self,
        now: Instant,
        desc: RtcSessionDescription,
    ) -> Result<(), Error> {
        self.ensure_open()?;
        if desc.sdp_type == SdpType::Rollback {
            return self.rollback(SignalingState::HaveLocalOffer);
        }
        let parsed = if desc.sdp.trim().is_empty() {
            self.last_created
                .take()
                .ok_or(Error::InvalidState("nothing created to set"))?
        } else {
            desc.sdp.parse::<SessionDescription>()?
        };
        // Our own credentials must be what the description carries: the application may
        // reorder or drop lines, but cannot give us another transport.
        let data = sdp::local_transport_section(&parsed);
        if let (Some((_, ufrag, pwd)), Some(new)) = (&data, &self.restart_credentials) {
            // RFC 8445 §9: our restart offer is applied: new credentials from now on.
            if desc.sdp_type == SdpType::Offer && *ufrag == new.ufrag && *pwd == new.pwd {
                let new = self.restart_credentials.take();
                self.ice
                    .restart(new)
                    .map_err(|e| Error::Operation(e.to_string()))?;
                self.announce_restarted_gathering();
            }
        }
        if let Some((_, ufrag, pwd)) = &data {
            let ours = self.ice.local_credentials();
            if *ufrag != ours.ufrag || *pwd != ours.pwd {
                return Err(Error::InvalidModification);
            }
        }
        match (desc.sdp_type, self.signaling) {
            (SdpType::Offer, SignalingState::Stable | SignalingState::HaveLocalOffer) => {
                if self.remote.is_none() {
                    // JSEP §3.5.1 / RFC 8445 §6.1.1: the offerer controls; until pairs
                    // exist the role can still change.
                    let _ = self.ice.set_role(IceRole::Controlling);
                }
                self.set_signaling(SignalingState::HaveLocalOffer);
            }
            (SdpType::Answer, SignalingState::HaveRemoteOffer) => {
                self.set_signaling(SignalingState::Stable);
            }
            (SdpType::Pranswer, _) => {
                return Err(Error::InvalidState("provisional answers are not supported"))
            }
            _ => {
                return Err(Error::InvalidState(
                    "description type does not fit the signaling state",
                ))
            }
        }
        if let Some((mid, _, _)) = data {
            self.transport_mid = Some(mid);
        }
        if desc.sdp_type == SdpType::Answer {
            // RFC 8842 §5.3: our answer fixed the role.
            self.dtls_role = Some(match sdp::local_setup(&parsed) {
                Some(Setup::Passive) => oxrtc_dtls::Role::Server,
                _ => oxrtc_dtls::Role::Client,
            });
        }
        self.local = Some((desc.sdp_type, parsed.to_string()));
        // Applied: the created copy is no longer needed.
        self.last_created = None;
        self.start_gathering();
        if self.signaling == SignalingState::Stable {
            self.start_transport(now)?;
        }
        self.pump(now);
        Ok(())
    }

    /// `setRemoteDescription`.
    pub fn set_remote_description(
        &mut self,
        now: Instant,
        desc: RtcSessionDescription,
    ) -> Result<(), Error> {
        self.ensure_open()?;
        if desc.sdp_type == SdpType::Rollback {
            return self.rollback(SignalingState::HaveRemoteOffer);
        }
        let parsed: SessionDescription = desc.sdp.parse()?;
        let transport = sdp::remote_transport(&parsed)?;
        let restarted = match (&self.remote_transport, &transport) {
            (Some(old), Some(new)) => old.ufrag != new.ufrag || old.pwd != new.pwd,
            _ => false,
        };
        if restarted && desc.sdp_type == SdpType::Offer && self.signaling == SignalingState::Stable
        {
            // RFC 8445 §9: the peer restarts; we restart with it, and our answer
            // carries our new credentials.
            self.ice
                .restart(None)
                .map_err(|e| Error::Operation(e.to_string()))?;
            self.announce_restarted_gathering();
        } else if restarted && self.ice.remote_credentials().is_some() {
            return Err(Error::InvalidAccess(
                "new ICE credentials in an answer to an offer that did not restart".into(),
            ));
        }
        match (desc.sdp_type, self.signaling) {
            (SdpType::Offer, SignalingState::Stable | SignalingState::HaveRemoteOffer) => {
                if self.local.is_none() {
                    // RFC 8445 §6.1.1: the answerer is controlled, unless the offerer
                    // is lite (a lite agent never controls).
                    let role = if transport.as_ref().is_some_and(|t| t.ice_lite) {
                        IceRole::Controlling
                    } else {
                        IceRole::Controlled
                    };
                    let _ = self.ice.set_role(role);
                }
                if let Some(t) = &transport {
                    self.transport_mid = Some(t.mid.clone());
                }
                self.apply_remote_offer(&parsed);
                self.set_signaling(SignalingState::HaveRemoteOffer);
            }
            (SdpType::Answer, SignalingState::HaveLocalOffer) => {
                if let Some(t) = &transport {
                    // RFC 8842 §5.2: the answer's setup decides; actpass in an answer
                    // is invalid, read as passive (we connect).
                    self.dtls_role = Some(match t.setup {
                        Setup::Active => oxrtc_dtls::Role::Server,
                        _ => oxrtc_dtls::Role::Client,
                    });
                }
                self.apply_remote_answer(&parsed);
                self.set_signaling(SignalingState::Stable);
            }
            (SdpType::Pranswer, _) => {
                return Err(Error::InvalidState("provisional answers are not supported"))
            }
            _ => {
                return Err(Error::InvalidState(
                    "description type does not fit the signaling state",
                ))
            }
        }
        if transport.is_some() || self.remote_transport.is_none() {
            self.remote_transport = transport;
        }
        self.remote = Some((desc.sdp_type, desc.sdp));
        if restarted && self.transport_started {
            self.apply_remote_ice(now)?;
        }
        if self.signaling == SignalingState::Stable {
            self.start_transport(now)?;
        }
        self.pump(now);
        Ok(())
    }

    fn allocate_mid(&mut self) -> String {
        loop {
            let mid = self.next_mid.to_string();
            self.next_mid = self.next_mid.wrapping_add(1);
            let taken = self
                .transceivers
                .iter()
                .any(|t| t.mid.as_deref() == Some(&mid))
                || self.sections.iter().any(|s| match s {
                    Section::Data { mid: m } => *m == mid,
                    Section::Rejected { offered } => offered.mid() == Some(mid.as_str()),
                    Section::Media(_) => false,
                });
            if !taken {
                return mid;
            }
        }
    }

    /// JSEP §5.10 for an offer: each section takes a transceiver (the one with its
    /// mid, an unassociated one of its kind, or a new receive-only one), or is
    /// refused.
    fn apply_remote_offer(&mut self, offer: &SessionDescription) {
        let mut sections = Vec::with_capacity(offer.media.len());
        let mut data_taken = false;
        for m in &offer.media {
            let mid = m.mid().unwrap_or_default().to_owned();
            // Our next mid goes past the peer's numeric ones; absurd values (a hostile
            // "4294967295") are left to the collision check in `allocate_mid`.
            if let Some(n) = mid.parse::<u32>().ok().filter(|n| *n < MAX_MID_NUMBER) {
                self.next_mid = self.next_mid.max(n + 1);
            }
            if sdp::is_data_section(m) && !data_taken {
                data_taken = true;
                sections.push(Section::Data { mid });
                continue;
            }
            let remote =
                media::remote_media(m).filter(|r| !r.codecs.is_empty() && !m.is_rejected());
            let Some(remote) = remote else {
                sections.push(Section::Rejected { offered: m.clone() });
                continue;
            };
            let index = self
                .transceivers
                .iter()
                .position(|t| t.mid.as_deref() == Some(&mid))
                .or_else(|| {
                    self.transceivers
                        .iter()
                        .position(|t| t.mid.is_none() && t.kind == remote.kind)
                })
                .unwrap_or_else(|| {
                    let stream = format!("{:08x}", self.rng.next_u32());
                    self.push_transceiver(
                        remote.kind,
                        Direction::RecvOnly,
                        None,
                        (stream.clone(), stream),
                    )
                });
            let t = &mut self.transceivers[index];
            t.mid = Some(mid);
            t.codecs = remote.codecs;
            t.mid_extension = remote.mid_extension;
            t.current = Some(media::answer_direction(remote.direction, t.direction));
            t.remote_ssrcs = remote.ssrcs;
            sections.push(Section::Media(TransceiverId(index as u32)));
            self.learn_remote_side(index, remote.direction);
        }
        self.sections = sections;
    }

    /// The peer's answer to our offer: what each of our sections became.
    fn apply_remote_answer(&mut self, answer: &SessionDescription) {
        let by_mid = media::remote_sections(answer);
        for i in 0..self.sections.len() {
            let Section::Media(id) = self.sections[i] else {
                continue;
            };
            let index = id.0 as usize;
            let mid = self.transceivers[index].mid.clone().unwrap_or_default();
            let found = by_mid.iter().find(|(m, _, _)| *m == mid);
            match found {
                Some((_, Some(remote), false)) if !remote.codecs.is_empty() => {
                    let remote = remote.clone();
                    let t = &mut self.transceivers[index];
                    t.codecs = remote.codecs;
                    t.mid_extension = remote.mid_extension;
                    t.current = Some(media::reverse(remote.direction));
                    t.remote_ssrcs = remote.ssrcs;
                    self.learn_remote_side(index, remote.direction);
                }
                _ => {
                    // Refused: the section stays, with port 0, in later offers.
                    let t = &mut self.transceivers[index];
                    t.current = None;
                    let offered = self
                        .local
                        .as_ref()
                        .and_then(|(_, text)| text.parse::<SessionDescription>().ok())
                        .and_then(|d| d.media.into_iter().find(|m| m.mid() == Some(mid.as_str())));
                    if let Some(offered) = offered {
                        self.sections[i] = Section::Rejected { offered };
                    }
                }
            }
        }
    }

    /// Records the peer's SSRCs for a transceiver and reports its track once it sends.
    fn learn_remote_side(&mut self, index: usize, remote_direction: Direction) {
        let id = TransceiverId(index as u32);
        let t = &mut self.transceivers[index];
        for ssrc in &t.remote_ssrcs {
            self.remote_ssrcs.insert(*ssrc, id);
        }
        let sends = matches!(remote_direction, Direction::SendRecv | Direction::SendOnly);
        if sends && !t.track_announced {
            t.track_announced = true;
            self.events.push_back(SessionEvent::Track(id));
        }
    }

    fn push_transceiver(
        &mut self,
        kind: MediaKind,
        direction: Direction,
        send_codec: Option<RtpCodecCapability>,
        msid: (String, String),
    ) -> usize {
        let ssrc = self.rng.next_u32();
        let sequence_number = self.rng.next_u32() as u16;
        self.transceivers.push(Transceiver {
            kind,
            mid: None,
            direction,
            current: None,
            send_codec,
            codecs: Vec::new(),
            mid_extension: Some(media::offered_mid_extension()),
            ssrc,
            sequence_number,
            msid,
            cname: self.cname.clone(),
            remote_ssrcs: Vec::new(),
            last_remote_ssrc: None,
            track_announced: false,
        });
        self.transceivers.len() - 1
    }

    // ----- media -----

    /// `addTransceiver`: a section for `kind`. With a `send_codec` and a sending
    /// direction it carries a track of that codec (`addTrack`); `msid` names the
    /// stream and the track as the peer will see them.
    pub fn add_transceiver(
        &mut self,
        kind: MediaKind,
        direction: Direction,
        send_codec: Option<RtpCodecCapability>,
        msid: (String, String),
    ) -> Result<TransceiverId, Error> {
        self.ensure_open()?;
        if send_codec.as_ref().is_some_and(|c| {
            !media::default_codecs(kind).iter().any(|d| {
                d.capability
                    .encoding_name()
                    .eq_ignore_ascii_case(c.encoding_name())
            })
        }) {
            return Err(Error::InvalidArgument("codec not supported for this kind"));
        }
        Ok(TransceiverId(
            self.push_transceiver(kind, direction, send_codec, msid) as u32,
        ))
    }

    /// What a transceiver negotiated: its kind, mid, current direction and codecs.
    pub fn transceiver(&self, id: TransceiverId) -> Option<TransceiverInfo> {
        let t = self.transceivers.get(id.0 as usize)?;
        Some(TransceiverInfo {
            kind: t.kind,
            mid: t.mid.clone(),
            direction: t.direction,
            current_direction: t.current,
            codecs: t.codecs.clone(),
            send_payload_type: t.send_payload_type(),
            ssrc: t.ssrc,
        })
    }

    /// Sends one RTP packet on a transceiver: our SSRC, the negotiated payload type of
    /// its track's codec, the next sequence number and the MID extension, then SRTP.
    pub fn send_rtp(
        &mut self,
        now: Instant,
        id: TransceiverId,
        marker: bool,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<(), Error> {
        self.ensure_srtp();
        let Some(t) = self.transceivers.get_mut(id.0 as usize) else {
            return Err(Error::InvalidArgument("no such transceiver"));
        };
        if !t.sending() {
            return Err(Error::InvalidState("the transceiver does not send"));
        }
        let payload_type = t
            .send_payload_type()
            .ok_or(Error::InvalidState("no negotiated codec for the track"))?;
        let Some(srtp) = &mut self.srtp else {
            return Err(Error::InvalidState("not connected"));
        };
        let mid = t.mid.clone().unwrap_or_default();
        let extensions = [oxrtc_rtp::Extension {
            id: t.mid_extension.unwrap_or(0),
            data: mid.as_bytes(),
        }];
        let header = oxrtc_rtp::RtpHeader {
            marker,
            payload_type,
            sequence_number: t.sequence_number,
            timestamp,
            ssrc: t.ssrc,
            extensions: if t.mid_extension.is_some() && !mid.is_empty() {
                &extensions
            } else {
                &[]
            },
            ..oxrtc_rtp::RtpHeader::default()
        };
        t.sequence_number = t.sequence_number.wrapping_add(1);
        let mut packet =
            Vec::with_capacity(FIXED_HEADER_ROOM + payload.len() + srtp.local.rtp_overhead());
        header
            .append_packet(payload, &mut packet)
            .map_err(|e| Error::InvalidArgument(rtp_error(&e)))?;
        srtp.local
            .protect_rtp(&mut packet)
            .map_err(|e| Error::Operation(e.to_string()))?;
        self.send_on_path(packet);
        self.pump(now);
        Ok(())
    }

    /// Asks the peer for a keyframe of what it sends on a transceiver (RTCP PLI).
    pub fn request_keyframe(&mut self, now: Instant, id: TransceiverId) -> Result<(), Error> {
        self.ensure_srtp();
        let Some(t) = self.transceivers.get(id.0 as usize) else {
            return Err(Error::InvalidArgument("no such transceiver"));
        };
        let media_ssrc = t
            .last_remote_ssrc
            .or_else(|| t.remote_ssrcs.first().copied())
            .ok_or(Error::InvalidState("no media from the peer yet"))?;
        let Some(srtp) = &mut self.srtp else {
            return Err(Error::InvalidState("not connected"));
        };
        let pli = oxrtc_rtp::rtcp::RtcpPacket::Pli(oxrtc_rtp::rtcp::Pli {
            sender_ssrc: t.ssrc,
            media_ssrc,
        });
        let mut packet = vec![0u8; pli.encoded_len()];
        pli.write(&mut packet)
            .map_err(|e| Error::Operation(e.to_string()))?;
        packet.reserve(srtp.local.rtcp_overhead());
        srtp.local
            .protect_rtcp(&mut packet)
            .map_err(|e| Error::Operation(e.to_string()))?;
        self.send_on_path(packet);
        self.pump(now);
        Ok(())
    }

    /// Where DTLS and media go: the selected pair, or where DTLS last came from (a
    /// peer can finish ICE and start DTLS before our agent has selected).
    fn data_path(&self) -> Option<(SocketAddr, SocketAddr)> {
        self.ice
            .selected_path()
            .map(|p| (p.local, p.remote))
            .or(self.last_data_path)
    }

    fn send_on_path(&mut self, packet: Vec<u8>) {
        if let Some((local, remote)) = self.data_path() {
            self.queue_transmit(local, remote, packet);
        }
    }

    /// The SRTP contexts, built from the DTLS keys on first use.
    fn ensure_srtp(&mut self) {
        if self.srtp.is_some() {
            return;
        }
        if let Some(keys) = self.srtp_keys.take() {
            self.start_srtp(&keys);
        }
    }

    fn start_srtp(&mut self, keys: &oxrtc_dtls::SrtpKeyingMaterial) {
        let profile = match keys.profile {
            oxrtc_dtls::SrtpProfile::Aes128CmHmacSha1_80 => {
                oxrtc_srtp::ProtectionProfile::Aes128CmHmacSha1_80
            }
            oxrtc_dtls::SrtpProfile::Aes128CmHmacSha1_32 => {
                oxrtc_srtp::ProtectionProfile::Aes128CmHmacSha1_32
            }
            oxrtc_dtls::SrtpProfile::AeadAes128Gcm => oxrtc_srtp::ProtectionProfile::AeadAes128Gcm,
            oxrtc_dtls::SrtpProfile::AeadAes256Gcm => oxrtc_srtp::ProtectionProfile::AeadAes256Gcm,
            _ => return,
        };
        let is_client = keys.role == oxrtc_dtls::Role::Client;
        let contexts =
            oxrtc_srtp::SessionKeys::from_dtls_keying_material(profile, keys.as_bytes(), is_client)
                .and_then(|k| k.contexts(oxrtc_srtp::Config::default()));
        match contexts {
            Ok((local, remote)) => self.srtp = Some(Box::new(SrtpContexts { local, remote })),
            Err(e) => log::debug!("SRTP keys refused: {e}"),
        }
    }

    /// An SRTP or SRTCP datagram (RFC 7983: first byte 128–191).
    fn receive_media(&mut self, data: &[u8]) {
        self.ensure_srtp();
        let Some(srtp) = &mut self.srtp else {
            return;
        };
        let mut packet = data.to_vec();
        // RFC 5761 §4: RTCP packet types 192–223 sit where RTP has marker + payload type.
        let is_rtcp = matches!(data.get(1), Some(192..=223));
        if is_rtcp {
            let Ok(len) = srtp.remote.unprotect_rtcp_in(&mut packet) else {
                return;
            };
            let Ok(compound) = oxrtc_rtp::rtcp::RtcpPacket::parse_compound(&packet[..len]) else {
                return;
            };
            for p in compound {
                let media_ssrcs: Vec<u32> = match p {
                    oxrtc_rtp::rtcp::RtcpPacket::Pli(pli) => vec![pli.media_ssrc],
                    oxrtc_rtp::rtcp::RtcpPacket::Fir(fir) => {
                        fir.entries.iter().map(|e| e.ssrc).collect()
                    }
                    _ => continue,
                };
                for ssrc in media_ssrcs {
                    if let Some(i) = self.transceivers.iter().position(|t| t.ssrc == ssrc) {
                        self.events
                            .push_back(SessionEvent::KeyframeRequest(TransceiverId(i as u32)));
                    }
                }
            }
            return;
        }
        let Ok(len) = srtp.remote.unprotect_rtp_in(&mut packet) else {
            return;
        };
        packet.truncate(len);
        let Ok(rtp) = oxrtc_rtp::RtpPacket::parse(&packet) else {
            return;
        };
        let ssrc = rtp.ssrc();
        let id = match self.remote_ssrcs.get(&ssrc) {
            Some(id) => Some(*id),
            None => self.route_new_ssrc(&rtp),
        };
        let Some(id) = id else {
            return;
        };
        let t = &mut self.transceivers[id.0 as usize];
        if !t.receiving() {
            return;
        }
        t.last_remote_ssrc = Some(ssrc);
        self.events
            .push_back(SessionEvent::Rtp(id, Bytes::from(packet)));
    }

    /// RFC 8843 §9.2: a new SSRC belongs to the section its MID extension names, or
    /// failing that to the one receiving section whose codecs include its payload type.
    fn route_new_ssrc(&mut self, rtp: &oxrtc_rtp::RtpPacket<'_>) -> Option<TransceiverId> {
        let by_mid = self.transceivers.iter().position(|t| {
            t.mid_extension
                .and_then(|id| rtp.extension(id))
                .is_some_and(|mid| Some(mid) == t.mid.as_deref().map(str::as_bytes))
        });
        let index = by_mid.or_else(|| {
            let mut candidates = self
                .transceivers
                .iter()
                .enumerate()
                .filter(|(_, t)| t.receiving() && t.codec(rtp.payload_type()).is_some());
            let first = candidates.next()?;
            candidates.next().is_none().then_some(first.0)
        })?;
        // Bounded: one entry per SSRC the peer uses, which it announced or sends.
        if self.remote_ssrcs.len() < MAX_REMOTE_SSRCS {
            self.remote_ssrcs
                .insert(rtp.ssrc(), TransceiverId(index as u32));
        }
        Some(TransceiverId(index as u32))
    }

    fn rollback(&mut self, from: SignalingState) -> Result<(), Error> {
        if self.signaling != from {
            return Err(Error::InvalidState("nothing to roll back"));
        }
        match from {
            SignalingState::HaveLocalOffer if !self.transport_started => self.local = None,
            SignalingState::HaveRemoteOffer if !self.transport_started => {
                self.remote = None;
                self.remote_transport = None;
            }
            _ => {}
        }
        self.set_signaling(SignalingState::Stable);
        Ok(())
    }

    fn set_signaling(&mut self, state: SignalingState) {
        if self.signaling != state {
            self.signaling = state;
            self.events
                .push_back(SessionEvent::SignalingStateChange(state));
        }
    }

    /// Both descriptions are set: give ICE the peer's side, prepare DTLS.
    fn start_transport(&mut self, now: Instant) -> Result<(), Error> {
        if self.transport_started {
            return Ok(());
        }
        if self.remote_transport.is_none() || self.transport_mid.is_none() {
            return Ok(());
        }
        self.transport_started = true;
        self.apply_remote_ice(now)?;
        if self.dtls_role == Some(oxrtc_dtls::Role::Server) {
            self.create_dtls(now);
        }
        Ok(())
    }

    /// Gives the agent the peer's credentials and candidates (at the start, and after
    /// an ICE restart).
    fn apply_remote_ice(&mut self, now: Instant) -> Result<(), Error> {
        let Some(remote) = self.remote_transport.clone() else {
            return Ok(());
        };
        self.ice
            .set_remote_credentials(Credentials {
                ufrag: remote.ufrag.clone(),
                pwd: remote.pwd.clone(),
            })
            .map_err(|e| Error::InvalidAccess(format!("remote ICE credentials: {e}")))?;
        let pending = std::mem::take(&mut self.pending_remote_candidates);
        for c in remote.candidates.iter().cloned().chain(pending) {
            if let Err(e) = self.ice.add_remote_candidate(c) {
                log::debug!("remote candidate ignored: {e}");
            }
        }
        if remote.end_of_candidates {
            self.ice.end_of_remote_candidates();
        }
        // The agent learns the time from its timer; checks start with this first tick.
        self.ice.handle_timeout(now);
        Ok(())
    }

    /// `restartIce()`: the next offer carries new ICE credentials; when both sides have
    /// applied it, ICE checks again (RFC 8445 §9) while data keeps flowing on the old
    /// pair.
    pub fn restart_ice(&mut self) {
        if !self.closed {
            self.restart_credentials = Some(Credentials::random(&mut self.rng));
        }
    }

    /// After a restart: gathering starts over under the new ufrag (W3C: the state goes
    /// back to `gathering`, every candidate is announced again).
    fn announce_restarted_gathering(&mut self) {
        if self.gathering_announced == GatheringState::New {
            return;
        }
        self.gathering_announced = GatheringState::New;
        self.start_gathering();
    }

    fn create_dtls(&mut self, now: Instant) {
        let (Some(role), Some(remote)) = (self.dtls_role, &self.remote_transport) else {
            return;
        };
        if self.dtls.is_some() {
            return;
        }
        let mut config = oxrtc_dtls::Config::new(self.certificate.clone());
        config.expected_peer_fingerprints = remote.fingerprints.clone();
        let mut seed = [0u8; 32];
        self.rng.fill_bytes(&mut seed);
        config.rng_seed = Some(seed);
        let mut dtls = DtlsConnection::new_with_role(Arc::new(config), role, now);
        for (local, remote, data) in std::mem::take(&mut self.early_dtls) {
            self.last_data_path = Some((local, remote));
            if let Err(e) = dtls.handle_receive(now, &data) {
                log::debug!("early DTLS datagram dropped: {e}");
            }
        }
        self.dtls = Some(dtls);
        self.dtls_state = DtlsState::Connecting;
    }

    // ----- data channels -----

    /// `createDataChannel`.
    pub fn create_data_channel(
        &mut self,
        now: Instant,
        label: &str,
        init: &DataChannelInit,
    ) -> Result<ChannelId, Error> {
        self.ensure_open()?;
        let config = channels::channel_config(label, init)?;
        let id = self
            .channels
            .insert(config.clone(), None, DataChannelState::Connecting);
        if let Some(sctp) = &mut self.sctp {
            if sctp.is_closed() {
                self.channels.remove(id);
                return Err(Error::InvalidState("the SCTP association is closed"));
            }
            match sctp.open_channel(config) {
                Ok(stream) => {
                    self.channels.set_stream(id, stream);
                    if sctp.is_established() {
                        self.channels.set_state(id, DataChannelState::Open);
                        self.counters.channels_opened =
                            self.counters.channels_opened.wrapping_add(1);
                        self.events.push_back(SessionEvent::DataChannelOpen(id));
                    }
                }
                Err(e) => {
                    self.channels.remove(id);
                    return Err(Error::Operation(e.to_string()));
                }
            }
        }
        self.pump(now);
        Ok(id)
    }

    /// Sends a message (`send`): text when `is_string`.
    pub fn send(
        &mut self,
        now: Instant,
        channel: ChannelId,
        is_string: bool,
        data: Bytes,
    ) -> Result<(), Error> {
        if self.channels.state(channel) != Some(DataChannelState::Open) {
            return Err(Error::InvalidState("data channel is not open"));
        }
        let (Some(stream), Some(sctp)) = (self.channels.stream_of(channel), &mut self.sctp) else {
            return Err(Error::InvalidState("data channel is not open"));
        };
        let max = sctp.config().remote_max_message_size;
        if data.len() > max {
            return Err(Error::MessageTooLarge {
                size: data.len(),
                max,
            });
        }
        let kind = if is_string {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        let len = data.len() as u64;
        sctp.send(stream, kind, data)
            .map_err(|e| Error::Operation(e.to_string()))?;
        if let Some(entry) = self.channels.get_mut(channel) {
            entry.counters.messages_sent += 1;
            entry.counters.bytes_sent += len;
        }
        self.pump(now);
        Ok(())
    }

    /// Sets the threshold under which [`SessionEvent::DataChannelBufferedAmountLow`]
    /// fires.
    pub fn set_buffered_amount_low_threshold(&mut self, channel: ChannelId, threshold: usize) {
        if let (Some(stream), Some(sctp)) = (self.channels.stream_of(channel), &mut self.sctp) {
            sctp.set_buffered_amount_low_threshold(stream, threshold);
        }
    }

    /// Closes a channel: its stream is reset, then it reports closed.
    pub fn close_data_channel(&mut self, now: Instant, channel: ChannelId) {
        if let Some(DataChannelState::Open | DataChannelState::Connecting) =
            self.channels.state(channel)
        {
            // A channel with a stream may already be known to the peer (its OPEN can
            // ride with the COOKIE ECHO): reset the stream either way.
            if let (Some(stream), Some(sctp)) = (self.channels.stream_of(channel), &mut self.sctp) {
                sctp.close_channel(stream);
                self.channels.set_state(channel, DataChannelState::Closing);
            } else {
                self.channel_closed(channel);
            }
        }
        self.pump(now);
    }

    fn channel_closed(&mut self, channel: ChannelId) {
        if self.channels.state(channel).is_some() {
            self.counters.channels_closed = self.counters.channels_closed.wrapping_add(1);
            self.channels.remove(channel);
            self.events
                .push_back(SessionEvent::DataChannelClose(channel));
        }
    }

    /// `close()`: aborts the association, sends close_notify, stops ICE. What it sends
    /// is still in [`Session::poll_transmit`].
    pub fn close(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if let Some(sctp) = &mut self.sctp {
            sctp.abort(now, "close");
        }
        self.pump(now);
        if let Some(dtls) = &mut self.dtls {
            dtls.close();
        }
        self.flush_dtls();
        self.closed = true;
        self.ice.close();
        for id in self.channels.ids() {
            self.channel_closed(id);
        }
        self.set_signaling(SignalingState::Closed);
        self.update_state();
    }

    // ----- the five verbs -----

    /// Handles a datagram that arrived on local socket `local` from `remote`.
    /// Anything malformed or unexpected is dropped (and logged at debug level).
    pub fn handle_receive(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        if self.closed {
            return;
        }
        self.counters.packets_received += 1;
        self.counters.bytes_received += data.len() as u64;
        // RFC 7983 §7: the first byte tells STUN, DTLS and RTP apart on one 5-tuple.
        match data.first() {
            Some(0..=3) => {
                let datagram = Datagram::udp(local, remote, data);
                if self
                    .srflx
                    .as_mut()
                    .is_some_and(|g| g.handle_receive(now, datagram))
                {
                    self.pump(now);
                    return;
                }
                if let Err(e) = self.ice.handle_receive(now, datagram) {
                    log::debug!("STUN from {remote} dropped: {e}");
                }
            }
            Some(20..=63) => match &mut self.dtls {
                Some(dtls) => {
                    self.last_data_path = Some((local, remote));
                    if let Err(e) = dtls.handle_receive(now, data) {
                        log::debug!("DTLS from {remote} dropped: {e}");
                    }
                }
                None if self.early_dtls.len() < MAX_EARLY_DTLS => {
                    self.early_dtls.push((local, remote, data.to_vec()));
                }
                None => {}
            },
            Some(128..=191) => self.receive_media(data),
            _ => {}
        }
        self.pump(now);
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.ice.handle_timeout(now);
        if let Some(gatherer) = &mut self.srflx {
            gatherer.handle_timeout(now);
        }
        if let Some(dtls) = &mut self.dtls {
            dtls.handle_timeout(now);
        }
        if let Some(sctp) = &mut self.sctp {
            sctp.handle_timeout(now);
        }
        self.pump(now);
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let next = self.transmits.pop_front();
        if next.is_none() && self.transmits.capacity() > IDLE_QUEUE {
            // Drained after a burst: give the burst's room back.
            self.transmits = VecDeque::new();
        }
        next
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        let next = self.events.pop_front();
        if next.is_none() && self.events.capacity() > IDLE_QUEUE {
            self.events = VecDeque::new();
        }
        next
    }

    /// When [`Session::handle_timeout`] should run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        [
            self.ice.poll_timeout(),
            self.srflx.as_ref().and_then(|g| g.poll_timeout()),
            self.dtls.as_ref().and_then(|d| d.poll_timeout()),
            self.sctp.as_ref().and_then(|s| s.poll_timeout()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- plumbing -----

    /// Moves everything the layers produced until none has more: ICE events and
    /// datagrams, SCTP packets into DTLS records, DTLS events into SCTP.
    fn pump(&mut self, now: Instant) {
        loop {
            let mut moved = false;
            while let Some(event) = self.ice.poll_event() {
                moved = true;
                self.on_ice_event(now, event);
            }
            while let Some(t) = self.ice.poll_transmit() {
                moved = true;
                self.queue_transmit(t.local, t.remote, t.data);
            }
            while let Some(t) = self.srflx.as_mut().and_then(|g| g.poll_transmit()) {
                moved = true;
                self.queue_transmit(t.local, t.remote, t.data);
            }
            while let Some(event) = self.srflx.as_mut().and_then(|g| g.poll_event()) {
                moved = true;
                self.on_gather_event(event);
            }
            if let (Some(sctp), Some(dtls)) = (&mut self.sctp, &mut self.dtls) {
                while sctp.poll_transmit(now, &mut self.sctp_buf).is_some() {
                    moved = true;
                    if let Err(e) = dtls.send_application_data(&self.sctp_buf) {
                        log::debug!("SCTP packet not sent: {e}");
                    }
                }
            }
            while let Some(event) = self.sctp.as_mut().and_then(|s| s.poll_event()) {
                moved = true;
                self.on_sctp_event(now, event);
            }
            moved |= self.flush_dtls();
            while let Some(event) = self.dtls.as_mut().and_then(|d| d.poll_event()) {
                moved = true;
                self.on_dtls_event(now, event);
            }
            if !moved {
                break;
            }
        }
        self.update_state();
    }

    /// Sends DTLS's datagrams on the selected pair (or where DTLS last came from).
    fn flush_dtls(&mut self) -> bool {
        let path = self.data_path();
        let mut moved = false;
        while let Some(data) = self.dtls.as_mut().and_then(|d| d.poll_transmit()) {
            moved = true;
            if let Some((local, remote)) = path {
                self.queue_transmit(local, remote, data);
            }
        }
        moved
    }

    fn queue_transmit(&mut self, local: SocketAddr, remote: SocketAddr, data: Vec<u8>) {
        self.counters.packets_sent += 1;
        self.counters.bytes_sent += data.len() as u64;
        self.transmits.push_back(Transmit {
            local,
            remote,
            data,
        });
    }

    fn on_gather_event(&mut self, event: oxrtc_ice::gather::GatherEvent) {
        use oxrtc_ice::gather::GatherEvent;
        match event {
            GatherEvent::Candidate(candidate) => {
                let Some(base) = candidate.related_addr() else {
                    return;
                };
                if let Err(e) = self.add_local_ice_candidate(candidate, base) {
                    log::debug!("server-reflexive candidate not added: {e}");
                }
            }
            GatherEvent::Timeout { base, server } => {
                log::debug!("STUN server {server} did not answer from {base}");
            }
            GatherEvent::Done => self.finish_gathering_if_done(),
        }
    }

    fn on_ice_event(&mut self, now: Instant, event: AgentEvent) {
        match event {
            AgentEvent::ConnectionStateChanged(state) => {
                self.ice_state = state;
                self.events
                    .push_back(SessionEvent::IceConnectionStateChange(state));
            }
            AgentEvent::SelectedPairChanged { .. } => {
                if self.dtls_role == Some(oxrtc_dtls::Role::Client) && self.transport_started {
                    self.create_dtls(now);
                }
            }
            // Candidates and gathering are announced by the session, after the first
            // setLocalDescription, as browsers do.
            AgentEvent::LocalCandidate(_)
            | AgentEvent::GatheringStateChanged(_)
            | AgentEvent::RoleChanged(_) => {}
        }
    }

    fn on_dtls_event(&mut self, now: Instant, event: DtlsEvent) {
        match event {
            DtlsEvent::Connected {
                srtp_keying_material,
                ..
            } => {
                self.dtls_state = DtlsState::Connected;
                self.srtp_keys = srtp_keying_material;
                if self.remote_transport.as_ref().is_some_and(|t| t.has_data) {
                    self.start_sctp(now);
                }
            }
            DtlsEvent::ApplicationData(data) => {
                if let Some(sctp) = &mut self.sctp {
                    if let Err(e) = sctp.handle_receive_bytes(now, data) {
                        log::debug!("SCTP packet dropped: {e}");
                    }
                }
            }
            DtlsEvent::Closed { reason } => {
                self.dtls_state = match reason {
                    oxrtc_dtls::CloseReason::Error(e) => {
                        log::debug!("DTLS failed: {e}");
                        DtlsState::Failed
                    }
                    _ => DtlsState::Closed,
                };
                for id in self.channels.ids() {
                    self.channel_closed(id);
                }
            }
            _ => {}
        }
    }

    fn start_sctp(&mut self, now: Instant) {
        let (Some(remote), Some(role)) = (&self.remote_transport, self.dtls_role) else {
            return;
        };
        if self.sctp.is_some() {
            return;
        }
        let mut seed = [0u8; 32];
        self.rng.fill_bytes(&mut seed);
        let mut sctp = Association::new(oxrtc_sctp::Config {
            local_port: 5000,
            remote_port: remote.sctp_port,
            dtls_client: role == oxrtc_dtls::Role::Client,
            max_message_size: self.max_message_size,
            remote_max_message_size: remote.max_message_size,
            rng_seed: Some(seed),
            ..oxrtc_sctp::Config::default()
        });
        // Both ends send INIT (as Firefox does); SCTP resolves the collision. Waiting
        // for the peer would hang against stacks that wait too.
        sctp.connect(now);
        for id in self.channels.ids() {
            if self.channels.state(id) != Some(DataChannelState::Connecting) {
                continue;
            }
            let Some(config) = self.channels.get(id).map(|e| e.config.clone()) else {
                continue;
            };
            match sctp.open_channel(config) {
                Ok(stream) => self.channels.set_stream(id, stream),
                Err(e) => {
                    log::debug!("data channel could not open: {e}");
                    self.channel_closed(id);
                }
            }
        }
        self.sctp = Some(sctp);
    }

    fn on_sctp_event(&mut self, _now: Instant, event: SctpEvent) {
        match event {
            SctpEvent::Connected => {
                for id in self.channels.ids() {
                    if self.channels.state(id) == Some(DataChannelState::Connecting)
                        && self.channels.stream_of(id).is_some()
                    {
                        self.channels.set_state(id, DataChannelState::Open);
                        self.counters.channels_opened =
                            self.counters.channels_opened.wrapping_add(1);
                        self.events.push_back(SessionEvent::DataChannelOpen(id));
                    }
                }
            }
            SctpEvent::ChannelOpened {
                id: stream,
                label,
                protocol,
                ordered,
                reliability,
                priority,
            } => {
                let config = oxrtc_sctp::ChannelConfig {
                    label,
                    protocol,
                    ordered,
                    reliability,
                    priority,
                    negotiated: None,
                };
                let id = self
                    .channels
                    .insert(config, Some(stream), DataChannelState::Open);
                self.counters.channels_opened = self.counters.channels_opened.wrapping_add(1);
                self.events.push_back(SessionEvent::DataChannel(id));
            }
            SctpEvent::Message {
                channel,
                kind,
                data,
            } => {
                if let Some(id) = self.channels.by_stream(channel) {
                    if let Some(entry) = self.channels.get_mut(id) {
                        entry.counters.messages_received += 1;
                        entry.counters.bytes_received += data.len() as u64;
                    }
                    let message = DataChannelMessage {
                        is_string: kind == MessageKind::Text,
                        data,
                    };
                    self.events
                        .push_back(SessionEvent::DataChannelMessage(id, message));
                }
            }
            SctpEvent::BufferedAmountLow { channel } => {
                if let Some(id) = self.channels.by_stream(channel) {
                    self.events
                        .push_back(SessionEvent::DataChannelBufferedAmountLow(id));
                }
            }
            SctpEvent::ChannelClosed { channel } => {
                if let Some(id) = self.channels.by_stream(channel) {
                    self.channel_closed(id);
                }
            }
            SctpEvent::ConnectionLost { reason } => {
                log::debug!("SCTP association lost: {reason:?}");
                for id in self.channels.ids() {
                    self.channel_closed(id);
                }
            }
            SctpEvent::Closed => {
                for id in self.channels.ids() {
                    self.channel_closed(id);
                }
            }
            _ => {}
        }
    }

    /// W3C's `connectionState` from the ICE and DTLS transports.
    fn update_state(&mut self) {
        let state = if self.closed {
            PeerConnectionState::Closed
        } else if self.ice_state == ConnectionState::Failed || self.dtls_state == DtlsState::Failed
        {
            PeerConnectionState::Failed
        } else if self.ice_state == ConnectionState::Disconnected {
            PeerConnectionState::Disconnected
        } else if self.ice_state == ConnectionState::New && self.dtls_state == DtlsState::New {
            PeerConnectionState::New
        } else if matches!(
            self.ice_state,
            ConnectionState::Connected | ConnectionState::Completed
        ) && matches!(self.dtls_state, DtlsState::Connected | DtlsState::Closed)
        {
            PeerConnectionState::Connected
        } else {
            PeerConnectionState::Connecting
        };
        if state != self.state {
            self.state = state;
            self.events
                .push_back(SessionEvent::ConnectionStateChange(state));
        }
    }
}
