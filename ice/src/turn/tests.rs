//! TURN client against TURN server under a virtual clock, over seeded `oxrtc-netem`
//! links. Two clients that only ever talk to the server exchange data through their
//! relays: the relay-only data path.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use oxrtc_netem::{Link, LinkConfig};

use super::*;
use crate::stun::{Class, Integrity, Message, MessageRef, Method, TransactionId};

const SERVER: &str = "203.0.113.1:3478";

fn server_addr() -> SocketAddr {
    SERVER.parse().unwrap()
}

fn client_addr(i: usize) -> SocketAddr {
    SocketAddr::new(format!("198.51.100.{}", i + 1).parse().unwrap(), 40000)
}

struct Net {
    now: Instant,
    server: Server,
    clients: Vec<Client>,
    protocols: Vec<TransportProtocol>,
    up: Vec<Link<Vec<u8>>>,
    down: Vec<Link<Vec<u8>>>,
    /// Server-side TCP stream buffers, per client.
    server_rx: Vec<Vec<u8>>,
    next_port: u16,
    events: Vec<Vec<Event>>,
    closed_relays: Vec<SocketAddr>,
    /// Datagrams the relays sent to peers outside the server.
    outside: Vec<(SocketAddr, SocketAddr, Vec<u8>)>,
}

impl Net {
    fn new(server: ServerConfig, clients: Vec<ClientConfig>, link: LinkConfig) -> Self {
        let now = Instant::now();
        let n = clients.len();
        let protocols = clients
            .iter()
            .map(|c| match c.transport {
                ClientTransport::Udp => TransportProtocol::Udp,
                ClientTransport::Stream => TransportProtocol::Tcp,
            })
            .collect();
        let mk = |i: usize, salt: u64| {
            Link::new(LinkConfig {
                seed: link.seed.wrapping_add(i as u64 * 2 + salt),
                ..link.clone()
            })
        };
        Self {
            now,
            server: Server::new(server),
            clients: clients.into_iter().map(Client::new).collect(),
            protocols,
            up: (0..n).map(|i| mk(i, 0)).collect(),
            down: (0..n).map(|i| mk(i, 1)).collect(),
            server_rx: vec![Vec::new(); n],
            next_port: 50000,
            events: vec![Vec::new(); n],
            closed_relays: Vec::new(),
            outside: Vec::new(),
        }
    }

    fn five(&self, i: usize) -> FiveTuple {
        FiveTuple {
            client: client_addr(i),
            server: server_addr(),
            protocol: self.protocols[i],
        }
    }

    fn pump(&mut self) {
        let now = self.now;
        loop {
            let mut progress = false;
            for i in 0..self.clients.len() {
                while let Some(t) = self.clients[i].poll_transmit() {
                    assert_eq!(t.destination, server_addr());
                    self.up[i].send(now, t.contents);
                    progress = true;
                }
                while let Some(e) = self.clients[i].poll_event() {
                    self.events[i].push(e);
                }
                while let Some(p) = self.up[i].recv(now) {
                    progress = true;
                    let five = self.five(i);
                    if five.protocol == TransportProtocol::Udp {
                        let _ = self.server.handle_client(now, five, &p);
                        continue;
                    }
                    self.server_rx[i].extend_from_slice(&p);
                    while let Ok(Some(len)) = frame_len(&self.server_rx[i]) {
                        if len > self.server_rx[i].len() {
                            break;
                        }
                        let frame: Vec<u8> = self.server_rx[i].drain(..len).collect();
                        self.server.handle_client(now, five, &frame).unwrap();
                    }
                }
                while let Some(p) = self.down[i].recv(now) {
                    progress = true;
                    if self.protocols[i] == TransportProtocol::Tcp {
                        // Deliver the stream in small pieces to exercise reassembly.
                        for piece in p.chunks(7) {
                            self.clients[i]
                                .handle_receive(now, server_addr(), piece)
                                .unwrap();
                        }
                    } else {
                        let _ = self.clients[i].handle_receive(now, server_addr(), &p);
                    }
                }
            }
            while let Some(ev) = self.server.poll_event() {
                progress = true;
                match ev {
                    ServerEvent::OpenRelay(r) => {
                        let mut port = self.next_port;
                        if r.even_port && port % 2 == 1 {
                            port += 1;
                        }
                        self.next_port = port + 1 + u16::from(r.reserve_next);
                        let relay = SocketAddr::new(r.ip, port);
                        let reserved = r.reserve_next.then(|| SocketAddr::new(r.ip, port + 1));
                        self.server.relay_opened_with_reservation(
                            now,
                            r.token,
                            Some(relay),
                            reserved,
                        );
                    }
                    ServerEvent::CloseRelay { relay } => self.closed_relays.push(relay),
                    _ => {}
                }
            }
            while let Some(t) = self.server.poll_transmit() {
                progress = true;
                match t.kind {
                    ServerTransmitKind::ToClient(f) => {
                        let i = (0..self.clients.len())
                            .find(|&i| client_addr(i) == f.client)
                            .unwrap();
                        self.down[i].send(now, t.contents);
                    }
                    ServerTransmitKind::ToPeer { relay, peer } => {
                        if peer.ip() == server_addr().ip() {
                            // The peer is another relay of this server: hairpin.
                            self.server.handle_peer(now, peer, relay, &t.contents);
                        } else {
                            self.outside.push((relay, peer, t.contents));
                        }
                    }
                }
            }
            if !progress {
                break;
            }
        }
    }

    fn next_timeout(&self) -> Option<Instant> {
        self.clients
            .iter()
            .filter_map(|c| c.poll_timeout())
            .chain(self.server.poll_timeout())
            .chain(self.up.iter().filter_map(|l| l.poll_timeout()))
            .chain(self.down.iter().filter_map(|l| l.poll_timeout()))
            .min()
    }

    /// Runs the network for `d` of virtual time.
    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        self.pump();
        loop {
            let next = self
                .next_timeout()
                .map_or(end, |t| t.min(end))
                .max(self.now);
            self.now = next;
            for c in &mut self.clients {
                if c.poll_timeout().is_some_and(|t| t <= next) {
                    c.handle_timeout(next);
                }
            }
            if self.server.poll_timeout().is_some_and(|t| t <= next) {
                self.server.handle_timeout(next);
            }
            self.pump();
            if next >= end {
                break;
            }
        }
    }

    fn take_events(&mut self, i: usize) -> Vec<Event> {
        std::mem::take(&mut self.events[i])
    }

    fn relayed(&self, i: usize) -> SocketAddr {
        self.clients[i].relayed_address().expect("allocated")
    }

    fn data_events(&mut self, i: usize) -> Vec<(SocketAddr, Vec<u8>)> {
        self.take_events(i)
            .into_iter()
            .filter_map(|e| match e {
                Event::Data { peer, data } => Some((peer, data)),
                _ => None,
            })
            .collect()
    }
}

fn server_config() -> ServerConfig {
    ServerConfig {
        rng_seed: Some([1; 32]),
        ..ServerConfig::new("oxrtc.test", server_addr().ip())
            .with_user("alice", "alice-pass")
            .with_user("bob", "bob-pass")
    }
}

fn client_config(user: &str, pass: &str, seed: u8) -> ClientConfig {
    ClientConfig {
        rng_seed: Some([seed; 32]),
        ..ClientConfig::new(server_addr(), user, pass)
    }
}

fn two_clients(link: LinkConfig) -> Net {
    Net::new(
        server_config(),
        vec![
            client_config("alice", "alice-pass", 1),
            client_config("bob", "bob-pass", 2),
        ],
        link,
    )
}

fn allocate_all(net: &mut Net) {
    let now = net.now;
    for c in &mut net.clients {
        c.allocate(now).unwrap();
    }
    net.run_for(Duration::from_secs(5));
    for i in 0..net.clients.len() {
        let ev = net.take_events(i);
        assert!(
            matches!(ev.as_slice(), [Event::Allocated { .. }]),
            "client {i}: {ev:?}"
        );
        assert!(net.clients[i].is_allocated());
    }
}

/// Two clients exchange data through their relays (they never address each other
/// directly): first with Send/Data indications, then over channels.
fn relay_exchange(net: &mut Net) {
    let (ra, rb) = (net.relayed(0), net.relayed(1));
    assert_ne!(ra, rb);
    assert_eq!(net.clients[0].mapped_address(), Some(client_addr(0)));
    let now = net.now;
    net.clients[0].create_permission(now, rb.ip()).unwrap();
    net.clients[1].create_permission(now, ra.ip()).unwrap();
    net.run_for(Duration::from_secs(2));
    assert_eq!(
        net.take_events(0),
        [Event::PermissionCreated { peer: rb.ip() }]
    );
    net.take_events(1);

    net.clients[0].send_to(rb, b"hello via indication").unwrap();
    net.clients[1].send_to(ra, b"and back").unwrap();
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.data_events(1), [(ra, b"hello via indication".to_vec())]);
    assert_eq!(net.data_events(0), [(rb, b"and back".to_vec())]);

    let now = net.now;
    let ca = net.clients[0].bind_channel(now, rb).unwrap();
    let cb = net.clients[1].bind_channel(now, ra).unwrap();
    net.run_for(Duration::from_secs(2));
    assert_eq!(
        net.take_events(0),
        [Event::ChannelBound {
            peer: rb,
            channel: ca
        }]
    );
    assert_eq!(
        net.take_events(1),
        [Event::ChannelBound {
            peer: ra,
            channel: cb
        }]
    );
    for n in 0..20u8 {
        net.clients[0].send_to(rb, &[n; 5]).unwrap();
        // Sent as ChannelData: 4-byte header, first byte 0x40.
        let t = net.clients[0].poll_transmit().unwrap();
        assert_eq!(t.contents[0] & 0xF0, 0x40);
        net.up[0].send(net.now, t.contents);
    }
    net.clients[1].send_to(ra, b"pong").unwrap();
    net.run_for(Duration::from_secs(1));
    let got = net.data_events(1);
    assert!(got.len() >= 15, "{}", got.len()); // the link may lose a few
    assert!(got.iter().all(|(p, d)| *p == ra && d.len() == 5));
    let got0 = net.data_events(0);
    assert!(got0.iter().all(|(p, d)| *p == rb && d == b"pong"));
    assert!(net.outside.is_empty());
}

#[test]
fn relay_only_data_path_between_two_clients() {
    let mut net = two_clients(LinkConfig {
        latency: Duration::from_millis(20),
        ..LinkConfig::default()
    });
    allocate_all(&mut net);
    relay_exchange(&mut net);
    assert_eq!(net.data_events(0).len(), 0);
}

#[test]
fn relay_over_tcp_framing() {
    let mut a = client_config("alice", "alice-pass", 1);
    a.transport = ClientTransport::Stream;
    let mut b = client_config("bob", "bob-pass", 2);
    b.transport = ClientTransport::Stream;
    let mut net = Net::new(server_config(), vec![a, b], LinkConfig::default());
    allocate_all(&mut net);
    // Streams do not lose; the exchange must deliver everything.
    relay_exchange(&mut net);
}

#[test]
fn allocates_and_relays_under_loss() {
    let mut net = two_clients(LinkConfig {
        latency: Duration::from_millis(30),
        loss: 0.1,
        seed: 42,
        ..LinkConfig::default()
    });
    allocate_all(&mut net);
    let (ra, rb) = (net.relayed(0), net.relayed(1));
    let now = net.now;
    net.clients[0].create_permission(now, rb.ip()).unwrap();
    net.clients[1].create_permission(now, ra.ip()).unwrap();
    net.run_for(Duration::from_secs(10));
    assert!(net.clients[0].has_permission(rb.ip()));
    assert!(net.clients[1].has_permission(ra.ip()));
}

#[test]
fn refreshes_survive_stale_nonces_for_an_hour() {
    let mut server = server_config();
    server.nonce_lifetime = Duration::from_secs(100);
    let mut a = client_config("alice", "alice-pass", 1);
    a.lifetime = Duration::from_secs(300);
    let mut b = client_config("bob", "bob-pass", 2);
    b.lifetime = Duration::from_secs(300);
    let mut net = Net::new(server, vec![a, b], LinkConfig::default());
    allocate_all(&mut net);
    let (ra, rb) = (net.relayed(0), net.relayed(1));
    let now = net.now;
    net.clients[0].bind_channel(now, rb).unwrap();
    net.clients[1].bind_channel(now, ra).unwrap();
    net.run_for(Duration::from_secs(3600));
    for i in 0..2 {
        let ev = net.take_events(i);
        assert!(
            !ev.iter().any(|e| matches!(
                e,
                Event::AllocationLost(_) | Event::ChannelBindFailed { .. }
            )),
            "{ev:?}"
        );
        let refreshes = ev
            .iter()
            .filter(|e| matches!(e, Event::Refreshed { .. }))
            .count();
        assert!(refreshes >= 10, "{refreshes}");
    }
    assert_eq!(net.server.allocation_count(), 2);
    net.clients[0].send_to(rb, b"still there").unwrap();
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.data_events(1), [(ra, b"still there".to_vec())]);
}

#[test]
fn wrong_password_fails_with_401() {
    let mut net = Net::new(
        server_config(),
        vec![client_config("alice", "nope", 1)],
        LinkConfig::default(),
    );
    let now = net.now;
    net.clients[0].allocate(now).unwrap();
    net.run_for(Duration::from_secs(5));
    match net.take_events(0).as_slice() {
        [Event::AllocateFailed(Failure::Error { code: 401, .. })] => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(net.server.allocation_count(), 0);
}

#[test]
fn denied_peers_get_403_unless_allowed() {
    let mut net = two_clients(LinkConfig::default());
    allocate_all(&mut net);
    let now = net.now;
    for ip in ["127.0.0.1", "10.1.2.3", "192.168.0.1"] {
        net.clients[0]
            .create_permission(now, ip.parse().unwrap())
            .unwrap();
    }
    net.run_for(Duration::from_secs(2));
    let ev = net.take_events(0);
    assert_eq!(ev.len(), 3);
    assert!(ev.iter().all(|e| matches!(
        e,
        Event::PermissionFailed {
            failure: Failure::Error { code: 403, .. },
            ..
        }
    )));

    let mut net = Net::new(
        server_config().allow_loopback_peers(),
        vec![client_config("alice", "alice-pass", 1)],
        LinkConfig::default(),
    );
    allocate_all(&mut net);
    let now = net.now;
    let peer: SocketAddr = "127.0.0.1:9999".parse().unwrap();
    net.clients[0].create_permission(now, peer.ip()).unwrap();
    net.run_for(Duration::from_secs(2));
    net.clients[0].send_to(peer, b"x").unwrap();
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.outside.len(), 1);
    assert_eq!(net.outside[0].1, peer);
    // A peer datagram without a permission is dropped.
    let relay = net.relayed(0);
    let now = net.now;
    net.server
        .handle_peer(now, relay, "127.0.0.2:1".parse().unwrap(), b"no");
    net.server.handle_peer(now, relay, peer, b"yes");
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.data_events(0), [(peer, b"yes".to_vec())]);
}

#[test]
fn quota_per_user() {
    let mut server = server_config();
    server.max_allocations_per_user = 1;
    let mut net = Net::new(
        server,
        vec![
            client_config("alice", "alice-pass", 1),
            client_config("alice", "alice-pass", 2),
        ],
        LinkConfig::default(),
    );
    let now = net.now;
    net.clients[0].allocate(now).unwrap();
    net.run_for(Duration::from_secs(1));
    let now = net.now;
    net.clients[1].allocate(now).unwrap();
    net.run_for(Duration::from_secs(2));
    assert!(matches!(
        net.take_events(0).as_slice(),
        [Event::Allocated { .. }]
    ));
    match net.take_events(1).as_slice() {
        [Event::AllocateFailed(Failure::Error { code: 486, .. })] => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn bandwidth_cap_drops_excess() {
    let mut server = server_config();
    server.bandwidth_limit = Some(1000);
    let mut net = Net::new(
        server,
        vec![
            client_config("alice", "alice-pass", 1),
            client_config("bob", "bob-pass", 2),
        ],
        LinkConfig::default(),
    );
    allocate_all(&mut net);
    let (ra, rb) = (net.relayed(0), net.relayed(1));
    let now = net.now;
    net.clients[0].bind_channel(now, rb).unwrap();
    net.clients[1].create_permission(now, ra.ip()).unwrap();
    net.run_for(Duration::from_secs(2));
    for _ in 0..10 {
        net.clients[0].send_to(rb, &[7; 400]).unwrap();
    }
    net.run_for(Duration::from_millis(100));
    // 1000 bytes of burst, counted once leaving A's relay and once entering B's.
    let n = net.data_events(1).len();
    assert!((1..=2).contains(&n), "{n}");
}

#[test]
fn rest_api_credentials() {
    let mut server = server_config();
    server.rest_secret = Some("s3cret".into());
    let good_user = rest_username(2_000_000_000, "carol");
    let good_pass = rest_password("s3cret", &good_user);
    let old_user = rest_username(1_000, "carol");
    let old_pass = rest_password("s3cret", &old_user);
    let mut net = Net::new(
        server,
        vec![
            client_config(&good_user, &good_pass, 1),
            client_config(&old_user, &old_pass, 2),
            client_config(&good_user, "forged", 3),
        ],
        LinkConfig::default(),
    );
    let now = net.now;
    net.server.set_unix_time(now, 1_900_000_000);
    for c in &mut net.clients {
        c.allocate(now).unwrap();
    }
    net.run_for(Duration::from_secs(5));
    assert!(matches!(
        net.take_events(0).as_slice(),
        [Event::Allocated { .. }]
    ));
    for i in [1, 2] {
        match net.take_events(i).as_slice() {
            [Event::AllocateFailed(Failure::Error { code: 401, .. })] => {}
            other => panic!("{i}: {other:?}"),
        }
    }
}

#[test]
fn close_deallocates_and_expiry_reclaims() {
    let mut net = two_clients(LinkConfig::default());
    allocate_all(&mut net);
    let relay_a = net.relayed(0);
    let now = net.now;
    net.clients[0].close(now);
    net.run_for(Duration::from_secs(2));
    assert_eq!(net.take_events(0), [Event::Closed]);
    assert_eq!(net.closed_relays, [relay_a]);
    assert_eq!(net.server.allocation_count(), 1);
    // Client B goes silent (its traffic is black-holed): the server reclaims at expiry.
    net.up[1].set_blackhole(true);
    net.run_for(Duration::from_secs(700));
    assert_eq!(net.server.allocation_count(), 0);
    assert!(net
        .take_events(1)
        .iter()
        .any(|e| matches!(e, Event::AllocationLost(_))));
}

fn request(method: Method, tid: u8) -> Message {
    Message::new(Class::Request, method, TransactionId([tid; 12]))
}

#[test]
fn server_rejects_bad_requests_without_state_change() {
    let mut s = Server::new(server_config());
    let now = Instant::now();
    let five = FiveTuple {
        client: client_addr(0),
        server: server_addr(),
        protocol: TransportProtocol::Udp,
    };
    let answer = |s: &mut Server| {
        let t = s.poll_transmit().expect("an answer");
        MessageRef::decode(&t.contents)
            .unwrap()
            .error_code()
            .map(|e| e.code)
    };
    // Unauthenticated requests get 401 with a nonce.
    for m in [Method::ALLOCATE, Method::REFRESH, Method::CREATE_PERMISSION] {
        let req = request(m, 1).to_bytes(Integrity::None, true).unwrap();
        s.handle_client(now, five, &req).unwrap();
        assert_eq!(answer(&mut s), Some(401));
    }
    // A forged MESSAGE-INTEGRITY with an invented nonce: 438.
    let key = crate::stun::Key::long_term("alice", "oxrtc.test", "alice-pass");
    let req = request(Method::ALLOCATE, 2)
        .with(crate::stun::Attribute::Username("alice"))
        .with(crate::stun::Attribute::Realm("oxrtc.test"))
        .with(crate::stun::Attribute::Nonce(
            "0000000000000000ffffffffffffffff",
        ))
        .to_bytes(Integrity::Sha1(&key), true)
        .unwrap();
    s.handle_client(now, five, &req).unwrap();
    assert_eq!(answer(&mut s), Some(438));
    // Unknown comprehension-required attribute: 420.
    let req = request(Method::ALLOCATE, 3)
        .with(crate::stun::Attribute::Other(
            crate::stun::AttributeType(0x0777),
            b"?",
        ))
        .to_bytes(Integrity::None, true)
        .unwrap();
    s.handle_client(now, five, &req).unwrap();
    assert_eq!(answer(&mut s), Some(420));
    // A Binding request is answered without authentication.
    let req = request(Method::BINDING, 4)
        .to_bytes(Integrity::None, true)
        .unwrap();
    s.handle_client(now, five, &req).unwrap();
    let t = s.poll_transmit().unwrap();
    let r = MessageRef::decode(&t.contents).unwrap();
    assert_eq!(r.mapped_address(), Some(client_addr(0)));
    // Garbage and ChannelData without allocation: errors or silence, never state.
    assert!(s.handle_client(now, five, b"\x00\x01garbage").is_err());
    s.handle_client(now, five, &[0x40, 0x00, 0x00, 0x01, 0xff])
        .unwrap();
    assert!(s.poll_transmit().is_none());
    assert!(s.poll_event().is_none());
    assert_eq!(s.allocation_count(), 0);
}

#[test]
fn server_survives_random_datagrams() {
    use rand_chacha::rand_core::{RngCore, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let mut s = Server::new(server_config());
    let now = Instant::now();
    let five = FiveTuple {
        client: client_addr(0),
        server: server_addr(),
        protocol: TransportProtocol::Udp,
    };
    let valid = request(Method::ALLOCATE, 5)
        .with(crate::stun::Attribute::RequestedTransport(17))
        .to_bytes(Integrity::None, true)
        .unwrap();
    for _ in 0..20_000 {
        let mut d = valid.clone();
        let flips = (rng.next_u32() % 4) as usize + 1;
        for _ in 0..flips {
            let i = rng.next_u32() as usize % d.len();
            d[i] = rng.next_u32() as u8;
        }
        d.truncate(rng.next_u32() as usize % (d.len() + 1));
        let _ = s.handle_client(now, five, &d);
        s.handle_peer(
            now,
            "203.0.113.1:50000".parse().unwrap(),
            client_addr(1),
            &d,
        );
        while s.poll_transmit().is_some() {}
    }
    assert_eq!(s.allocation_count(), 0);
}

/// Sends `m` signed with alice's key (after fetching a nonce) and returns the answer.
fn signed_exchange(
    s: &mut Server,
    now: Instant,
    five: FiveTuple,
    build: impl Fn(u8) -> Message,
) -> Vec<u8> {
    let probe = build(100).to_bytes(Integrity::None, true).unwrap();
    s.handle_client(now, five, &probe).unwrap();
    let t = s.poll_transmit().unwrap();
    let nonce = MessageRef::decode(&t.contents)
        .unwrap()
        .nonce()
        .unwrap()
        .to_owned();
    let key = crate::stun::Key::long_term("alice", "oxrtc.test", "alice-pass");
    let req = build(101)
        .with(crate::stun::Attribute::Username("alice"))
        .with(crate::stun::Attribute::Realm("oxrtc.test"))
        .with(crate::stun::Attribute::Nonce(&nonce))
        .to_bytes(Integrity::Sha1(&key), true)
        .unwrap();
    s.handle_client(now, five, &req).unwrap();
    if let Some(ServerEvent::OpenRelay(r)) = s.poll_event() {
        assert!(r.even_port && r.reserve_next);
        let relay = SocketAddr::new(r.ip, 50000);
        s.relay_opened_with_reservation(
            now,
            r.token,
            Some(relay),
            Some(SocketAddr::new(r.ip, 50001)),
        );
        assert!(matches!(
            s.poll_event(),
            Some(ServerEvent::AllocationCreated { .. })
        ));
    }
    let t = s.poll_transmit().unwrap();
    MessageRef::decode(&t.contents)
        .unwrap()
        .check_integrity(&key)
        .unwrap();
    t.contents
}

#[test]
fn even_port_reservation_and_token() {
    use crate::stun::Attribute as A;
    let mut s = Server::new(server_config());
    let now = Instant::now();
    let five = |i| FiveTuple {
        client: client_addr(i),
        server: server_addr(),
        protocol: TransportProtocol::Udp,
    };
    let first = signed_exchange(&mut s, now, five(0), |t| {
        request(Method::ALLOCATE, t)
            .with(A::RequestedTransport(17))
            .with(A::EvenPort(true))
    });
    let first = MessageRef::decode(&first).unwrap();
    assert_eq!(
        first.xor_relayed_address(),
        Some("203.0.113.1:50000".parse().unwrap())
    );
    let token = match first.attribute(crate::stun::AttributeType::RESERVATION_TOKEN) {
        Some(Ok(A::ReservationToken(t))) => *t,
        other => panic!("{other:?}"),
    };
    // A second client takes the reserved (odd) port with the token, no new socket.
    let second = signed_exchange(&mut s, now, five(1), |t| {
        request(Method::ALLOCATE, t)
            .with(A::RequestedTransport(17))
            .with(A::ReservationToken(&token))
    });
    let second = MessageRef::decode(&second).unwrap();
    assert_eq!(second.class(), Class::Success);
    assert_eq!(
        second.xor_relayed_address(),
        Some("203.0.113.1:50001".parse().unwrap())
    );
    assert_eq!(s.allocation_count(), 2);
    // An unknown token gets 508 Insufficient Capacity.
    let mut s2 = Server::new(server_config());
    let bogus = signed_exchange(&mut s2, now, five(0), |t| {
        request(Method::ALLOCATE, t)
            .with(A::RequestedTransport(17))
            .with(A::ReservationToken(&token))
    });
    assert_eq!(
        MessageRef::decode(&bogus)
            .unwrap()
            .error_code()
            .map(|e| e.code),
        Some(508)
    );
}

#[test]
fn unused_reservation_expires() {
    use crate::stun::Attribute as A;
    let mut s = Server::new(server_config());
    let now = Instant::now();
    let five = FiveTuple {
        client: client_addr(0),
        server: server_addr(),
        protocol: TransportProtocol::Udp,
    };
    signed_exchange(&mut s, now, five, |t| {
        request(Method::ALLOCATE, t)
            .with(A::RequestedTransport(17))
            .with(A::EvenPort(true))
    });
    let due = s.poll_timeout().unwrap();
    assert_eq!(due, now + Duration::from_secs(30));
    s.handle_timeout(due);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::CloseRelay {
            relay: "203.0.113.1:50001".parse().unwrap()
        })
    );
}

fn tls_configs() -> (
    std::sync::Arc<rustls::ServerConfig>,
    std::sync::Arc<rustls::ClientConfig>,
) {
    let ck = rcgen::generate_simple_self_signed(vec!["turn.test".to_string()]).unwrap();
    let cert = ck.cert.der().clone();
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der());
    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.into())
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (std::sync::Arc::new(server), std::sync::Arc::new(client))
}

/// Runs one TLS client against the server core behind a rustls server connection.
fn run_tls(
    client: &mut TlsClient,
    server: &mut Server,
    sconn: &mut rustls::ServerConnection,
    now: Instant,
) -> Result<Vec<Event>, TurnError> {
    use std::io::{Read, Write};
    let five = FiveTuple {
        client: client_addr(0),
        server: server_addr(),
        protocol: TransportProtocol::Tcp,
    };
    let mut stream = Vec::new();
    let mut events = Vec::new();
    for _ in 0..50 {
        while let Some(t) = client.poll_transmit() {
            let mut data = &t.contents[..];
            while !data.is_empty() {
                sconn.read_tls(&mut data).unwrap();
                sconn.process_new_packets().unwrap();
            }
            let mut buf = [0u8; 4096];
            while let Ok(n) = sconn.reader().read(&mut buf) {
                if n == 0 {
                    break;
                }
                stream.extend_from_slice(&buf[..n]);
            }
            while let Ok(Some(len)) = frame_len(&stream) {
                if len > stream.len() {
                    break;
                }
                let frame: Vec<u8> = stream.drain(..len).collect();
                server.handle_client(now, five, &frame).unwrap();
            }
        }
        while let Some(ev) = server.poll_event() {
            if let ServerEvent::OpenRelay(r) = ev {
                server.relay_opened(now, r.token, Some(SocketAddr::new(r.ip, 50000)));
            }
        }
        while let Some(t) = server.poll_transmit() {
            sconn.writer().write_all(&t.contents).unwrap();
        }
        let mut out = Vec::new();
        while sconn.wants_write() {
            sconn.write_tls(&mut out).unwrap();
        }
        if !out.is_empty() {
            client.handle_receive(now, server_addr(), &out)?;
        }
        while let Some(e) = client.poll_event() {
            events.push(e);
        }
    }
    Ok(events)
}

#[test]
fn turn_over_tls() {
    let (server_tls, client_tls) = tls_configs();
    let now = Instant::now();
    let mut server = Server::new(server_config().allow_loopback_peers());
    let mut sconn = rustls::ServerConnection::new(server_tls).unwrap();
    let mut client = TlsClient::new(
        client_config("alice", "alice-pass", 1),
        client_tls,
        "turn.test".try_into().unwrap(),
    )
    .unwrap();
    client.client_mut().allocate(now).unwrap();
    let events = run_tls(&mut client, &mut server, &mut sconn, now).unwrap();
    assert!(!client.is_handshaking());
    assert!(
        matches!(events.as_slice(), [Event::Allocated { .. }]),
        "{events:?}"
    );
    // Data relayed from a peer comes back through TLS as a Data indication.
    let peer: SocketAddr = "127.0.0.1:7000".parse().unwrap();
    client
        .client_mut()
        .create_permission(now, peer.ip())
        .unwrap();
    run_tls(&mut client, &mut server, &mut sconn, now).unwrap();
    server.handle_peer(now, client.client().relayed_address().unwrap(), peer, b"hi");
    let events = run_tls(&mut client, &mut server, &mut sconn, now).unwrap();
    assert_eq!(
        events,
        [Event::Data {
            peer,
            data: b"hi".to_vec()
        }]
    );
}

#[test]
fn turn_over_tls_rejects_unknown_certificate() {
    let (server_tls, _) = tls_configs();
    let (_, other_client_tls) = tls_configs(); // trusts another certificate
    let now = Instant::now();
    let mut server = Server::new(server_config());
    let mut sconn = rustls::ServerConnection::new(server_tls).unwrap();
    let mut client = TlsClient::new(
        client_config("alice", "alice-pass", 1),
        other_client_tls,
        "turn.test".try_into().unwrap(),
    )
    .unwrap();
    client.client_mut().allocate(now).unwrap();
    match run_tls(&mut client, &mut server, &mut sconn, now) {
        Err(TurnError::Tls(_)) => {}
        other => panic!("{other:?}"),
    }
    assert!(!client.client().is_allocated());
}

#[test]
fn client_ignores_forged_and_malformed_input() {
    use rand_chacha::rand_core::{RngCore, SeedableRng};
    let mut net = two_clients(LinkConfig::default());
    allocate_all(&mut net);
    let now = net.now;
    let rb = net.relayed(1);
    net.clients[0].create_permission(now, rb.ip()).unwrap();
    // Answer the CreatePermission with a forged success (no valid MESSAGE-INTEGRITY)
    // before the real one: it must be ignored, the real answer still counts.
    let t = net.clients[0].poll_transmit().unwrap();
    let req = MessageRef::decode(&t.contents).unwrap();
    let forged = Message::new(
        Class::Success,
        Method::CREATE_PERMISSION,
        req.transaction_id(),
    )
    .to_bytes(Integrity::None, true)
    .unwrap();
    assert!(net.clients[0]
        .handle_receive(now, server_addr(), &forged)
        .is_err());
    let forged_err = Message::new(
        Class::Error,
        Method::CREATE_PERMISSION,
        req.transaction_id(),
    )
    .with(crate::stun::Attribute::ErrorCode(
        crate::stun::ErrorCode::FORBIDDEN,
    ))
    .to_bytes(Integrity::None, true)
    .unwrap();
    assert!(net.clients[0]
        .handle_receive(now, server_addr(), &forged_err)
        .is_err());
    // From elsewhere: refused outright.
    assert_eq!(
        net.clients[0].handle_receive(now, client_addr(1), &forged),
        Err(TurnError::UnexpectedSource(client_addr(1)))
    );
    net.up[0].send(now, t.contents);
    net.run_for(Duration::from_secs(1));
    assert_eq!(
        net.take_events(0),
        [Event::PermissionCreated { peer: rb.ip() }]
    );
    // Random garbage: errors at most, never a panic or a state change.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for _ in 0..5000 {
        let mut d = vec![0u8; (rng.next_u32() % 120) as usize];
        rng.fill_bytes(&mut d);
        if !d.is_empty() && rng.next_u32() % 2 == 0 {
            d[0] = 0x01; // looks like a STUN response
        }
        let _ = net.clients[0].handle_receive(now, server_addr(), &d);
    }
    assert!(net.clients[0].is_allocated());
    assert!(net.take_events(0).is_empty());
}

#[test]
fn password_algorithm_negotiation() {
    use crate::stun::AttributeType as T;
    for offer in [true, false] {
        let mut server = server_config();
        server.password_algorithms = offer;
        let mut net = Net::new(
            server,
            vec![client_config("alice", "alice-pass", 1)],
            LinkConfig::default(),
        );
        allocate_all(&mut net);
        let now = net.now;
        net.clients[0]
            .create_permission(now, "192.0.2.1".parse().unwrap())
            .unwrap();
        let t = net.clients[0].poll_transmit().unwrap();
        let m = MessageRef::decode(&t.contents).unwrap();
        // RFC 8489 §9.2: SHA-256 key and MESSAGE-INTEGRITY-SHA256 when offered, else the
        // RFC 5389 MD5 key and MESSAGE-INTEGRITY.
        assert_eq!(m.get(T::MESSAGE_INTEGRITY_SHA256).is_some(), offer);
        assert_eq!(m.get(T::MESSAGE_INTEGRITY).is_some(), !offer);
        assert_eq!(m.get(T::PASSWORD_ALGORITHM).is_some(), offer);
        net.up[0].send(now, t.contents);
        net.run_for(Duration::from_secs(1));
        assert!(matches!(
            net.take_events(0).as_slice(),
            [Event::PermissionCreated { .. }]
        ));
    }
}

#[test]
fn password_algorithms_must_echo_the_offer() {
    use crate::stun::{Attribute as A, PasswordAlgorithm, PasswordAlgorithms};
    let mut s = Server::new(server_config());
    let now = Instant::now();
    let five = FiveTuple {
        client: client_addr(0),
        server: server_addr(),
        protocol: TransportProtocol::Udp,
    };
    let probe = request(Method::ALLOCATE, 1)
        .with(A::RequestedTransport(17))
        .to_bytes(Integrity::None, true)
        .unwrap();
    s.handle_client(now, five, &probe).unwrap();
    let t = s.poll_transmit().unwrap();
    let challenge = MessageRef::decode(&t.contents).unwrap();
    let nonce = challenge.nonce().unwrap().to_owned();
    assert!(nonce.starts_with("obMatJos2"));
    // Echo a downgraded list (MD5 only): 400.
    let md5_only = PasswordAlgorithms::encode(&[PasswordAlgorithm::MD5]);
    let key = crate::stun::Key::long_term("alice", "oxrtc.test", "alice-pass");
    let req = request(Method::ALLOCATE, 2)
        .with(A::RequestedTransport(17))
        .with(A::Username("alice"))
        .with(A::Realm("oxrtc.test"))
        .with(A::Nonce(&nonce))
        .with(A::PasswordAlgorithm(PasswordAlgorithm::MD5, &[]))
        .with(A::PasswordAlgorithms(
            PasswordAlgorithms::from_wire(&md5_only).unwrap(),
        ))
        .to_bytes(Integrity::Sha1(&key), true)
        .unwrap();
    s.handle_client(now, five, &req).unwrap();
    let t = s.poll_transmit().unwrap();
    assert_eq!(
        MessageRef::decode(&t.contents)
            .unwrap()
            .error_code()
            .map(|e| e.code),
        Some(400)
    );
    assert!(s.poll_event().is_none());
}

#[test]
fn channels_per_allocation_are_bounded() {
    let mut server = server_config();
    server.max_permissions = 2;
    let mut net = Net::new(
        server,
        vec![client_config("alice", "alice-pass", 1)],
        LinkConfig::default(),
    );
    allocate_all(&mut net);
    let now = net.now;
    for port in 1..=3 {
        let peer = SocketAddr::new("192.0.2.1".parse().unwrap(), port);
        net.clients[0].bind_channel(now, peer).unwrap();
    }
    net.run_for(Duration::from_secs(2));
    let ev = net.take_events(0);
    let bound = ev
        .iter()
        .filter(|e| matches!(e, Event::ChannelBound { .. }))
        .count();
    let refused = ev
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::ChannelBindFailed {
                    failure: Failure::Error { code: 508, .. },
                    ..
                }
            )
        })
        .count();
    assert_eq!((bound, refused), (2, 1), "{ev:?}");
}

#[test]
fn bandwidth_cap_is_per_user() {
    let mut server = server_config();
    server.bandwidth_limit = Some(1000);
    let mut net = Net::new(
        server,
        vec![
            client_config("alice", "alice-pass", 1),
            client_config("alice", "alice-pass", 2),
        ],
        LinkConfig::default(),
    );
    allocate_all(&mut net);
    let peer: SocketAddr = "192.0.2.44:9".parse().unwrap();
    let now = net.now;
    for c in &mut net.clients {
        c.create_permission(now, peer.ip()).unwrap();
    }
    net.run_for(Duration::from_secs(1));
    for _ in 0..3 {
        for c in &mut net.clients {
            c.send_to(peer, &[1; 400]).unwrap();
        }
    }
    net.run_for(Duration::from_millis(100));
    // Both allocations draw on alice's one 1000-byte bucket: two datagrams pass.
    assert_eq!(net.outside.len(), 2);
}
