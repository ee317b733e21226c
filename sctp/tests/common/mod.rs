//! Two associations over an emulated network under a virtual clock.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use oxrtc_netem::{Duplex, LinkConfig};
use oxrtc_sctp::{Association, Config, Event};

pub(crate) fn config(client: bool, seed: u8) -> Config {
    Config {
        dtls_client: client,
        rng_seed: Some([seed; 32]),
        ..Config::default()
    }
}

pub(crate) struct Pair {
    pub(crate) a: Association,
    pub(crate) b: Association,
    pub(crate) net: Duplex<Vec<u8>>,
    pub(crate) a_events: Vec<Event>,
    pub(crate) b_events: Vec<Event>,
    pub(crate) start: Instant,
    buf: Vec<u8>,
}

impl Pair {
    pub(crate) fn new(a: Config, b: Config, link: LinkConfig) -> Self {
        let start = Instant::now();
        Self {
            a: Association::new(a),
            b: Association::new(b),
            net: Duplex::new(start, link),
            a_events: Vec::new(),
            b_events: Vec::new(),
            start,
            buf: Vec::new(),
        }
    }

    pub(crate) fn lossless() -> Self {
        Self::new(
            config(true, 1),
            config(false, 2),
            LinkConfig {
                latency: Duration::from_millis(5),
                ..LinkConfig::default()
            },
        )
    }

    pub(crate) fn now(&self) -> Instant {
        self.net.now
    }

    /// Sends what both sides have and collects their events.
    pub(crate) fn flush(&mut self) {
        let now = self.net.now;
        while self.a.poll_transmit(now, &mut self.buf).is_some() {
            self.net.a_to_b.send(now, self.buf.clone());
        }
        while self.b.poll_transmit(now, &mut self.buf).is_some() {
            self.net.b_to_a.send(now, self.buf.clone());
        }
        while let Some(e) = self.a.poll_event() {
            self.a_events.push(e);
        }
        while let Some(e) = self.b.poll_event() {
            self.b_events.push(e);
        }
    }

    /// One step of virtual time: flush, advance to the next deadline, deliver, fire timers.
    pub(crate) fn step(&mut self) -> bool {
        self.flush();
        let next = [
            self.a.poll_timeout(),
            self.b.poll_timeout(),
            self.net.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else {
            return false;
        };
        self.net.advance_to(next);
        let now = self.net.now;
        while let Some(p) = self.net.a_to_b.recv(now) {
            let _ = self.b.handle_receive(now, &p);
        }
        while let Some(p) = self.net.b_to_a.recv(now) {
            let _ = self.a.handle_receive(now, &p);
        }
        self.a.handle_timeout(now);
        self.b.handle_timeout(now);
        self.flush();
        true
    }

    /// Steps until `done` holds or `limit` of virtual time passed; returns whether it held.
    pub(crate) fn drive(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&mut Pair) -> bool,
    ) -> bool {
        let deadline = self.net.now + limit;
        loop {
            if done(self) {
                return true;
            }
            if self.net.now > deadline || !self.step() {
                return done(self);
            }
        }
    }

    pub(crate) fn connect(&mut self) {
        let now = self.net.now;
        self.a.connect(now);
        let ok = self.drive(Duration::from_secs(60), |p| {
            p.a_events.contains(&Event::Connected) && p.b_events.contains(&Event::Connected)
        });
        assert!(ok, "association did not come up");
    }
}
