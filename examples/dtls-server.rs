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

use oxrtc_dtls::{Certificate, Config, Endpoint, Event, Fingerprint, HashAlgorithm, SrtpProfile};

struct Args {
    listen: String,
    profiles: Option<Vec<SrtpProfile>>,
    mtu: Option<usize>,
    cert: Option<(String, String)>,
    peer_fingerprint: Option<Fingerprint>,
}

fn usage() -> ! {
    eprintln!(
        "usage: dtls-server --listen ADDR [--srtp-profiles LIST] [--mtu N] [--cert PEM --key PEM] [--peer-fingerprint FP]"
    );
    std::process::exit(2)
}

fn parse_args() -> Result<Args, String> {
    let mut listen = None;
    let mut profiles = None;
    let mut mtu = None;
    let (mut cert, mut key) = (None, None);
    let mut peer_fingerprint = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = Some(value()?),
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
        listen: listen.ok_or("--listen is required")?,
        profiles,
        mtu,
        cert,
        peer_fingerprint,
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
    let certificate = match &args.cert {
        Some((cert, key)) => Certificate::from_pem(
            &std::fs::read_to_string(cert)?,
            &std::fs::read_to_string(key)?,
        )?,
        None => Certificate::generate()?,
    };
    let mut config = Config::new(certificate.clone());
    if let Some(p) = args.profiles {
        config.srtp_profiles = p;
    }
    if let Some(mtu) = args.mtu {
        config.mtu = mtu;
    }
    config.expected_peer_fingerprints = args.peer_fingerprint.into_iter().collect();
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
