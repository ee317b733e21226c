//! A two-peer virtual-time harness over `oxrtc-netem`.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxrtc_dtls::{Certificate, Config, Connection, Event, HashAlgorithm};
use oxrtc_netem::{Duplex, LinkConfig};

pub fn configs(client_cert: Certificate, server_cert: Certificate) -> (Config, Config) {
    let mut c = Config::new(client_cert.clone());
    c.expected_peer_fingerprints = vec![server_cert.fingerprint(HashAlgorithm::Sha256)];
    c.rng_seed = Some([1; 32]);
    let mut s = Config::new(server_cert);
    s.expected_peer_fingerprints = vec![client_cert.fingerprint(HashAlgorithm::Sha256)];
    s.rng_seed = Some([2; 32]);
    (c, s)
}

pub fn default_configs() -> (Config, Config) {
    configs(
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    )
}

/// Client is "a", server is "b".
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    pub net: Duplex<Vec<u8>>,
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
    /// Every datagram the client sent, with the time.
    pub client_sent: Vec<(Instant, Vec<u8>)>,
    pub server_sent: Vec<(Instant, Vec<u8>)>,
    pub start: Instant,
}

impl Pair {
    pub fn new(client: Config, server: Config, link: LinkConfig) -> Self {
        let start = Instant::now();
        let mut pair = Self {
            client: Connection::client(Arc::new(client), start),
            server: Connection::server(Arc::new(server)),
            net: Duplex::new(start, link),
            client_events: vec![],
            server_events: vec![],
            client_sent: vec![],
            server_sent: vec![],
            start,
        };
        pair.flush();
        pair
    }

    pub fn perfect(client: Config, server: Config) -> Self {
        Self::new(
            client,
            server,
            LinkConfig {
                latency: Duration::from_millis(5),
                ..LinkConfig::default()
            },
        )
    }

    /// Moves queued transmits into the links and events into the logs.
    pub fn flush(&mut self) {
        let now = self.net.now;
        while let Some(d) = self.client.poll_transmit() {
            self.client_sent.push((now, d.clone()));
            self.net.a_to_b.send(now, d);
        }
        while let Some(d) = self.server.poll_transmit() {
            self.server_sent.push((now, d.clone()));
            self.net.b_to_a.send(now, d);
        }
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
        }
        while let Some(e) = self.server.poll_event() {
            self.server_events.push(e);
        }
    }

    /// Advances to the next deadline and processes everything due. False when idle.
    pub fn step(&mut self) -> bool {
        let deadlines = [
            self.net.poll_timeout(),
            self.client.poll_timeout(),
            self.server.poll_timeout(),
        ];
        let Some(next) = deadlines.into_iter().flatten().min() else {
            return false;
        };
        self.net.advance_to(next);
        let now = self.net.now;
        while let Some(d) = self.net.a_to_b.recv(now) {
            let _ = self.server.handle_receive(now, &d);
        }
        while let Some(d) = self.net.b_to_a.recv(now) {
            let _ = self.client.handle_receive(now, &d);
        }
        self.client.handle_timeout(now);
        self.server.handle_timeout(now);
        self.flush();
        true
    }

    /// Steps until `done` or until `limit` of virtual time passed.
    pub fn drive_until(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        while !done(self) {
            if self.net.now > self.start + limit || !self.step() {
                return done(self);
            }
        }
        true
    }

    pub fn both_connected(&self) -> bool {
        has_connected(&self.client_events) && has_connected(&self.server_events)
    }

    pub fn handshake(&mut self) {
        assert!(
            self.drive_until(Duration::from_secs(120), |p| p.both_connected()),
            "handshake did not complete: client {:?} server {:?}",
            self.client_events,
            self.server_events
        );
    }
}

pub fn has_connected(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::Connected { .. }))
}

pub fn closed_reason(events: &[Event]) -> Option<&oxrtc_dtls::CloseReason> {
    events.iter().find_map(|e| match e {
        Event::Closed { reason } => Some(reason),
        _ => None,
    })
}

pub fn app_data(events: &[Event]) -> Vec<Vec<u8>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ApplicationData(d) => Some(d.to_vec()),
            _ => None,
        })
        .collect()
}

pub fn rsa_certificate() -> Certificate {
    Certificate::from_pem(
        include_str!("../data/rsa-cert.pem"),
        include_str!("../data/rsa-key.pem"),
    )
    .unwrap()
}
