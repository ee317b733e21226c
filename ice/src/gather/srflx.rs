//! Server-reflexive gathering (RFC 8445 §5.1.1.2) as a sans-IO state machine.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::agent::{Datagram, Protocol, Transmit};
use crate::candidate::Candidate;
use crate::stun::{Class, Integrity, Message, MessageRef, Method, TransactionId};

/// Most queries one gatherer runs (bases × servers).
const MAX_QUERIES: usize = 256;

/// Timing of the Binding requests.
#[derive(Debug, Clone)]
pub struct SrflxConfig {
    /// First retransmission timeout (RFC 8489 §6.2.1: 500 ms is a fine RTO).
    pub rto: Duration,
    /// Requests sent per query before giving up (RFC 8489 Rc = 7; browsers wait less).
    pub max_transmissions: u32,
    /// RNG seed for transaction IDs; system randomness when `None`.
    pub rng_seed: Option<[u8; 32]>,
}

impl Default for SrflxConfig {
    fn default() -> Self {
        Self {
            rto: Duration::from_millis(500),
            max_transmissions: 4,
            rng_seed: None,
        }
    }
}

/// What the gatherer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatherEvent {
    /// A new server-reflexive candidate (its related address is the base).
    Candidate(Candidate),
    /// A server did not answer from this base.
    Timeout {
        /// Local base.
        base: SocketAddr,
        /// STUN server.
        server: SocketAddr,
    },
    /// Every query finished.
    Done,
}

struct Query {
    base: SocketAddr,
    server: SocketAddr,
    id: [u8; 12],
    request: Vec<u8>,
    next_at: Option<Instant>,
    rto: Duration,
    sent: u32,
    finished: bool,
}

/// Sends STUN Binding requests from local bases to STUN servers and turns the mapped
/// addresses into `srflx` candidates (one per distinct mapped address and base; none
/// when the mapped address is the base itself, i.e. no NAT).
pub struct SrflxGatherer {
    config: SrflxConfig,
    rng: ChaCha20Rng,
    queries: Vec<Query>,
    found: Vec<(SocketAddr, SocketAddr)>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<GatherEvent>,
    done_reported: bool,
}

impl SrflxGatherer {
    /// A gatherer with no queries yet.
    pub fn new(config: SrflxConfig) -> Self {
        let seed = config.rng_seed.unwrap_or_else(crate::agent::system_seed);
        Self {
            rng: ChaCha20Rng::from_seed(seed),
            config,
            queries: Vec::new(),
            found: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            done_reported: false,
        }
    }

    /// Queries `server` from local socket `base` (sent at the next `handle_timeout`).
    /// Returns false when the query limit is reached.
    pub fn add_query(&mut self, base: SocketAddr, server: SocketAddr) -> bool {
        if self.queries.len() >= MAX_QUERIES || base.is_ipv4() != server.is_ipv4() {
            return false;
        }
        let mut id = [0u8; 12];
        self.rng.fill_bytes(&mut id);
        let request = Message::new(Class::Request, Method::BINDING, TransactionId(id))
            .to_bytes(Integrity::None, true)
            .expect("an empty Binding request is far below the size limit");
        self.queries.push(Query {
            base,
            server,
            id,
            request,
            next_at: None,
            rto: self.config.rto,
            sent: 0,
            finished: false,
        });
        self.done_reported = false;
        true
    }

    /// Whether every query has finished.
    pub fn is_done(&self) -> bool {
        self.queries.iter().all(|q| q.finished)
    }

    /// Handles a datagram; returns true when it was a response to one of our queries.
    pub fn handle_receive(&mut self, _now: Instant, d: Datagram<'_>) -> bool {
        let Ok(m) = MessageRef::decode(d.data) else {
            return false;
        };
        if m.method() != Method::BINDING || !m.class().is_response() {
            return false;
        }
        let id = m.transaction_id().0;
        let Some(q) = self
            .queries
            .iter_mut()
            .find(|q| q.id == id && !q.finished && q.server == d.remote && q.base == d.local)
        else {
            return false;
        };
        q.finished = true;
        let base = q.base;
        if m.class() == Class::Success {
            if let Some(mapped) = m.mapped_address() {
                if mapped != base && !self.found.contains(&(mapped, base)) {
                    self.found.push((mapped, base));
                    self.events
                        .push_back(GatherEvent::Candidate(Candidate::server_reflexive(
                            mapped, base,
                        )));
                }
            }
        }
        self.check_done();
        true
    }

    /// Sends due requests and retransmissions.
    pub fn handle_timeout(&mut self, now: Instant) {
        for q in &mut self.queries {
            if q.finished || q.next_at.is_some_and(|t| t > now) {
                continue;
            }
            if q.sent >= self.config.max_transmissions {
                q.finished = true;
                self.events.push_back(GatherEvent::Timeout {
                    base: q.base,
                    server: q.server,
                });
                continue;
            }
            if q.sent > 0 {
                q.rto *= 2;
            }
            q.sent += 1;
            q.next_at = Some(now + q.rto);
            self.transmits.push_back(Transmit {
                protocol: Protocol::Udp,
                local: q.base,
                remote: q.server,
                data: q.request.clone(),
            });
        }
        self.check_done();
    }

    fn check_done(&mut self) {
        if !self.done_reported && self.is_done() {
            self.done_reported = true;
            self.events.push_back(GatherEvent::Done);
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<GatherEvent> {
        self.events.pop_front()
    }

    /// When to call `handle_timeout` next. A query not yet sent is due at once, which
    /// the caller expresses by calling `handle_timeout(now)` after `add_query`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.queries
            .iter()
            .filter(|q| !q.finished)
            .filter_map(|q| q.next_at)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stun::Attribute;

    #[test]
    fn gathers_mapped_address_with_retransmission() {
        let now = Instant::now();
        let base: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let server: SocketAddr = "192.0.2.10:3478".parse().unwrap();
        let mapped: SocketAddr = "203.0.113.1:40000".parse().unwrap();
        let mut g = SrflxGatherer::new(SrflxConfig {
            rng_seed: Some([9; 32]),
            ..SrflxConfig::default()
        });
        assert!(g.add_query(base, server));
        g.handle_timeout(now);
        let first = g.poll_transmit().unwrap();
        assert_eq!((first.local, first.remote), (base, server));
        // Lost: retransmitted after the RTO with the same transaction.
        let t = g.poll_timeout().unwrap();
        g.handle_timeout(t);
        let second = g.poll_transmit().unwrap();
        assert_eq!(first.data, second.data);

        let req = MessageRef::decode(&second.data).unwrap();
        let resp = Message::success_to(&req)
            .with(Attribute::XorMappedAddress(mapped))
            .to_bytes(Integrity::None, true)
            .unwrap();
        // From the wrong address: not ours.
        assert!(!g.handle_receive(t, Datagram::udp(base, mapped, &resp)));
        assert!(g.handle_receive(t, Datagram::udp(base, server, &resp)));
        match g.poll_event() {
            Some(GatherEvent::Candidate(c)) => {
                assert_eq!(c.addr(), Some(mapped));
                assert_eq!(c.related_addr(), Some(base));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(g.poll_event(), Some(GatherEvent::Done));
        assert!(g.poll_timeout().is_none());
    }

    #[test]
    fn gives_up_after_max_transmissions() {
        let mut now = Instant::now();
        let mut g = SrflxGatherer::new(SrflxConfig {
            rng_seed: Some([1; 32]),
            max_transmissions: 3,
            ..SrflxConfig::default()
        });
        g.add_query(
            "10.0.0.1:1".parse().unwrap(),
            "192.0.2.1:3478".parse().unwrap(),
        );
        g.handle_timeout(now);
        let mut sent = 0;
        loop {
            while g.poll_transmit().is_some() {
                sent += 1;
            }
            let Some(t) = g.poll_timeout() else { break };
            now = t;
            g.handle_timeout(now);
        }
        assert_eq!(sent, 3);
        assert!(matches!(g.poll_event(), Some(GatherEvent::Timeout { .. })));
        assert_eq!(g.poll_event(), Some(GatherEvent::Done));
    }
}
