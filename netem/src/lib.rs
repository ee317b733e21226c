//! `oxrtc-netem`: a seeded, sans-IO network emulator for testing oxrtc state machines
//! under a virtual clock.
//!
//! A [`Link`] carries packets one way. Each packet sent into it is, according to its
//! [`LinkConfig`] and a seeded RNG, dropped, duplicated, delayed by a base latency plus
//! jitter, and possibly held back further so it arrives out of order. Nothing reads a
//! clock: callers pass `now`, and [`Link::poll_timeout`] says when the next packet is due,
//! so two endpoints and two links can be driven by always advancing to the earliest
//! deadline of the four. Same seed, same packets, same fate: failures reproduce.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use oxrtc_netem::{Link, LinkConfig};
//!
//! let start = Instant::now();
//! let mut link = Link::new(LinkConfig {
//!     latency: Duration::from_millis(20),
//!     loss: 0.1,
//!     seed: 7,
//!     ..LinkConfig::default()
//! });
//! for i in 0..100u32 {
//!     link.send(start, i.to_be_bytes().to_vec());
//! }
//! let due = link.poll_timeout().expect("some packets survive");
//! assert!(due >= start + Duration::from_millis(20));
//! let mut delivered = 0;
//! while let Some(_packet) = link.recv(due + Duration::from_secs(1)) {
//!     delivered += 1;
//! }
//! assert!(delivered > 70 && delivered < 100);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How a [`Link`] treats the packets sent into it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkConfig {
    /// One-way delay every delivered packet gets.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `0..=jitter` per packet. Jitter alone can reorder.
    pub jitter: Duration,
    /// Probability in `0.0..=1.0` that a packet is lost.
    pub loss: f64,
    /// Probability that a packet is delivered twice (the copy gets its own delay).
    pub duplicate: f64,
    /// Probability that a packet is held back by `reorder_delay` more, so later packets
    /// overtake it.
    pub reorder: f64,
    /// How long a reordered packet is held back.
    pub reorder_delay: Duration,
    /// Packets larger than this many bytes are dropped (a path MTU), when set.
    pub mtu: Option<usize>,
    /// Seed of the link's RNG.
    pub seed: u64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(10),
            jitter: Duration::ZERO,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(15),
            mtu: None,
            seed: 0,
        }
    }
}

/// What happened to the packets a [`Link`] carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Packets handed to [`Link::send`].
    pub sent: u64,
    /// Packets dropped: random loss, MTU, or a blackhole.
    pub dropped: u64,
    /// Extra copies made.
    pub duplicated: u64,
    /// Packets held back to be reordered.
    pub reordered: u64,
    /// Packets returned by [`Link::recv`].
    pub delivered: u64,
}

/// Anything a link can carry: it needs a size for the MTU check.
pub trait Packet: Clone {
    /// Size on the wire in bytes.
    fn wire_len(&self) -> usize;
}

impl Packet for Vec<u8> {
    fn wire_len(&self) -> usize {
        self.len()
    }
}

impl<A: Clone> Packet for (A, Vec<u8>) {
    fn wire_len(&self) -> usize {
        self.1.len()
    }
}

impl<A: Clone, B: Clone> Packet for (A, B, Vec<u8>) {
    fn wire_len(&self) -> usize {
        self.2.len()
    }
}

struct InFlight<P> {
    due: Instant,
    /// Send order breaks ties, so equal due times keep FIFO order.
    order: u64,
    packet: P,
}

impl<P> PartialEq for InFlight<P> {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.order) == (other.due, other.order)
    }
}
impl<P> Eq for InFlight<P> {}
impl<P> PartialOrd for InFlight<P> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<P> Ord for InFlight<P> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest packet on top.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.due, other.order).cmp(&(self.due, self.order))
    }
}

/// One direction of an emulated network path.
pub struct Link<P> {
    config: LinkConfig,
    rng: ChaCha8Rng,
    in_flight: BinaryHeap<InFlight<P>>,
    next_order: u64,
    blackhole: bool,
    stats: LinkStats,
}

impl<P: Packet> Link<P> {
    /// A link with `config`; its RNG is seeded from `config.seed`.
    pub fn new(config: LinkConfig) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            config,
            in_flight: BinaryHeap::new(),
            next_order: 0,
            blackhole: false,
            stats: LinkStats::default(),
        }
    }

    /// A link with no loss and `latency` one-way delay.
    pub fn perfect(latency: Duration) -> Self {
        Self::new(LinkConfig {
            latency,
            ..LinkConfig::default()
        })
    }

    /// The current configuration.
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// Changes the configuration from now on (packets in flight keep their fate). The
    /// RNG is not reseeded.
    pub fn set_config(&mut self, config: LinkConfig) {
        self.config = config;
    }

    /// Drops every packet sent while `on` is true, for scripted faults ("cut the path").
    pub fn set_blackhole(&mut self, on: bool) {
        self.blackhole = on;
    }

    /// Drops every packet currently in flight.
    pub fn clear(&mut self) {
        self.stats.dropped += self.in_flight.len() as u64;
        self.in_flight.clear();
    }

    /// What the link has done so far.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    /// Packets in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Sends `packet` at `now`; the link decides its fate.
    pub fn send(&mut self, now: Instant, packet: P) {
        self.stats.sent += 1;
        if self.blackhole
            || self.config.mtu.is_some_and(|mtu| packet.wire_len() > mtu)
            || self.chance(self.config.loss)
        {
            self.stats.dropped += 1;
            return;
        }
        if self.chance(self.config.duplicate) {
            self.stats.duplicated += 1;
            self.schedule(now, packet.clone());
        }
        self.schedule(now, packet);
    }

    /// When the next packet is due, if any is in flight.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.in_flight.peek().map(|p| p.due)
    }

    /// The next packet due at or before `now`, earliest first.
    pub fn recv(&mut self, now: Instant) -> Option<P> {
        if self.in_flight.peek()?.due > now {
            return None;
        }
        self.stats.delivered += 1;
        self.in_flight.pop().map(|p| p.packet)
    }

    fn schedule(&mut self, now: Instant, packet: P) {
        let mut delay = self.config.latency + self.uniform(self.config.jitter);
        if self.chance(self.config.reorder) {
            self.stats.reordered += 1;
            delay += self.config.reorder_delay;
        }
        let order = self.next_order;
        self.next_order += 1;
        self.in_flight.push(InFlight {
            due: now + delay,
            order,
            packet,
        });
    }

    fn chance(&mut self, probability: f64) -> bool {
        if probability <= 0.0 {
            return false;
        }
        // 53 random bits give a uniform f64 in [0, 1).
        let draw = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        draw < probability
    }

    fn uniform(&mut self, max: Duration) -> Duration {
        let max_nanos = max.as_nanos() as u64;
        if max_nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.rng.next_u64() % (max_nanos + 1))
    }
}

/// Two links, one each way, between endpoints "a" and "b", with a virtual clock.
///
/// The harness pattern: after feeding an endpoint, drain its transmits into
/// [`Duplex::a_to_b`] / [`Duplex::b_to_a`]; then advance [`Duplex::now`] to the earliest of
/// both endpoints' `poll_timeout` and [`Duplex::poll_timeout`], deliver what is due, call
/// `handle_timeout` where due, and repeat.
pub struct Duplex<P> {
    /// Virtual time.
    pub now: Instant,
    /// Packets from a to b.
    pub a_to_b: Link<P>,
    /// Packets from b to a.
    pub b_to_a: Link<P>,
}

impl<P: Packet> Duplex<P> {
    /// Both directions with `config`; the b→a direction uses `config.seed + 1` so the two
    /// directions lose different packets.
    pub fn new(start: Instant, config: LinkConfig) -> Self {
        let reverse = LinkConfig {
            seed: config.seed.wrapping_add(1),
            ..config.clone()
        };
        Self {
            now: start,
            a_to_b: Link::new(config),
            b_to_a: Link::new(reverse),
        }
    }

    /// The earliest delivery time of either direction.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.a_to_b.poll_timeout(), self.b_to_a.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Advances the virtual clock to `deadline` if that is later than now.
    pub fn advance_to(&mut self, deadline: Instant) {
        if deadline > self.now {
            self.now = deadline;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(link: &mut Link<Vec<u8>>, now: Instant) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| link.recv(now)).collect()
    }

    #[test]
    fn perfect_link_delivers_in_order_after_latency() {
        let start = Instant::now();
        let mut link = Link::perfect(Duration::from_millis(5));
        for i in 0..10u8 {
            link.send(start, vec![i]);
        }
        assert!(link.recv(start + Duration::from_millis(4)).is_none());
        let got = drain(&mut link, start + Duration::from_millis(5));
        assert_eq!(got, (0..10u8).map(|i| vec![i]).collect::<Vec<_>>());
    }

    #[test]
    fn same_seed_same_fate() {
        let config = LinkConfig {
            loss: 0.3,
            duplicate: 0.1,
            reorder: 0.2,
            jitter: Duration::from_millis(3),
            seed: 42,
            ..LinkConfig::default()
        };
        let run = || {
            let start = Instant::now();
            let mut link = Link::new(config.clone());
            for i in 0..200u8 {
                link.send(start, vec![i]);
            }
            drain(&mut link, start + Duration::from_secs(1))
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn loss_duplication_and_reordering_happen_at_roughly_their_rates() {
        let start = Instant::now();
        let mut link = Link::new(LinkConfig {
            loss: 0.2,
            duplicate: 0.1,
            reorder: 0.1,
            seed: 3,
            ..LinkConfig::default()
        });
        for i in 0..10_000u16 {
            let sent_at = start + Duration::from_millis(u64::from(i));
            link.send(sent_at, i.to_be_bytes().to_vec());
        }
        let got = drain(&mut link, start + Duration::from_secs(60));
        let stats = link.stats();
        assert!((1_800..2_200).contains(&stats.dropped), "{stats:?}");
        assert!((600..1_000).contains(&stats.duplicated), "{stats:?}");
        assert_eq!(got.len() as u64, stats.delivered);
        let out_of_order = got.windows(2).filter(|w| w[0] > w[1]).count();
        assert!(out_of_order > 100, "{out_of_order}");
    }

    #[test]
    fn mtu_and_blackhole_drop() {
        let start = Instant::now();
        let mut link = Link::new(LinkConfig {
            mtu: Some(4),
            ..LinkConfig::default()
        });
        link.send(start, vec![0; 5]);
        link.set_blackhole(true);
        link.send(start, vec![0; 1]);
        link.set_blackhole(false);
        link.send(start, vec![0; 4]);
        assert_eq!(drain(&mut link, start + Duration::from_secs(1)).len(), 1);
        assert_eq!(link.stats().dropped, 2);
    }
}
