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

use oxrtc_dtls::{Connection, Event};
use oxrtc_examples::dtls_cli::DtlsOptions;

struct Args {
    connect: SocketAddr,
    send: Option<String>,
    dtls: DtlsOptions,
}

fn usage() -> ! {
    eprintln!(
        "usage: dtls-client --connect ADDR {} [--send TEXT]",
        DtlsOptions::USAGE
    );
    std::process::exit(2)
}

fn parse_args() -> Result<Args, String> {
    let mut connect = None;
    let mut send = None;
    let mut dtls = DtlsOptions::default();
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
            "--send" => send = Some(value()?),
            "-h" | "--help" => usage(),
            other => {
                if !dtls.take_flag(other, &mut value)? {
                    return Err(format!("unknown argument {other}"));
                }
            }
        }
    }
    dtls.validate()?;
    Ok(Args {
        connect: connect.ok_or("--connect is required")?,
        send,
        dtls,
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
    let (_, config) = args.dtls.into_config()?;

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
