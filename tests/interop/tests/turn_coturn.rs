//! TURN interop on loopback:
//! - our `oxrtc_ice::turn::Client` against coturn's `turnserver` (UDP, TCP, and TLS
//!   with `TlsClient`);
//! - coturn's `turnutils_uclient` against our `oxrtc_ice::turn::Server` (UDP, TCP, Send
//!   indications), with its loss and packet counts parsed;
//! - our client against our server over real sockets.
//!
//! In every client test two clients exchange data only through their relays: each sends
//! only to the TURN server address, to the other's relayed address as peer, and sees data
//! arriving from the other's relayed address.
//!
//! The server side here is the sans-IO core under a small std-socket driver (one thread,
//! non-blocking sockets); `examples/turn-server.rs` is the tokio driver users deploy.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use oxrtc_ice::stun::{Class, Integrity, Message, MessageRef, Method, TransactionId};
use oxrtc_ice::turn::{
    frame_len, rustls, Client, ClientConfig, ClientTransport, Event, FiveTuple, Server,
    ServerConfig, ServerEvent, ServerTransmitKind, TlsClient, TransportProtocol,
};
use oxrtc_interop::require_program;

const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// A port free for both UDP and TCP on 127.0.0.1 right now.
fn free_port() -> u16 {
    free_port_on(IpAddr::V4(LOCALHOST))
}

/// A port free for both UDP and TCP on `ip` right now.
fn free_port_on(ip: IpAddr) -> u16 {
    for _ in 0..100 {
        let Ok(u) = UdpSocket::bind((ip, 0)) else {
            continue;
        };
        let port = u.local_addr().unwrap().port();
        if TcpListener::bind((ip, port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port");
}

/// A process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until a STUN Binding request to `addr` is answered.
fn wait_for_stun(addr: SocketAddr) {
    let sock = UdpSocket::bind((addr.ip(), 0)).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let req = Message::new(Class::Request, Method::BINDING, TransactionId([7; 12]))
        .to_bytes(Integrity::None, true)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 1500];
    while Instant::now() < deadline {
        let _ = sock.send_to(&req, addr);
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            if MessageRef::decode(&buf[..n]).is_ok_and(|m| m.class() == Class::Success) {
                return;
            }
        }
    }
    panic!("TURN server at {addr} never answered a Binding request");
}

/// Starts coturn on `port` (UDP and TCP), and with `tls` = (port, directory holding
/// cert.pem and key.pem) also TLS.
fn start_coturn(port: u16, tls: Option<(u16, &std::path::Path)>) -> Option<Process> {
    let turnserver = require_program("turnserver")?;
    let min_port = 20_000 + (port % 20_000);
    let mut cmd = Command::new(turnserver);
    match tls {
        None => {
            cmd.arg("--no-tls");
        }
        Some((tls_port, dir)) => {
            cmd.arg("--tls-listening-port")
                .arg(tls_port.to_string())
                .arg("--cert")
                .arg(dir.join("cert.pem"))
                .arg("--pkey")
                .arg(dir.join("key.pem"));
        }
    }
    let child = cmd
        .args([
            "-n",
            "--no-dtls",
            "--lt-cred-mech",
            "--user",
            "u:p",
            "--realm",
            "r",
            "--allow-loopback-peers",
            "--relay-ip",
            "127.0.0.1",
            "--listening-ip",
            "127.0.0.1",
            "--no-cli",
            "--pidfile",
            &format!("/tmp/oxrtc-coturn-{port}.pid"),
            "--listening-port",
            &port.to_string(),
            "--min-port",
            &min_port.to_string(),
            "--max-port",
            &(min_port + 200).to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn turnserver");
    let p = Process(child);
    wait_for_stun(SocketAddr::from((LOCALHOST, port)));
    Some(p)
}

/// Our server core driven over real loopback sockets by one thread.
struct OurServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for OurServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn start_our_server(config: ServerConfig) -> OurServer {
    start_our_server_on(IpAddr::V4(LOCALHOST), config)
}

/// A UDP socket and a TCP listener on one port, kept bound: probing for a free port and
/// binding it later races with every other test binding ephemeral ports meanwhile.
fn bind_udp_and_tcp(ip: IpAddr) -> (SocketAddr, UdpSocket, TcpListener) {
    for _ in 0..100 {
        let Ok(udp) = UdpSocket::bind((ip, 0)) else {
            continue;
        };
        let addr = udp.local_addr().unwrap();
        if let Ok(listener) = TcpListener::bind(addr) {
            return (addr, udp, listener);
        }
    }
    panic!("no free loopback port for both UDP and TCP");
}

fn start_our_server_on(ip: IpAddr, config: ServerConfig) -> OurServer {
    let (addr, udp, listener) = bind_udp_and_tcp(ip);
    udp.set_nonblocking(true).unwrap();
    listener.set_nonblocking(true).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut server = Server::new(config);
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        server.set_unix_time(Instant::now(), unix);
        let mut relays: HashMap<SocketAddr, UdpSocket> = HashMap::new();
        let mut conns: HashMap<FiveTuple, (TcpStream, Vec<u8>)> = HashMap::new();
        let mut buf = vec![0u8; 65_536];
        while !stop2.load(Ordering::Relaxed) {
            let mut busy = false;
            let now = Instant::now();
            while let Ok((n, from)) = udp.recv_from(&mut buf) {
                busy = true;
                let five = FiveTuple {
                    client: from,
                    server: addr,
                    protocol: TransportProtocol::Udp,
                };
                let _ = server.handle_client(now, five, &buf[..n]);
            }
            while let Ok((s, from)) = listener.accept() {
                s.set_nonblocking(true).unwrap();
                s.set_nodelay(true).unwrap();
                let five = FiveTuple {
                    client: from,
                    server: addr,
                    protocol: TransportProtocol::Tcp,
                };
                conns.insert(five, (s, Vec::new()));
            }
            let mut closed = Vec::new();
            for (five, (s, rx)) in conns.iter_mut() {
                loop {
                    match s.read(&mut buf) {
                        Ok(0) => {
                            closed.push(*five);
                            break;
                        }
                        Ok(n) => {
                            busy = true;
                            rx.extend_from_slice(&buf[..n]);
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => {
                            closed.push(*five);
                            break;
                        }
                    }
                }
                while let Ok(Some(len)) = frame_len(rx) {
                    if len > rx.len() {
                        break;
                    }
                    let frame: Vec<u8> = rx.drain(..len).collect();
                    let _ = server.handle_client(now, *five, &frame);
                }
            }
            for five in closed {
                conns.remove(&five);
                server.client_closed(five);
            }
            for (relay, s) in &relays {
                while let Ok((n, peer)) = s.recv_from(&mut buf) {
                    busy = true;
                    server.handle_peer(now, *relay, peer, &buf[..n]);
                }
            }
            if server.poll_timeout().is_some_and(|t| t <= now) {
                server.handle_timeout(now);
            }
            while let Some(ev) = server.poll_event() {
                match ev {
                    ServerEvent::OpenRelay(r) => {
                        let mut opened = (None, None);
                        for _ in 0..32 {
                            let Ok(s) = UdpSocket::bind(SocketAddr::new(r.ip, 0)) else {
                                continue;
                            };
                            let a = s.local_addr().unwrap();
                            if r.even_port && a.port() % 2 == 1 {
                                continue;
                            }
                            let next = if r.reserve_next {
                                match UdpSocket::bind(SocketAddr::new(r.ip, a.port() + 1)) {
                                    Ok(n) => Some(n),
                                    Err(_) => continue,
                                }
                            } else {
                                None
                            };
                            s.set_nonblocking(true).unwrap();
                            relays.insert(a, s);
                            let b = next.map(|n| {
                                n.set_nonblocking(true).unwrap();
                                let b = n.local_addr().unwrap();
                                relays.insert(b, n);
                                b
                            });
                            opened = (Some(a), b);
                            break;
                        }
                        server.relay_opened_with_reservation(now, r.token, opened.0, opened.1);
                    }
                    ServerEvent::CloseRelay { relay } => {
                        relays.remove(&relay);
                    }
                    _ => {}
                }
            }
            while let Some(t) = server.poll_transmit() {
                busy = true;
                match t.kind {
                    ServerTransmitKind::ToClient(five) => match five.protocol {
                        TransportProtocol::Udp => {
                            let _ = udp.send_to(&t.contents, five.client);
                        }
                        TransportProtocol::Tcp => {
                            if let Some((s, _)) = conns.get_mut(&five) {
                                let _ = s.set_nonblocking(false);
                                let _ = s.write_all(&t.contents);
                                let _ = s.set_nonblocking(true);
                            }
                        }
                    },
                    ServerTransmitKind::ToPeer { relay, peer } => {
                        if let Some(s) = relays.get(&relay) {
                            let _ = s.send_to(&t.contents, peer);
                        }
                    }
                }
            }
            if !busy {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    });
    wait_for_stun(addr);
    OurServer {
        addr,
        stop,
        thread: Some(thread),
    }
}

enum Socket {
    Udp(UdpSocket),
    Tcp(TcpStream),
}

/// How one of our clients reaches the server.
#[derive(Clone)]
enum Via {
    Udp,
    Tcp,
    /// TLS over TCP, trusting this configuration's roots for "localhost".
    Tls(Arc<rustls::ClientConfig>),
}

enum Inner {
    Plain(Box<Client>),
    Tls(Box<TlsClient>),
}

/// One of our clients on a real socket.
struct Peer {
    socket: Socket,
    inner: Inner,
    server: SocketAddr,
    events: Vec<Event>,
}

impl Peer {
    fn new(server: SocketAddr, via: &Via, user: &str, pass: &str) -> Self {
        let socket = match via {
            Via::Udp => {
                let s = UdpSocket::bind((server.ip(), 0)).unwrap();
                s.set_nonblocking(true).unwrap();
                Socket::Udp(s)
            }
            Via::Tcp | Via::Tls(_) => {
                let s = TcpStream::connect(server).unwrap();
                s.set_nodelay(true).unwrap();
                s.set_nonblocking(true).unwrap();
                Socket::Tcp(s)
            }
        };
        let mut config = ClientConfig::new(server, user, pass);
        config.software = Some("oxrtc interop".into());
        let inner = match via {
            Via::Udp => Inner::Plain(Box::new(Client::new(config))),
            Via::Tcp => {
                config.transport = ClientTransport::Stream;
                Inner::Plain(Box::new(Client::new(config)))
            }
            Via::Tls(tls) => Inner::Tls(Box::new(
                TlsClient::new(config, tls.clone(), "localhost".try_into().unwrap()).unwrap(),
            )),
        };
        Self {
            socket,
            inner,
            server,
            events: Vec::new(),
        }
    }

    fn client(&self) -> &Client {
        match &self.inner {
            Inner::Plain(c) => c,
            Inner::Tls(t) => t.client(),
        }
    }

    fn c(&mut self) -> &mut Client {
        match &mut self.inner {
            Inner::Plain(c) => c,
            Inner::Tls(t) => t.client_mut(),
        }
    }

    /// One round: send what is queued, receive what is there, run timers. True if
    /// anything moved.
    fn poll(&mut self) -> bool {
        let mut busy = false;
        loop {
            let t = match &mut self.inner {
                Inner::Plain(c) => c.poll_transmit(),
                Inner::Tls(t) => t.poll_transmit(),
            };
            let Some(t) = t else {
                break;
            };
            // Relay-only: we never address anything but the TURN server.
            assert_eq!(t.destination, self.server);
            busy = true;
            match &mut self.socket {
                Socket::Udp(s) => {
                    s.send_to(&t.contents, self.server).unwrap();
                }
                Socket::Tcp(s) => {
                    s.set_nonblocking(false).unwrap();
                    s.write_all(&t.contents).unwrap();
                    s.set_nonblocking(true).unwrap();
                }
            }
        }
        let mut buf = [0u8; 65_536];
        loop {
            let now = Instant::now();
            let got = match &mut self.socket {
                Socket::Udp(s) => s.recv_from(&mut buf),
                Socket::Tcp(s) => s.read(&mut buf).map(|n| (n, self.server)),
            };
            match got {
                Ok((0, _)) => break,
                Ok((n, from)) => {
                    busy = true;
                    let r = match &mut self.inner {
                        Inner::Plain(c) => c.handle_receive(now, from, &buf[..n]),
                        Inner::Tls(t) => t.handle_receive(now, from, &buf[..n]),
                    };
                    if let Err(e) = r {
                        eprintln!("client receive error: {e}");
                    }
                }
                Err(_) => break,
            }
        }
        let now = Instant::now();
        let c = self.c();
        if c.poll_timeout().is_some_and(|t| t <= now) {
            c.handle_timeout(now);
        }
        while let Some(e) = self.c().poll_event() {
            busy = true;
            self.events.push(e);
        }
        busy
    }
}

/// Polls both peers until `done` holds or 10 s pass.
fn drive(peers: &mut [Peer; 2], mut done: impl FnMut(&[Peer; 2]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(peers) {
        assert!(
            Instant::now() < deadline,
            "timed out; events: {:?} / {:?}",
            peers[0].events,
            peers[1].events
        );
        let a = peers[0].poll();
        let b = peers[1].poll();
        if !a && !b {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn count_data(p: &Peer, from: SocketAddr) -> usize {
    p.events
        .iter()
        .filter(|e| matches!(e, Event::Data { peer, .. } if *peer == from))
        .count()
}

/// Two of our clients exchange data only through their relays (client i talks to
/// `servers[i]`, both addresses of one TURN server).
fn exchange_through_relays(servers: [SocketAddr; 2], via: [Via; 2], user: &str, pass: &str) {
    let mut peers = [
        Peer::new(servers[0], &via[0], user, pass),
        Peer::new(servers[1], &via[1], user, pass),
    ];
    let now = Instant::now();
    for p in &mut peers {
        p.c().allocate(now).unwrap();
    }
    drive(&mut peers, |p| p.iter().all(|p| p.client().is_allocated()));
    let ra = peers[0].c().relayed_address().unwrap();
    let rb = peers[1].c().relayed_address().unwrap();
    assert_ne!(ra, rb);
    assert!(ra.ip().is_loopback() && ra.is_ipv4() == servers[0].is_ipv4());

    let now = Instant::now();
    peers[0].c().create_permission(now, rb.ip()).unwrap();
    peers[1].c().create_permission(now, ra.ip()).unwrap();
    drive(&mut peers, |p| {
        p[0].client().has_permission(rb.ip()) && p[1].client().has_permission(ra.ip())
    });

    // Send/Data indications.
    peers[0].c().send_to(rb, b"ping through the relay").unwrap();
    drive(&mut peers, |p| count_data(&p[1], ra) == 1);
    assert!(peers[1].events.contains(&Event::Data {
        peer: ra,
        data: b"ping through the relay".to_vec()
    }));
    peers[1].c().send_to(ra, b"pong").unwrap();
    drive(&mut peers, |p| count_data(&p[0], rb) == 1);

    // Channels.
    let now = Instant::now();
    peers[0].c().bind_channel(now, rb).unwrap();
    peers[1].c().bind_channel(now, ra).unwrap();
    drive(&mut peers, |p| {
        p.iter().all(|p| {
            p.events
                .iter()
                .any(|e| matches!(e, Event::ChannelBound { .. }))
        })
    });
    for i in 0..50u32 {
        peers[0].c().send_to(rb, &i.to_be_bytes()).unwrap();
        peers[1].c().send_to(ra, &(1000 + i).to_be_bytes()).unwrap();
        peers[0].poll();
        peers[1].poll();
    }
    // Loopback UDP may in principle drop under load; TCP must deliver all.
    let reliable = via.iter().all(|v| !matches!(v, Via::Udp));
    let want = if reliable { 51 } else { 45 };
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline
        && (count_data(&peers[1], ra) < 51 || count_data(&peers[0], rb) < 51)
    {
        peers[0].poll();
        peers[1].poll();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        count_data(&peers[1], ra) >= want,
        "{}",
        count_data(&peers[1], ra)
    );
    assert!(
        count_data(&peers[0], rb) >= want,
        "{}",
        count_data(&peers[0], rb)
    );

    let now = Instant::now();
    for p in &mut peers {
        p.c().close(now);
    }
    drive(&mut peers, |p| {
        p.iter().all(|p| p.events.contains(&Event::Closed))
    });
}

#[test]
fn our_client_against_coturn_udp() {
    let port = free_port();
    let Some(_coturn) = start_coturn(port, None) else {
        return;
    };
    let server = SocketAddr::from((LOCALHOST, port));
    exchange_through_relays([server; 2], [Via::Udp, Via::Udp], "u", "p");
}

#[test]
fn our_client_against_coturn_tcp() {
    let port = free_port();
    let Some(_coturn) = start_coturn(port, None) else {
        return;
    };
    let server = SocketAddr::from((LOCALHOST, port));
    exchange_through_relays([server; 2], [Via::Tcp, Via::Tcp], "u", "p");
}

/// A self-signed certificate for "localhost" made by the openssl CLI, and a rustls
/// client configuration that trusts it.
fn localhost_certificate(dir: &std::path::Path) -> Option<Arc<rustls::ClientConfig>> {
    use rustls::pki_types::pem::PemObject;
    let openssl = require_program("openssl")?;
    let status = Command::new(openssl)
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            // An end-entity certificate (openssl makes a CA by default, which webpki
            // refuses as a server certificate).
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
        ])
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "openssl req failed");
    let cert = rustls::pki_types::CertificateDer::from_pem_file(dir.join("cert.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    Some(Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

#[test]
fn our_tls_client_against_coturn() {
    let dir = std::env::temp_dir().join(format!("oxrtc-turn-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(tls) = localhost_certificate(&dir) else {
        return;
    };
    let port = free_port();
    let tls_port = free_port();
    let Some(_coturn) = start_coturn(port, Some((tls_port, &dir))) else {
        return;
    };
    // One client over TLS, the other over UDP: data crosses both relays.
    exchange_through_relays(
        [
            SocketAddr::from((LOCALHOST, tls_port)),
            SocketAddr::from((LOCALHOST, port)),
        ],
        [Via::Tls(tls), Via::Udp],
        "u",
        "p",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn our_config() -> ServerConfig {
    ServerConfig::new("r", IpAddr::from(LOCALHOST))
        .with_user("u", "p")
        .allow_loopback_peers()
}

#[test]
fn our_client_against_our_server() {
    let server = start_our_server(our_config());
    exchange_through_relays([server.addr; 2], [Via::Udp, Via::Udp], "u", "p");
    exchange_through_relays([server.addr; 2], [Via::Tcp, Via::Tcp], "u", "p");
    exchange_through_relays([server.addr; 2], [Via::Tcp, Via::Udp], "u", "p");
}

#[test]
fn our_client_against_our_server_ipv6() {
    let ip = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
    if UdpSocket::bind((ip, 0)).is_err() {
        eprintln!("skipping: no IPv6 loopback here");
        return;
    }
    let config = ServerConfig::new("r", ip)
        .with_user("u", "p")
        .allow_loopback_peers();
    let server = start_our_server_on(ip, config);
    exchange_through_relays([server.addr; 2], [Via::Udp, Via::Tcp], "u", "p");
}

/// Counts from `turnutils_uclient`'s summary.
#[derive(Debug)]
struct UclientReport {
    sent: u64,
    received: u64,
    lost: u64,
}

fn parse_uclient(out: &str) -> Option<UclientReport> {
    let field = |line: &str, key: &str| -> Option<u64> {
        let rest = &line[line.find(key)? + key.len()..];
        rest.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    let totals = out
        .lines()
        .rev()
        .find(|l| l.contains("start_mclient: tot_send_msgs="))?;
    let lost_line = out
        .lines()
        .rev()
        .find(|l| l.contains("Total lost packets"))?;
    Some(UclientReport {
        sent: field(totals, "tot_send_msgs=")?,
        received: field(totals, "tot_recv_msgs=")?,
        lost: field(lost_line, "Total lost packets")?,
    })
}

fn run_uclient(port: u16, extra: &[&str]) -> Option<UclientReport> {
    let uclient = require_program("turnutils_uclient")?;
    let port = port.to_string();
    let mut args = vec![
        "-c", "-y", "-u", "u", "-w", "p", "-n", "40", "-m", "2", "-p", &port,
    ];
    args.extend_from_slice(extra);
    args.push("127.0.0.1");
    let mut child = Command::new(uclient)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn turnutils_uclient");
    // Bound the run: uclient hangs on some failures.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "turnutils_uclient did not finish"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "uclient {extra:?} failed:\n{text}");
    let report = parse_uclient(&text).unwrap_or_else(|| panic!("no summary in:\n{text}"));
    eprintln!("turnutils_uclient {extra:?}: {report:?}");
    Some(report)
}

#[test]
fn coturn_uclient_against_our_server() {
    let server = start_our_server(our_config());
    let port = server.addr.port();
    // UDP with channels, TCP with channels, UDP with Send indications; each with "-c"
    // (RTP only), then UDP with RTCP too (EVEN-PORT R=1 and RESERVATION-TOKEN).
    for extra in [&["-c"][..], &["-c", "-t"][..], &["-c", "-s"][..], &[][..]] {
        let Some(r) = run_uclient(port, extra) else {
            return;
        };
        // 2 clients × 40 messages each way, client-to-client through the relay.
        assert!(r.sent >= 80, "{extra:?}: {r:?}");
        assert_eq!(r.received, r.sent, "{extra:?}: {r:?}");
        assert_eq!(r.lost, 0, "{extra:?}: {r:?}");
    }
}

#[test]
fn coturn_uclient_rest_api_credentials_against_our_server() {
    // uclient derives "timestamp:u" and base64(HMAC-SHA1(secret, username)) itself: the
    // TURN REST API formula checked against coturn's own implementation of it.
    let mut config = our_config();
    config.users.clear();
    config.rest_secret = Some("s3cret".into());
    let server = start_our_server(config);
    let Some(r) = run_uclient(server.addr.port(), &["-c", "-W", "s3cret"]) else {
        return;
    };
    assert_eq!(r.received, r.sent);
    assert!(r.sent >= 80);
}

#[test]
fn coturn_uclient_against_coturn_baseline() {
    // The same run against coturn itself, so a failure above can be told apart from a
    // uclient quirk.
    let port = free_port();
    let Some(_coturn) = start_coturn(port, None) else {
        return;
    };
    let Some(r) = run_uclient(port, &["-c"]) else {
        return;
    };
    assert_eq!(r.received, r.sent);
}

#[test]
fn uclient_summary_parses() {
    let sample = "6: : start_mclient: tot_send_msgs=100, tot_recv_msgs=98\n\
                  6: : Total lost packets 2 (2.000000%), total send dropped 0 (0.000000%)\n";
    let r = parse_uclient(sample).unwrap();
    assert_eq!((r.sent, r.received, r.lost), (100, 98, 2));
}
