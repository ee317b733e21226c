//! The sans-IO ICE agent (RFC 8445, trickle ICE RFC 8838, consent freshness RFC 7675).
//!
//! One [`Agent`] runs ICE for one data stream with one component (WebRTC with BUNDLE and
//! rtcp-mux). It never touches a socket or a clock: the caller feeds it datagrams with
//! [`Agent::handle_receive`], wakes it with [`Agent::handle_timeout`] at
//! [`Agent::poll_timeout`], and sends what [`Agent::poll_transmit`] returns from the
//! local address named in each [`Transmit`].

mod pair;
mod wire;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::candidate::{compute_priority, Candidate, CandidateKind, TcpType, Transport};
use crate::stun::{Key, MessageRef};
pub use pair::CandidatePairState;
use pair::{Pair, PairState};

/// RFC 8445 §14.2: the pacing interval Ta between new checks.
pub const DEFAULT_TA: Duration = Duration::from_millis(50);
/// RFC 7675 §5.1: consent is checked about every 5 seconds (randomized 0.8–1.2).
pub const DEFAULT_CONSENT_INTERVAL: Duration = Duration::from_secs(5);
/// RFC 7675 §5.1: consent expires 30 seconds after the last response.
pub const DEFAULT_CONSENT_TIMEOUT: Duration = Duration::from_secs(30);
/// RFC 8445 §11: keepalives at least every 15 seconds on an idle pair.
pub const DEFAULT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);

/// Bound on queued transmits: the caller drains after each call, so more means it
/// stopped draining; the oldest are dropped (STUN recovers by retransmission).
const MAX_QUEUED_TRANSMITS: usize = 256;
/// Bound on queued events, for the same reason.
const MAX_QUEUED_EVENTS: usize = 1024;
/// Most local candidates an agent keeps (including peer-reflexive ones it learns).
const MAX_LOCAL_CANDIDATES: usize = 64;
/// Most transactions outstanding at once.
const MAX_TRANSACTIONS: usize = 2048;
/// Shortest consent or keepalive period accepted from the configuration.
const MIN_PERIOD: Duration = Duration::from_millis(100);

/// Which side of the ICE session we are (RFC 8445 §6.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Nominates the pair (the offerer, normally).
    Controlling,
    /// Follows the controlling side's nomination.
    Controlled,
}

/// The ICE connection state, exactly as W3C `RTCIceConnectionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// Gathering or waiting for remote candidates.
    New,
    /// Checking pairs, none works yet.
    Checking,
    /// A usable pair is selected; checking or gathering may go on.
    Connected,
    /// A pair is selected and both sides signaled end-of-candidates.
    Completed,
    /// Every pair failed, or consent expired.
    Failed,
    /// Consent checks on the selected pair go unanswered; may come back.
    Disconnected,
    /// [`Agent::close`] was called.
    Closed,
}

/// The ICE gathering state, as W3C `RTCIceGatheringState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatheringState {
    /// No local candidate yet.
    New,
    /// Local candidates are being added.
    Gathering,
    /// [`Agent::end_of_local_candidates`] was called.
    Complete,
}

/// Transport protocol of a datagram or path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// UDP.
    Udp,
    /// TCP (RFC 6544), with RFC 4571 framing done by the caller (see
    /// [`crate::tcp_framing`]). For an active candidate, `local` is the candidate's
    /// address (port 9): the caller keeps one connection per (local, remote) and
    /// reports datagrams from it with that same local address.
    Tcp,
}

impl Protocol {
    fn of(t: Transport) -> Self {
        if t.is_tcp() {
            Self::Tcp
        } else {
            Self::Udp
        }
    }
}

/// A datagram received from the network, handed to [`Agent::handle_receive`].
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    /// UDP or TCP.
    pub protocol: Protocol,
    /// Our address it arrived on (the socket's local address; for a relayed
    /// candidate, the relayed address the TURN client delivered it from).
    pub local: SocketAddr,
    /// Where it came from.
    pub remote: SocketAddr,
    /// The payload.
    pub data: &'a [u8],
}

impl<'a> Datagram<'a> {
    /// A UDP datagram.
    pub fn udp(local: SocketAddr, remote: SocketAddr, data: &'a [u8]) -> Self {
        Self {
            protocol: Protocol::Udp,
            local,
            remote,
            data,
        }
    }
}

/// A datagram the caller must send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Transmit {
    /// UDP or TCP.
    pub protocol: Protocol,
    /// The local address to send from. For a relayed candidate this is the relayed
    /// address: pass the data to the TURN client that owns it.
    pub local: SocketAddr,
    /// The destination.
    pub remote: SocketAddr,
    /// The payload.
    pub data: Vec<u8>,
}

/// Where application data goes: the selected pair as addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Path {
    /// UDP or TCP.
    pub protocol: Protocol,
    /// Local address to send from (the local candidate's base).
    pub local: SocketAddr,
    /// Remote address to send to.
    pub remote: SocketAddr,
}

/// What [`Agent::handle_receive`] made of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Received {
    /// A STUN message for this agent; consumed.
    Stun,
    /// Not STUN: application data (DTLS, RTP, ...) for the caller. `selected` says
    /// whether it came over the selected pair.
    Data {
        /// Whether it arrived on the selected path.
        selected: bool,
    },
    /// A STUN message that is not this agent's (an unknown transaction, or not a
    /// Binding): the caller may hand it to a gatherer or TURN client.
    OtherStun,
}

/// One candidate pair as [`Agent::candidate_pairs`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidatePairStats {
    /// Our candidate.
    pub local: Candidate,
    /// The peer's candidate.
    pub remote: Candidate,
    /// Check-list state.
    pub state: CandidatePairState,
    /// Nominated (RFC 8445 §8.1.1).
    pub nominated: bool,
    /// The selected pair.
    pub selected: bool,
    /// Pair priority (RFC 8445 §6.1.2.3).
    pub priority: u64,
    /// Binding requests sent on the pair (retransmissions included).
    pub requests_sent: u64,
    /// Authenticated Binding requests received on the pair.
    pub requests_received: u64,
    /// Authenticated success responses received on the pair.
    pub responses_received: u64,
    /// Round-trip time of the last check or consent transaction answered without a
    /// retransmission.
    pub current_round_trip_time: Option<Duration>,
}

/// The local ufrag a STUN Binding request is addressed to (the part of USERNAME
/// before the colon), without authenticating it: for a socket shared by many agents
/// (a UDP mux) to find the agent a first request belongs to.
pub fn binding_request_ufrag(data: &[u8]) -> Option<&str> {
    let m = crate::stun::MessageRef::decode(data).ok()?;
    if m.class() != crate::stun::Class::Request || m.method() != crate::stun::Method::BINDING {
        return None;
    }
    m.username()?.split_once(':').map(|(ours, _)| ours)
}

/// Something the caller should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentEvent {
    /// A local candidate to signal to the peer (trickle ICE).
    LocalCandidate(Candidate),
    /// The gathering state changed.
    GatheringStateChanged(GatheringState),
    /// The connection state changed.
    ConnectionStateChanged(ConnectionState),
    /// Application data should now go over this pair.
    SelectedPairChanged {
        /// Our candidate.
        local: Box<Candidate>,
        /// The peer's candidate.
        remote: Box<Candidate>,
        /// The addresses to use.
        path: Path,
    },
    /// Our role changed through role-conflict resolution (RFC 8445 §7.3.1.1).
    RoleChanged(Role),
}

/// Errors from the agent's methods. Errors from [`Agent::handle_receive`] mean the
/// datagram was dropped without changing the agent's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// ufrag must be 4–256 and pwd 22–256 ice-chars (RFC 8839 §5.4).
    #[error("invalid ICE credentials")]
    InvalidCredentials,
    /// The remote candidate has an unresolved hostname (e.g. mDNS `.local`); resolve
    /// it first (the `mdns` module resolves `.local` names) and add the candidate with the IP.
    #[error("candidate address {0:?} is not resolved")]
    UnresolvedHostname(String),
    /// A limit from [`AgentConfig`] was reached.
    #[error("too many {what} (limit {limit})")]
    Limit {
        /// What is limited.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// Local peer-reflexive candidates are learned, not added.
    #[error("this candidate cannot be added: {0}")]
    UnsupportedCandidate(&'static str),
    /// The agent is closed.
    #[error("agent closed")]
    Closed,
    /// A STUN message could not be decoded.
    #[error("malformed STUN: {0}")]
    Stun(#[from] crate::stun::StunError),
    /// A Binding request or response failed MESSAGE-INTEGRITY or named another ufrag.
    #[error("unauthenticated STUN message")]
    Unauthenticated,
    /// A Binding request lacks an attribute RFC 8445 requires.
    #[error("bad ICE check: {0}")]
    BadRequest(&'static str),
    /// The datagram arrived on a local address with no candidate.
    #[error("no local candidate at {0}")]
    UnknownLocalAddress(SocketAddr),
    /// The role can no longer be chosen: candidate pairs exist (or the agent is lite,
    /// which is always controlled).
    #[error("the ICE role is fixed once candidate pairs exist")]
    RoleFixed,
}

/// ICE username fragment and password (RFC 8445 §5.3, RFC 8839 §5.4).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `ice-ufrag`.
    pub ufrag: String,
    /// `ice-pwd`.
    pub pwd: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("ufrag", &self.ufrag)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Checked credentials: ufrag 4–256 and pwd 22–256 ice-chars.
    pub fn new(ufrag: &str, pwd: &str) -> Result<Self, AgentError> {
        let ice = |s: &str, min: usize| {
            (min..=256).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        };
        if !ice(ufrag, 4) || !ice(pwd, 22) {
            return Err(AgentError::InvalidCredentials);
        }
        Ok(Self {
            ufrag: ufrag.to_owned(),
            pwd: pwd.to_owned(),
        })
    }

    /// Random credentials: an 8-character ufrag and a 24-character pwd.
    pub fn random(rng: &mut impl RngCore) -> Self {
        const ICE_CHARS: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut gen = |n: usize| {
            (0..n)
                .map(|_| ICE_CHARS[(rng.next_u32() % 64) as usize] as char)
                .collect::<String>()
        };
        Self {
            ufrag: gen(8),
            pwd: gen(24),
        }
    }
}

/// How an [`Agent`] behaves. `Default` gives RFC values, a controlling full agent and
/// random credentials.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Initial role (a lite agent is always controlled).
    pub role: Role,
    /// ICE-lite (RFC 8445 §2.5): answers checks, never sends them.
    pub lite: bool,
    /// Our ufrag/pwd; generated from the RNG when `None`.
    pub local_credentials: Option<Credentials>,
    /// Seed for the agent's RNG (credentials, tie-breaker, transaction IDs, consent
    /// jitter). `None` seeds from the system's secure RNG.
    pub rng_seed: Option<[u8; 32]>,
    /// Ta: the pacing interval between checks (RFC 8445 §14.2).
    pub check_interval: Duration,
    /// First retransmission timeout of a check (RFC 8445 §14.3: at least 500 ms).
    pub initial_rto: Duration,
    /// Cap of the doubling retransmission timeout.
    pub max_rto: Duration,
    /// Retransmissions of a check before its pair fails.
    pub max_retransmits: u32,
    /// How long the controlling side waits for better pairs after the first valid one
    /// before nominating.
    pub nomination_delay: Duration,
    /// RFC 7675 consent check interval (randomized by 0.8–1.2).
    pub consent_interval: Duration,
    /// RFC 7675 consent lifetime: no response for this long → `Failed`.
    pub consent_timeout: Duration,
    /// A consent check unanswered this long → `Disconnected` (browsers: a few seconds).
    pub disconnected_timeout: Duration,
    /// Keepalive (Binding indication) interval on an idle selected pair (lite agents;
    /// full agents' consent checks keep the pair alive).
    pub keepalive_interval: Duration,
    /// Most remote candidates kept (signaled plus peer-reflexive).
    pub max_remote_candidates: usize,
    /// Most candidate pairs.
    pub max_pairs: usize,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            role: Role::Controlling,
            lite: false,
            local_credentials: None,
            rng_seed: None,
            check_interval: DEFAULT_TA,
            initial_rto: Duration::from_millis(500),
            max_rto: Duration::from_secs(3),
            max_retransmits: 7,
            nomination_delay: Duration::from_millis(200),
            consent_interval: DEFAULT_CONSENT_INTERVAL,
            consent_timeout: DEFAULT_CONSENT_TIMEOUT,
            disconnected_timeout: Duration::from_secs(4),
            keepalive_interval: DEFAULT_KEEPALIVE_INTERVAL,
            max_remote_candidates: 100,
            max_pairs: 1000,
        }
    }
}

struct LocalCandidate {
    candidate: Candidate,
    addr: SocketAddr,
    base: SocketAddr,
    protocol: Protocol,
}

struct RemoteCandidate {
    candidate: Candidate,
    addr: SocketAddr,
    protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Check { use_candidate: bool },
    Consent,
}

struct Transaction {
    id: [u8; 12],
    pair: usize,
    purpose: Purpose,
    request: Vec<u8>,
    /// Next retransmission; `None` once cancelled (RFC 8445 §7.3.1.4) — a response is
    /// still accepted until `deadline`.
    next_at: Option<Instant>,
    rto: Duration,
    retransmits: u32,
    deadline: Instant,
    /// The PRIORITY we sent: a local peer-reflexive candidate learned from the
    /// response gets it (RFC 8445 §7.2.5.3.1).
    priority: u32,
    role: Role,
    sent_at: Instant,
}

struct Selected {
    pair: Option<usize>,
    local: Candidate,
    remote: Candidate,
    path: Path,
}

struct Consent {
    last_response: Instant,
    next_check: Instant,
    pending_since: Option<Instant>,
    last_received: Instant,
}

struct Previous {
    local: Credentials,
    key: Key,
}

/// `Vec::push`, except that the first element gets room for itself only. Most agents end
/// with one local candidate, one remote candidate and one pair (a server's single host
/// candidate, a peer's host candidate), where `Vec`'s first growth would reserve four
/// slots of a few hundred bytes each; later growth stays amortized.
fn push_first_exact<T>(v: &mut Vec<T>, item: T) {
    if v.capacity() == 0 {
        v.reserve_exact(1);
    }
    v.push(item);
}

/// A sans-IO ICE agent for one component.
///
/// Drive it like every oxrtc state machine: after any call that changes it (adding
/// candidates, `handle_receive`, `handle_timeout`), drain [`Agent::poll_transmit`] and
/// [`Agent::poll_event`] until they return `None`, then sleep until
/// [`Agent::poll_timeout`] and call [`Agent::handle_timeout`]. Methods that take no
/// `now` (adding candidates or credentials) cannot start timers by themselves: call
/// `handle_timeout(now)` once after them to start checking (later calls keep it going).
///
/// ```
/// use std::time::Instant;
/// use oxrtc_ice::{Agent, AgentConfig, Candidate, Role};
///
/// let now = Instant::now();
/// let mut a = Agent::new(AgentConfig { rng_seed: Some([1; 32]), ..AgentConfig::default() });
/// let mut b = Agent::new(AgentConfig {
///     role: Role::Controlled,
///     rng_seed: Some([2; 32]),
///     ..AgentConfig::default()
/// });
/// a.set_remote_credentials(b.local_credentials().clone())?;
/// b.set_remote_credentials(a.local_credentials().clone())?;
/// let (pa, pb) = ("127.0.0.1:5000".parse()?, "127.0.0.1:5001".parse()?);
/// a.add_local_candidate(Candidate::host(pa))?;
/// b.add_local_candidate(Candidate::host(pb))?;
/// a.add_remote_candidate(Candidate::host(pb))?;
/// b.add_remote_candidate(Candidate::host(pa))?;
/// a.handle_timeout(now);
/// let check = a.poll_transmit().expect("a connectivity check");
/// assert_eq!((check.local, check.remote), (pa, pb));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Agent {
    config: AgentConfig,
    rng: ChaCha20Rng,
    role: Role,
    tie_breaker: u64,
    local_credentials: Credentials,
    local_key: Key,
    remote_credentials: Option<Credentials>,
    remote_key: Option<Key>,
    previous: Option<Previous>,
    last_now: Option<Instant>,
    locals: Vec<LocalCandidate>,
    remotes: Vec<RemoteCandidate>,
    pairs: Vec<Pair>,
    transactions: Vec<Transaction>,
    triggered: VecDeque<(usize, bool)>,
    next_check_at: Option<Instant>,
    first_valid_at: Option<Instant>,
    nominating: Option<usize>,
    selected: Option<Selected>,
    consent: Option<Consent>,
    last_sent_selected: Option<Instant>,
    consent_lost: bool,
    disconnected: bool,
    remote_end_of_candidates: bool,
    gathering: GatheringState,
    state: ConnectionState,
    transmits: VecDeque<Transmit>,
    events: VecDeque<AgentEvent>,
}

impl Agent {
    /// A new agent.
    pub fn new(mut config: AgentConfig) -> Self {
        // Periodic timers of zero length would make `poll_timeout` return the same
        // instant forever; floor them.
        config.consent_interval = config.consent_interval.max(MIN_PERIOD);
        config.keepalive_interval = config.keepalive_interval.max(MIN_PERIOD);
        let seed = config.rng_seed.unwrap_or_else(system_seed);
        let mut rng = ChaCha20Rng::from_seed(seed);
        let local_credentials = config
            .local_credentials
            .clone()
            .unwrap_or_else(|| Credentials::random(&mut rng));
        let tie_breaker = rng.next_u64();
        let role = if config.lite {
            Role::Controlled
        } else {
            config.role
        };
        Self {
            config,
            rng,
            role,
            tie_breaker,
            local_key: Key::short_term(&local_credentials.pwd),
            local_credentials,
            remote_credentials: None,
            remote_key: None,
            previous: None,
            last_now: None,
            locals: Vec::new(),
            remotes: Vec::new(),
            pairs: Vec::new(),
            transactions: Vec::new(),
            triggered: VecDeque::new(),
            next_check_at: None,
            first_valid_at: None,
            nominating: None,
            selected: None,
            consent: None,
            last_sent_selected: None,
            consent_lost: false,
            disconnected: false,
            remote_end_of_candidates: false,
            gathering: GatheringState::New,
            state: ConnectionState::New,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    // ----- getters -----

    /// Our ufrag and pwd, to signal to the peer.
    pub fn local_credentials(&self) -> &Credentials {
        &self.local_credentials
    }
    /// The peer's ufrag and pwd, once set.
    pub fn remote_credentials(&self) -> Option<&Credentials> {
        self.remote_credentials.as_ref()
    }
    /// Our current role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// Whether this is an ICE-lite agent.
    pub fn is_lite(&self) -> bool {
        self.config.lite
    }
    /// The connection state.
    pub fn connection_state(&self) -> ConnectionState {
        self.state
    }
    /// The gathering state.
    pub fn gathering_state(&self) -> GatheringState {
        self.gathering
    }
    /// Our candidates, including learned peer-reflexive ones.
    pub fn local_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.locals.iter().map(|l| &l.candidate)
    }
    /// The peer's candidates, including learned peer-reflexive ones.
    pub fn remote_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.remotes.iter().map(|r| &r.candidate)
    }
    /// Number of candidate pairs.
    pub fn pair_count(&self) -> usize {
        self.pairs.len()
    }
    /// The selected pair's candidates, if any.
    pub fn selected_pair(&self) -> Option<(&Candidate, &Candidate)> {
        self.selected.as_ref().map(|s| (&s.local, &s.remote))
    }
    /// A snapshot of every candidate pair, for `getStats()` (W3C
    /// `RTCIceCandidatePairStats`).
    pub fn candidate_pairs(&self) -> impl Iterator<Item = CandidatePairStats> + '_ {
        let selected = self.selected.as_ref().and_then(|s| s.pair);
        self.pairs
            .iter()
            .enumerate()
            .map(move |(i, p)| CandidatePairStats {
                local: self.locals[p.local].candidate.clone(),
                remote: self.remotes[p.remote].candidate.clone(),
                state: p.state,
                nominated: p.nominated,
                selected: selected == Some(i),
                priority: p.priority,
                requests_sent: p.requests_sent,
                requests_received: p.requests_received,
                responses_received: p.responses_received,
                current_round_trip_time: p.rtt,
            })
    }

    /// Where application data should go now, without recording a send. `None` before
    /// a pair is selected and after consent was lost.
    pub fn selected_path(&self) -> Option<Path> {
        if self.consent_lost || self.state == ConnectionState::Closed {
            return None;
        }
        self.selected.as_ref().map(|s| s.path)
    }

    /// Where to send application data now, recording that data is sent (an idle pair
    /// gets keepalives). Same as [`Agent::selected_path`] otherwise.
    pub fn send_path(&mut self, now: Instant) -> Option<Path> {
        let path = self.selected_path()?;
        self.last_sent_selected = Some(now);
        Some(path)
    }

    /// Whether `data` looks like a STUN message (RFC 7983 first byte 0–3 and the magic
    /// cookie), so a demultiplexer can route it to the agent.
    pub fn is_stun(data: &[u8]) -> bool {
        crate::stun::is_stun(data)
    }

    // ----- mutators -----

    /// Chooses our role before checks begin: JSEP (RFC 8829 §3.5.1) makes the offerer
    /// controlling, unless the peer is lite. Role conflicts found later are resolved
    /// by the tie-breaker (RFC 8445 §7.3.1.1) instead.
    pub fn set_role(&mut self, role: Role) -> Result<(), AgentError> {
        self.check_open()?;
        if role == self.role {
            return Ok(());
        }
        if self.config.lite || !self.pairs.is_empty() {
            return Err(AgentError::RoleFixed);
        }
        self.role = role;
        Ok(())
    }

    /// Sets (or after a restart, replaces) the peer's ufrag and pwd.
    pub fn set_remote_credentials(&mut self, credentials: Credentials) -> Result<(), AgentError> {
        self.check_open()?;
        let checked = Credentials::new(&credentials.ufrag, &credentials.pwd)?;
        self.remote_key = Some(Key::short_term(&checked.pwd));
        self.remote_credentials = Some(checked);
        Ok(())
    }

    /// Adds one of our candidates: host and relayed candidates form pairs; a
    /// server-reflexive one (its related address is the base) is only signaled
    /// (RFC 8445 §6.1.2.4 prunes its pairs into its base's). Emits
    /// [`AgentEvent::LocalCandidate`].
    pub fn add_local_candidate(&mut self, candidate: Candidate) -> Result<(), AgentError> {
        let addr = candidate
            .addr()
            .ok_or_else(|| AgentError::UnresolvedHostname(candidate.address().to_string()))?;
        let base = match candidate.kind() {
            CandidateKind::Host | CandidateKind::Relayed => addr,
            CandidateKind::ServerReflexive => {
                candidate
                    .related_addr()
                    .ok_or(AgentError::UnsupportedCandidate(
                        "server-reflexive candidate without a base",
                    ))?
            }
            CandidateKind::PeerReflexive => {
                return Err(AgentError::UnsupportedCandidate(
                    "local peer-reflexive candidates are learned",
                ))
            }
        };
        self.add_local_candidate_with_base(candidate, base)
    }

    /// Adds one of our candidates whose base (the local socket address checks are
    /// sent from and arrive on) differs from its address: a host candidate advertised
    /// with a NAT 1:1 public IP, for example.
    pub fn add_local_candidate_with_base(
        &mut self,
        candidate: Candidate,
        base: SocketAddr,
    ) -> Result<(), AgentError> {
        self.check_open()?;
        let addr = candidate
            .addr()
            .ok_or_else(|| AgentError::UnresolvedHostname(candidate.address().to_string()))?;
        if candidate.kind() == CandidateKind::PeerReflexive {
            return Err(AgentError::UnsupportedCandidate(
                "local peer-reflexive candidates are learned",
            ));
        }
        let protocol = Protocol::of(candidate.transport());
        if self
            .locals
            .iter()
            .any(|l| l.addr == addr && l.base == base && l.protocol == protocol)
        {
            return Ok(());
        }
        if self.locals.len() >= MAX_LOCAL_CANDIDATES {
            return Err(AgentError::Limit {
                what: "local candidates",
                limit: MAX_LOCAL_CANDIDATES,
            });
        }
        push_first_exact(
            &mut self.locals,
            LocalCandidate {
                candidate: candidate.clone(),
                addr,
                base,
                protocol,
            },
        );
        if self.gathering != GatheringState::Gathering {
            self.gathering = GatheringState::Gathering;
            self.push_event(AgentEvent::GatheringStateChanged(self.gathering));
        }
        self.push_event(AgentEvent::LocalCandidate(candidate));
        let li = self.locals.len() - 1;
        if self.pairs_local(li) {
            for ri in 0..self.remotes.len() {
                self.add_pair(li, ri, false);
            }
        }
        self.update_state();
        Ok(())
    }

    /// Says that no more local candidates will be added (gathering complete).
    pub fn end_of_local_candidates(&mut self) {
        if self.gathering != GatheringState::Complete {
            self.gathering = GatheringState::Complete;
            self.push_event(AgentEvent::GatheringStateChanged(self.gathering));
        }
        self.update_state();
    }

    /// Adds a peer's candidate (trickled or from SDP) and forms its pairs. A
    /// `.local` candidate must be resolved first ([`AgentError::UnresolvedHostname`]).
    pub fn add_remote_candidate(&mut self, candidate: Candidate) -> Result<(), AgentError> {
        self.check_open()?;
        let addr = candidate
            .addr()
            .ok_or_else(|| AgentError::UnresolvedHostname(candidate.address().to_string()))?;
        let protocol = Protocol::of(candidate.transport());
        // Never aim checks at a group or nowhere: a peer must not turn us into a
        // multicast or broadcast source. (Port 9 is the RFC 6544 placeholder of active
        // TCP candidates, which we never send to.)
        let ip = addr.ip();
        let broadcast = matches!(ip, std::net::IpAddr::V4(v4) if v4.is_broadcast());
        if ip.is_unspecified() || ip.is_multicast() || broadcast || addr.port() == 0 {
            return Err(AgentError::UnsupportedCandidate(
                "unspecified, multicast or broadcast address",
            ));
        }
        if let Some(ri) = self
            .remotes
            .iter()
            .position(|r| r.addr == addr && r.protocol == protocol)
        {
            // RFC 8445 §7.3.1.3: a signaled candidate replaces the peer-reflexive one
            // learned for the same address; its pairs take its priority.
            if self.remotes[ri].candidate.kind() == CandidateKind::PeerReflexive {
                self.remotes[ri].candidate = candidate;
                for i in 0..self.pairs.len() {
                    if self.pairs[i].remote == ri {
                        let li = self.pairs[i].local;
                        self.pairs[i].priority = self.pair_priority(li, ri);
                    }
                }
            }
            return Ok(());
        }
        if self.remotes.len() >= self.config.max_remote_candidates {
            return Err(AgentError::Limit {
                what: "remote candidates",
                limit: self.config.max_remote_candidates,
            });
        }
        push_first_exact(
            &mut self.remotes,
            RemoteCandidate {
                candidate,
                addr,
                protocol,
            },
        );
        let ri = self.remotes.len() - 1;
        for li in 0..self.locals.len() {
            if self.pairs_local(li) {
                self.add_pair(li, ri, false);
            }
        }
        self.update_state();
        Ok(())
    }

    /// The peer signaled end-of-candidates (RFC 8838 §8).
    pub fn end_of_remote_candidates(&mut self) {
        self.remote_end_of_candidates = true;
        self.update_state();
    }

    /// ICE restart (RFC 8445 §9): new local credentials (random when `None`), remote
    /// candidates and credentials forgotten, pairs rebuilt once the peer's new
    /// candidates arrive. Application data keeps flowing on the old selected pair until
    /// a new one is nominated. Local candidates are announced again as
    /// [`AgentEvent::LocalCandidate`] for the new session.
    pub fn restart(&mut self, credentials: Option<Credentials>) -> Result<(), AgentError> {
        self.check_open()?;
        let new = match credentials {
            Some(c) => Credentials::new(&c.ufrag, &c.pwd)?,
            None => Credentials::random(&mut self.rng),
        };
        let key = Key::short_term(&new.pwd);
        let old = std::mem::replace(&mut self.local_credentials, new);
        let old_key = std::mem::replace(&mut self.local_key, key);
        self.previous = Some(Previous {
            local: old,
            key: old_key,
        });
        self.remote_credentials = None;
        self.remote_key = None;
        self.remote_end_of_candidates = false;
        self.remotes.clear();
        self.pairs.clear();
        self.transactions.clear();
        self.triggered.clear();
        self.next_check_at = None;
        self.first_valid_at = None;
        self.nominating = None;
        self.locals
            .retain(|l| l.candidate.kind() != CandidateKind::PeerReflexive);
        if let Some(sel) = &mut self.selected {
            sel.pair = None;
        }
        // Consent on the old pair is suspended: the peer may have switched to new
        // credentials already, so its silence says nothing about the path.
        self.consent = None;
        self.disconnected = false;
        if self.consent_lost || self.state == ConnectionState::Failed {
            self.consent_lost = false;
            self.selected = None;
        }
        for i in 0..self.locals.len() {
            let c = self.locals[i].candidate.clone();
            self.push_event(AgentEvent::LocalCandidate(c));
        }
        self.update_state();
        Ok(())
    }

    /// Closes the agent: no more transmits; state `Closed`.
    pub fn close(&mut self) {
        self.transactions.clear();
        self.triggered.clear();
        self.transmits.clear();
        self.set_state(ConnectionState::Closed);
    }

    // ----- the five verbs -----

    /// Handles a datagram that arrived on one of our sockets. STUN for this agent is
    /// consumed; anything else is returned to the caller as [`Received::Data`] or
    /// [`Received::OtherStun`]. An error means the datagram was dropped and the agent
    /// did not change.
    pub fn handle_receive(
        &mut self,
        now: Instant,
        datagram: Datagram<'_>,
    ) -> Result<Received, AgentError> {
        if !crate::stun::is_stun(datagram.data) {
            let selected = self
                .selected_path()
                .is_some_and(|p| p.local == datagram.local && p.remote == datagram.remote);
            return Ok(Received::Data { selected });
        }
        if self.state == ConnectionState::Closed {
            return Err(AgentError::Closed);
        }
        let (incoming, msg) = wire::decode(datagram.data)?;
        match incoming {
            wire::Incoming::Request(req) => self.handle_request(now, datagram, &msg, req),
            wire::Incoming::Success { id, mapped } => {
                self.handle_success(now, datagram, &msg, id, mapped)
            }
            wire::Incoming::Failure { id, code } => self.handle_failure(now, &msg, id, code),
            wire::Incoming::Indication => Ok(Received::Stun),
            wire::Incoming::Other => Ok(Received::OtherStun),
        }
    }

    /// Runs timers due at `now`: checks (paced by Ta), retransmissions, nomination,
    /// consent freshness and keepalives. Calling it early or twice is harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == ConnectionState::Closed {
            return;
        }
        self.last_now = Some(self.last_now.map_or(now, |t| t.max(now)));
        self.run_retransmissions(now);
        self.run_consent(now);
        self.run_nomination(now);
        self.run_pacing(now);
        self.update_state();
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<AgentEvent> {
        self.events.pop_front()
    }

    /// When [`Agent::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == ConnectionState::Closed {
            return None;
        }
        let mut t: Option<Instant> = None;
        let mut at = |x: Option<Instant>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        for tx in &self.transactions {
            at(tx.next_at);
            at(Some(tx.deadline));
        }
        if self.has_check_work() {
            at(self.next_check_at.or(self.last_now));
        }
        if let Some(c) = self.consent.as_ref().filter(|_| !self.consent_lost) {
            if self.config.lite {
                at(Some(c.last_received + self.config.consent_timeout));
                at(Some(
                    self.last_sent_selected.unwrap_or(c.last_received)
                        + self.config.keepalive_interval,
                ));
            } else {
                at(Some(c.next_check));
                at(Some(c.last_response + self.config.consent_timeout));
                if !self.disconnected {
                    at(c.pending_since
                        .map(|p| p + self.config.disconnected_timeout));
                }
            }
        }
        if self.nominating.is_none()
            && self.role == Role::Controlling
            && !self.config.lite
            && !self.has_current_selection()
        {
            at(self
                .first_valid_at
                .map(|f| f + self.config.nomination_delay));
        }
        t
    }

    // ----- receive paths -----

    fn handle_request(
        &mut self,
        now: Instant,
        d: Datagram<'_>,
        msg: &MessageRef<'_>,
        req: wire::Request<'_>,
    ) -> Result<Received, AgentError> {
        // RFC 8445 §7.3: USERNAME is "<our ufrag>:<their ufrag>", integrity by our pwd.
        let ours = req
            .username
            .split_once(':')
            .map(|(l, _)| l)
            .ok_or(AgentError::Unauthenticated)?;
        if ours != self.local_credentials.ufrag {
            let Some(p) = self.previous.as_ref().filter(|p| p.local.ufrag == ours) else {
                return Err(AgentError::Unauthenticated);
            };
            // A check of the session before our restart (the peer has not switched
            // yet): answer it so its consent on the old pair holds, change nothing.
            wire::verify(msg, &p.key)?;
            let resp = wire::success(req.id, d.remote, &p.key);
            self.queue_transmit(d.protocol, d.local, d.remote, resp);
            return Ok(Received::Stun);
        }
        wire::verify(msg, &self.local_key)?;
        self.last_now = Some(now);
        let priority = req.priority.ok_or(AgentError::BadRequest("no PRIORITY"))?;
        if req.controlling.is_none() && req.controlled.is_none() {
            return Err(AgentError::BadRequest("no ICE-CONTROLLING/ICE-CONTROLLED"));
        }

        // RFC 8445 §7.3.1.1: role conflict.
        if !self.config.lite {
            match (self.role, req.controlling, req.controlled) {
                (Role::Controlling, Some(theirs), _) => {
                    if self.tie_breaker >= theirs {
                        self.queue_transmit(
                            d.protocol,
                            d.local,
                            d.remote,
                            wire::role_conflict(req.id, &self.local_key),
                        );
                        return Ok(Received::Stun);
                    }
                    self.switch_role(Role::Controlled);
                }
                (Role::Controlled, _, Some(theirs)) => {
                    if self.tie_breaker >= theirs {
                        self.switch_role(Role::Controlling);
                    } else {
                        self.queue_transmit(
                            d.protocol,
                            d.local,
                            d.remote,
                            wire::role_conflict(req.id, &self.local_key),
                        );
                        return Ok(Received::Stun);
                    }
                }
                _ => {}
            }
        }

        // RFC 8445 §7.3.1.2: the success response reflects the source address.
        self.queue_transmit(
            d.protocol,
            d.local,
            d.remote,
            wire::success(req.id, d.remote, &self.local_key),
        );

        let Some(li) = self.locals.iter().position(|l| {
            l.base == d.local && l.protocol == d.protocol && self.pairs_local_kind(l)
        }) else {
            return Ok(Received::Stun);
        };

        // RFC 8445 §7.3.1.3: an unknown source is a peer-reflexive candidate.
        let ri = match self
            .remotes
            .iter()
            .position(|r| r.addr == d.remote && r.protocol == d.protocol)
        {
            Some(ri) => ri,
            None => {
                if self.remotes.len() >= self.config.max_remote_candidates {
                    return Ok(Received::Stun);
                }
                // RFC 6544 §7.2: a check over a connection to our passive candidate
                // comes from the peer's active one, and the other way round.
                let transport = match self.locals[li].candidate.transport() {
                    Transport::Tcp(TcpType::Passive) => Transport::Tcp(TcpType::Active),
                    Transport::Tcp(TcpType::Active) => Transport::Tcp(TcpType::Passive),
                    t => t,
                };
                let foundation = format!("{}", self.rng.next_u32());
                let c = Candidate::peer_reflexive(d.remote, priority, transport, 1, foundation);
                push_first_exact(
                    &mut self.remotes,
                    RemoteCandidate {
                        candidate: c,
                        addr: d.remote,
                        protocol: d.protocol,
                    },
                );
                self.remotes.len() - 1
            }
        };

        let pi = match self.find_pair(li, ri) {
            Some(pi) => pi,
            None => match self.add_pair(li, ri, true) {
                Some(pi) => pi,
                None => return Ok(Received::Stun),
            },
        };

        self.pairs[pi].requests_received += 1;
        if let Some(c) = &mut self.consent {
            if self.selected.as_ref().is_some_and(|s| s.pair == Some(pi)) {
                c.last_received = now;
            }
        }

        if self.config.lite {
            // RFC 8445 §7.3.1.5 (lite): USE-CANDIDATE selects the pair.
            if req.use_candidate {
                self.pairs[pi].state = PairState::Succeeded;
                self.pairs[pi].valid = true;
                self.nominate(now, pi);
            }
            self.update_state();
            return Ok(Received::Stun);
        }

        let use_candidate = req.use_candidate && self.role == Role::Controlled;
        if use_candidate {
            self.pairs[pi].nominate_on_success = true;
        }
        // A pair that already succeeded needs no new check when its own re-check (a
        // nomination, a triggered check) is in flight; triggering one anyway makes the
        // two agents' checks cross forever, one per Ta each way.
        let already_valid = self.pairs[pi].valid || self.pairs[pi].valid_pair.is_some();
        match self.pairs[pi].state {
            PairState::InProgress if already_valid => {
                if use_candidate {
                    let vi = self.pairs[pi].valid_pair.unwrap_or(pi);
                    self.nominate(now, vi);
                }
            }
            PairState::Succeeded => {
                if use_candidate {
                    // §7.3.1.5: the nominated pair may be a valid pair found from this
                    // pair's check (peer-reflexive local): nominate that.
                    let vi = self.pairs[pi].valid_pair.unwrap_or(pi);
                    self.nominate(now, vi);
                }
            }
            PairState::InProgress => {
                // §7.3.1.4: cancel the transaction's retransmissions and re-check now.
                for tx in &mut self.transactions {
                    if tx.pair == pi && matches!(tx.purpose, Purpose::Check { .. }) {
                        tx.next_at = None;
                    }
                }
                self.trigger(pi, false);
            }
            PairState::Frozen | PairState::Waiting | PairState::Failed => {
                self.pairs[pi].state = PairState::Waiting;
                self.trigger(pi, false);
            }
        }
        self.update_state();
        Ok(Received::Stun)
    }

    fn handle_success(
        &mut self,
        now: Instant,
        d: Datagram<'_>,
        msg: &MessageRef<'_>,
        id: [u8; 12],
        mapped: Option<SocketAddr>,
    ) -> Result<Received, AgentError> {
        let Some(ti) = self.transactions.iter().position(|t| t.id == id) else {
            return Ok(Received::OtherStun);
        };
        let key = self
            .remote_key
            .as_ref()
            .ok_or(AgentError::Unauthenticated)?;
        wire::verify(msg, key)?;
        self.last_now = Some(now);
        let mapped = mapped.ok_or(AgentError::BadRequest("no XOR-MAPPED-ADDRESS"))?;
        let tx = self.transactions.swap_remove(ti);
        let pi = tx.pair;
        self.pairs[pi].responses_received += 1;
        if tx.retransmits == 0 {
            self.pairs[pi].rtt = Some(now.saturating_duration_since(tx.sent_at));
        }
        let (li, ri) = (self.pairs[pi].local, self.pairs[pi].remote);
        // RFC 8445 §7.2.5.2.1: non-symmetric addresses fail the check.
        if d.remote != self.remotes[ri].addr
            || d.local != self.locals[li].base
            || d.protocol != self.remotes[ri].protocol
        {
            if let Purpose::Check { .. } = tx.purpose {
                self.fail_pair(pi);
            }
            self.update_state();
            return Ok(Received::Stun);
        }

        if tx.purpose == Purpose::Consent {
            if let Some(c) = &mut self.consent {
                c.last_response = now;
                c.last_received = now;
                c.pending_since = None;
            }
            self.disconnected = false;
            self.update_state();
            return Ok(Received::Stun);
        }
        let Purpose::Check { use_candidate } = tx.purpose else {
            return Ok(Received::Stun);
        };

        // RFC 8445 §7.2.5.3.1: a mapped address we do not know is a local
        // peer-reflexive candidate, with the priority we sent in the check.
        let base = self.locals[li].base;
        let protocol = self.locals[li].protocol;
        let valid_local = match self
            .locals
            .iter()
            .position(|l| l.addr == mapped && l.base == base && l.protocol == protocol)
        {
            Some(v) => Some(v),
            None if self.locals.len() < MAX_LOCAL_CANDIDATES => {
                let transport = self.locals[li].candidate.transport();
                let foundation = crate::candidate::compute_foundation(
                    CandidateKind::PeerReflexive,
                    base.ip(),
                    None,
                    transport,
                );
                let c = Candidate::peer_reflexive(mapped, tx.priority, transport, 1, foundation)
                    .with_related(Some(base));
                push_first_exact(
                    &mut self.locals,
                    LocalCandidate {
                        candidate: c,
                        addr: mapped,
                        base,
                        protocol,
                    },
                );
                Some(self.locals.len() - 1)
            }
            None => None,
        };
        // §7.2.5.3.2/3: the pair succeeds; the valid pair is (mapped local, remote).
        self.pairs[pi].state = PairState::Succeeded;
        let vi = match valid_local {
            Some(v) if v != li => match self.find_pair(v, ri) {
                Some(vi) => Some(vi),
                None => self.add_pair_with_state(v, ri, PairState::Succeeded),
            },
            _ => Some(pi),
        }
        .unwrap_or(pi);
        self.pairs[vi].state = PairState::Succeeded;
        self.pairs[vi].valid = true;
        self.pairs[pi].valid_pair = Some(vi);
        if self.first_valid_at.is_none() {
            self.first_valid_at = Some(now);
        }
        // §7.2.5.3.3: unfreeze pairs of the same foundation.
        let foundation = self.pairs[pi].foundation;
        for p in &mut self.pairs {
            if p.state == PairState::Frozen && p.foundation == foundation {
                p.state = PairState::Waiting;
            }
        }
        // §8.1.2 / §7.3.1.5: nomination completes.
        let nominated = match self.role {
            Role::Controlling => use_candidate,
            Role::Controlled => {
                self.pairs[pi].nominate_on_success || self.pairs[vi].nominate_on_success
            }
        };
        if nominated {
            self.nominate(now, vi);
        } else {
            // Nominate as soon as the pair is good enough, not at the next pacing tick:
            // that saves up to Ta (50 ms) of connection setup.
            self.run_nomination(now);
        }
        self.update_state();
        Ok(Received::Stun)
    }

    fn handle_failure(
        &mut self,
        now: Instant,
        msg: &MessageRef<'_>,
        id: [u8; 12],
        code: u16,
    ) -> Result<Received, AgentError> {
        let Some(ti) = self.transactions.iter().position(|t| t.id == id) else {
            return Ok(Received::OtherStun);
        };
        let key = self
            .remote_key
            .as_ref()
            .ok_or(AgentError::Unauthenticated)?;
        wire::verify(msg, key)?;
        self.last_now = Some(now);
        let tx = self.transactions.swap_remove(ti);
        let pi = tx.pair;
        match (code, tx.purpose) {
            // RFC 8445 §7.2.5.1: 487 → switch role (if we have not already) and retry.
            (487, Purpose::Check { use_candidate }) => {
                if tx.role == self.role {
                    let other = match self.role {
                        Role::Controlling => Role::Controlled,
                        Role::Controlled => Role::Controlling,
                    };
                    self.switch_role(other);
                }
                if self.nominating == Some(pi) {
                    self.nominating = None;
                }
                self.pairs[pi].state = PairState::Waiting;
                self.trigger(pi, use_candidate && self.role == Role::Controlling);
            }
            (_, Purpose::Check { .. }) => self.fail_pair(pi),
            (_, Purpose::Consent) => {
                // RFC 7675 §5.1: an error response revokes consent... only a
                // 403-style refusal; keep it simple: any authenticated error counts.
                self.lose_consent();
            }
        }
        self.update_state();
        Ok(Received::Stun)
    }

    // ----- timers -----

    fn run_retransmissions(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.transactions.len() {
            let tx = &mut self.transactions[i];
            if tx.deadline <= now {
                let tx = self.transactions.swap_remove(i);
                if let Purpose::Check { .. } = tx.purpose {
                    let pending = self.transactions.iter().any(|t| t.pair == tx.pair)
                        || self.triggered.iter().any(|(p, _)| *p == tx.pair);
                    if !pending && self.pairs[tx.pair].state == PairState::InProgress {
                        self.fail_pair(tx.pair);
                    }
                    if !pending && self.nominating == Some(tx.pair) {
                        // The nomination went unanswered: pick again.
                        self.nominating = None;
                    }
                }
                continue;
            }
            if tx.next_at.is_some_and(|n| n <= now) {
                if tx.retransmits >= self.config.max_retransmits {
                    tx.next_at = None;
                } else {
                    tx.retransmits += 1;
                    // Consent checks retransmit at a steady pace instead of backing
                    // off, so `disconnected` reflects the path, not one unlucky loss.
                    if tx.purpose != Purpose::Consent {
                        tx.rto = (tx.rto * 2).min(self.config.max_rto);
                    }
                    tx.next_at = Some(now + tx.rto);
                    let data = tx.request.clone();
                    let pair = tx.pair;
                    self.pairs[pair].requests_sent += 1;
                    let (li, ri) = (self.pairs[pair].local, self.pairs[pair].remote);
                    let (proto, local, remote) = (
                        self.locals[li].protocol,
                        self.locals[li].base,
                        self.remotes[ri].addr,
                    );
                    self.queue_transmit(proto, local, remote, data);
                }
            }
            i += 1;
        }
    }

    fn run_consent(&mut self, now: Instant) {
        if self.consent_lost {
            return;
        }
        let Some(pi) = self.selected.as_ref().and_then(|s| s.pair) else {
            return;
        };
        let Some(c) = &mut self.consent else {
            return;
        };
        if now >= c.last_response + self.config.consent_timeout && !self.config.lite {
            self.lose_consent();
            return;
        }
        if self.config.lite {
            // A lite agent sends no checks: the peer's checks are its evidence.
            if now >= c.last_received + self.config.consent_timeout {
                self.lose_consent();
                return;
            }
            let last = self.last_sent_selected.unwrap_or(c.last_received);
            if now >= last + self.config.keepalive_interval {
                self.last_sent_selected = Some(now);
                let path = self.selected.as_ref().map(|s| s.path);
                if let Some(p) = path {
                    let id = self.new_id();
                    self.queue_transmit(p.protocol, p.local, p.remote, wire::indication(id));
                }
            }
            return;
        }
        if c.pending_since
            .is_some_and(|p| now >= p + self.config.disconnected_timeout)
        {
            self.disconnected = true;
        }
        if now >= c.next_check {
            // RFC 7675 §5.1: randomized 0.8–1.2 of the interval.
            let factor = 0.8 + f64::from(self.rng.next_u32() % 4001) / 10_000.0;
            let c = self.consent.as_mut().expect("checked above");
            c.next_check = now + self.config.consent_interval.mul_f64(factor);
            if c.pending_since.is_none() {
                c.pending_since = Some(now);
            }
            self.send_request(now, pi, Purpose::Consent);
        }
    }

    fn run_nomination(&mut self, now: Instant) {
        if self.role != Role::Controlling
            || self.config.lite
            || self.nominating.is_some()
            || self.has_current_selection()
            || self.remote_credentials.is_none()
        {
            return;
        }
        let Some(best) = self
            .pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.valid && p.state == PairState::Succeeded)
            .max_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i)
        else {
            return;
        };
        let best_priority = self.pairs[best].priority;
        let better_pending = self.pairs.iter().any(|p| {
            p.priority > best_priority
                && matches!(
                    p.state,
                    PairState::Frozen | PairState::Waiting | PairState::InProgress
                )
        });
        let waited = self
            .first_valid_at
            .is_some_and(|f| now >= f + self.config.nomination_delay);
        if better_pending && !waited {
            return;
        }
        // RFC 8445 §8.1.1: nominate by a check with USE-CANDIDATE on the valid pair.
        self.nominating = Some(best);
        self.send_request(
            now,
            best,
            Purpose::Check {
                use_candidate: true,
            },
        );
    }

    fn run_pacing(&mut self, now: Instant) {
        if !self.has_check_work() || self.next_check_at.is_some_and(|at| now < at) {
            return;
        }
        // RFC 8445 §6.1.4.2: a triggered check first, then the best Waiting pair,
        // then unfreeze the best Frozen pair of a foundation with nothing in flight.
        let mut next = None;
        while let Some((pi, use_candidate)) = self.triggered.pop_front() {
            if pi < self.pairs.len() {
                next = Some((pi, use_candidate));
                break;
            }
        }
        if next.is_none() && !self.has_current_selection() {
            next = self.best_waiting().map(|pi| (pi, false));
            if next.is_none() {
                if let Some(pi) = self.best_unfreezable() {
                    self.pairs[pi].state = PairState::Waiting;
                    next = Some((pi, false));
                }
            }
        }
        if let Some((pi, use_candidate)) = next {
            self.send_request(now, pi, Purpose::Check { use_candidate });
            self.next_check_at = Some(now + self.config.check_interval);
        }
    }

    // ----- helpers -----

    fn check_open(&self) -> Result<(), AgentError> {
        if self.state == ConnectionState::Closed {
            Err(AgentError::Closed)
        } else {
            Ok(())
        }
    }

    fn push_event(&mut self, e: AgentEvent) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    fn queue_transmit(
        &mut self,
        protocol: Protocol,
        local: SocketAddr,
        remote: SocketAddr,
        data: Vec<u8>,
    ) {
        if self.transmits.len() >= MAX_QUEUED_TRANSMITS {
            self.transmits.pop_front();
        }
        self.transmits.push_back(Transmit {
            protocol,
            local,
            remote,
            data,
        });
    }

    fn new_id(&mut self) -> [u8; 12] {
        let mut id = [0u8; 12];
        self.rng.fill_bytes(&mut id);
        id
    }

    /// Host and relayed candidates form pairs; srflx ones are pruned into their base
    /// (RFC 8445 §6.1.2.4) and peer-reflexive ones only appear in valid pairs.
    fn pairs_local(&self, li: usize) -> bool {
        self.pairs_local_kind(&self.locals[li])
    }

    fn pairs_local_kind(&self, l: &LocalCandidate) -> bool {
        matches!(
            l.candidate.kind(),
            CandidateKind::Host | CandidateKind::Relayed
        )
    }

    fn find_pair(&self, li: usize, ri: usize) -> Option<usize> {
        self.pairs
            .iter()
            .position(|p| p.local == li && p.remote == ri)
    }

    fn pair_priority(&self, li: usize, ri: usize) -> u64 {
        let l = u64::from(self.locals[li].candidate.priority());
        let r = u64::from(self.remotes[ri].candidate.priority());
        let (g, d) = match self.role {
            Role::Controlling => (l, r),
            Role::Controlled => (r, l),
        };
        pair::priority(g, d)
    }

    /// Forms a pair; `incoming` when a check arrived on it. RFC 6544 §6.2: a passive
    /// TCP candidate never opens connections, so its pairs only come from checks that
    /// arrive over a connection the peer opened.
    fn add_pair(&mut self, li: usize, ri: usize, incoming: bool) -> Option<usize> {
        let (l, r) = (&self.locals[li], &self.remotes[ri]);
        if (!incoming && l.candidate.transport() == Transport::Tcp(TcpType::Passive))
            || l.protocol != r.protocol
            || !l.candidate.transport().pairs_with(r.candidate.transport())
            || l.candidate.component() != r.candidate.component()
            || l.addr.is_ipv4() != r.addr.is_ipv4()
        {
            return None;
        }
        let foundation = pair::foundation_key(l.candidate.foundation(), r.candidate.foundation());
        let active = self.pairs.iter().any(|p| {
            p.foundation == foundation
                && matches!(p.state, PairState::Waiting | PairState::InProgress)
        });
        let state = if active {
            PairState::Frozen
        } else {
            PairState::Waiting
        };
        self.add_pair_with_state(li, ri, state)
    }

    fn add_pair_with_state(&mut self, li: usize, ri: usize, state: PairState) -> Option<usize> {
        let priority = self.pair_priority(li, ri);
        let foundation = pair::foundation_key(
            self.locals[li].candidate.foundation(),
            self.remotes[ri].candidate.foundation(),
        );
        let new = Pair::new(li, ri, priority, foundation, state);
        if self.pairs.len() < self.config.max_pairs {
            push_first_exact(&mut self.pairs, new);
            return Some(self.pairs.len() - 1);
        }
        // At the limit: replace the lowest-priority pair that is not being checked or
        // used, if the new one is better (RFC 8445 §6.1.2.5 prunes from the bottom).
        let selected = self.selected.as_ref().and_then(|s| s.pair);
        let victim = self
            .pairs
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                Some(*i) != selected
                    && !p.valid
                    && matches!(
                        p.state,
                        PairState::Frozen | PairState::Waiting | PairState::Failed
                    )
            })
            .min_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i)?;
        if self.pairs[victim].priority >= priority {
            return None;
        }
        self.triggered.retain(|(p, _)| *p != victim);
        self.transactions.retain(|t| t.pair != victim);
        for p in &mut self.pairs {
            if p.valid_pair == Some(victim) {
                p.valid_pair = None;
            }
        }
        self.pairs[victim] = new;
        Some(victim)
    }

    fn has_check_work(&self) -> bool {
        if self.config.lite || self.remote_credentials.is_none() {
            return false;
        }
        !self.triggered.is_empty()
            || (!self.has_current_selection()
                && (self.best_waiting().is_some() || self.best_unfreezable().is_some()))
    }

    fn best_waiting(&self) -> Option<usize> {
        self.pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.state == PairState::Waiting)
            .max_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i)
    }

    fn best_unfreezable(&self) -> Option<usize> {
        if !self.pairs.iter().any(|p| p.state == PairState::Frozen) {
            return None;
        }
        let busy: std::collections::HashSet<u64> = self
            .pairs
            .iter()
            .filter(|q| matches!(q.state, PairState::Waiting | PairState::InProgress))
            .map(|q| q.foundation)
            .collect();
        self.pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.state == PairState::Frozen && !busy.contains(&p.foundation))
            .max_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i)
    }

    fn trigger(&mut self, pi: usize, use_candidate: bool) {
        if self.config.lite {
            return;
        }
        if let Some(t) = self.triggered.iter_mut().find(|(p, _)| *p == pi) {
            t.1 |= use_candidate;
        } else {
            if self.triggered.len() >= self.config.max_pairs {
                self.triggered.pop_front();
            }
            self.triggered.push_back((pi, use_candidate));
        }
    }

    fn send_request(&mut self, now: Instant, pi: usize, purpose: Purpose) {
        let Some(remote_creds) = self.remote_credentials.as_ref() else {
            return;
        };
        if self.transactions.len() >= MAX_TRANSACTIONS {
            return;
        }
        let (li, ri) = (self.pairs[pi].local, self.pairs[pi].remote);
        let l = &self.locals[li];
        // RFC 8445 §7.1.1: PRIORITY is that of a peer-reflexive candidate with our
        // candidate's local preference and component.
        let local_pref = (l.candidate.priority() >> 8) & 0xffff;
        let priority = compute_priority(
            CandidateKind::PeerReflexive.type_preference(l.candidate.transport()),
            local_pref,
            l.candidate.component(),
        );
        let username = format!("{}:{}", remote_creds.ufrag, self.local_credentials.ufrag);
        // Every check on the pair being nominated carries USE-CANDIDATE, so a triggered
        // check cannot supersede the nomination with a plain one.
        let purpose = match purpose {
            Purpose::Check { use_candidate } => Purpose::Check {
                use_candidate: use_candidate
                    || (self.nominating == Some(pi) && self.role == Role::Controlling),
            },
            p => p,
        };
        let use_candidate = purpose
            == (Purpose::Check {
                use_candidate: true,
            });
        let mut id = [0u8; 12];
        self.rng.fill_bytes(&mut id);
        let Some(key) = self.remote_key.as_ref() else {
            return;
        };
        let data = wire::request(&wire::RequestParams {
            id,
            username: &username,
            key,
            priority,
            role: self.role,
            tie_breaker: self.tie_breaker,
            use_candidate,
        });
        let (proto, local, remote) = (l.protocol, l.base, self.remotes[ri].addr);
        if let Purpose::Check { .. } = purpose {
            self.pairs[pi].state = PairState::InProgress;
            // A new check supersedes the retransmissions of an older one.
            for tx in &mut self.transactions {
                if tx.pair == pi && matches!(tx.purpose, Purpose::Check { .. }) {
                    tx.next_at = None;
                }
            }
        }
        let rto = self.config.initial_rto;
        let total = self.total_timeout();
        self.transactions.push(Transaction {
            id,
            pair: pi,
            purpose,
            request: data.clone(),
            next_at: Some(now + rto),
            rto,
            retransmits: 0,
            deadline: now + total,
            priority,
            role: self.role,
            sent_at: now,
        });
        self.pairs[pi].requests_sent += 1;
        if self.selected.as_ref().is_some_and(|s| s.pair == Some(pi)) {
            self.last_sent_selected = Some(now);
        }
        self.queue_transmit(proto, local, remote, data);
    }

    /// How long a transaction lives: every retransmission plus one last RTO.
    fn total_timeout(&self) -> Duration {
        let mut rto = self.config.initial_rto;
        let mut total = rto;
        for _ in 0..self.config.max_retransmits {
            rto = (rto * 2).min(self.config.max_rto);
            total += rto;
        }
        total
    }

    fn fail_pair(&mut self, pi: usize) {
        self.pairs[pi].state = PairState::Failed;
        if self.nominating == Some(pi) {
            self.nominating = None;
        }
    }

    fn switch_role(&mut self, role: Role) {
        if self.role == role {
            return;
        }
        self.role = role;
        for i in 0..self.pairs.len() {
            let (li, ri) = (self.pairs[i].local, self.pairs[i].remote);
            self.pairs[i].priority = self.pair_priority(li, ri);
        }
        self.nominating = None;
        self.push_event(AgentEvent::RoleChanged(role));
    }

    fn nominate(&mut self, now: Instant, pi: usize) {
        self.pairs[pi].nominated = true;
        if self.nominating == Some(pi) {
            self.nominating = None;
        }
        let (li, ri) = (self.pairs[pi].local, self.pairs[pi].remote);
        // Several nominations (a peer's aggressive nomination): the best one wins.
        if let Some(sel) = &self.selected {
            if let Some(cur) = sel.pair {
                if cur == pi || self.pairs[cur].priority > self.pairs[pi].priority {
                    return;
                }
            }
        }
        let path = Path {
            protocol: self.locals[li].protocol,
            local: self.locals[li].base,
            remote: self.remotes[ri].addr,
        };
        let local = self.locals[li].candidate.clone();
        let remote = self.remotes[ri].candidate.clone();
        self.selected = Some(Selected {
            pair: Some(pi),
            local: local.clone(),
            remote: remote.clone(),
            path,
        });
        // A new session is in place: forget the pre-restart one.
        self.previous = None;
        self.consent = Some(Consent {
            last_response: now,
            next_check: now + self.config.consent_interval,
            pending_since: None,
            last_received: now,
        });
        self.consent_lost = false;
        self.disconnected = false;
        self.push_event(AgentEvent::SelectedPairChanged {
            local: Box::new(local),
            remote: Box::new(remote),
            path,
        });
    }

    fn lose_consent(&mut self) {
        self.consent_lost = true;
        self.transactions.retain(|t| t.purpose != Purpose::Consent);
    }

    fn has_current_selection(&self) -> bool {
        self.selected.as_ref().is_some_and(|s| s.pair.is_some())
    }

    fn update_state(&mut self) {
        if self.state == ConnectionState::Closed {
            return;
        }
        let complete = self.remote_end_of_candidates && self.gathering == GatheringState::Complete;
        let new = if self.consent_lost {
            ConnectionState::Failed
        } else if self.selected.is_some() {
            if self.disconnected {
                ConnectionState::Disconnected
            } else if complete && self.has_current_selection() {
                ConnectionState::Completed
            } else {
                ConnectionState::Connected
            }
        } else if self.pairs.is_empty() && self.remotes.is_empty() {
            if complete {
                ConnectionState::Failed
            } else {
                ConnectionState::New
            }
        } else {
            let active = !self.triggered.is_empty()
                || self.nominating.is_some()
                || self.pairs.iter().any(|p| {
                    matches!(
                        p.state,
                        PairState::Frozen | PairState::Waiting | PairState::InProgress
                    ) || (p.valid && !self.config.lite)
                });
            if complete && !active && !self.config.lite {
                ConnectionState::Failed
            } else {
                ConnectionState::Checking
            }
        };
        self.set_state(new);
    }

    fn set_state(&mut self, state: ConnectionState) {
        if self.state != state {
            self.state = state;
            self.push_event(AgentEvent::ConnectionStateChanged(state));
        }
    }
}

pub(crate) fn system_seed() -> [u8; 32] {
    use ring::rand::SecureRandom;
    let mut seed = [0u8; 32];
    // SystemRandom only fails when the OS has no randomness source at all; there is
    // nothing sensible to do then but stop.
    ring::rand::SystemRandom::new()
        .fill(&mut seed)
        .expect("the operating system's random number generator failed");
    seed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One candidate of each kind and one pair take one slot each; more still fit.
    #[test]
    fn single_candidates_take_exact_room() {
        let mut a = Agent::new(AgentConfig {
            rng_seed: Some([1; 32]),
            ..AgentConfig::default()
        });
        let remote = Credentials::new("abcd", "abcdefghijklmnopqrstuvwxyz").unwrap();
        a.set_remote_credentials(remote).unwrap();
        a.add_local_candidate(Candidate::host("127.0.0.1:5000".parse().unwrap()))
            .unwrap();
        a.add_remote_candidate(Candidate::host("127.0.0.1:5001".parse().unwrap()))
            .unwrap();
        assert_eq!(
            (
                a.locals.capacity(),
                a.remotes.capacity(),
                a.pairs.capacity()
            ),
            (1, 1, 1)
        );
        a.add_remote_candidate(Candidate::host("127.0.0.1:5002".parse().unwrap()))
            .unwrap();
        assert_eq!((a.remotes.len(), a.pair_count()), (2, 2));
    }

    #[test]
    fn role_is_chosen_until_pairs_exist() {
        let mut a = Agent::new(AgentConfig {
            rng_seed: Some([3; 32]),
            ..AgentConfig::default()
        });
        a.set_role(Role::Controlled).unwrap();
        assert_eq!(a.role(), Role::Controlled);
        a.add_local_candidate(Candidate::host("127.0.0.1:5000".parse().unwrap()))
            .unwrap();
        a.set_role(Role::Controlling).unwrap();
        a.add_remote_candidate(Candidate::host("127.0.0.1:5001".parse().unwrap()))
            .unwrap();
        assert_eq!(a.set_role(Role::Controlled), Err(AgentError::RoleFixed));
        assert_eq!(a.role(), Role::Controlling);

        let mut lite = Agent::new(AgentConfig {
            lite: true,
            rng_seed: Some([4; 32]),
            ..AgentConfig::default()
        });
        assert_eq!(lite.set_role(Role::Controlling), Err(AgentError::RoleFixed));
        lite.set_role(Role::Controlled).unwrap();
    }
}
