//! The TURN client (RFC 8656 §6-§12), sans-IO.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::channel_data::{frame_len, is_channel_data, ChannelData, CHANNEL_MAX, CHANNEL_MIN};
use super::{ClientTransport, TurnError};
use crate::stun::{
    AddressFamily, Attribute, AttributeType, Class, Integrity, Key, Message, MessageRef, Method,
    PasswordAlgorithm, PasswordAlgorithms, StunError, TransactionConfig, TransactionId,
    TransactionTable, Transmit,
};

/// RFC 8656 §9: permissions last 300 s; refreshed a minute early.
const PERMISSION_REFRESH: Duration = Duration::from_secs(240);
/// RFC 8656 §12: channel bindings last 600 s, and a ChannelBind also refreshes the peer's
/// 300 s permission, so rebinding every 240 s keeps both alive.
const CHANNEL_REFRESH: Duration = Duration::from_secs(240);
/// How many times one request is re-sent after 401/438 before giving up.
const MAX_AUTH_RETRIES: u8 = 3;
/// Bound on the stream receive buffer: one maximal STUN message or ChannelData frame.
const MAX_STREAM_BUFFER: usize = 65_536 + 8;
/// Bounds on permissions and channels per client.
const MAX_PERMISSIONS: usize = 1024;

/// Configuration of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The TURN server's address.
    pub server: SocketAddr,
    /// Long-term credential username.
    pub username: String,
    /// Long-term credential password.
    pub password: String,
    /// UDP or a byte stream (TCP/TLS).
    pub transport: ClientTransport,
    /// Requested allocation lifetime (RFC 8656 §7.2, default 600 s).
    pub lifetime: Duration,
    /// SOFTWARE sent with requests.
    pub software: Option<String>,
    /// REQUESTED-ADDRESS-FAMILY, when not the default IPv4.
    pub requested_family: Option<AddressFamily>,
    /// Retransmission settings over UDP.
    pub transactions: TransactionConfig,
    /// Seed for transaction ids; `None` seeds from the system RNG.
    pub rng_seed: Option<[u8; 32]>,
}

impl ClientConfig {
    /// A UDP client of `server` with long-term credentials.
    pub fn new(
        server: SocketAddr,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            server,
            username: username.into(),
            password: password.into(),
            transport: ClientTransport::Udp,
            lifetime: Duration::from_secs(600),
            software: None,
            requested_family: None,
            transactions: TransactionConfig::default(),
            rng_seed: None,
        }
    }
}

/// Why a TURN request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// No response before the transaction timed out.
    Timeout,
    /// The server answered with an error response.
    Error {
        /// ERROR-CODE number.
        code: u16,
        /// Reason phrase.
        reason: String,
    },
    /// The success response lacked a mandatory attribute.
    BadResponse,
}

/// What a [`Client`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The allocation exists.
    Allocated {
        /// XOR-RELAYED-ADDRESS: where peers reach us.
        relayed: SocketAddr,
        /// XOR-MAPPED-ADDRESS: our server-reflexive address, if the server sent it.
        mapped: Option<SocketAddr>,
        /// Granted lifetime.
        lifetime: Duration,
    },
    /// The Allocate request failed.
    AllocateFailed(Failure),
    /// A Refresh succeeded.
    Refreshed {
        /// Granted lifetime.
        lifetime: Duration,
    },
    /// The allocation was lost (refresh failed or it expired).
    AllocationLost(Failure),
    /// The allocation was deleted on [`Client::close`].
    Closed,
    /// A permission for `peer` is installed.
    PermissionCreated {
        /// Peer IP.
        peer: IpAddr,
    },
    /// A CreatePermission failed.
    PermissionFailed {
        /// Peer IP.
        peer: IpAddr,
        /// Why.
        failure: Failure,
    },
    /// A channel is bound to `peer`.
    ChannelBound {
        /// Peer address.
        peer: SocketAddr,
        /// Channel number.
        channel: u16,
    },
    /// A ChannelBind failed.
    ChannelBindFailed {
        /// Peer address.
        peer: SocketAddr,
        /// Why.
        failure: Failure,
    },
    /// Data relayed from a peer (Data indication or ChannelData).
    Data {
        /// The peer that sent it.
        peer: SocketAddr,
        /// Payload.
        data: Vec<u8>,
    },
}

#[derive(Debug, Clone)]
enum Kind {
    Allocate,
    Refresh { lifetime: u32 },
    CreatePermission { peer: IpAddr },
    ChannelBind { channel: u16, peer: SocketAddr },
}

#[derive(Debug)]
struct Pending {
    kind: Kind,
    /// 401/438 re-sends so far.
    retries: u8,
    /// Whether the request carried MESSAGE-INTEGRITY.
    authenticated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Allocating,
    Allocated,
    Closing,
    Closed,
}

#[derive(Debug, Clone, Copy)]
struct Binding {
    installed: bool,
    /// When to refresh (for installed ones).
    refresh_at: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Channel {
    number: u16,
    binding: Binding,
}

/// A TURN client for one allocation on one server, sans-IO.
///
/// Drive it like every oxrtc state machine: after each `handle_*` call or mutation,
/// drain [`poll_transmit`](Self::poll_transmit) (send each datagram to the server, or
/// write it to the TCP/TLS stream) and [`poll_event`](Self::poll_event), then call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout).
///
/// ```
/// use std::time::Instant;
/// use oxrtc_ice::turn::{Client, ClientConfig};
///
/// let server = "127.0.0.1:3478".parse().unwrap();
/// let mut client = Client::new(ClientConfig::new(server, "user", "pass"));
/// client.allocate(Instant::now()).unwrap();
/// let first = client.poll_transmit().unwrap(); // unauthenticated Allocate, expecting 401
/// assert_eq!(first.destination, server);
/// ```
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    rng: ChaCha20Rng,
    transactions: TransactionTable<Pending>,
    state: State,
    realm: Option<String>,
    nonce: Option<String>,
    key: Option<Key>,
    /// RFC 8489 §9.2: the password algorithm in use and the server's PASSWORD-ALGORITHMS
    /// to echo, when the server offered them.
    algorithm: PasswordAlgorithm,
    offered_algorithms: Option<Vec<u8>>,
    relayed: Option<SocketAddr>,
    mapped: Option<SocketAddr>,
    expires_at: Option<Instant>,
    refresh_at: Option<Instant>,
    permissions: HashMap<IpAddr, Binding>,
    channels: HashMap<SocketAddr, Channel>,
    channel_peers: HashMap<u16, SocketAddr>,
    next_channel: u16,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    stream_buf: Vec<u8>,
}

fn seed_rng(seed: Option<[u8; 32]>) -> ChaCha20Rng {
    let seed = seed.unwrap_or_else(|| {
        let mut s = [0u8; 32];
        // If the system RNG fails the seed stays zero; transaction ids are then still
        // unique per client (ChaCha stream), only predictable.
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut s);
        s
    });
    ChaCha20Rng::from_seed(seed)
}

fn failure_of(msg: &MessageRef<'_>) -> Failure {
    match msg.error_code() {
        Some(e) => Failure::Error {
            code: e.code,
            reason: e.reason.to_owned(),
        },
        None => Failure::BadResponse,
    }
}

impl Client {
    /// A client that has not allocated yet.
    pub fn new(config: ClientConfig) -> Self {
        let rng = seed_rng(config.rng_seed);
        let transactions = TransactionTable::new(config.transactions.clone());
        Self {
            config,
            rng,
            transactions,
            state: State::Idle,
            realm: None,
            nonce: None,
            key: None,
            algorithm: PasswordAlgorithm::MD5,
            offered_algorithms: None,
            relayed: None,
            mapped: None,
            expires_at: None,
            refresh_at: None,
            permissions: HashMap::new(),
            channels: HashMap::new(),
            channel_peers: HashMap::new(),
            next_channel: CHANNEL_MIN,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stream_buf: Vec::new(),
        }
    }

    /// The server address.
    pub fn server(&self) -> SocketAddr {
        self.config.server
    }

    /// The relayed transport address, once allocated.
    pub fn relayed_address(&self) -> Option<SocketAddr> {
        self.relayed
    }

    /// The server-reflexive address the server saw, once allocated.
    pub fn mapped_address(&self) -> Option<SocketAddr> {
        self.mapped
    }

    /// Whether the allocation is usable.
    pub fn is_allocated(&self) -> bool {
        self.state == State::Allocated
    }

    /// The channel bound (or being bound) to `peer`.
    pub fn channel(&self, peer: SocketAddr) -> Option<u16> {
        self.channels.get(&peer).map(|c| c.number)
    }

    /// Whether a permission for `peer` is installed.
    pub fn has_permission(&self, peer: IpAddr) -> bool {
        self.permissions.get(&peer).is_some_and(|p| p.installed)
    }

    /// Sends an Allocate request (RFC 8656 §7.1). The first one goes without credentials;
    /// the server's 401 supplies REALM and NONCE and the request is re-sent signed.
    pub fn allocate(&mut self, now: Instant) -> Result<(), TurnError> {
        if self.state != State::Idle {
            return Err(TurnError::AlreadyAllocated);
        }
        self.state = State::Allocating;
        self.start(now, Kind::Allocate, 0)
    }

    /// Installs (and keeps refreshing) a permission for `peer` (RFC 8656 §9).
    pub fn create_permission(&mut self, now: Instant, peer: IpAddr) -> Result<(), TurnError> {
        self.require_allocated()?;
        self.check_family(peer)?;
        if self.permissions.contains_key(&peer) {
            return Ok(());
        }
        if self.permissions.len() >= MAX_PERMISSIONS {
            return Err(TurnError::NoPermission(peer));
        }
        self.permissions.insert(
            peer,
            Binding {
                installed: false,
                refresh_at: None,
            },
        );
        self.start(now, Kind::CreatePermission { peer }, 0)
    }

    /// Binds a channel to `peer` (RFC 8656 §11) and returns its number; data to and from
    /// the peer then goes as 4-byte-header ChannelData instead of 36-byte indications.
    pub fn bind_channel(&mut self, now: Instant, peer: SocketAddr) -> Result<u16, TurnError> {
        self.require_allocated()?;
        self.check_family(peer.ip())?;
        if let Some(c) = self.channels.get(&peer) {
            return Ok(c.number);
        }
        if self.next_channel > CHANNEL_MAX {
            return Err(TurnError::ChannelsExhausted);
        }
        let channel = self.next_channel;
        self.next_channel += 1;
        self.channels.insert(
            peer,
            Channel {
                number: channel,
                binding: Binding {
                    installed: false,
                    refresh_at: None,
                },
            },
        );
        self.channel_peers.insert(channel, peer);
        self.start(now, Kind::ChannelBind { channel, peer }, 0)?;
        Ok(channel)
    }

    /// Sends `data` to `peer` through the relay: as ChannelData when a channel is bound,
    /// else as a Send indication. A permission (or channel) for the peer must have been
    /// requested.
    pub fn send_to(&mut self, peer: SocketAddr, data: &[u8]) -> Result<(), TurnError> {
        self.require_allocated()?;
        let mut contents = Vec::with_capacity(data.len() + 40);
        if let Some(c) = self.channels.get(&peer).filter(|c| c.binding.installed) {
            let padded = self.config.transport == ClientTransport::Stream;
            ChannelData {
                channel: c.number,
                data,
            }
            .encode(padded, &mut contents)?;
        } else if self.permissions.contains_key(&peer.ip()) || self.channels.contains_key(&peer) {
            let tid = TransactionId::random(&mut self.rng);
            Message::new(Class::Indication, Method::SEND, tid)
                .with(Attribute::XorPeerAddress(peer))
                .with(Attribute::Data(data))
                .encode(Integrity::None, false, &mut contents)
                .map_err(|_| TurnError::TooLong)?;
        } else {
            return Err(TurnError::NoPermission(peer.ip()));
        }
        self.transmits.push_back(Transmit {
            destination: self.config.server,
            contents,
        });
        Ok(())
    }

    /// Deletes the allocation (a Refresh with LIFETIME 0, RFC 8656 §8); [`Event::Closed`]
    /// follows.
    pub fn close(&mut self, now: Instant) {
        match self.state {
            State::Allocated => {
                self.state = State::Closing;
                if self.start(now, Kind::Refresh { lifetime: 0 }, 0).is_err() {
                    self.finish_close();
                }
            }
            State::Closing | State::Closed => {}
            State::Idle | State::Allocating => self.finish_close(),
        }
    }

    fn finish_close(&mut self) {
        if self.state != State::Closed {
            self.state = State::Closed;
            self.refresh_at = None;
            self.expires_at = None;
            self.permissions.clear();
            self.channels.clear();
            self.channel_peers.clear();
            self.events.push_back(Event::Closed);
        }
    }

    fn require_allocated(&self) -> Result<(), TurnError> {
        if self.state == State::Allocated {
            Ok(())
        } else {
            Err(TurnError::NotAllocated)
        }
    }

    fn check_family(&self, peer: IpAddr) -> Result<(), TurnError> {
        match self.relayed {
            Some(r) if r.is_ipv4() != peer.is_ipv4() => Err(TurnError::AddressFamilyMismatch),
            _ => Ok(()),
        }
    }

    fn build(&self, kind: &Kind, tid: TransactionId) -> Message {
        let mut m = match kind {
            Kind::Allocate => {
                let mut m = Message::new(Class::Request, Method::ALLOCATE, tid);
                // RFC 8656 §7.1: REQUESTED-TRANSPORT 17 (UDP relay).
                m.add(Attribute::RequestedTransport(17));
                m.add(Attribute::Lifetime(self.config.lifetime.as_secs() as u32));
                if let Some(f) = self.config.requested_family {
                    m.add(Attribute::RequestedAddressFamily(f));
                }
                m
            }
            Kind::Refresh { lifetime } => Message::new(Class::Request, Method::REFRESH, tid)
                .with(Attribute::Lifetime(*lifetime)),
            Kind::CreatePermission { peer } => {
                Message::new(Class::Request, Method::CREATE_PERMISSION, tid)
                    .with(Attribute::XorPeerAddress(SocketAddr::new(*peer, 0)))
            }
            Kind::ChannelBind { channel, peer } => {
                Message::new(Class::Request, Method::CHANNEL_BIND, tid)
                    .with(Attribute::ChannelNumber(*channel))
                    .with(Attribute::XorPeerAddress(*peer))
            }
        };
        if let Some(s) = &self.config.software {
            m.add(Attribute::Software(s));
        }
        if let (Some(realm), Some(nonce)) = (&self.realm, &self.nonce) {
            m.add(Attribute::Username(&self.config.username));
            m.add(Attribute::Realm(realm));
            m.add(Attribute::Nonce(nonce));
            if let Some(offered) = &self.offered_algorithms {
                m.add(Attribute::PasswordAlgorithm(self.algorithm, &[]));
                m.add_raw(AttributeType::PASSWORD_ALGORITHMS, offered);
            }
        }
        m
    }

    /// RFC 8489 §9.2.3: a nonce starting with the cookie "obMatJos2" announces security
    /// features; with the "password algorithms" bit and a PASSWORD-ALGORITHMS list we pick
    /// SHA-256 when offered, else MD5, and echo the list.
    fn choose_algorithm(msg: &MessageRef<'_>) -> (PasswordAlgorithm, Option<Vec<u8>>) {
        let announced = msg
            .nonce()
            .and_then(|n| n.strip_prefix("obMatJos2"))
            .and_then(|f| f.bytes().next())
            .and_then(|c| {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    .iter()
                    .position(|&x| x == c)
            })
            .is_some_and(|v| v & 0x20 != 0);
        let list = match msg.attribute(AttributeType::PASSWORD_ALGORITHMS) {
            Some(Ok(Attribute::PasswordAlgorithms(l))) if announced => l,
            _ => return (PasswordAlgorithm::MD5, None),
        };
        let alg = if list.iter().any(|(a, _)| a == PasswordAlgorithm::SHA256) {
            PasswordAlgorithm::SHA256
        } else {
            PasswordAlgorithm::MD5
        };
        (alg, Some(PasswordAlgorithms::as_wire(&list).to_vec()))
    }

    fn start(&mut self, now: Instant, kind: Kind, retries: u8) -> Result<(), TurnError> {
        let tid = TransactionId::random(&mut self.rng);
        let msg = self.build(&kind, tid);
        let integrity = match &self.key {
            None => Integrity::None,
            Some(k) if self.algorithm == PasswordAlgorithm::SHA256 => Integrity::Sha256(k),
            Some(k) => Integrity::Sha1(k),
        };
        let bytes = msg.to_bytes(integrity, true)?;
        let reliable = self.config.transport == ClientTransport::Stream;
        let pending = Pending {
            kind,
            retries,
            authenticated: self.key.is_some(),
        };
        self.transactions
            .start(now, tid, self.config.server, bytes, reliable, pending)?;
        self.pump_transactions();
        Ok(())
    }

    fn pump_transactions(&mut self) {
        while let Some(t) = self.transactions.poll_transmit() {
            self.transmits.push_back(t);
        }
    }

    /// Handles bytes from the server: a datagram over UDP, or the next chunk of the byte
    /// stream over TCP/TLS.
    pub fn handle_receive(
        &mut self,
        now: Instant,
        from: SocketAddr,
        data: &[u8],
    ) -> Result<(), TurnError> {
        if from != self.config.server {
            return Err(TurnError::UnexpectedSource(from));
        }
        match self.config.transport {
            ClientTransport::Udp => self.handle_frame(now, data),
            ClientTransport::Stream => {
                if self.stream_buf.len() + data.len() > MAX_STREAM_BUFFER * 2 {
                    self.stream_buf.clear();
                    return Err(TurnError::BufferOverflow);
                }
                self.stream_buf.extend_from_slice(data);
                let mut result = Ok(());
                loop {
                    let len = match frame_len(&self.stream_buf) {
                        Ok(Some(len)) if len <= self.stream_buf.len() => len,
                        Ok(_) => break,
                        Err(e) => {
                            self.stream_buf.clear();
                            return Err(e);
                        }
                    };
                    let frame: Vec<u8> = self.stream_buf.drain(..len).collect();
                    if let Err(e) = self.handle_frame(now, &frame) {
                        result = Err(e);
                    }
                }
                result
            }
        }
    }

    fn handle_frame(&mut self, now: Instant, data: &[u8]) -> Result<(), TurnError> {
        if is_channel_data(data) {
            let cd = ChannelData::decode(data)?;
            if let Some(peer) = self.channel_peers.get(&cd.channel) {
                self.events.push_back(Event::Data {
                    peer: *peer,
                    data: cd.data.to_vec(),
                });
            }
            return Ok(());
        }
        let msg = MessageRef::decode(data)?;
        match msg.class() {
            Class::Indication if msg.method() == Method::DATA => {
                if let (Some(peer), Some(d)) = (msg.xor_peer_address(), msg.data()) {
                    self.events.push_back(Event::Data {
                        peer,
                        data: d.to_vec(),
                    });
                }
                Ok(())
            }
            Class::Success | Class::Error => self.handle_response(now, &msg),
            _ => Ok(()),
        }
    }

    fn handle_response(&mut self, now: Instant, msg: &MessageRef<'_>) -> Result<(), TurnError> {
        let tid = msg.transaction_id();
        let Some(pending) = self.transactions.get(&tid) else {
            return Ok(()); // not ours, or a late duplicate
        };
        // RFC 8489 §9.2.5: a response to an authenticated request must be authenticated
        // too, except the 401/438 answers that tell us to authenticate anew.
        let code = msg.error_code().map(|e| e.code);
        let needs_integrity = pending.authenticated && !matches!(code, Some(401) | Some(438));
        if needs_integrity {
            let key = self.key.as_ref().ok_or(StunError::IntegrityMissing)?;
            msg.check_integrity(key)?;
        }
        let Some(pending) = self.transactions.finish(&tid) else {
            return Ok(());
        };
        if msg.class() == Class::Error {
            if let Some(c @ (401 | 438)) = code {
                if pending.retries < MAX_AUTH_RETRIES
                    && (c == 438 || !pending.authenticated || msg.nonce() != self.nonce.as_deref())
                {
                    if let (Some(realm), Some(nonce)) = (msg.realm(), msg.nonce()) {
                        let (algorithm, offered) = Self::choose_algorithm(msg);
                        if self.realm.as_deref() != Some(realm)
                            || self.key.is_none()
                            || algorithm != self.algorithm
                        {
                            let (user, pass) = (&self.config.username, &self.config.password);
                            self.key = Some(if algorithm == PasswordAlgorithm::SHA256 {
                                Key::long_term_sha256(user, realm, pass)
                            } else {
                                Key::long_term(user, realm, pass)
                            });
                        }
                        self.algorithm = algorithm;
                        self.offered_algorithms = offered;
                        self.realm = Some(realm.to_owned());
                        self.nonce = Some(nonce.to_owned());
                        return self.start(now, pending.kind, pending.retries + 1);
                    } else if let Some(nonce) = msg.nonce().filter(|_| c == 438) {
                        self.nonce = Some(nonce.to_owned());
                        return self.start(now, pending.kind, pending.retries + 1);
                    }
                }
            }
            self.on_failure(pending.kind, failure_of(msg));
            return Ok(());
        }
        // A server may rotate the nonce in a success response too.
        if let Some(nonce) = msg.nonce() {
            self.nonce = Some(nonce.to_owned());
        }
        self.on_success(now, pending.kind, msg);
        Ok(())
    }

    fn lifetime_of(&self, msg: &MessageRef<'_>) -> Duration {
        msg.lifetime()
            .map(|s| Duration::from_secs(u64::from(s)))
            .unwrap_or(self.config.lifetime)
    }

    fn schedule_refresh(&mut self, now: Instant, lifetime: Duration) {
        self.expires_at = Some(now + lifetime);
        // Refresh a minute before expiry, or at half-time for short lifetimes.
        let lead = if lifetime > Duration::from_secs(120) {
            Duration::from_secs(60)
        } else {
            lifetime / 2
        };
        self.refresh_at = Some(now + lifetime - lead);
    }

    fn on_success(&mut self, now: Instant, kind: Kind, msg: &MessageRef<'_>) {
        match kind {
            Kind::Allocate => {
                let Some(relayed) = msg.xor_relayed_address() else {
                    self.state = State::Closed;
                    self.events
                        .push_back(Event::AllocateFailed(Failure::BadResponse));
                    return;
                };
                let lifetime = self.lifetime_of(msg);
                self.relayed = Some(relayed);
                self.mapped = msg.mapped_address();
                self.state = State::Allocated;
                self.schedule_refresh(now, lifetime);
                self.events.push_back(Event::Allocated {
                    relayed,
                    mapped: self.mapped,
                    lifetime,
                });
            }
            Kind::Refresh { lifetime: 0 } => self.finish_close(),
            Kind::Refresh { .. } => {
                let lifetime = self.lifetime_of(msg);
                if self.state == State::Allocated {
                    self.schedule_refresh(now, lifetime);
                    self.events.push_back(Event::Refreshed { lifetime });
                }
            }
            Kind::CreatePermission { peer } => {
                if let Some(p) = self.permissions.get_mut(&peer) {
                    let first = !p.installed;
                    p.installed = true;
                    p.refresh_at = Some(now + PERMISSION_REFRESH);
                    if first {
                        self.events.push_back(Event::PermissionCreated { peer });
                    }
                }
            }
            Kind::ChannelBind { channel, peer } => {
                if let Some(c) = self.channels.get_mut(&peer) {
                    let first = !c.binding.installed;
                    c.binding.installed = true;
                    c.binding.refresh_at = Some(now + CHANNEL_REFRESH);
                    if first {
                        self.events.push_back(Event::ChannelBound { peer, channel });
                    }
                }
            }
        }
    }

    fn on_failure(&mut self, kind: Kind, failure: Failure) {
        match kind {
            Kind::Allocate => {
                self.state = State::Closed;
                self.events.push_back(Event::AllocateFailed(failure));
            }
            Kind::Refresh { lifetime: 0 } => self.finish_close(),
            Kind::Refresh { .. } => {
                if self.state == State::Allocated {
                    self.state = State::Closed;
                    self.refresh_at = None;
                    self.expires_at = None;
                    self.events.push_back(Event::AllocationLost(failure));
                }
            }
            Kind::CreatePermission { peer } => {
                self.permissions.remove(&peer);
                self.events
                    .push_back(Event::PermissionFailed { peer, failure });
            }
            Kind::ChannelBind { channel, peer } => {
                self.channels.remove(&peer);
                self.channel_peers.remove(&channel);
                self.events
                    .push_back(Event::ChannelBindFailed { peer, failure });
            }
        }
    }

    /// Retransmits, refreshes the allocation, permissions and channels when due, and
    /// reports timeouts.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.transactions.handle_timeout(now);
        while let Some((_, pending)) = self.transactions.poll_timed_out() {
            self.on_failure(pending.kind, Failure::Timeout);
        }
        if self.state == State::Allocated {
            if self.expires_at.is_some_and(|t| t <= now) {
                self.state = State::Closed;
                self.refresh_at = None;
                self.expires_at = None;
                self.events
                    .push_back(Event::AllocationLost(Failure::Timeout));
            } else if self.refresh_at.is_some_and(|t| t <= now) {
                self.refresh_at = None;
                let lifetime = self.config.lifetime.as_secs() as u32;
                // A failure to start is reported as the allocation being lost later.
                let _ = self.start(now, Kind::Refresh { lifetime }, 0);
            }
        }
        if self.state == State::Allocated {
            let due: Vec<IpAddr> = self
                .permissions
                .iter()
                .filter(|(_, p)| p.refresh_at.is_some_and(|t| t <= now))
                .map(|(ip, _)| *ip)
                .collect();
            for peer in due {
                if let Some(p) = self.permissions.get_mut(&peer) {
                    p.refresh_at = None;
                }
                let _ = self.start(now, Kind::CreatePermission { peer }, 0);
            }
            let due: Vec<(SocketAddr, u16)> = self
                .channels
                .iter()
                .filter(|(_, c)| c.binding.refresh_at.is_some_and(|t| t <= now))
                .map(|(peer, c)| (*peer, c.number))
                .collect();
            for (peer, channel) in due {
                if let Some(c) = self.channels.get_mut(&peer) {
                    c.binding.refresh_at = None;
                }
                let _ = self.start(now, Kind::ChannelBind { channel, peer }, 0);
            }
        }
        self.pump_transactions();
    }

    /// The next datagram (or stream chunk) for the server.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut t = self.transactions.poll_timeout();
        let mut consider = |x: Option<Instant>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        if self.state == State::Allocated {
            consider(self.refresh_at);
            consider(self.expires_at);
            for p in self.permissions.values() {
                consider(p.refresh_at);
            }
            for c in self.channels.values() {
                consider(c.binding.refresh_at);
            }
        }
        t
    }
}
