//! Test support: a virtual network with NATs, a STUN binding server and ICE agents,
//! driven by one virtual clock over `oxrtc-netem` links.
#![allow(dead_code, unreachable_pub)]

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use oxrtc_ice::gather::{GatherEvent, SrflxConfig, SrflxGatherer};
use oxrtc_ice::stun::{Attribute, Class, Integrity, Message, MessageRef, Method};
use oxrtc_ice::tcp_framing::{frame, Deframer};
use oxrtc_ice::turn::{
    Client as TurnClient, ClientConfig as TurnClientConfig, Event as TurnEvent, FiveTuple,
    Server as TurnServer, ServerConfig as TurnServerConfig, ServerEvent, ServerTransmitKind,
    TransportProtocol,
};
use oxrtc_ice::{
    Agent, AgentConfig, AgentEvent, Candidate, ConnectionState, Datagram, Protocol, Received, Role,
};
use oxrtc_netem::{Link, LinkConfig};

/// RFC 4787 mapping and filtering behaviours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatKind {
    /// Endpoint-independent mapping and filtering.
    FullCone,
    /// Endpoint-independent mapping, address-dependent filtering.
    Restricted,
    /// Endpoint-independent mapping, address-and-port-dependent filtering.
    PortRestricted,
    /// Address-and-port-dependent mapping and filtering.
    Symmetric,
    /// Static 1:1 NAT: the public port equals the private one, no filtering.
    OneToOne,
}

struct Mapping {
    internal: SocketAddr,
    /// Symmetric NATs map per destination.
    destination: Option<SocketAddr>,
    public: SocketAddr,
    permitted: Vec<SocketAddr>,
}

/// A NAT in front of one private node.
pub struct Nat {
    pub kind: NatKind,
    pub public_ip: IpAddr,
    next_port: u16,
    mappings: Vec<Mapping>,
    /// The private IP behind a 1:1 NAT.
    pub static_host: Option<IpAddr>,
}

impl Nat {
    pub fn new(kind: NatKind, public_ip: &str) -> Self {
        Self {
            kind,
            public_ip: public_ip.parse().unwrap(),
            next_port: 40000,
            mappings: Vec::new(),
            static_host: None,
        }
    }

    fn outbound(&mut self, internal: SocketAddr, destination: SocketAddr) -> SocketAddr {
        let symmetric = self.kind == NatKind::Symmetric;
        let found = self.mappings.iter().position(|m| {
            m.internal == internal && (!symmetric || m.destination == Some(destination))
        });
        let i = match found {
            Some(i) => i,
            None => {
                let public = if self.kind == NatKind::OneToOne {
                    SocketAddr::new(self.public_ip, internal.port())
                } else {
                    self.next_port += 1;
                    SocketAddr::new(self.public_ip, self.next_port - 1)
                };
                self.mappings.push(Mapping {
                    internal,
                    destination: symmetric.then_some(destination),
                    public,
                    permitted: Vec::new(),
                });
                self.mappings.len() - 1
            }
        };
        let m = &mut self.mappings[i];
        if !m.permitted.contains(&destination) {
            m.permitted.push(destination);
        }
        m.public
    }

    fn inbound(&self, source: SocketAddr, public: SocketAddr) -> Option<SocketAddr> {
        if self.kind == NatKind::OneToOne {
            // Static: every private socket is reachable at the same port, mapped or not.
            return self
                .static_host
                .map(|ip| SocketAddr::new(ip, public.port()));
        }
        let m = self.mappings.iter().find(|m| m.public == public)?;
        let allowed = match self.kind {
            NatKind::FullCone | NatKind::OneToOne => true,
            NatKind::Restricted => m.permitted.iter().any(|p| p.ip() == source.ip()),
            NatKind::PortRestricted | NatKind::Symmetric => m.permitted.contains(&source),
        };
        allowed.then_some(m.internal)
    }
}

/// One ICE endpoint in the world.
pub struct Node {
    pub agent: Agent,
    pub nat: Option<usize>,
    /// Private (or public, without NAT) host address.
    pub host: SocketAddr,
    /// More local sockets (multi-homed nodes without NAT).
    pub extra: Vec<SocketAddr>,
    pub events: Vec<AgentEvent>,
    pub states: Vec<ConnectionState>,
    pub data: Vec<Vec<u8>>,
    /// Drop every datagram this node sends or receives (a cut cable).
    pub blackhole: bool,
    /// Server-reflexive gathering, when started.
    pub gatherer: Option<SrflxGatherer>,
    /// TURN client, when started.
    pub turn: Option<TurnClient>,
    /// The TURN allocation finished (allocated or failed).
    pub turn_done: bool,
    /// Datagrams waiting for a TURN permission.
    turn_pending: Vec<(SocketAddr, Vec<u8>)>,
}

type Packet = (SocketAddr, SocketAddr, Vec<u8>);

/// An emulated TCP connection from an active candidate (port 9) to a passive one.
struct TcpConn {
    active: usize,
    active_local: SocketAddr,
    passive: SocketAddr,
    ephemeral: SocketAddr,
}

/// The simulated world.
pub struct World {
    pub now: Instant,
    pub start: Instant,
    pub nodes: Vec<Node>,
    pub nats: Vec<Nat>,
    pub link: Link<Packet>,
    /// TCP traffic (RFC 4571 framed on the way), no NATs.
    pub tcp_link: Link<Packet>,
    tcp_conns: Vec<TcpConn>,
    next_ephemeral: u16,
    pub stun_server: Option<SocketAddr>,
    /// A TURN server on the public side: its address and core.
    pub turn_server: Option<(SocketAddr, TurnServer)>,
    next_relay_port: u16,
    /// Datagrams seen on the "internet", for assertions.
    pub delivered: u64,
}

impl World {
    pub fn new(link: LinkConfig) -> Self {
        let start = Instant::now();
        Self {
            now: start,
            start,
            nodes: Vec::new(),
            nats: Vec::new(),
            tcp_link: Link::new(LinkConfig {
                loss: 0.0,
                ..link.clone()
            }),
            link: Link::new(link),
            tcp_conns: Vec::new(),
            next_ephemeral: 50000,
            stun_server: None,
            turn_server: None,
            next_relay_port: 49152,
            delivered: 0,
        }
    }

    pub fn perfect() -> Self {
        Self::new(LinkConfig {
            latency: Duration::from_millis(10),
            ..LinkConfig::default()
        })
    }

    pub fn with_stun_server(mut self, addr: &str) -> Self {
        self.stun_server = Some(addr.parse().unwrap());
        self
    }

    /// Puts a TURN server (user `user`/`pass`) at `addr`, relaying from the same IP.
    pub fn with_turn_server(mut self, addr: &str) -> Self {
        let addr: SocketAddr = addr.parse().unwrap();
        let mut config = TurnServerConfig::new("oxrtc.test", addr.ip()).with_user("user", "pass");
        config.rng_seed = Some([42; 32]);
        // The test network's private addresses are not reachable anyway.
        config.denied_peers.clear();
        self.turn_server = Some((addr, TurnServer::new(config)));
        self
    }

    /// Starts a TURN allocation for node `n`; its relayed candidate is added when
    /// allocated.
    pub fn start_turn(&mut self, n: usize) {
        let server = self.turn_server.as_ref().expect("a TURN server").0;
        let mut config = TurnClientConfig::new(server, "user", "pass");
        config.rng_seed = Some([n as u8 + 200; 32]);
        let mut c = TurnClient::new(config);
        c.allocate(self.now).unwrap();
        self.nodes[n].turn = Some(c);
    }

    fn relay_send(&mut self, n: usize, peer: SocketAddr, data: Vec<u8>) {
        let now = self.now;
        let Some(c) = self.nodes[n].turn.as_mut() else {
            return;
        };
        if c.has_permission(peer.ip()) {
            let _ = c.send_to(peer, &data);
        } else {
            let _ = c.create_permission(now, peer.ip());
            if self.nodes[n].turn_pending.len() < 64 {
                self.nodes[n].turn_pending.push((peer, data));
            }
        }
    }

    fn flush_turn(&mut self, n: usize) {
        let Some(c) = self.nodes[n].turn.as_mut() else {
            return;
        };
        let mut out = Vec::new();
        let mut events = Vec::new();
        while let Some(t) = c.poll_transmit() {
            out.push(t);
        }
        while let Some(e) = c.poll_event() {
            events.push(e);
        }
        let host = self.nodes[n].host;
        for t in out {
            self.send_from_node(n, host, t.destination, t.contents);
        }
        for e in events {
            match e {
                TurnEvent::Allocated {
                    relayed, mapped, ..
                } => {
                    let c = Candidate::relayed(relayed, mapped.unwrap_or(host));
                    self.nodes[n].agent.add_local_candidate(c).unwrap();
                    self.nodes[n].turn_done = true;
                    self.maybe_end_gathering(n);
                }
                TurnEvent::AllocateFailed(_) => {
                    self.nodes[n].turn_done = true;
                    self.maybe_end_gathering(n);
                }
                TurnEvent::PermissionCreated { peer } => {
                    let pending = std::mem::take(&mut self.nodes[n].turn_pending);
                    for (to, data) in pending {
                        if to.ip() == peer {
                            if let Some(c) = self.nodes[n].turn.as_mut() {
                                let _ = c.send_to(to, &data);
                            }
                        } else {
                            self.nodes[n].turn_pending.push((to, data));
                        }
                    }
                }
                TurnEvent::Data { peer, data } => {
                    let relayed = self.nodes[n]
                        .turn
                        .as_ref()
                        .and_then(|c| c.relayed_address());
                    if let Some(local) = relayed {
                        let now = self.now;
                        let node = &mut self.nodes[n];
                        if let Ok(Received::Data { .. }) = node
                            .agent
                            .handle_receive(now, Datagram::udp(local, peer, &data))
                        {
                            node.data.push(data);
                        }
                    }
                }
                _ => {}
            }
        }
        // Anything the agent produced while handling relayed data goes out next flush.
    }

    fn maybe_end_gathering(&mut self, n: usize) {
        let node = &self.nodes[n];
        let gathered = node.gatherer.as_ref().is_none_or(|g| g.is_done());
        let turned = node.turn.is_none() || node.turn_done;
        if gathered && turned {
            self.nodes[n].agent.end_of_local_candidates();
        }
    }

    fn flush_turn_server(&mut self) {
        let now = self.now;
        let Some((_, server)) = self.turn_server.as_mut() else {
            return;
        };
        let mut events = Vec::new();
        while let Some(e) = server.poll_event() {
            events.push(e);
        }
        for e in events {
            if let ServerEvent::OpenRelay(req) = e {
                let relay = SocketAddr::new(req.ip, self.next_relay_port);
                self.next_relay_port += 2;
                let server = &mut self.turn_server.as_mut().unwrap().1;
                server.relay_opened(now, req.token, Some(relay));
            }
        }
        let server = &mut self.turn_server.as_mut().unwrap().1;
        let mut out = Vec::new();
        while let Some(t) = server.poll_transmit() {
            out.push(t);
        }
        for t in out {
            match t.kind {
                ServerTransmitKind::ToClient(five) => {
                    self.link.send(now, (five.server, five.client, t.contents))
                }
                ServerTransmitKind::ToPeer { relay, peer } => {
                    self.link.send(now, (relay, peer, t.contents))
                }
            }
        }
    }

    pub fn add_nat(&mut self, nat: Nat) -> usize {
        self.nats.push(nat);
        self.nats.len() - 1
    }

    pub fn add_node(&mut self, config: AgentConfig, host: &str, nat: Option<usize>) -> usize {
        self.nodes.push(Node {
            agent: Agent::new(config),
            nat,
            host: host.parse().unwrap(),
            events: Vec::new(),
            states: Vec::new(),
            data: Vec::new(),
            blackhole: false,
            gatherer: None,
            turn: None,
            turn_done: false,
            turn_pending: Vec::new(),
            extra: Vec::new(),
        });
        self.nodes.len() - 1
    }

    /// Exchanges credentials and host candidates between nodes `a` and `b` (full
    /// signaling, no trickle), and starts both.
    pub fn signal_hosts(&mut self, a: usize, b: usize) {
        let ca = self.nodes[a].agent.local_credentials().clone();
        let cb = self.nodes[b].agent.local_credentials().clone();
        self.nodes[a].agent.set_remote_credentials(cb).unwrap();
        self.nodes[b].agent.set_remote_credentials(ca).unwrap();
        let ha = Candidate::host(self.nodes[a].host);
        let hb = Candidate::host(self.nodes[b].host);
        self.nodes[a].agent.add_local_candidate(ha.clone()).unwrap();
        self.nodes[b].agent.add_local_candidate(hb.clone()).unwrap();
        self.nodes[a].agent.add_remote_candidate(hb).unwrap();
        self.nodes[b].agent.add_remote_candidate(ha).unwrap();
    }

    /// Sends every `LocalCandidate` event of `from` to `to` as a remote candidate.
    pub fn trickle(&mut self, from: usize, to: usize) {
        let cands: Vec<Candidate> = self.nodes[from]
            .events
            .iter()
            .filter_map(|e| match e {
                AgentEvent::LocalCandidate(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        for c in cands {
            let _ = self.nodes[to].agent.add_remote_candidate(c);
        }
    }

    pub fn end_of_candidates(&mut self, a: usize, b: usize) {
        for n in [a, b] {
            self.nodes[n].agent.end_of_local_candidates();
        }
        self.nodes[a].agent.end_of_remote_candidates();
        self.nodes[b].agent.end_of_remote_candidates();
    }

    pub fn state(&self, n: usize) -> ConnectionState {
        self.nodes[n].agent.connection_state()
    }

    fn send_tcp(&mut self, n: usize, local: SocketAddr, remote: SocketAddr, data: Vec<u8>) {
        if self.nodes[n].blackhole {
            return;
        }
        let mut wire = Vec::new();
        frame(&data, &mut wire).unwrap();
        let src = if let Some(c) = self
            .tcp_conns
            .iter()
            .find(|c| c.active == n && c.active_local == local && c.passive == remote)
        {
            c.ephemeral
        } else if self
            .tcp_conns
            .iter()
            .any(|c| c.passive == local && c.ephemeral == remote)
        {
            local
        } else if local.port() == 9 {
            // An active candidate opens a connection on its first send.
            let ephemeral = SocketAddr::new(local.ip(), self.next_ephemeral);
            self.next_ephemeral += 1;
            self.tcp_conns.push(TcpConn {
                active: n,
                active_local: local,
                passive: remote,
                ephemeral,
            });
            ephemeral
        } else {
            // A passive candidate cannot open connections.
            return;
        };
        self.tcp_link.send(self.now, (src, remote, wire));
    }

    fn deliver_tcp(&mut self, (src, dst, wire): Packet) {
        let mut d = Deframer::new();
        d.push(&wire).unwrap();
        let data = d.next_frame().unwrap();
        let target = if let Some(n) = self.nodes.iter().position(|n| n.host == dst) {
            (n, dst)
        } else if let Some(c) = self
            .tcp_conns
            .iter()
            .find(|c| c.ephemeral == dst && c.passive == src)
        {
            (c.active, c.active_local)
        } else {
            return;
        };
        let (n, local) = target;
        if self.nodes[n].blackhole {
            return;
        }
        let now = self.now;
        let dgram = Datagram {
            protocol: Protocol::Tcp,
            local,
            remote: src,
            data: &data,
        };
        if let Ok(Received::Data { .. }) = self.nodes[n].agent.handle_receive(now, dgram) {
            self.nodes[n].data.push(data);
        }
    }

    fn send_from_node(&mut self, n: usize, local: SocketAddr, remote: SocketAddr, data: Vec<u8>) {
        if self.nodes[n].blackhole {
            return;
        }
        let src = match self.nodes[n].nat {
            Some(nat) => self.nats[nat].outbound(local, remote),
            None => local,
        };
        self.link.send(self.now, (src, remote, data));
    }

    /// Adds node `n`'s host candidate and starts gathering a server-reflexive one from
    /// the world's STUN server.
    pub fn start_gathering(&mut self, n: usize) {
        let host = self.nodes[n].host;
        self.nodes[n]
            .agent
            .add_local_candidate(Candidate::host(host))
            .unwrap();
        let server = self.stun_server.expect("a STUN server");
        let mut g = SrflxGatherer::new(SrflxConfig {
            rng_seed: Some([n as u8 + 100; 32]),
            ..SrflxConfig::default()
        });
        g.add_query(host, server);
        g.handle_timeout(self.now);
        self.nodes[n].gatherer = Some(g);
    }

    /// Gathers on both nodes, then exchanges credentials, every candidate and
    /// end-of-candidates (non-trickle signaling, as with complete SDP).
    pub fn gather_and_signal(&mut self, a: usize, b: usize) {
        self.start_gathering(a);
        self.start_gathering(b);
        let done = self.run_until(Duration::from_secs(10), |w| {
            w.nodes[a].agent.gathering_state() == oxrtc_ice::GatheringState::Complete
                && w.nodes[b].agent.gathering_state() == oxrtc_ice::GatheringState::Complete
        });
        assert!(done, "gathering did not finish");
        let ca = self.nodes[a].agent.local_credentials().clone();
        let cb = self.nodes[b].agent.local_credentials().clone();
        self.nodes[a].agent.set_remote_credentials(cb).unwrap();
        self.nodes[b].agent.set_remote_credentials(ca).unwrap();
        self.trickle(a, b);
        self.trickle(b, a);
        self.nodes[a].agent.end_of_remote_candidates();
        self.nodes[b].agent.end_of_remote_candidates();
    }

    fn flush(&mut self) {
        self.flush_turn_server();
        for n in 0..self.nodes.len() {
            self.flush_turn(n);
            if let Some(g) = &mut self.nodes[n].gatherer {
                let mut out = Vec::new();
                let mut found = Vec::new();
                while let Some(t) = g.poll_transmit() {
                    out.push(t);
                }
                while let Some(e) = g.poll_event() {
                    found.push(e);
                }
                for t in out {
                    self.send_from_node(n, t.local, t.remote, t.data);
                }
                for e in found {
                    match e {
                        GatherEvent::Candidate(c) => {
                            self.nodes[n].agent.add_local_candidate(c).unwrap();
                        }
                        GatherEvent::Done => self.maybe_end_gathering(n),
                        GatherEvent::Timeout { .. } => {}
                    }
                }
            }
            while let Some(t) = self.nodes[n].agent.poll_transmit() {
                let relayed = self.nodes[n]
                    .turn
                    .as_ref()
                    .and_then(|c| c.relayed_address());
                match t.protocol {
                    Protocol::Udp if Some(t.local) == relayed => {
                        self.relay_send(n, t.remote, t.data)
                    }
                    Protocol::Udp => self.send_from_node(n, t.local, t.remote, t.data),
                    Protocol::Tcp => self.send_tcp(n, t.local, t.remote, t.data),
                }
            }
            while let Some(e) = self.nodes[n].agent.poll_event() {
                if let AgentEvent::ConnectionStateChanged(s) = e {
                    self.nodes[n].states.push(s);
                }
                self.nodes[n].events.push(e);
            }
        }
    }

    fn deliver(&mut self, (src, dst, data): Packet) {
        self.delivered += 1;
        if self.stun_server == Some(dst) {
            // A public STUN server answering Binding requests (RFC 8489 §7.3).
            if let Ok(req) = MessageRef::decode(&data) {
                if req.class() == Class::Request && req.method() == Method::BINDING {
                    let resp = Message::success_to(&req)
                        .with(Attribute::XorMappedAddress(src))
                        .to_bytes(Integrity::None, true)
                        .unwrap();
                    self.link.send(self.now, (dst, src, resp));
                }
            }
            return;
        }
        if let Some((addr, server)) = self.turn_server.as_mut() {
            let now = self.now;
            if *addr == dst {
                let five = FiveTuple {
                    client: src,
                    server: dst,
                    protocol: TransportProtocol::Udp,
                };
                let _ = server.handle_client(now, five, &data);
                return;
            }
            if addr.ip() == dst.ip() {
                server.handle_peer(now, dst, src, &data);
                return;
            }
        }
        // A NAT's public address?
        let mut target = None;
        for (i, nat) in self.nats.iter().enumerate() {
            if nat.public_ip == dst.ip() {
                if let Some(internal) = nat.inbound(src, dst) {
                    target = self
                        .nodes
                        .iter()
                        .position(|n| n.nat == Some(i) && n.host == internal)
                        .map(|n| (n, internal));
                }
                if target.is_none() {
                    return;
                }
            }
        }
        if target.is_none() {
            target = self
                .nodes
                .iter()
                .position(|n| n.nat.is_none() && (n.host == dst || n.extra.contains(&dst)))
                .map(|n| (n, dst));
        }
        let Some((n, local)) = target else {
            return;
        };
        if self.nodes[n].blackhole {
            return;
        }
        let now = self.now;
        let node = &mut self.nodes[n];
        if let Some(g) = &mut node.gatherer {
            if g.handle_receive(now, Datagram::udp(local, src, &data)) {
                return;
            }
        }
        if let Some(c) = &mut node.turn {
            if c.server() == src {
                let _ = c.handle_receive(now, src, &data);
                return;
            }
        }
        if let Ok(Received::Data { .. }) = node
            .agent
            .handle_receive(now, Datagram::udp(local, src, &data))
        {
            node.data.push(data);
        }
    }

    /// Advances the world until `done` holds or `limit` of virtual time passes.
    /// Returns whether `done` held.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&World) -> bool) -> bool {
        let deadline = self.now + limit;
        let mut same_instant = 0u32;
        for n in 0..self.nodes.len() {
            let now = self.now;
            self.nodes[n].agent.handle_timeout(now);
        }
        loop {
            self.flush();
            if done(self) {
                return true;
            }
            let mut next = self.link.poll_timeout();
            if let Some(t) = self.turn_server.as_ref().and_then(|s| s.1.poll_timeout()) {
                next = Some(next.map_or(t, |n: Instant| n.min(t)));
            }
            if let Some(t) = self.tcp_link.poll_timeout() {
                next = Some(next.map_or(t, |n: Instant| n.min(t)));
            }
            for node in &self.nodes {
                let g = node.gatherer.as_ref().and_then(|g| g.poll_timeout());
                let c = node.turn.as_ref().and_then(|c| c.poll_timeout());
                for t in [node.agent.poll_timeout(), g, c].into_iter().flatten() {
                    next = Some(next.map_or(t, |n: Instant| n.min(t)));
                }
            }
            let Some(next) = next else {
                return false;
            };
            if next > deadline {
                self.now = deadline;
                return done(self);
            }
            if next <= self.now {
                same_instant += 1;
                assert!(
                    same_instant < 10_000,
                    "busy loop at {:?}",
                    self.now - self.start
                );
            } else {
                same_instant = 0;
                self.now = next;
            }
            while let Some(p) = self.link.recv(self.now) {
                self.deliver(p);
                self.flush();
            }
            while let Some(p) = self.tcp_link.recv(self.now) {
                self.deliver_tcp(p);
                self.flush();
            }
            if let Some((_, s)) = self.turn_server.as_mut() {
                if s.poll_timeout().is_some_and(|t| t <= self.now) {
                    s.handle_timeout(self.now);
                }
            }
            for n in 0..self.nodes.len() {
                let now = self.now;
                if self.nodes[n].agent.poll_timeout().is_some_and(|t| t <= now) {
                    self.nodes[n].agent.handle_timeout(now);
                }
                if let Some(g) = &mut self.nodes[n].gatherer {
                    if g.poll_timeout().is_some_and(|t| t <= now) {
                        g.handle_timeout(now);
                    }
                }
                if let Some(c) = &mut self.nodes[n].turn {
                    if c.poll_timeout().is_some_and(|t| t <= now) {
                        c.handle_timeout(now);
                    }
                }
            }
        }
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        self.run_until(d, |_| false);
    }

    /// Sends application data from node `n` over its selected path.
    pub fn send_data(&mut self, n: usize, data: &[u8]) -> bool {
        let now = self.now;
        let Some(path) = self.nodes[n].agent.send_path(now) else {
            return false;
        };
        let relayed = self.nodes[n]
            .turn
            .as_ref()
            .and_then(|c| c.relayed_address());
        match path.protocol {
            Protocol::Udp if Some(path.local) == relayed => {
                self.relay_send(n, path.remote, data.to_vec())
            }
            Protocol::Udp => self.send_from_node(n, path.local, path.remote, data.to_vec()),
            Protocol::Tcp => self.send_tcp(n, path.local, path.remote, data.to_vec()),
        }
        true
    }

    pub fn connected(&self, n: usize) -> bool {
        matches!(
            self.state(n),
            ConnectionState::Connected | ConnectionState::Completed
        )
    }
}

/// A config with a seed derived from `seed` and the given role.
pub fn config(role: Role, seed: u8) -> AgentConfig {
    AgentConfig {
        role,
        rng_seed: Some([seed; 32]),
        ..AgentConfig::default()
    }
}

/// The data-plane check: a payload from `a` arrives at `b` and back.
pub fn assert_data_flows(w: &mut World, a: usize, b: usize) {
    let before_b = w.nodes[b].data.len();
    let before_a = w.nodes[a].data.len();
    // DTLS-looking first byte so it is not mistaken for STUN.
    assert!(w.send_data(a, &[23, 1, 2, 3]));
    assert!(w.send_data(b, &[23, 4, 5, 6]));
    let ok = w.run_until(Duration::from_secs(1), |w| {
        w.nodes[b].data.len() > before_b && w.nodes[a].data.len() > before_a
    });
    assert!(ok, "application data did not flow between {a} and {b}");
    assert_eq!(w.nodes[b].data.last().unwrap(), &vec![23, 1, 2, 3]);
    assert_eq!(w.nodes[a].data.last().unwrap(), &vec![23, 4, 5, 6]);
}
