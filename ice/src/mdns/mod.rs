//! mDNS for ICE (RFC 6762 subset, draft-ietf-mmusic-mdns-ice-candidates), sans-IO.
//!
//! [`Mdns`] hides our host IPs behind `<uuid-v4>.local` names ([`Mdns::register`]),
//! answers queries for those names, and resolves a peer's `.local` candidates
//! ([`Mdns::resolve`] → [`MdnsEvent::Resolved`]). Where packets go is
//! [`MdnsConfig::destination`]: the multicast group `224.0.0.251:5353` in real use, a
//! loopback address in tests.
//!
//! ```
//! use std::time::Instant;
//! use oxrtc_ice::mdns::{Mdns, MdnsConfig, MdnsEvent};
//!
//! let now = Instant::now();
//! let cfg = |seed| MdnsConfig { destination: "127.0.0.1:5353".parse().unwrap(), rng_seed: Some([seed; 32]), ..MdnsConfig::default() };
//! let (mut ours, mut theirs) = (Mdns::new(cfg(1)), Mdns::new(cfg(2)));
//! let name = ours.register("192.0.2.7".parse()?)?;
//! theirs.resolve(&name)?;
//! theirs.handle_timeout(now);
//! let query = theirs.poll_transmit().unwrap();
//! ours.handle_receive(now, "127.0.0.1:1".parse()?, &query.data)?;
//! let answer = ours.poll_transmit().unwrap();
//! theirs.handle_receive(now, "127.0.0.1:2".parse()?, &answer.data)?;
//! assert_eq!(theirs.poll_event(), Some(MdnsEvent::Resolved { name, addr: "192.0.2.7".parse()? }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod packet;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use packet::{Packet, TYPE_A, TYPE_AAAA};

/// RFC 6762 §3: the IPv4 mDNS group and port.
pub const MDNS_GROUP_V4: SocketAddr =
    SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(224, 0, 0, 251)), 5353);
/// Most names we register.
const MAX_NAMES: usize = 32;
/// Most resolutions pending at once.
const MAX_QUERIES: usize = 64;
/// Bound on queued packets and events.
const MAX_QUEUED: usize = 256;
/// RFC 6762 §18.14 (ANY).
const TYPE_ANY: u16 = 255;

/// Errors of the mDNS codec and state machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MdnsError {
    /// The packet ends early.
    #[error("mDNS packet truncated")]
    Truncated,
    /// A field is invalid.
    #[error("malformed mDNS packet: {0}")]
    Malformed(&'static str),
    /// Not a `.local` name.
    #[error("not an mDNS name: {0:?}")]
    NotLocal(String),
    /// Too many names or queries.
    #[error("mDNS limit reached")]
    Limit,
}

/// How the [`Mdns`] state machine behaves.
#[derive(Debug, Clone)]
pub struct MdnsConfig {
    /// Where queries and (multicast) responses are sent: [`MDNS_GROUP_V4`] normally;
    /// tests use a loopback address.
    pub destination: SocketAddr,
    /// TTL of our answers, seconds (RFC 6762 §10: 120 for host records).
    pub ttl: u32,
    /// Interval between query retransmissions.
    pub query_interval: Duration,
    /// Queries sent per name before giving up.
    pub max_queries: u32,
    /// RNG seed for names; system randomness when `None`.
    pub rng_seed: Option<[u8; 32]>,
}

impl Default for MdnsConfig {
    fn default() -> Self {
        Self {
            destination: MDNS_GROUP_V4,
            ttl: 120,
            query_interval: Duration::from_secs(1),
            max_queries: 3,
            rng_seed: None,
        }
    }
}

/// A packet to send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct MdnsTransmit {
    /// Destination (the configured group, or a querier asking for unicast).
    pub destination: SocketAddr,
    /// The DNS message.
    pub data: Vec<u8>,
}

/// Results of resolutions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdnsEvent {
    /// A name resolved.
    Resolved {
        /// The `.local` name.
        name: String,
        /// Its address.
        addr: IpAddr,
    },
    /// No answer after every query.
    NotResolved {
        /// The `.local` name.
        name: String,
    },
}

struct Query {
    name: String,
    next_at: Option<Instant>,
    sent: u32,
}

/// The sans-IO mDNS responder and resolver.
pub struct Mdns {
    config: MdnsConfig,
    rng: ChaCha20Rng,
    names: Vec<(String, IpAddr)>,
    queries: Vec<Query>,
    transmits: VecDeque<MdnsTransmit>,
    events: VecDeque<MdnsEvent>,
}

impl Mdns {
    /// A new responder/resolver.
    pub fn new(config: MdnsConfig) -> Self {
        let seed = config.rng_seed.unwrap_or_else(crate::agent::system_seed);
        Self {
            rng: ChaCha20Rng::from_seed(seed),
            config,
            names: Vec::new(),
            queries: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Registers `ip` under a fresh `<uuid-v4>.local` name (the same name again for an
    /// IP already registered) and answers queries for it from now on.
    pub fn register(&mut self, ip: IpAddr) -> Result<String, MdnsError> {
        if let Some((n, _)) = self.names.iter().find(|(_, a)| *a == ip) {
            return Ok(n.clone());
        }
        if self.names.len() >= MAX_NAMES {
            return Err(MdnsError::Limit);
        }
        let name = format!("{}.local", uuid_v4(&mut self.rng));
        self.names.push((name.clone(), ip));
        Ok(name)
    }

    /// Stops answering for `name`.
    pub fn unregister(&mut self, name: &str) {
        self.names.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The name registered for `ip`.
    pub fn name_of(&self, ip: IpAddr) -> Option<&str> {
        self.names
            .iter()
            .find(|(_, a)| *a == ip)
            .map(|(n, _)| n.as_str())
    }

    /// Starts resolving a `.local` name; the query goes out at the next
    /// [`Mdns::handle_timeout`].
    pub fn resolve(&mut self, name: &str) -> Result<(), MdnsError> {
        if !crate::candidate::is_mdns_name(name) {
            return Err(MdnsError::NotLocal(name.chars().take(64).collect()));
        }
        let name = name.strip_suffix('.').unwrap_or(name);
        packet::encode_query(name, TYPE_A)?;
        if self
            .queries
            .iter()
            .any(|q| q.name.eq_ignore_ascii_case(name))
        {
            return Ok(());
        }
        if self.queries.len() >= MAX_QUERIES {
            return Err(MdnsError::Limit);
        }
        self.queries.push(Query {
            name: name.to_owned(),
            next_at: None,
            sent: 0,
        });
        Ok(())
    }

    /// Handles a packet received from `from` on the mDNS socket.
    pub fn handle_receive(
        &mut self,
        _now: Instant,
        from: SocketAddr,
        data: &[u8],
    ) -> Result<(), MdnsError> {
        let p = Packet::parse(data)?;
        if p.is_response {
            for a in &p.answers {
                let Some(addr) = a.addr else { continue };
                if let Some(i) = self
                    .queries
                    .iter()
                    .position(|q| q.name.eq_ignore_ascii_case(&a.name))
                {
                    let q = self.queries.swap_remove(i);
                    self.push_event(MdnsEvent::Resolved { name: q.name, addr });
                }
            }
            return Ok(());
        }
        for q in &p.questions {
            let Some((name, addr)) = self
                .names
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(&q.name))
                .cloned()
            else {
                continue;
            };
            let matches = q.qtype == TYPE_ANY
                || (q.qtype == TYPE_A && addr.is_ipv4())
                || (q.qtype == TYPE_AAAA && addr.is_ipv6());
            if !matches {
                continue;
            }
            // RFC 6762 §6: multicast the answer, unless the querier asked for unicast.
            let destination = if q.unicast_response {
                from
            } else {
                self.config.destination
            };
            let data = packet::encode_response(&name, addr, self.config.ttl)?;
            self.push_transmit(MdnsTransmit { destination, data });
        }
        Ok(())
    }

    /// Sends due queries and gives up on exhausted ones.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.queries.len() {
            if self.queries[i].next_at.is_some_and(|t| t > now) {
                i += 1;
                continue;
            }
            if self.queries[i].sent >= self.config.max_queries {
                let q = self.queries.swap_remove(i);
                self.push_event(MdnsEvent::NotResolved { name: q.name });
                continue;
            }
            let q = &mut self.queries[i];
            q.sent += 1;
            q.next_at = Some(now + self.config.query_interval);
            let name = q.name.clone();
            for t in [TYPE_A, TYPE_AAAA] {
                if let Ok(data) = packet::encode_query(&name, t) {
                    let destination = self.config.destination;
                    self.push_transmit(MdnsTransmit { destination, data });
                }
            }
            i += 1;
        }
    }

    /// The next packet to send.
    pub fn poll_transmit(&mut self) -> Option<MdnsTransmit> {
        self.transmits.pop_front()
    }

    /// The next resolution result.
    pub fn poll_event(&mut self) -> Option<MdnsEvent> {
        self.events.pop_front()
    }

    /// When to call [`Mdns::handle_timeout`] next (queries not yet sent are due at the
    /// next call, which the caller makes right after [`Mdns::resolve`]).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.queries.iter().filter_map(|q| q.next_at).min()
    }

    fn push_transmit(&mut self, t: MdnsTransmit) {
        if self.transmits.len() >= MAX_QUEUED {
            self.transmits.pop_front();
        }
        self.transmits.push_back(t);
    }

    fn push_event(&mut self, e: MdnsEvent) {
        if self.events.len() >= MAX_QUEUED {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }
}

/// A random RFC 4122 version-4 UUID in its lowercase text form.
fn uuid_v4(rng: &mut impl RngCore) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(seed: u8) -> MdnsConfig {
        MdnsConfig {
            destination: "127.0.0.1:5353".parse().unwrap(),
            rng_seed: Some([seed; 32]),
            ..MdnsConfig::default()
        }
    }

    #[test]
    fn names_are_uuid_v4_dot_local() {
        let mut m = Mdns::new(cfg(1));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let name = m.register(ip).unwrap();
        assert_eq!(name.len(), 36 + 6);
        assert!(name.ends_with(".local"));
        assert_eq!(&name[14..15], "4");
        assert!(matches!(&name[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(m.register(ip).unwrap(), name);
        assert_eq!(m.name_of(ip), Some(name.as_str()));
        assert_ne!(m.register("10.0.0.2".parse().unwrap()).unwrap(), name);
    }

    #[test]
    fn answers_only_matching_questions() {
        let now = Instant::now();
        let mut m = Mdns::new(cfg(2));
        let name = m.register("10.0.0.1".parse().unwrap()).unwrap();
        let from = "127.0.0.1:9".parse().unwrap();
        // AAAA for an IPv4 name, and an unknown name: no answer.
        let q6 = packet::encode_query(&name, TYPE_AAAA).unwrap();
        m.handle_receive(now, from, &q6).unwrap();
        let other = packet::encode_query("other.local", TYPE_A).unwrap();
        m.handle_receive(now, from, &other).unwrap();
        assert!(m.poll_transmit().is_none());
        // Case-insensitive match, unicast bit honoured.
        let mut q = packet::encode_query(&name.to_uppercase(), TYPE_A).unwrap();
        let n = q.len();
        q[n - 2] |= 0x80;
        m.handle_receive(now, from, &q).unwrap();
        let t = m.poll_transmit().unwrap();
        assert_eq!(t.destination, from);
        let p = Packet::parse(&t.data).unwrap();
        assert_eq!(p.answers[0].addr, Some("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn resolution_times_out() {
        let mut now = Instant::now();
        let mut m = Mdns::new(cfg(3));
        assert!(m.resolve("example.com").is_err());
        m.resolve("nobody.local").unwrap();
        m.handle_timeout(now);
        let mut sent = 0;
        loop {
            while m.poll_transmit().is_some() {
                sent += 1;
            }
            let Some(t) = m.poll_timeout() else { break };
            now = t;
            m.handle_timeout(now);
        }
        assert_eq!(sent, 6);
        assert_eq!(
            m.poll_event(),
            Some(MdnsEvent::NotResolved {
                name: "nobody.local".into()
            })
        );
    }
}
