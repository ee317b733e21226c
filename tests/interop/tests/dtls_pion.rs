//! oxrtc-dtls against Pion's DTLS (pion/dtls v2 from Debian, built from
//! `tests/interop/pion/dtls`), both roles, over UDP on 127.0.0.1.
//!
//! Each run proves, for one suite / group / SRTP profile / MTU: the handshake completes with
//! mutual certificate authentication (each side checks the other's fingerprint before
//! accepting it, and prints it), both sides pick the same cipher suite and SRTP profile,
//! the `EXTRACTOR-dtls_srtp` keying material Pion exports equals ours byte for byte,
//! application data flows both ways (each side echoes what the other sent), and Pion sees
//! our close_notify as the end of the stream.
//!
//! Pion 2.2.6 has no ChaCha20-Poly1305 suite, so the suites covered are ECDHE-ECDSA with
//! AES-128-GCM and AES-256-GCM (the latter also exercises the SHA-384 PRF in the exporter).

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oxrtc_dtls::{
    Certificate, CipherSuite, Config, Endpoint, Event, Fingerprint, HashAlgorithm, NamedGroup,
    SrtpProfile,
};

fn pion_dtls() -> Option<PathBuf> {
    oxrtc_interop::require_pion_program(
        "dtls",
        &[("github.com/pion/dtls/v2", "golang-github-pion-dtls.v2-dev")],
    )
}

use oxrtc_interop::PeerProcess as Pion;

#[derive(Debug, Clone, Copy)]
struct Case {
    profile: SrtpProfile,
    suite: CipherSuite,
    group: NamedGroup,
    mtu: usize,
    /// Both sides keep their default suites and groups (and oxrtc its default profiles)
    /// instead of offering only the case's; `suite`, `group` and `profile` are then what
    /// the defaults must negotiate.
    defaults: bool,
}

fn group_name(group: NamedGroup) -> &'static str {
    match group {
        NamedGroup::X25519 => "X25519",
        NamedGroup::Secp256r1 => "P-256",
        NamedGroup::Secp384r1 => "P-384",
        other => panic!("no Pion name for {other:?}"),
    }
}

fn cases() -> [Case; 3] {
    [
        Case {
            profile: SrtpProfile::Aes128CmHmacSha1_80,
            suite: CipherSuite::EcdheEcdsaWithAes128GcmSha256,
            group: NamedGroup::X25519,
            mtu: 1200,
            defaults: false,
        },
        Case {
            profile: SrtpProfile::AeadAes128Gcm,
            suite: CipherSuite::EcdheEcdsaWithAes256GcmSha384,
            group: NamedGroup::Secp256r1,
            mtu: 1200,
            defaults: false,
        },
        Case {
            profile: SrtpProfile::AeadAes256Gcm,
            suite: CipherSuite::EcdheEcdsaWithAes128GcmSha256,
            group: NamedGroup::Secp384r1,
            mtu: 1200,
            defaults: false,
        },
    ]
}

/// Default configurations on both sides, with Pion preferring AES-CM and oxrtc AEAD:
/// the server picks the profile (RFC 5764 §4.1.1), by its own preference in oxrtc and by
/// the client's in Pion, and both orders lead to oxrtc's first choice here.
fn defaults_case() -> Case {
    Case {
        profile: SrtpProfile::AeadAes128Gcm,
        suite: CipherSuite::EcdheEcdsaWithAes128GcmSha256,
        group: NamedGroup::X25519,
        mtu: 1200,
        defaults: true,
    }
}

/// Arguments Pion gets for `case`: only the case's suite, group and profile, so whatever
/// is negotiated is decided, and both sides can be checked against it.
fn pion_args(case: &Case, ours: &Fingerprint) -> Vec<String> {
    let restrictions = if case.defaults {
        vec![
            "-srtp-profiles",
            "SRTP_AES128_CM_SHA1_80,SRTP_AEAD_AES_128_GCM",
        ]
    } else {
        vec![
            "-srtp-profiles",
            case.profile.openssl_name(),
            "-cipher-suites",
            case.suite.name(),
            "-curves",
            group_name(case.group),
        ]
    };
    restrictions
        .into_iter()
        .chain([
            "-mtu",
            &case.mtu.to_string(),
            "-peer-fingerprint",
            &ours.to_string(),
            "-send",
            "hello from pion",
            "-timeout",
            "20s",
        ])
        .map(|s| s.to_string())
        .collect()
}

fn config(case: &Case, certificate: Certificate, pion_fingerprint: &str) -> Config {
    let mut config = Config::new(certificate);
    config.mtu = case.mtu;
    config.expected_peer_fingerprints = vec![pion_fingerprint
        .parse()
        .expect("pion printed a fingerprint")];
    if case.defaults {
        return config;
    }
    config.srtp_profiles = vec![case.profile];
    config.cipher_suites = vec![case.suite];
    // RFC 8422 §5.1: a client's supported_groups also names the curves it accepts in the
    // server's ECDSA certificate (P-256 here), so the other groups stay listed after ours.
    config.groups = vec![case.group];
    config
        .groups
        .extend(NamedGroup::ALL.into_iter().filter(|g| *g != case.group));
    config
}

/// What one DTLS datagram direction looked like during a run.
#[derive(Debug, Default)]
struct Traffic {
    largest_datagram: usize,
    /// Plaintext (epoch 0) handshake records carrying part of a message only.
    partial_handshake_fragments: usize,
}

impl Traffic {
    fn record(&mut self, datagram: &[u8]) {
        self.largest_datagram = self.largest_datagram.max(datagram.len());
        // RFC 6347 §4.1: 13-byte record header (type, version, epoch, sequence, length);
        // §4.2.2: 12-byte handshake header (type, length, message_seq, fragment_offset,
        // fragment_length). Only epoch 0 is in the clear.
        let mut rest = datagram;
        while rest.len() >= 13 {
            let content_type = rest[0];
            let epoch = u16::from_be_bytes([rest[3], rest[4]]);
            let len = u16::from_be_bytes([rest[11], rest[12]]) as usize;
            let Some(body) = rest.get(13..13 + len) else {
                break;
            };
            if content_type == 22 && epoch == 0 && body.len() >= 12 {
                let u24 = |b: &[u8]| u32::from_be_bytes([0, b[0], b[1], b[2]]);
                let message_len = u24(&body[1..4]);
                let fragment_len = u24(&body[9..12]);
                if fragment_len < message_len {
                    self.partial_handshake_fragments += 1;
                }
            }
            rest = &rest[13 + len..];
        }
    }
}

/// What a run produced on our side.
struct Outcome {
    keying_material: Vec<u8>,
    peer_fingerprint: Fingerprint,
    sent: Traffic,
    received: Traffic,
}

/// Drives `endpoint` on `socket` until it has received "hello from pion" and the echo of
/// its own "hello from oxrtc", and Pion printed both of ours; then closes.
fn drive(
    endpoint: &mut Endpoint,
    socket: &UdpSocket,
    pion: &mut Pion,
    case: &Case,
    mut peer: Option<SocketAddr>,
) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = vec![0u8; 65536];
    let mut connected = None;
    let mut got_hello = false;
    let mut got_echo = false;
    let mut sent = Traffic::default();
    let mut received = Traffic::default();
    socket
        .set_read_timeout(Some(Duration::from_millis(10)))
        .unwrap();
    loop {
        assert!(
            Instant::now() < deadline,
            "timed out (connected: {}, hello: {got_hello}, echo: {got_echo}); pion said:\n{}",
            connected.is_some(),
            pion.output()
        );
        while let Some(t) = endpoint.poll_transmit() {
            assert!(t.destination.ip().is_loopback());
            sent.record(&t.contents);
            socket.send_to(&t.contents, t.destination).unwrap();
        }
        while let Some((from, event)) = endpoint.poll_event() {
            match event {
                Event::Connected {
                    cipher_suite,
                    group,
                    srtp_profile,
                    srtp_keying_material,
                    peer_fingerprint,
                    ..
                } => {
                    assert_eq!(cipher_suite, case.suite);
                    assert_eq!(group, case.group);
                    assert_eq!(srtp_profile, Some(case.profile));
                    let material = srtp_keying_material.expect("keying material");
                    connected = Some((material.as_bytes().to_vec(), peer_fingerprint));
                    peer = Some(from);
                    endpoint
                        .send_application_data(from, b"hello from oxrtc")
                        .unwrap();
                }
                Event::ApplicationData(data) => {
                    match &data[..] {
                        b"hello from pion" => got_hello = true,
                        b"echo: hello from oxrtc" => got_echo = true,
                        other => panic!("unexpected data {:?}", String::from_utf8_lossy(other)),
                    }
                    if !data.starts_with(b"echo: ") {
                        let mut echo = b"echo: ".to_vec();
                        echo.extend_from_slice(&data);
                        endpoint.send_application_data(from, &echo).unwrap();
                    }
                }
                Event::Closed { reason } => {
                    panic!("closed: {reason:?}; pion said:\n{}", pion.output())
                }
                _ => {}
            }
        }
        if got_hello
            && got_echo
            && pion.printed("received", "hello from oxrtc")
            && pion.printed("received", "echo: hello from pion")
        {
            break;
        }
        if let Ok((n, from)) = socket.recv_from(&mut buf) {
            assert!(from.ip().is_loopback());
            received.record(&buf[..n]);
            endpoint.handle_receive(Instant::now(), from, &buf[..n]);
        }
        endpoint.handle_timeout(Instant::now());
    }
    let peer = peer.expect("connected to a peer");
    endpoint.close(peer);
    while let Some(t) = endpoint.poll_transmit() {
        socket.send_to(&t.contents, t.destination).unwrap();
    }
    let (keying_material, peer_fingerprint) = connected.unwrap();
    Outcome {
        keying_material,
        peer_fingerprint,
        sent,
        received,
    }
}

/// Compares what Pion printed with what we saw.
fn check(pion: &mut Pion, case: &Case, ours: &Fingerprint, outcome: &Outcome) {
    let wait = Duration::from_secs(5);
    assert_eq!(pion.wait_for("cipher", wait), case.suite.name());
    assert_eq!(
        pion.wait_for("srtp-profile", wait),
        case.profile.openssl_name()
    );
    let material = hex::decode(pion.wait_for("keying-material", wait)).unwrap();
    assert_eq!(material.len(), case.profile.keying_material_len());
    assert_eq!(
        material, outcome.keying_material,
        "exported SRTP keys differ"
    );
    // Each side saw the other's certificate.
    assert_eq!(pion.wait_for("peer-fingerprint", wait), ours.to_string());
    assert_eq!(
        outcome.peer_fingerprint.to_string(),
        pion.wait_for("fingerprint", wait)
    );
    // Our close_notify ends Pion's read loop as end of stream.
    assert_eq!(pion.wait_for("closed", wait), "EOF", "{}", pion.output());
    // Our datagrams fit the MTU. Pion 2.2.6 applies its MTU to the body of a handshake
    // fragment (`splitBytes(content, mtu)` in conn.go `fragmentHandshake`), so its
    // datagrams may exceed it by one record header and one handshake header.
    assert!(
        outcome.sent.largest_datagram <= case.mtu,
        "{:?}",
        outcome.sent
    );
    assert!(
        outcome.received.largest_datagram <= case.mtu + 13 + 12,
        "{:?}",
        outcome.received
    );
}

/// Pion's server ↔ our client.
fn pion_server_oxrtc_client(binary: &Path, case: Case) -> Outcome {
    let certificate = Certificate::generate().unwrap();
    let ours = certificate.fingerprint(HashAlgorithm::Sha256);
    let mut args = vec!["-role".to_string(), "server".into()];
    args.extend(pion_args(&case, &ours));
    let mut pion = Pion::spawn(binary, &args);
    let wait = Duration::from_secs(10);
    let pion_fingerprint = pion.wait_for("fingerprint", wait);
    let address: SocketAddr = pion.wait_for("listening", wait).parse().unwrap();
    assert!(address.ip().is_loopback());

    let mut endpoint = Endpoint::new(Arc::new(config(&case, certificate, &pion_fingerprint)));
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    endpoint.connect(Instant::now(), address);
    let outcome = drive(&mut endpoint, &socket, &mut pion, &case, Some(address));
    check(&mut pion, &case, &ours, &outcome);
    outcome
}

/// Our server ↔ Pion's client.
fn oxrtc_server_pion_client(binary: &Path, case: Case) -> Outcome {
    let certificate = Certificate::generate().unwrap();
    let ours = certificate.fingerprint(HashAlgorithm::Sha256);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut args = vec![
        "-role".to_string(),
        "client".into(),
        "-addr".into(),
        socket.local_addr().unwrap().to_string(),
    ];
    args.extend(pion_args(&case, &ours));
    let mut pion = Pion::spawn(binary, &args);
    // Pion prints its fingerprint before it dials; its ClientHello waits in our socket.
    let pion_fingerprint = pion.wait_for("fingerprint", Duration::from_secs(10));
    let mut endpoint = Endpoint::new(Arc::new(config(&case, certificate, &pion_fingerprint)));
    let outcome = drive(&mut endpoint, &socket, &mut pion, &case, None);
    check(&mut pion, &case, &ours, &outcome);
    outcome
}

#[test]
fn pion_server_with_oxrtc_client() {
    let Some(binary) = pion_dtls() else {
        return;
    };
    for case in cases() {
        pion_server_oxrtc_client(&binary, case);
    }
}

#[test]
fn oxrtc_server_with_pion_client() {
    let Some(binary) = pion_dtls() else {
        return;
    };
    for case in cases() {
        oxrtc_server_pion_client(&binary, case);
    }
}

/// With a 300-byte MTU the certificate messages (and Pion's ClientHello or ServerHello
/// flight) no longer fit one datagram: both sides must split handshake messages into
/// fragments and reassemble the other's.
#[test]
fn small_mtu_fragments_handshake_messages_both_ways() {
    let Some(binary) = pion_dtls() else {
        return;
    };
    let case = Case {
        mtu: 300,
        ..cases()[0]
    };
    for outcome in [
        pion_server_oxrtc_client(&binary, case),
        oxrtc_server_pion_client(&binary, case),
    ] {
        assert!(
            outcome.sent.partial_handshake_fragments > 0,
            "we sent no fragmented handshake message: {:?}",
            outcome.sent
        );
        assert!(
            outcome.received.partial_handshake_fragments > 0,
            "Pion sent no fragmented handshake message: {:?}",
            outcome.received
        );
    }
}

#[test]
fn default_configurations_agree_both_roles() {
    let Some(binary) = pion_dtls() else {
        return;
    };
    pion_server_oxrtc_client(&binary, defaults_case());
    oxrtc_server_pion_client(&binary, defaults_case());
}
