//! A DTLS 1.2 echo server built on `oxrtc-dtls`.
//!
//! ```text
//! cargo run --release --example dtls-server -- --listen 127.0.0.1:4444 \
//!     [--srtp-profiles SRTP_AEAD_AES_128_GCM,SRTP_AES128_CM_SHA1_80] [--mtu 1200] \
//!     [--cert cert.pem --key key.pem] [--peer-fingerprint "sha-256 AB:CD:..."]
//! ```
//!
//! Clients must present a certificate (any, unless `--peer-fingerprint` pins one). For each
//! connection it prints one line per fact — `cipher:`, `srtp-profile:`, `keying-material:`
//! (the RFC 5764 EXTRACTOR-dtls_srtp output) and `peer-fingerprint:` — and echoes every
//! application data record back.

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oxrtc_dtls::{Endpoint, Event, HashAlgorithm};
use oxrtc_examples::dtls_cli::DtlsOptions;

struct Args {
    listen: String,
    dtls: DtlsOptions,
}

fn usage() -> ! {
    eprintln!("usage: dtls-server --listen ADDR {}", DtlsOptions::USAGE);
    std::process::exit(2)
}

fn parse_args() -> Result<Args, String> {
    let mut listen = None;
    let mut dtls = DtlsOptions::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = Some(value()?),
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
        listen: listen.ok_or("--listen is required")?,
        dtls,
    })
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("dtls-server: {e}");
        usage()
    });
    if let Err(e) = run(args) {
        eprintln!("dtls-server: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let (certificate, config) = args.dtls.into_config()?;
    let mut endpoint = Endpoint::new(Arc::new(config));

    let socket = UdpSocket::bind(&args.listen)?;
    println!("listening: {}", socket.local_addr()?);
    println!(
        "fingerprint: {}",
        certificate.fingerprint(HashAlgorithm::Sha256)
    );
    let mut buf = vec![0u8; 65536];
    loop {
        let now = Instant::now();
        let wait = endpoint
            .poll_timeout()
            .map(|t| {
                t.saturating_duration_since(now)
                    .max(Duration::from_millis(1))
            })
            .unwrap_or(Duration::from_secs(1));
        socket.set_read_timeout(Some(wait))?;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => endpoint.handle_receive(Instant::now(), from, &buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e.into()),
        }
        endpoint.handle_timeout(Instant::now());
        while let Some((peer, event)) = endpoint.poll_event() {
            match event {
                Event::Connected {
                    cipher_suite,
                    srtp_profile,
                    srtp_keying_material,
                    peer_fingerprint,
                    ..
                } => {
                    println!("connected: {peer}");
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
                }
                Event::ApplicationData(data) => {
                    if let Err(e) = endpoint.send_application_data(peer, &data) {
                        eprintln!("echo to {peer} failed: {e}");
                    }
                }
                Event::Closed { reason } => println!("closed: {peer} {reason:?}"),
                _ => {}
            }
        }
        while let Some(t) = endpoint.poll_transmit() {
            socket.send_to(&t.contents, t.destination)?;
        }
    }
}
