//! A DTLS 1.2 client built on `oxrtc-dtls`.
//!
//! ```text
//! cargo run --release --example dtls-client -- --connect 127.0.0.1:4444 \
//!     [--srtp-profiles LIST] [--mtu 1200] [--cert cert.pem --key key.pem] \
//!     [--peer-fingerprint "sha-256 AB:CD:..."] [--send TEXT]
//! ```
//!
//! Handshakes, prints `cipher:`, `srtp-profile:`, `keying-material:` and
//! `peer-fingerprint:` lines, sends TEXT, prints `received: <text>` with the echo and exits 0.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oxrtc_dtls::{Certificate, Config, Connection, Event, Fingerprint, SrtpProfile};

struct Args {
    connect: SocketAddr,
    profiles: Option<Vec<SrtpProfile>>,
    mtu: Option<usize>,
    cert: Option<(String, String)>,
    peer_fingerprint: Option<Fingerprint>,
    send: Option<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: dtls-client --connect ADDR [--srtp-profiles LIST] [--mtu N] [--cert PEM --key PEM] [--peer-fingerprint FP] [--send TEXT]"
    );
    std::process::exit(2)
}

fn parse_args() -> Result<Args, String> {
    let mut connect = None;
    let mut profiles = None;
    let mut mtu = None;
    let (mut cert, mut key) = (None, None);
    let mut peer_fingerprint = None;
    let mut send = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--connect" => {
                let v = value()?;
                connect = Some(
                    v.parse::<SocketAddr>()
                        .map_err(|e| format!("--connect {v}: {e}"))?,
                )
            }
            "--srtp-profiles" => {
                let list = value()?;
                let parsed = list
                    .split([',', ':'])
                    .filter(|s| !s.is_empty())
                    .map(|n| {
                        SrtpProfile::from_openssl_name(n).ok_or(format!("unknown SRTP profile {n}"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                profiles = Some(parsed);
            }
            "--mtu" => mtu = Some(value()?.parse().map_err(|e| format!("--mtu: {e}"))?),
            "--cert" => cert = Some(value()?),
            "--key" => key = Some(value()?),
            "--peer-fingerprint" => {
                peer_fingerprint = Some(
                    value()?
                        .parse()
                        .map_err(|e| format!("--peer-fingerprint: {e}"))?,
                )
            }
            "--send" => send = Some(value()?),
            "-h" | "--help" => usage(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let cert = match (cert, key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err("--cert and --key go together".into()),
    };
    Ok(Args {
        connect: connect.ok_or("--connect is required")?,
        profiles,
        mtu,
        cert,
        peer_fingerprint,
        send,
    })
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("dtls-client: {e}");
        usage()
    });
    if let Err(e) = run(args) {
        eprintln!("dtls-client: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let certificate = match &args.cert {
        Some((cert, key)) => Certificate::from_pem(
            &std::fs::read_to_string(cert)?,
            &std::fs::read_to_string(key)?,
        )?,
        None => Certificate::generate()?,
    };
    let mut config = Config::new(certificate);
    if let Some(p) = args.profiles {
        config.srtp_profiles = p;
    }
    if let Some(mtu) = args.mtu {
        config.mtu = mtu;
    }
    config.expected_peer_fingerprints = args.peer_fingerprint.into_iter().collect();

    // Bind on the loopback when talking to the loopback, so nothing leaves the machine.
    let local: SocketAddr = match args.connect {
        SocketAddr::V4(a) if a.ip().is_loopback() => "127.0.0.1:0".parse()?,
        SocketAddr::V6(a) if a.ip().is_loopback() => "[::1]:0".parse()?,
        SocketAddr::V4(_) => "0.0.0.0:0".parse()?,
        SocketAddr::V6(_) => "[::]:0".parse()?,
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(args.connect)?;

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut conn = Connection::client(Arc::new(config), Instant::now());
    let mut buf = vec![0u8; 65536];
    let mut sent = false;
    loop {
        while let Some(d) = conn.poll_transmit() {
            socket.send(&d)?;
        }
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Connected {
                    cipher_suite,
                    srtp_profile,
                    srtp_keying_material,
                    peer_fingerprint,
                    ..
                } => {
                    println!("cipher: {cipher_suite}");
                    if let Some(p) = srtp_profile {
                        println!("srtp-profile: {p}");
                    }
                    if let Some(k) = srtp_keying_material {
                        println!("keying-material: {}", hex::encode(k.as_bytes()));
                    }
                    println!(
                        "peer-fingerprint: {} {}",
                        peer_fingerprint.algorithm.name(),
                        hex::encode(&peer_fingerprint.value)
                    );
                    match &args.send {
                        Some(text) => {
                            conn.send_application_data(text.as_bytes())?;
                            sent = true;
                        }
                        None => {
                            conn.close();
                        }
                    }
                }
                Event::ApplicationData(data) => {
                    println!("received: {}", String::from_utf8_lossy(&data));
                    if sent {
                        conn.close();
                    }
                }
                Event::Closed { reason } => {
                    while let Some(d) = conn.poll_transmit() {
                        socket.send(&d)?;
                    }
                    return match reason {
                        oxrtc_dtls::CloseReason::Error(e) => Err(e.into()),
                        _ => Ok(()),
                    };
                }
                _ => {}
            }
        }
        let now = Instant::now();
        if now > deadline {
            return Err("timed out".into());
        }
        let wait = conn
            .poll_timeout()
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or(Duration::from_secs(1))
            .clamp(Duration::from_millis(1), Duration::from_secs(1));
        socket.set_read_timeout(Some(wait))?;
        match socket.recv(&mut buf) {
            Ok(n) => {
                // Errors end the connection and arrive as Event::Closed.
                let _ = conn.handle_receive(Instant::now(), &buf[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e.into()),
        }
        conn.handle_timeout(Instant::now());
    }
}
