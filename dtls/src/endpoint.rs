//! A UDP-facing endpoint that serves many peers: it answers unverified ClientHellos
//! statelessly and creates a [`Connection`] only for clients that echoed a valid cookie.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use ring::hmac;

use crate::config::Config;
use crate::connection::{compute_cookie, cookie_matches, hello_verify_datagram, Connection};
use crate::error::Error;
use crate::event::Event;
use crate::handshake::{msg_type, ClientHello, Fragment};
use crate::record::{ContentType, Record};

/// Default bound on simultaneous connections of an [`Endpoint`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The datagram.
    pub contents: Vec<u8>,
}

/// Many DTLS connections keyed by remote address (a server socket, or a client that
/// dials several peers). Same verbs as [`Connection`], with addresses.
pub struct Endpoint {
    config: Arc<Config>,
    cookie_key: hmac::Key,
    connections: HashMap<SocketAddr, Connection>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<(SocketAddr, Event)>,
    max_connections: usize,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("connections", &self.connections.len())
            .finish_non_exhaustive()
    }
}

fn binding(addr: &SocketAddr) -> Vec<u8> {
    let mut out = match addr.ip() {
        std::net::IpAddr::V4(ip) => ip.octets().to_vec(),
        std::net::IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    out.extend_from_slice(&addr.port().to_be_bytes());
    out
}

impl Endpoint {
    /// An endpoint; as a server it accepts clients that complete the cookie exchange.
    pub fn new(config: Arc<Config>) -> Self {
        let mut secret = [0u8; 32];
        match config.rng_seed {
            Some(seed) => {
                let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
                rng.fill_bytes(&mut secret);
            }
            None => {
                // Without system entropy the cookie key is weaker but the endpoint works.
                let _ =
                    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret);
            }
        }
        Self {
            cookie_key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            config,
            connections: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// Limits simultaneous connections; ClientHellos beyond it are ignored.
    pub fn set_max_connections(&mut self, max: usize) {
        self.max_connections = max;
    }

    /// Starts a client connection to `remote` (replacing any existing one).
    pub fn connect(&mut self, now: Instant, remote: SocketAddr) {
        let conn = Connection::client(self.config.clone(), now);
        self.connections.insert(remote, conn);
        self.drain(remote);
    }

    /// The connection with `remote`, if any.
    pub fn connection(&self, remote: SocketAddr) -> Option<&Connection> {
        self.connections.get(&remote)
    }

    /// Number of live connections.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// Processes a datagram from `from`. Unknown senders get at most a HelloVerifyRequest
    /// no larger than their datagram, and no state is kept for them.
    pub fn handle_receive(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        if let Some(conn) = self.connections.get_mut(&from) {
            // Errors are reported as Event::Closed.
            let _ = conn.handle_receive(now, datagram);
            self.drain(from);
            return;
        }
        if self.connections.len() >= self.max_connections {
            return;
        }
        let Ok((record, _)) = Record::parse(datagram) else {
            return;
        };
        if record.epoch != 0 || record.content_type != ContentType::Handshake {
            return;
        }
        let Ok((frag, _)) = Fragment::parse(record.payload) else {
            return;
        };
        if frag.msg_type != msg_type::CLIENT_HELLO || frag.offset != 0 {
            return;
        }
        let Ok(prefix) = ClientHello::parse_prefix(frag.body) else {
            return;
        };
        let bind = binding(&from);
        if self.config.hello_verify {
            let cookie = compute_cookie(&self.cookie_key, &bind, prefix.random);
            if !cookie_matches(&cookie, prefix.cookie) {
                // RFC 6347 §4.2.1: "the server MUST use the record sequence number in the
                // ClientHello as the record sequence number in the HelloVerifyRequest".
                let hvr = hello_verify_datagram(frag.message_seq, record.sequence, &cookie);
                if hvr.len() <= datagram.len() {
                    self.transmits.push_back(Transmit {
                        destination: from,
                        contents: hvr,
                    });
                }
                return;
            }
        }
        let mut conn = Connection::server_bound(
            self.config.clone(),
            self.cookie_key.clone(),
            bind,
            record.sequence,
        );
        let _ = conn.handle_receive(now, datagram);
        self.connections.insert(from, conn);
        self.drain(from);
    }

    /// Runs every connection's expired timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<SocketAddr> = self
            .connections
            .iter()
            .filter(|(_, c)| c.poll_timeout().is_some_and(|t| t <= now))
            .map(|(a, _)| *a)
            .collect();
        for addr in due {
            if let Some(c) = self.connections.get_mut(&addr) {
                c.handle_timeout(now);
            }
            self.drain(addr);
        }
    }

    /// Sends application data to an established peer.
    pub fn send_application_data(&mut self, to: SocketAddr, data: &[u8]) -> Result<(), Error> {
        let conn = self.connections.get_mut(&to).ok_or(Error::NotConnected)?;
        conn.send_application_data(data)?;
        self.drain(to);
        Ok(())
    }

    /// Closes the connection with `remote` (sends close_notify).
    pub fn close(&mut self, remote: SocketAddr) {
        if let Some(c) = self.connections.get_mut(&remote) {
            c.close();
            self.drain(remote);
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event, with the peer it concerns.
    pub fn poll_event(&mut self) -> Option<(SocketAddr, Event)> {
        self.events.pop_front()
    }

    /// The earliest timer of all connections.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.connections
            .values()
            .filter_map(|c| c.poll_timeout())
            .min()
    }

    fn drain(&mut self, addr: SocketAddr) {
        let Some(conn) = self.connections.get_mut(&addr) else {
            return;
        };
        while let Some(contents) = conn.poll_transmit() {
            self.transmits.push_back(Transmit {
                destination: addr,
                contents,
            });
        }
        while let Some(e) = conn.poll_event() {
            self.events.push_back((addr, e));
        }
        if conn.is_closed() {
            self.connections.remove(&addr);
        }
    }
}
