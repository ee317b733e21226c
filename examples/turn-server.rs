//! A TURN server (RFC 8656) serving UDP and TCP on one address, driving the sans-IO
//! `oxrtc_ice::turn::Server` core with tokio.
//!
//! ```text
//! cargo run --release --example turn-server -- --listen 127.0.0.1:3478 --realm example.org \
//!     --user alice:secret [--user ...] --relay-ip 127.0.0.1 [--allow-loopback-peers] \
//!     [--rest-secret SECRET] [--quota N] [--bandwidth BYTES_PER_SEC] [--deny CIDR ...] \
//!     [--tls-listen ADDR --cert CERT.pem --key KEY.pem]
//! ```
//!
//! With `--tls-listen`, TURN over TLS (`turns:`) is served there too, through rustls.
//!
//! One task owns the server core; socket tasks (the UDP listener, one reader per TCP
//! connection, one reader per relay socket) hand it what they receive over a channel, and
//! it sends what the core asks. Relay sockets are bound on `--relay-ip` with an
//! OS-chosen port when the core asks for one.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use oxrtc_ice::turn::rustls;
use oxrtc_ice::turn::{
    frame_len, FiveTuple, IpPrefix, Server, ServerConfig, ServerEvent, ServerTransmitKind,
    TransportProtocol,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

const USAGE: &str = "usage: turn-server --listen ADDR --realm REALM --user NAME:PASSWORD \
[--user ...] --relay-ip IP [--allow-loopback-peers] [--rest-secret SECRET] [--quota N] \
[--bandwidth BYTES_PER_SEC] [--deny CIDR ...] [--max-allocations N] \
[--tls-listen ADDR --cert CERT.pem --key KEY.pem]";

/// What socket tasks hand the core.
enum Input {
    Client(FiveTuple, Vec<u8>),
    Peer {
        relay: SocketAddr,
        peer: SocketAddr,
        data: Vec<u8>,
    },
    TcpOpened(FiveTuple, mpsc::Sender<Vec<u8>>),
    TcpClosed(FiveTuple),
}

struct Args {
    listen: SocketAddr,
    config: ServerConfig,
    tls: Option<(SocketAddr, Arc<rustls::ServerConfig>)>,
}

fn load_tls(cert: &str, key: &str) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("--cert {cert}: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("--key {key}: {e}"))?;
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate: {e}"))?;
    Ok(Arc::new(config))
}

fn parse_args() -> Result<Args, String> {
    let mut listen: Option<SocketAddr> = None;
    let mut realm = None;
    let mut relay_ip: Option<IpAddr> = None;
    let mut users = Vec::new();
    let mut allow_loopback = false;
    let mut rest_secret = None;
    let mut quota: Option<usize> = None;
    let mut bandwidth: Option<u64> = None;
    let mut deny = Vec::new();
    let mut max_allocations: Option<usize> = None;
    let mut tls_listen: Option<SocketAddr> = None;
    let mut cert: Option<String> = None;
    let mut key: Option<String> = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--listen" => {
                listen = Some(
                    value("--listen")?
                        .parse()
                        .map_err(|e| format!("--listen: {e}"))?,
                )
            }
            "--realm" => realm = Some(value("--realm")?),
            "--relay-ip" => {
                relay_ip = Some(
                    value("--relay-ip")?
                        .parse()
                        .map_err(|e| format!("--relay-ip: {e}"))?,
                )
            }
            "--user" => {
                let v = value("--user")?;
                let (n, p) = v
                    .split_once(':')
                    .ok_or("--user wants NAME:PASSWORD".to_string())?;
                users.push((n.to_owned(), p.to_owned()));
            }
            "--allow-loopback-peers" => allow_loopback = true,
            "--rest-secret" => rest_secret = Some(value("--rest-secret")?),
            "--quota" => {
                quota = Some(
                    value("--quota")?
                        .parse()
                        .map_err(|e| format!("--quota: {e}"))?,
                )
            }
            "--bandwidth" => {
                bandwidth = Some(
                    value("--bandwidth")?
                        .parse()
                        .map_err(|e| format!("--bandwidth: {e}"))?,
                )
            }
            "--max-allocations" => {
                max_allocations = Some(
                    value("--max-allocations")?
                        .parse()
                        .map_err(|e| format!("--max-allocations: {e}"))?,
                )
            }
            "--deny" => deny.push(
                value("--deny")?
                    .parse::<IpPrefix>()
                    .map_err(|e| format!("--deny: {e}"))?,
            ),
            "--tls-listen" => {
                tls_listen = Some(
                    value("--tls-listen")?
                        .parse()
                        .map_err(|e| format!("--tls-listen: {e}"))?,
                )
            }
            "--cert" => cert = Some(value("--cert")?),
            "--key" => key = Some(value("--key")?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let listen = listen.ok_or(format!("--listen is required\n{USAGE}"))?;
    let realm = realm.ok_or(format!("--realm is required\n{USAGE}"))?;
    let relay_ip = relay_ip.unwrap_or(listen.ip());
    if users.is_empty() && rest_secret.is_none() {
        return Err(format!(
            "give at least one --user or --rest-secret\n{USAGE}"
        ));
    }
    let mut config = ServerConfig::new(realm, relay_ip);
    for (n, p) in users {
        config = config.with_user(n, p);
    }
    if allow_loopback {
        config = config.allow_loopback_peers();
    }
    config.rest_secret = rest_secret;
    if let Some(q) = quota {
        config.max_allocations_per_user = q;
    }
    if let Some(m) = max_allocations {
        config.max_allocations = m;
    }
    config.bandwidth_limit = bandwidth;
    config.denied_peers.extend(deny);
    let tls = match (tls_listen, cert, key) {
        (None, None, None) => None,
        (Some(addr), Some(cert), Some(key)) => Some((addr, load_tls(&cert, &key)?)),
        _ => {
            return Err(format!(
                "--tls-listen, --cert and --key go together\n{USAGE}"
            ))
        }
    };
    Ok(Args {
        listen,
        config,
        tls,
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = rt.block_on(run(args)) {
        eprintln!("turn-server: {e}");
        std::process::exit(1);
    }
}

/// Binds a relay socket on `ip` (even port when asked) and, for EVEN-PORT's R bit, the
/// next port as the reserved one.
async fn bind_relay(
    ip: IpAddr,
    even_port: bool,
    reserve_next: bool,
) -> Option<(UdpSocket, Option<UdpSocket>)> {
    for _ in 0..32 {
        let s = UdpSocket::bind(SocketAddr::new(ip, 0)).await.ok()?;
        let port = s.local_addr().ok()?.port();
        if even_port && port % 2 == 1 {
            continue;
        }
        if !reserve_next {
            return Some((s, None));
        }
        let Some(next) = port.checked_add(1) else {
            continue;
        };
        if let Ok(n) = UdpSocket::bind(SocketAddr::new(ip, next)).await {
            return Some((s, Some(n)));
        }
    }
    None
}

/// Starts the reader of a relay socket and registers it.
fn spawn_relay(
    sock: UdpSocket,
    tx: &mpsc::Sender<Input>,
    relays: &mut HashMap<SocketAddr, (Arc<UdpSocket>, tokio::task::AbortHandle)>,
) -> Option<SocketAddr> {
    let addr = sock.local_addr().ok()?;
    let sock = Arc::new(sock);
    let reader = sock.clone();
    let tx = tx.clone();
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        while let Ok((n, peer)) = reader.recv_from(&mut buf).await {
            let input = Input::Peer {
                relay: addr,
                peer,
                data: buf[..n].to_vec(),
            };
            if tx.send(input).await.is_err() {
                break;
            }
        }
    });
    relays.insert(addr, (sock, task.abort_handle()));
    Some(addr)
}

async fn tcp_connection(
    stream: TcpStream,
    five: FiveTuple,
    tx: mpsc::Sender<Input>,
) -> std::io::Result<()> {
    let (mut rd, mut wr) = stream.into_split();
    let (out_tx, mut out_rx) = mpsc::channel::<Vec<u8>>(256);
    if tx.send(Input::TcpOpened(five, out_tx)).await.is_err() {
        return Ok(());
    }
    tokio::spawn(async move {
        while let Some(frame) = out_rx.recv().await {
            if wr.write_all(&frame).await.is_err() {
                break;
            }
        }
    });
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    let result = loop {
        let n = match rd.read(&mut chunk).await {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
        if !forward_frames(&mut buf, five, &tx).await {
            break Ok(());
        }
    };
    let _ = tx.send(Input::TcpClosed(five)).await;
    result
}

/// Cuts TURN frames out of `buf` and hands them to the core; false if the stream is not
/// TURN (or a frame is oversized) and must be closed.
async fn forward_frames(buf: &mut Vec<u8>, five: FiveTuple, tx: &mpsc::Sender<Input>) -> bool {
    loop {
        match frame_len(buf) {
            Ok(Some(len)) if len <= buf.len() => {
                let frame: Vec<u8> = buf.drain(..len).collect();
                if tx.send(Input::Client(five, frame)).await.is_err() {
                    return false;
                }
            }
            Ok(_) => return buf.len() <= 70_000,
            Err(_) => return false,
        }
    }
}

/// A TURN-over-TLS connection: rustls' sans-IO server connection between the socket
/// and the core, reads and writes in one task.
async fn tls_connection(
    mut stream: TcpStream,
    five: FiveTuple,
    tx: mpsc::Sender<Input>,
    config: Arc<rustls::ServerConfig>,
) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut tls = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let (out_tx, mut out_rx) = mpsc::channel::<Vec<u8>>(256);
    if tx.send(Input::TcpOpened(five, out_tx)).await.is_err() {
        return Ok(());
    }
    let mut chunk = vec![0u8; 16 * 1024];
    let mut plain = vec![0u8; 16 * 1024];
    let mut buf = Vec::with_capacity(4096);
    let result: std::io::Result<()> = async {
        loop {
            while tls.wants_write() {
                let mut out = Vec::new();
                tls.write_tls(&mut out)?;
                stream.write_all(&out).await?;
            }
            tokio::select! {
                r = stream.read(&mut chunk) => {
                    let n = r?;
                    if n == 0 {
                        return Ok(());
                    }
                    let mut data = &chunk[..n];
                    while !data.is_empty() {
                        tls.read_tls(&mut data)?;
                        if let Err(e) = tls.process_new_packets() {
                            // Send the alert rustls queued, then give up.
                            let mut out = Vec::new();
                            let _ = tls.write_tls(&mut out);
                            let _ = stream.write_all(&out).await;
                            return Err(std::io::Error::other(e));
                        }
                    }
                    while let Ok(n) = tls.reader().read(&mut plain) {
                        if n == 0 {
                            return Ok(()); // close_notify
                        }
                        buf.extend_from_slice(&plain[..n]);
                    }
                    if !forward_frames(&mut buf, five, &tx).await {
                        return Ok(());
                    }
                }
                frame = out_rx.recv() => match frame {
                    Some(frame) => tls.writer().write_all(&frame)?,
                    None => return Ok(()),
                },
            }
        }
    }
    .await;
    let _ = tx.send(Input::TcpClosed(five)).await;
    result
}

async fn run(args: Args) -> std::io::Result<()> {
    let udp = Arc::new(UdpSocket::bind(args.listen).await?);
    let tcp = TcpListener::bind(args.listen).await?;
    let listen = udp.local_addr()?;
    eprintln!(
        "turn-server: listening on {listen} (UDP and TCP), realm {:?}, relay IP {}",
        args.config.realm, args.config.relay_ip
    );

    let (tx, mut rx) = mpsc::channel::<Input>(4096);

    // UDP listener.
    {
        let udp = udp.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65_536];
            loop {
                let Ok((n, from)) = udp.recv_from(&mut buf).await else {
                    continue;
                };
                let five = FiveTuple {
                    client: from,
                    server: listen,
                    protocol: TransportProtocol::Udp,
                };
                if tx
                    .send(Input::Client(five, buf[..n].to_vec()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
    }
    // TLS listener.
    if let Some((tls_addr, config)) = args.tls {
        let tls_listener = TcpListener::bind(tls_addr).await?;
        let tls_addr = tls_listener.local_addr()?;
        eprintln!("turn-server: TURN over TLS on {tls_addr}");
        let tx = tx.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, from)) = tls_listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let five = FiveTuple {
                    client: from,
                    server: tls_addr,
                    protocol: TransportProtocol::Tcp,
                };
                let (tx, config) = (tx.clone(), config.clone());
                tokio::spawn(async move {
                    let _ = tls_connection(stream, five, tx, config).await;
                });
            }
        });
    }
    // TCP listener.
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, from)) = tcp.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let five = FiveTuple {
                    client: from,
                    server: listen,
                    protocol: TransportProtocol::Tcp,
                };
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _ = tcp_connection(stream, five, tx).await;
                });
            }
        });
    }

    let mut server = Server::new(args.config);
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    server.set_unix_time(Instant::now(), unix);

    let mut relays: HashMap<SocketAddr, (Arc<UdpSocket>, tokio::task::AbortHandle)> =
        HashMap::new();
    let mut tcp_writers: HashMap<FiveTuple, mpsc::Sender<Vec<u8>>> = HashMap::new();

    loop {
        let timeout = server.poll_timeout();
        let input = match timeout {
            Some(t) => {
                tokio::select! {
                    i = rx.recv() => i,
                    _ = tokio::time::sleep_until(tokio::time::Instant::from_std(t)) => {
                        server.handle_timeout(Instant::now());
                        None
                    }
                }
            }
            None => rx.recv().await,
        };
        let now = Instant::now();
        match input {
            Some(Input::Client(five, data)) => {
                let _ = server.handle_client(now, five, &data);
            }
            Some(Input::Peer { relay, peer, data }) => server.handle_peer(now, relay, peer, &data),
            Some(Input::TcpOpened(five, w)) => {
                tcp_writers.insert(five, w);
            }
            Some(Input::TcpClosed(five)) => {
                tcp_writers.remove(&five);
                server.client_closed(five);
            }
            None => {}
        }
        // Drain everything the core wants done.
        loop {
            let mut progress = false;
            while let Some(ev) = server.poll_event() {
                progress = true;
                match ev {
                    ServerEvent::OpenRelay(req) => {
                        let (relay, reserved) =
                            match bind_relay(req.ip, req.even_port, req.reserve_next).await {
                                Some((s, next)) => (
                                    spawn_relay(s, &tx, &mut relays),
                                    next.and_then(|n| spawn_relay(n, &tx, &mut relays)),
                                ),
                                None => (None, None),
                            };
                        server.relay_opened_with_reservation(
                            Instant::now(),
                            req.token,
                            relay,
                            reserved,
                        );
                    }
                    ServerEvent::CloseRelay { relay } => {
                        if let Some((_, task)) = relays.remove(&relay) {
                            task.abort();
                        }
                    }
                    ServerEvent::AllocationCreated {
                        username,
                        five_tuple,
                        relay,
                    } => eprintln!(
                        "turn-server: allocation {relay} for {username} ({:?} {})",
                        five_tuple.protocol, five_tuple.client
                    ),
                    _ => {}
                }
            }
            while let Some(t) = server.poll_transmit() {
                progress = true;
                match t.kind {
                    ServerTransmitKind::ToClient(five) => match five.protocol {
                        TransportProtocol::Udp => {
                            let _ = udp.send_to(&t.contents, five.client).await;
                        }
                        TransportProtocol::Tcp => {
                            if let Some(w) = tcp_writers.get(&five) {
                                let _ = w.try_send(t.contents);
                            }
                        }
                    },
                    ServerTransmitKind::ToPeer { relay, peer } => {
                        if let Some((sock, _)) = relays.get(&relay) {
                            let _ = sock.send_to(&t.contents, peer).await;
                        }
                    }
                }
            }
            if !progress {
                break;
            }
        }
    }
}
