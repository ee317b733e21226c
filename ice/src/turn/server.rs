//! The TURN server core (RFC 8656 §5-§12), sans-IO.
//!
//! It owns no socket. The driver (see the `turn-server` example) feeds it client frames
//! with [`Server::handle_client`] and peer datagrams arriving on relay sockets with
//! [`Server::handle_peer`]; it opens a relay socket when asked by
//! [`ServerEvent::OpenRelay`] and answers with [`Server::relay_opened`]; it sends what
//! [`Server::poll_transmit`] returns.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use ring::hmac;

use super::channel_data::{is_channel_data, is_valid_channel, ChannelData};
use super::rest::{rest_expiry, rest_password};
use super::TurnError;
use crate::stun::{
    Attribute, AttributeType, AttributeTypes, Class, ErrorCode, Integrity, Key, Message,
    MessageRef, Method, PasswordAlgorithm, PasswordAlgorithms, TransactionId,
};

/// The transport between a client and the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportProtocol {
    /// UDP.
    Udp,
    /// TCP (ChannelData to the client is padded; the driver cuts frames with
    /// [`frame_len`](super::frame_len)).
    Tcp,
}

/// A client's 5-tuple: what identifies an allocation (RFC 8656 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FiveTuple {
    /// The client's address as the server sees it.
    pub client: SocketAddr,
    /// The server address the client talks to.
    pub server: SocketAddr,
    /// UDP or TCP.
    pub protocol: TransportProtocol,
}

/// An IP prefix, for the peer deny and allow lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpPrefix {
    /// Network address.
    pub addr: IpAddr,
    /// Prefix length in bits.
    pub len: u8,
}

impl IpPrefix {
    /// A prefix.
    pub const fn new(addr: IpAddr, len: u8) -> Self {
        Self { addr, len }
    }

    /// Whether `ip` falls inside (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let len = u32::from(self.len.min(32));
                let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let len = u32::from(self.len.min(128));
                let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpPrefix {
    type Err = std::net::AddrParseError;

    /// Parses "10.0.0.0/8", "::1/128" or a bare address (a host prefix).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, l) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a.parse()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = if l.is_empty() {
            max
        } else {
            l.parse::<u8>().map(|l| l.min(max)).unwrap_or(max)
        };
        Ok(Self { addr, len })
    }
}

/// The peers a relay must not reach by default (RFC 8656 §21.1.4 and common practice):
/// unspecified, loopback, RFC 1918 private, shared (CGN), link-local, multicast,
/// broadcast, IPv6 unique-local, link-local and multicast, and IPv4-mapped forms of these.
pub fn default_denied_peers() -> Vec<IpPrefix> {
    let v4 = |a, b, c, d, l| IpPrefix::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), l);
    let v6 = |s: u16, l| IpPrefix::new(IpAddr::V6(Ipv6Addr::new(s, 0, 0, 0, 0, 0, 0, 0)), l);
    vec![
        v4(0, 0, 0, 0, 8),
        v4(10, 0, 0, 0, 8),
        v4(100, 64, 0, 0, 10),
        v4(127, 0, 0, 0, 8),
        v4(169, 254, 0, 0, 16),
        v4(172, 16, 0, 0, 12),
        v4(192, 168, 0, 0, 16),
        v4(224, 0, 0, 0, 4),
        v4(240, 0, 0, 0, 4),
        IpPrefix::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 128),
        IpPrefix::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
        v6(0xfc00, 7),
        v6(0xfe80, 10),
        v6(0xff00, 8),
    ]
}

/// A long-term credential user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Username.
    pub name: String,
    /// Password.
    pub password: String,
}

/// Configuration of a [`Server`].
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// REALM of the long-term credentials.
    pub realm: String,
    /// Static users.
    pub users: Vec<User>,
    /// TURN REST API shared secret: usernames "expiry:user" with password
    /// base64(HMAC-SHA1(secret, username)) are accepted until `expiry` (Unix seconds).
    pub rest_secret: Option<String>,
    /// The address relay sockets are opened on.
    pub relay_ip: IpAddr,
    /// SOFTWARE in responses.
    pub software: Option<String>,
    /// Lifetime when the client does not ask (RFC 8656 §7.2: 600 s).
    pub default_lifetime: Duration,
    /// Upper bound of a granted lifetime (3600 s).
    pub max_lifetime: Duration,
    /// How long a nonce stays valid before 438 Stale Nonce.
    pub nonce_lifetime: Duration,
    /// Peers relays must not reach.
    pub denied_peers: Vec<IpPrefix>,
    /// Exceptions to `denied_peers` (e.g. loopback for tests).
    pub allowed_peers: Vec<IpPrefix>,
    /// Allocations one user may hold at once (RFC 8656 §7.2 quota, 486).
    pub max_allocations_per_user: usize,
    /// Allocations the server holds at once (508 beyond).
    pub max_allocations: usize,
    /// Permissions one allocation may hold, and channel bindings too.
    pub max_permissions: usize,
    /// Relayed bytes per second per user (all their allocations together), each direction
    /// counted, one second of burst; `None` = no cap.
    pub bandwidth_limit: Option<u64>,
    /// Offer RFC 8489 password algorithms (SHA-256 before MD5) in 401/438 answers,
    /// with the nonce cookie that announces them. Clients that ignore them (RFC 5389/5766
    /// ones) keep using MD5 and MESSAGE-INTEGRITY.
    pub password_algorithms: bool,
    /// Seed of the server's RNG (nonce key, transaction ids); `None` seeds from the system.
    pub rng_seed: Option<[u8; 32]>,
}

impl ServerConfig {
    /// A server for `realm` relaying on `relay_ip`, with the default deny list.
    pub fn new(realm: impl Into<String>, relay_ip: IpAddr) -> Self {
        Self {
            realm: realm.into(),
            users: Vec::new(),
            rest_secret: None,
            relay_ip,
            software: Some("oxrtc-turn".into()),
            default_lifetime: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(3600),
            nonce_lifetime: Duration::from_secs(3600),
            denied_peers: default_denied_peers(),
            allowed_peers: Vec::new(),
            max_allocations_per_user: 64,
            max_allocations: 10_000,
            max_permissions: 256,
            bandwidth_limit: None,
            password_algorithms: true,
            rng_seed: None,
        }
    }

    /// Adds a static user.
    pub fn with_user(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.push(User {
            name: name.into(),
            password: password.into(),
        });
        self
    }

    /// Allows relaying to loopback peers (127.0.0.0/8, ::1), for tests on one machine.
    pub fn allow_loopback_peers(mut self) -> Self {
        self.allowed_peers
            .push(IpPrefix::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8));
        self.allowed_peers
            .push(IpPrefix::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 128));
        self
    }
}

/// A relay socket the driver must open for a new allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayRequest {
    /// Token to pass back to [`Server::relay_opened`].
    pub token: u64,
    /// The IP to bind (the configured relay IP).
    pub ip: IpAddr,
    /// EVEN-PORT was requested: the port must be even.
    pub even_port: bool,
    /// EVEN-PORT's R bit: also bind the next port (odd, `port + 1`) and report it as
    /// reserved, for a later Allocate with the RESERVATION-TOKEN (RFC 8656 §7.2).
    pub reserve_next: bool,
}

/// What the server asks of its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// Open a UDP socket and report it with [`Server::relay_opened`].
    OpenRelay(RelayRequest),
    /// The allocation on this relay address is gone: close its socket.
    CloseRelay {
        /// The relayed address.
        relay: SocketAddr,
    },
    /// An allocation was created (for logs and metrics).
    AllocationCreated {
        /// Who owns it.
        username: String,
        /// The client's 5-tuple.
        five_tuple: FiveTuple,
        /// The relayed address.
        relay: SocketAddr,
    },
}

/// Where a [`ServerTransmit`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerTransmitKind {
    /// To a client, over its 5-tuple.
    ToClient(FiveTuple),
    /// From a relay socket to a peer.
    ToPeer {
        /// The relay socket's address.
        relay: SocketAddr,
        /// The peer.
        peer: SocketAddr,
    },
}

/// Bytes the driver must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTransmit {
    /// Destination.
    pub kind: ServerTransmitKind,
    /// Payload (a whole frame).
    pub contents: Vec<u8>,
}

/// A token bucket for the bandwidth cap.
#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn allow(&mut self, now: Instant, rate: u64, bytes: usize) -> bool {
        let rate = rate as f64;
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        // One second of burst.
        self.tokens = (self.tokens + elapsed * rate).min(rate);
        if self.tokens >= bytes as f64 {
            self.tokens -= bytes as f64;
            true
        } else {
            false
        }
    }
}

#[derive(Debug)]
struct Allocation {
    relay: SocketAddr,
    username: String,
    expires: Instant,
    /// Transaction id and encoded success response of the Allocate, for retransmits.
    allocate_tid: TransactionId,
    allocate_response: Vec<u8>,
    permissions: HashMap<IpAddr, Instant>,
    channels: HashMap<u16, (SocketAddr, Instant)>,
    peer_channels: HashMap<SocketAddr, u16>,
}

/// What one user holds: allocations (for the quota) and the bandwidth bucket.
#[derive(Debug)]
struct UserUsage {
    allocations: usize,
    bucket: Bucket,
}

/// An authenticated request's credential: the key and whether it came with
/// MESSAGE-INTEGRITY-SHA256 (answers are signed the same way).
#[derive(Debug, Clone)]
struct Cred {
    key: Key,
    sha256: bool,
}

/// RFC 8489 §9.2: the nonce cookie announcing security features, here bit 0 "Password
/// algorithms" (24 bits 0x800000, base64 "gAAA").
const NONCE_COOKIE: &str = "obMatJos2gAAA";

/// The PASSWORD-ALGORITHMS this server offers, in preference order.
const OFFERED_ALGORITHMS: [PasswordAlgorithm; 2] =
    [PasswordAlgorithm::SHA256, PasswordAlgorithm::MD5];

#[derive(Debug)]
struct PendingAllocation {
    five: FiveTuple,
    tid: TransactionId,
    username: String,
    key: Cred,
    lifetime: Duration,
    reserve_next: bool,
}

/// RFC 8656 §7.2: a reserved relay address is kept about 30 s for the RESERVATION-TOKEN.
const RESERVATION_LIFETIME: Duration = Duration::from_secs(30);

/// The TURN server core. See the module docs for how a driver runs it.
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    rng: ChaCha20Rng,
    nonce_key: hmac::Key,
    epoch: Option<Instant>,
    unix_base: Option<(Instant, u64)>,
    allocations: HashMap<FiveTuple, Allocation>,
    by_relay: HashMap<SocketAddr, FiveTuple>,
    pending: HashMap<u64, PendingAllocation>,
    reservations: HashMap<[u8; 8], (SocketAddr, Instant)>,
    per_user: HashMap<String, UserUsage>,
    next_token: u64,
    transmits: VecDeque<ServerTransmit>,
    events: VecDeque<ServerEvent>,
}

/// An error answer: the code and, when the request was authenticated, the key to sign
/// it with.
struct Reject {
    code: ErrorCode<'static>,
    key: Option<Box<Cred>>,
    with_nonce: bool,
    unknown: Vec<AttributeType>,
}

impl Reject {
    fn plain(code: ErrorCode<'static>) -> Self {
        Self {
            code,
            key: None,
            with_nonce: false,
            unknown: Vec::new(),
        }
    }

    fn signed(code: ErrorCode<'static>, key: &Cred) -> Self {
        Self {
            code,
            key: Some(Box::new(key.clone())),
            with_nonce: false,
            unknown: Vec::new(),
        }
    }

    fn challenge(code: ErrorCode<'static>) -> Self {
        Self {
            code,
            key: None,
            with_nonce: true,
            unknown: Vec::new(),
        }
    }
}

impl Server {
    /// A server with no allocations.
    pub fn new(config: ServerConfig) -> Self {
        let seed = config.rng_seed.unwrap_or_else(|| {
            let mut s = [0u8; 32];
            let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut s);
            s
        });
        let mut rng = ChaCha20Rng::from_seed(seed);
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut secret);
        Self {
            config,
            rng,
            nonce_key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            epoch: None,
            unix_base: None,
            allocations: HashMap::new(),
            by_relay: HashMap::new(),
            pending: HashMap::new(),
            reservations: HashMap::new(),
            per_user: HashMap::new(),
            next_token: 1,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Tells the server the wall-clock time (Unix seconds) at `now`, for the expiry of
    /// TURN REST API usernames. Without it REST credentials are refused.
    pub fn set_unix_time(&mut self, now: Instant, unix_secs: u64) {
        self.unix_base = Some((now, unix_secs));
    }

    /// Number of live allocations.
    pub fn allocation_count(&self) -> usize {
        self.allocations.len()
    }

    fn unix_now(&self, now: Instant) -> Option<u64> {
        let (at, secs) = self.unix_base?;
        Some(secs + now.saturating_duration_since(at).as_secs())
    }

    fn epoch(&mut self, now: Instant) -> Instant {
        *self.epoch.get_or_insert(now)
    }

    /// A nonce: issue time (seconds since the server's epoch) and a MAC binding it to the
    /// client address, so the server keeps no nonce state.
    fn make_nonce(&mut self, now: Instant, client: SocketAddr) -> String {
        let issued = now.saturating_duration_since(self.epoch(now)).as_secs();
        let tag = self.nonce_tag(issued, client);
        let cookie = if self.config.password_algorithms {
            NONCE_COOKIE
        } else {
            ""
        };
        format!("{cookie}{issued:016x}{tag}")
    }

    fn nonce_tag(&self, issued: u64, client: SocketAddr) -> String {
        let mut ctx = hmac::Context::with_key(&self.nonce_key);
        ctx.update(&issued.to_be_bytes());
        ctx.update(client.to_string().as_bytes());
        let tag = ctx.sign();
        tag.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `Some(true)` valid, `Some(false)` ours but stale, `None` not ours.
    fn check_nonce(&mut self, now: Instant, client: SocketAddr, nonce: &str) -> Option<bool> {
        let nonce = nonce.strip_prefix(NONCE_COOKIE).unwrap_or(nonce);
        if nonce.len() != 32 || !nonce.is_ascii() {
            return None;
        }
        let issued = u64::from_str_radix(&nonce[..16], 16).ok()?;
        if self.nonce_tag(issued, client) != nonce[16..] {
            return None;
        }
        let age = now
            .saturating_duration_since(self.epoch(now))
            .as_secs()
            .checked_sub(issued)?;
        Some(age < self.config.nonce_lifetime.as_secs())
    }

    fn is_denied(&self, ip: IpAddr) -> bool {
        if self.config.allowed_peers.iter().any(|p| p.contains(ip)) {
            return false;
        }
        self.config.denied_peers.iter().any(|p| p.contains(ip))
    }

    fn key_for(&self, now: Instant, username: &str, alg: PasswordAlgorithm) -> Option<Key> {
        let derive = |password: &str| {
            if alg == PasswordAlgorithm::SHA256 {
                Key::long_term_sha256(username, &self.config.realm, password)
            } else {
                Key::long_term(username, &self.config.realm, password)
            }
        };
        if let Some(u) = self.config.users.iter().find(|u| u.name == username) {
            return Some(derive(&u.password));
        }
        let secret = self.config.rest_secret.as_ref()?;
        let expiry = rest_expiry(username)?;
        if expiry < self.unix_now(now)? {
            return None;
        }
        Some(derive(&rest_password(secret, username)))
    }

    /// RFC 8489 §9.2.4 long-term credential checks; the user and key on success.
    fn authenticate(
        &mut self,
        now: Instant,
        five: &FiveTuple,
        req: &MessageRef<'_>,
    ) -> Result<(String, Cred), Reject> {
        if !req.has_integrity() {
            return Err(Reject::challenge(ErrorCode::UNAUTHENTICATED));
        }
        let (Some(username), Some(_realm), Some(nonce)) =
            (req.username(), req.realm(), req.nonce())
        else {
            return Err(Reject::plain(ErrorCode::BAD_REQUEST));
        };
        match self.check_nonce(now, five.client, nonce) {
            Some(true) => {}
            _ => return Err(Reject::challenge(ErrorCode::STALE_NONCE)),
        }
        let alg = self.password_algorithm(req)?;
        let key = self
            .key_for(now, username, alg)
            .ok_or_else(|| Reject::challenge(ErrorCode::UNAUTHENTICATED))?;
        if req.check_integrity(&key).is_err() {
            return Err(Reject::challenge(ErrorCode::UNAUTHENTICATED));
        }
        let sha256 = req.get(AttributeType::MESSAGE_INTEGRITY_SHA256).is_some();
        Ok((username.to_owned(), Cred { key, sha256 }))
    }

    /// RFC 8489 §9.2.4: without PASSWORD-ALGORITHM(S) the algorithm is MD5; with them,
    /// PASSWORD-ALGORITHMS must echo our offer and PASSWORD-ALGORITHM be one of it.
    fn password_algorithm(&self, req: &MessageRef<'_>) -> Result<PasswordAlgorithm, Reject> {
        let chosen = req.get(AttributeType::PASSWORD_ALGORITHM);
        let echoed = req.get(AttributeType::PASSWORD_ALGORITHMS);
        if !self.config.password_algorithms || (chosen.is_none() && echoed.is_none()) {
            return Ok(PasswordAlgorithm::MD5);
        }
        let offer = PasswordAlgorithms::encode(&OFFERED_ALGORITHMS);
        let alg = match req.attribute(AttributeType::PASSWORD_ALGORITHM) {
            Some(Ok(Attribute::PasswordAlgorithm(a, _))) => a,
            _ => return Err(Reject::plain(ErrorCode::BAD_REQUEST)),
        };
        if echoed != Some(&offer[..]) || !OFFERED_ALGORITHMS.contains(&alg) {
            return Err(Reject::plain(ErrorCode::BAD_REQUEST));
        }
        Ok(alg)
    }

    fn send_to_client(&mut self, five: FiveTuple, contents: Vec<u8>) {
        self.transmits.push_back(ServerTransmit {
            kind: ServerTransmitKind::ToClient(five),
            contents,
        });
    }

    fn respond(&mut self, five: FiveTuple, m: &mut Message, key: Option<&Cred>) -> Vec<u8> {
        if let Some(s) = &self.config.software {
            m.add(Attribute::Software(s));
        }
        let integrity = match key {
            None => Integrity::None,
            Some(c) if c.sha256 => Integrity::Sha256(&c.key),
            Some(c) => Integrity::Sha1(&c.key),
        };
        // Encoding can only fail on oversized messages, which responses never are.
        let bytes = m.to_bytes(integrity, true).unwrap_or_default();
        self.send_to_client(five, bytes.clone());
        bytes
    }

    fn reject(&mut self, now: Instant, five: FiveTuple, req: &MessageRef<'_>, r: Reject) {
        let mut m = Message::error_to(req, r.code);
        if r.with_nonce {
            let nonce = self.make_nonce(now, five.client);
            m.add(Attribute::Realm(&self.config.realm.clone()));
            m.add(Attribute::Nonce(&nonce));
            if self.config.password_algorithms {
                let offer = PasswordAlgorithms::encode(&OFFERED_ALGORITHMS);
                if let Ok(list) = PasswordAlgorithms::from_wire(&offer) {
                    m.add(Attribute::PasswordAlgorithms(list));
                }
            }
        }
        if !r.unknown.is_empty() {
            let list = AttributeTypes::encode(&r.unknown);
            if let Ok(l) = AttributeTypes::from_wire(&list) {
                m.add(Attribute::UnknownAttributes(l));
            }
        }
        self.respond(five, &mut m, r.key.as_deref());
    }

    /// Handles one frame from a client: a UDP datagram, or one frame cut from a TCP
    /// stream with [`frame_len`](super::frame_len).
    pub fn handle_client(
        &mut self,
        now: Instant,
        five: FiveTuple,
        data: &[u8],
    ) -> Result<(), TurnError> {
        if is_channel_data(data) {
            let cd = ChannelData::decode(data)?;
            self.relay_channel_data(now, five, cd);
            return Ok(());
        }
        let req = MessageRef::decode(data)?;
        match req.class() {
            Class::Request => {
                if req.has_unknown_required() {
                    let mut r = Reject::plain(ErrorCode::UNKNOWN_ATTRIBUTE);
                    r.unknown = req.unknown_required().collect();
                    self.reject(now, five, &req, r);
                    return Ok(());
                }
                let result = match req.method() {
                    Method::BINDING => {
                        let mut m = Message::success_to(&req);
                        m.add(Attribute::XorMappedAddress(five.client));
                        self.respond(five, &mut m, None);
                        Ok(())
                    }
                    Method::ALLOCATE => self.handle_allocate(now, five, &req),
                    Method::REFRESH => self.handle_refresh(now, five, &req),
                    Method::CREATE_PERMISSION => self.handle_create_permission(now, five, &req),
                    Method::CHANNEL_BIND => self.handle_channel_bind(now, five, &req),
                    _ => Err(Reject::plain(ErrorCode::BAD_REQUEST)),
                };
                if let Err(r) = result {
                    self.reject(now, five, &req, r);
                }
            }
            Class::Indication if req.method() == Method::SEND => {
                self.handle_send(now, five, &req);
            }
            _ => {}
        }
        Ok(())
    }

    fn lifetime_for(&self, req: &MessageRef<'_>) -> Duration {
        match req.lifetime() {
            Some(s) => Duration::from_secs(u64::from(s)).min(self.config.max_lifetime),
            None => self.config.default_lifetime,
        }
    }

    fn handle_allocate(
        &mut self,
        now: Instant,
        five: FiveTuple,
        req: &MessageRef<'_>,
    ) -> Result<(), Reject> {
        let (username, key) = self.authenticate(now, &five, req)?;
        if let Some(a) = self.allocations.get(&five) {
            // RFC 8656 §7.2: a retransmitted Allocate gets the same success response.
            if a.allocate_tid == req.transaction_id() {
                let resp = a.allocate_response.clone();
                self.send_to_client(five, resp);
                return Ok(());
            }
            return Err(Reject::signed(ErrorCode::ALLOCATION_MISMATCH, &key));
        }
        if self.pending.values().any(|p| p.five == five) {
            return Ok(()); // a retransmission while the relay socket is being opened
        }
        match req.attribute(AttributeType::REQUESTED_TRANSPORT) {
            Some(Ok(Attribute::RequestedTransport(17))) => {}
            Some(Ok(_)) => return Err(Reject::signed(ErrorCode::UNSUPPORTED_TRANSPORT, &key)),
            _ => return Err(Reject::signed(ErrorCode::BAD_REQUEST, &key)),
        }
        if req.get(AttributeType::DONT_FRAGMENT).is_some() {
            // RFC 8656 §7.2: a server that cannot set DF answers 420 naming it.
            let mut r = Reject::signed(ErrorCode::UNKNOWN_ATTRIBUTE, &key);
            r.unknown = vec![AttributeType::DONT_FRAGMENT];
            return Err(r);
        }
        let even_port = match req.attribute(AttributeType::EVEN_PORT) {
            Some(Ok(Attribute::EvenPort(r))) => Some(r),
            Some(_) => return Err(Reject::signed(ErrorCode::BAD_REQUEST, &key)),
            None => None,
        };
        let token = match req.attribute(AttributeType::RESERVATION_TOKEN) {
            Some(Ok(Attribute::ReservationToken(t))) => Some(*t),
            Some(_) => return Err(Reject::signed(ErrorCode::BAD_REQUEST, &key)),
            None => None,
        };
        if token.is_some() && even_port.is_some() {
            return Err(Reject::signed(ErrorCode::BAD_REQUEST, &key));
        }
        if let Some(Ok(Attribute::RequestedAddressFamily(f))) =
            req.attribute(AttributeType::REQUESTED_ADDRESS_FAMILY)
        {
            let ours = if self.config.relay_ip.is_ipv4() {
                crate::stun::AddressFamily::V4
            } else {
                crate::stun::AddressFamily::V6
            };
            if f != ours {
                return Err(Reject::signed(
                    ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED,
                    &key,
                ));
            }
        }
        let used = self.per_user.get(&username).map_or(0, |u| u.allocations)
            + self
                .pending
                .values()
                .filter(|p| p.username == username)
                .count();
        if used >= self.config.max_allocations_per_user {
            return Err(Reject::signed(ErrorCode::ALLOCATION_QUOTA_REACHED, &key));
        }
        // Reserved relay sockets count too: each holds a port.
        if self.allocations.len() + self.pending.len() + self.reservations.len()
            >= self.config.max_allocations
        {
            return Err(Reject::signed(ErrorCode::INSUFFICIENT_CAPACITY, &key));
        }
        let pending = PendingAllocation {
            five,
            tid: req.transaction_id(),
            username,
            key,
            lifetime: self.lifetime_for(req),
            reserve_next: even_port == Some(true),
        };
        if let Some(t) = token {
            // RFC 8656 §7.2: the relayed address reserved by an earlier EVEN-PORT R=1.
            match self.reservations.remove(&t) {
                Some((relay, expires)) if expires > now => {
                    self.create_allocation(now, pending, relay, None);
                    return Ok(());
                }
                Some((relay, _)) => self.events.push_back(ServerEvent::CloseRelay { relay }),
                None => {}
            }
            return Err(Reject::signed(
                ErrorCode::INSUFFICIENT_CAPACITY,
                &pending.key,
            ));
        }
        let token = self.next_token;
        self.next_token += 1;
        self.pending.insert(token, pending);
        self.events.push_back(ServerEvent::OpenRelay(RelayRequest {
            token,
            ip: self.config.relay_ip,
            even_port: even_port.is_some(),
            reserve_next: even_port == Some(true),
        }));
        Ok(())
    }

    /// Reports the relay socket opened for [`ServerEvent::OpenRelay`] `token` (`None` if
    /// it could not be opened); the Allocate is answered now. When the request had
    /// [`RelayRequest::reserve_next`], use
    /// [`relay_opened_with_reservation`](Self::relay_opened_with_reservation) instead (here
    /// such an Allocate is refused with 508).
    pub fn relay_opened(&mut self, now: Instant, token: u64, relay: Option<SocketAddr>) {
        self.relay_opened_with_reservation(now, token, relay, None);
    }

    /// [`relay_opened`](Self::relay_opened) with the reserved next port for a request with
    /// [`RelayRequest::reserve_next`] (EVEN-PORT with the R bit): the success response
    /// carries a RESERVATION-TOKEN that a later Allocate can use to take `reserved`.
    pub fn relay_opened_with_reservation(
        &mut self,
        now: Instant,
        token: u64,
        relay: Option<SocketAddr>,
        reserved: Option<SocketAddr>,
    ) {
        let p = self.pending.remove(&token);
        let fresh = |s: &Self, a: &SocketAddr| {
            !s.by_relay.contains_key(a) && !s.reservations.values().any(|(r, _)| r == a)
        };
        let reserved = match reserved {
            Some(r) if p.as_ref().is_some_and(|p| p.reserve_next) && fresh(self, &r) => Some(r),
            Some(r) => {
                self.events.push_back(ServerEvent::CloseRelay { relay: r });
                None
            }
            None => None,
        };
        let Some(p) = p else {
            // Unknown token: the caller opened a socket we no longer need.
            if let Some(relay) = relay {
                self.events.push_back(ServerEvent::CloseRelay { relay });
            }
            return;
        };
        let relay = match relay {
            Some(r) if fresh(self, &r) && (reserved.is_some() || !p.reserve_next) => r,
            other => {
                for relay in other.into_iter().chain(reserved) {
                    self.events.push_back(ServerEvent::CloseRelay { relay });
                }
                let mut m = Message::new(Class::Error, Method::ALLOCATE, p.tid);
                m.add(Attribute::ErrorCode(ErrorCode::INSUFFICIENT_CAPACITY));
                self.respond(p.five, &mut m, Some(&p.key));
                return;
            }
        };
        let token = reserved.map(|r| {
            let mut t = [0u8; 8];
            self.rng.fill_bytes(&mut t);
            self.reservations.insert(t, (r, now + RESERVATION_LIFETIME));
            t
        });
        self.create_allocation(now, p, relay, token);
    }

    fn create_allocation(
        &mut self,
        now: Instant,
        p: PendingAllocation,
        relay: SocketAddr,
        reservation: Option<[u8; 8]>,
    ) {
        let mut m = Message::new(Class::Success, Method::ALLOCATE, p.tid);
        m.add(Attribute::XorRelayedAddress(relay))
            .add(Attribute::Lifetime(p.lifetime.as_secs() as u32))
            .add(Attribute::XorMappedAddress(p.five.client));
        if let Some(t) = &reservation {
            m.add(Attribute::ReservationToken(t));
        }
        let response = self.respond(p.five, &mut m, Some(&p.key));
        let rate = self.config.bandwidth_limit.unwrap_or(0) as f64;
        self.per_user
            .entry(p.username.clone())
            .or_insert(UserUsage {
                allocations: 0,
                bucket: Bucket {
                    tokens: rate,
                    last: now,
                },
            })
            .allocations += 1;
        self.by_relay.insert(relay, p.five);
        self.events.push_back(ServerEvent::AllocationCreated {
            username: p.username.clone(),
            five_tuple: p.five,
            relay,
        });
        self.allocations.insert(
            p.five,
            Allocation {
                relay,
                username: p.username,
                expires: now + p.lifetime,
                allocate_tid: p.tid,
                allocate_response: response,
                permissions: HashMap::new(),
                channels: HashMap::new(),
                peer_channels: HashMap::new(),
            },
        );
    }

    /// The allocation of `five` after authenticating `req` against its owner.
    fn authorized(
        &mut self,
        now: Instant,
        five: FiveTuple,
        req: &MessageRef<'_>,
    ) -> Result<Cred, Reject> {
        let (username, key) = self.authenticate(now, &five, req)?;
        match self.allocations.get(&five) {
            None => Err(Reject::signed(ErrorCode::ALLOCATION_MISMATCH, &key)),
            Some(a) if a.username != username => {
                Err(Reject::signed(ErrorCode::WRONG_CREDENTIALS, &key))
            }
            Some(_) => Ok(key),
        }
    }

    fn handle_refresh(
        &mut self,
        now: Instant,
        five: FiveTuple,
        req: &MessageRef<'_>,
    ) -> Result<(), Reject> {
        let key = self.authorized(now, five, req)?;
        let lifetime = self.lifetime_for(req);
        if lifetime.is_zero() {
            self.remove_allocation(&five);
        } else if let Some(a) = self.allocations.get_mut(&five) {
            a.expires = now + lifetime;
        }
        let mut m = Message::success_to(req);
        m.add(Attribute::Lifetime(lifetime.as_secs() as u32));
        self.respond(five, &mut m, Some(&key));
        Ok(())
    }

    fn check_peer(&self, five: &FiveTuple, peer: SocketAddr, key: &Cred) -> Result<(), Reject> {
        let relay_v4 = self
            .allocations
            .get(five)
            .is_some_and(|a| a.relay.is_ipv4());
        if peer.ip().to_canonical().is_ipv4() != relay_v4 {
            return Err(Reject::signed(ErrorCode::PEER_ADDRESS_FAMILY_MISMATCH, key));
        }
        if self.is_denied(peer.ip()) {
            return Err(Reject::signed(ErrorCode::FORBIDDEN, key));
        }
        Ok(())
    }

    fn handle_create_permission(
        &mut self,
        now: Instant,
        five: FiveTuple,
        req: &MessageRef<'_>,
    ) -> Result<(), Reject> {
        let key = self.authorized(now, five, req)?;
        let mut peers = Vec::new();
        for a in req.attributes() {
            if let Ok(Attribute::XorPeerAddress(p)) = a {
                self.check_peer(&five, p, &key)?;
                peers.push(p.ip().to_canonical());
            }
        }
        if peers.is_empty() {
            return Err(Reject::signed(ErrorCode::BAD_REQUEST, &key));
        }
        let max = self.config.max_permissions;
        let Some(a) = self.allocations.get_mut(&five) else {
            return Err(Reject::signed(ErrorCode::ALLOCATION_MISMATCH, &key));
        };
        let new = peers
            .iter()
            .filter(|p| !a.permissions.contains_key(p))
            .count();
        if a.permissions.len() + new > max {
            return Err(Reject::signed(ErrorCode::INSUFFICIENT_CAPACITY, &key));
        }
        // RFC 8656 §9: permissions last 300 s.
        for p in peers {
            a.permissions.insert(p, now + Duration::from_secs(300));
        }
        let mut m = Message::success_to(req);
        self.respond(five, &mut m, Some(&key));
        Ok(())
    }

    fn handle_channel_bind(
        &mut self,
        now: Instant,
        five: FiveTuple,
        req: &MessageRef<'_>,
    ) -> Result<(), Reject> {
        let key = self.authorized(now, five, req)?;
        let (Some(channel), Some(peer)) = (req.channel_number(), req.xor_peer_address()) else {
            return Err(Reject::signed(ErrorCode::BAD_REQUEST, &key));
        };
        if !is_valid_channel(channel) {
            return Err(Reject::signed(ErrorCode::BAD_REQUEST, &key));
        }
        self.check_peer(&five, peer, &key)?;
        let max = self.config.max_permissions;
        let Some(a) = self.allocations.get_mut(&five) else {
            return Err(Reject::signed(ErrorCode::ALLOCATION_MISMATCH, &key));
        };
        // RFC 8656 §11.2: a channel is bound to one peer and a peer to one channel.
        if a.channels.get(&channel).is_some_and(|(p, _)| *p != peer)
            || a.peer_channels.get(&peer).is_some_and(|c| *c != channel)
        {
            return Err(Reject::signed(ErrorCode::BAD_REQUEST, &key));
        }
        let ip = peer.ip().to_canonical();
        if (!a.permissions.contains_key(&ip) && a.permissions.len() >= max)
            || (!a.channels.contains_key(&channel) && a.channels.len() >= max)
        {
            return Err(Reject::signed(ErrorCode::INSUFFICIENT_CAPACITY, &key));
        }
        // RFC 8656 §11: bindings last 600 s and refresh the peer's permission.
        a.channels
            .insert(channel, (peer, now + Duration::from_secs(600)));
        a.peer_channels.insert(peer, channel);
        a.permissions.insert(ip, now + Duration::from_secs(300));
        let mut m = Message::success_to(req);
        self.respond(five, &mut m, Some(&key));
        Ok(())
    }

    fn within_bandwidth(&mut self, now: Instant, five: &FiveTuple, bytes: usize) -> bool {
        let Some(rate) = self.config.bandwidth_limit else {
            return true;
        };
        let Some(a) = self.allocations.get(five) else {
            return false;
        };
        self.per_user
            .get_mut(&a.username)
            .is_some_and(|u| u.bucket.allow(now, rate, bytes))
    }

    fn relay_to_peer(&mut self, now: Instant, five: FiveTuple, peer: SocketAddr, data: &[u8]) {
        let Some(a) = self.allocations.get(&five) else {
            return;
        };
        let ip = peer.ip().to_canonical();
        // RFC 8656 §10.2: no permission, no relay.
        if a.permissions.get(&ip).is_none_or(|t| *t <= now) || self.is_denied(peer.ip()) {
            return;
        }
        let relay = a.relay;
        if !self.within_bandwidth(now, &five, data.len()) {
            return;
        }
        self.transmits.push_back(ServerTransmit {
            kind: ServerTransmitKind::ToPeer { relay, peer },
            contents: data.to_vec(),
        });
    }

    fn handle_send(&mut self, now: Instant, five: FiveTuple, req: &MessageRef<'_>) {
        if let (Some(peer), Some(data)) = (req.xor_peer_address(), req.data()) {
            self.relay_to_peer(now, five, peer, data);
        }
    }

    fn relay_channel_data(&mut self, now: Instant, five: FiveTuple, cd: ChannelData<'_>) {
        let Some(peer) = self
            .allocations
            .get(&five)
            .and_then(|a| a.channels.get(&cd.channel))
            .filter(|(_, exp)| *exp > now)
            .map(|(p, _)| *p)
        else {
            return;
        };
        self.relay_to_peer(now, five, peer, cd.data);
    }

    /// Handles a datagram that arrived on relay socket `relay` from `peer`.
    pub fn handle_peer(&mut self, now: Instant, relay: SocketAddr, peer: SocketAddr, data: &[u8]) {
        let Some(&five) = self.by_relay.get(&relay) else {
            return;
        };
        let Some(a) = self.allocations.get(&five) else {
            return;
        };
        if a.permissions
            .get(&peer.ip().to_canonical())
            .is_none_or(|t| *t <= now)
        {
            return;
        }
        let channel = a
            .peer_channels
            .get(&peer)
            .copied()
            .filter(|c| a.channels.get(c).is_some_and(|(_, exp)| *exp > now));
        if !self.within_bandwidth(now, &five, data.len()) {
            return;
        }
        let mut contents = Vec::with_capacity(data.len() + 40);
        match channel {
            Some(channel) => {
                let padded = five.protocol == TransportProtocol::Tcp;
                if (ChannelData { channel, data })
                    .encode(padded, &mut contents)
                    .is_err()
                {
                    return;
                }
            }
            None => {
                let tid = TransactionId::random(&mut self.rng);
                let ok = Message::new(Class::Indication, Method::DATA, tid)
                    .with(Attribute::XorPeerAddress(peer))
                    .with(Attribute::Data(data))
                    .encode(Integrity::None, false, &mut contents)
                    .is_ok();
                if !ok {
                    return;
                }
            }
        }
        self.send_to_client(five, contents);
    }

    /// A TCP client connection closed: its allocation goes with it (RFC 8656 §3.1).
    pub fn client_closed(&mut self, five: FiveTuple) {
        self.remove_allocation(&five);
        self.pending.retain(|_, p| p.five != five);
    }

    fn remove_allocation(&mut self, five: &FiveTuple) {
        if let Some(a) = self.allocations.remove(five) {
            self.by_relay.remove(&a.relay);
            if let Some(u) = self.per_user.get_mut(&a.username) {
                u.allocations = u.allocations.saturating_sub(1);
                if u.allocations == 0 {
                    self.per_user.remove(&a.username);
                }
            }
            self.events
                .push_back(ServerEvent::CloseRelay { relay: a.relay });
        }
    }

    /// Expires allocations, permissions, channel bindings and reservations.
    pub fn handle_timeout(&mut self, now: Instant) {
        let events = &mut self.events;
        self.reservations.retain(|_, (relay, t)| {
            let keep = *t > now;
            if !keep {
                events.push_back(ServerEvent::CloseRelay { relay: *relay });
            }
            keep
        });
        let expired: Vec<FiveTuple> = self
            .allocations
            .iter()
            .filter(|(_, a)| a.expires <= now)
            .map(|(f, _)| *f)
            .collect();
        for f in expired {
            self.remove_allocation(&f);
        }
        for a in self.allocations.values_mut() {
            a.permissions.retain(|_, t| *t > now);
            let Allocation {
                channels,
                peer_channels,
                ..
            } = a;
            channels.retain(|_, (peer, t)| {
                let keep = *t > now;
                if !keep {
                    peer_channels.remove(peer);
                }
                keep
            });
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.allocations
            .values()
            .flat_map(|a| {
                std::iter::once(a.expires)
                    .chain(a.permissions.values().copied())
                    .chain(a.channels.values().map(|(_, t)| *t))
            })
            .chain(self.reservations.values().map(|(_, t)| *t))
            .min()
    }

    /// The next frame to send.
    pub fn poll_transmit(&mut self) -> Option<ServerTransmit> {
        self.transmits.pop_front()
    }

    /// The next request to the driver.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let p: IpPrefix = "10.0.0.0/8".parse().unwrap();
        assert!(p.contains("10.1.2.3".parse().unwrap()));
        assert!(!p.contains("11.1.2.3".parse().unwrap()));
        assert!(p.contains("::ffff:10.0.0.1".parse().unwrap()));
        let all: IpPrefix = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("1.2.3.4".parse().unwrap()));
        let host: IpPrefix = "::1".parse().unwrap();
        assert_eq!(host.len, 128);
        assert!(host.contains("::1".parse().unwrap()));
        let deny = default_denied_peers();
        for ip in [
            "127.0.0.1",
            "192.168.1.1",
            "::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "fd00::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(deny.iter().any(|p| p.contains(ip)), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:db8::1", "203.0.113.5"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!deny.iter().any(|p| p.contains(ip)), "{ip}");
        }
    }

    #[test]
    fn bucket_caps_rate() {
        let t0 = Instant::now();
        let mut b = Bucket {
            tokens: 1000.0,
            last: t0,
        };
        assert!(b.allow(t0, 1000, 600));
        assert!(!b.allow(t0, 1000, 600));
        assert!(b.allow(t0 + Duration::from_millis(500), 1000, 600));
    }
}
