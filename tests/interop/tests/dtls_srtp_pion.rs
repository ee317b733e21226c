//! DTLS-SRTP end to end against Pion (pion/dtls v2 + pion/srtp v2 from Debian, built from
//! `tests/interop/pion/dtls_srtp`), both DTLS roles, over one UDP 5-tuple on 127.0.0.1.
//!
//! `dtls_pion.rs` proves both stacks export the same keying material and `srtp_libsrtp.rs`
//! that our SRTP agrees with libsrtp under given keys. This proves the composition a call
//! depends on: after the handshake each side splits the RFC 5764 §4.2 keying material into
//! its own write key and the peer's, maps the negotiated `use_srtp` profile to an SRTP
//! transform, and protects with its own key. A swapped half or a wrong profile mapping on
//! either side fails here and in no single-layer test.
//!
//! Each run: oxrtc-dtls (sans-IO, on a std `UdpSocket`) and Pion handshake; oxrtc splits the
//! keys with `SessionKeys::from_dtls_keying_material`, Pion with
//! `srtp.Config.ExtractSessionKeysFromDTLS` (what pion/webrtc does). We send SRTP (header
//! extensions of both RFC 8285 forms, CSRCs, sequence numbers across the 2^16 wrap) and
//! SRTCP (compound SR+SDES and RR+SDES) on the DTLS socket; Pion demultiplexes by first
//! byte (RFC 7983), decrypts with its remote key, prints the plaintext and echoes it
//! protected with its local key. Both plaintexts, Pion's and ours after unprotecting the
//! echo, must equal what we sent byte for byte.
//!
//! Negative controls, so the test can fail: the echoes do not unprotect under the swapped
//! halves, and Pion refuses (and does not echo) a packet we protect with its own write key.
//!
//! Profiles: SRTP_AES128_CM_SHA1_80, SRTP_AES128_CM_SHA1_32 and SRTP_AEAD_AES_128_GCM.
//! pion/srtp 2.0.12 has no AEAD_AES_256_GCM transform (pion/dtls negotiates it, but Pion
//! could not protect media with it).

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oxrtc_dtls::{Certificate, Config, Endpoint, Event, HashAlgorithm, Role, SrtpProfile};
use oxrtc_srtp::{Context, Error as SrtpError, ProtectionProfile, SessionKeys};

fn pion_dtls_srtp() -> Option<PathBuf> {
    oxrtc_interop::require_pion_program(
        "dtls_srtp",
        &[
            ("github.com/pion/dtls/v2", "golang-github-pion-dtls.v2-dev"),
            ("github.com/pion/srtp/v2", "golang-github-pion-srtp.v2-dev"),
        ],
    )
}

/// The profiles both pion/dtls and pion/srtp 2.0.12 implement.
const PROFILES: [SrtpProfile; 3] = [
    SrtpProfile::Aes128CmHmacSha1_80,
    SrtpProfile::Aes128CmHmacSha1_32,
    SrtpProfile::AeadAes128Gcm,
];

const SSRC: u32 = 0x0a0b_0c0d;

use oxrtc_interop::PeerProcess as Pion;

/// RFC 7983 §7: the first byte of RTP and RTCP is 128..=191, of DTLS 20..=63.
fn is_media(datagram: &[u8]) -> bool {
    matches!(datagram.first(), Some(128..=191))
}

/// RFC 5761 §4: on a shared port, RTCP packet types 192..=223 (SR 200, RR 201, SDES 202,
/// ...) sit where RTP payload types 64..=95 with the marker bit would.
fn is_rtcp(packet: &[u8]) -> bool {
    matches!(packet.get(1), Some(192..=223))
}

/// The RTP packets we send: sequence numbers 65533..=1 (across the wrap, so both sides
/// must roll the ROC over alike), with each form of header extension, CSRCs, the marker
/// bit, and payloads of 1 to 1000 bytes.
fn rtp_packets() -> Vec<Vec<u8>> {
    let header = |seq: u16, marker: bool, csrcs: &[u32], extension: Option<(u16, &[u8])>| {
        let mut p = vec![
            0x80 | csrcs.len() as u8 | if extension.is_some() { 0x10 } else { 0 },
            if marker { 0x80 | 111 } else { 111 },
        ];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&(0x1234_0000u32.wrapping_add(u32::from(seq) * 960)).to_be_bytes());
        p.extend_from_slice(&SSRC.to_be_bytes());
        for csrc in csrcs {
            p.extend_from_slice(&csrc.to_be_bytes());
        }
        if let Some((profile, elements)) = extension {
            // RFC 3550 §5.3.1 / RFC 8285 §4: profile, length in words, elements padded with
            // zeros to a word (the layout Pion's marshaller writes back for the echo).
            let words = elements.len().div_ceil(4);
            p.extend_from_slice(&profile.to_be_bytes());
            p.extend_from_slice(&(words as u16).to_be_bytes());
            p.extend_from_slice(elements);
            p.resize(p.len() + words * 4 - elements.len(), 0);
        }
        p
    };
    let payload = |len: usize, seed: u8| (0..len).map(move |i| seed ^ (i as u8).wrapping_mul(31));
    // One-byte elements (RFC 8285 §4.2): abs-send-time (id 1, 3 bytes), transport-wide
    // sequence number (id 3, 2 bytes); mid (id 4, "0").
    let one_byte: &[u8] = &[0x12, 0x40, 0x00, 0x01, 0x31, 0x00, 0x2a];
    let mid: &[u8] = &[0x40, b'0'];
    // A two-byte element (RFC 8285 §4.3): id 7, 5 bytes.
    let two_byte: &[u8] = &[7, 5, 1, 2, 3, 4, 5];
    let mut packets = vec![
        header(65533, true, &[], Some((0xbede, one_byte))),
        header(
            65534,
            false,
            &[0x1111_1111, 0x2222_2222],
            Some((0xbede, mid)),
        ),
        header(65535, false, &[], Some((0x1000, two_byte))),
        header(0, false, &[], None),
        header(1, true, &[0x3333_3333], Some((0xbede, one_byte))),
    ];
    for (p, (len, seed)) in packets
        .iter_mut()
        .zip([(160, 1), (57, 2), (333, 3), (1000, 4), (1, 5)])
    {
        p.extend(payload(len, seed));
    }
    packets
}

/// The compound RTCP packets we send (RFC 3550 §6.1): SR + SDES, then RR + SDES, each with
/// one report block.
fn rtcp_packets() -> Vec<Vec<u8>> {
    let report_block = |p: &mut Vec<u8>| {
        p.extend_from_slice(&0x5555_6666u32.to_be_bytes()); // SSRC of the source
        p.extend_from_slice(&[3, 0, 0, 7]); // fraction lost, cumulative lost
        p.extend_from_slice(&0x0001_0002u32.to_be_bytes()); // extended highest seq
        p.extend_from_slice(&40u32.to_be_bytes()); // jitter
        p.extend_from_slice(&0xaabb_ccddu32.to_be_bytes()); // LSR
        p.extend_from_slice(&0x0000_8000u32.to_be_bytes()); // DLSR
    };
    let sdes = |p: &mut Vec<u8>| {
        // One chunk: SSRC, CNAME item, end of list, padded to a word.
        let cname = b"oxrtc-interop";
        let mut chunk = SSRC.to_be_bytes().to_vec();
        chunk.extend_from_slice(&[1, cname.len() as u8]);
        chunk.extend_from_slice(cname);
        chunk.push(0);
        chunk.resize(chunk.len().next_multiple_of(4), 0);
        p.extend_from_slice(&[0x81, 202]);
        p.extend_from_slice(&((chunk.len() / 4) as u16).to_be_bytes());
        p.extend_from_slice(&chunk);
    };
    let mut sr = vec![0x81, 200, 0, 12];
    sr.extend_from_slice(&SSRC.to_be_bytes());
    sr.extend_from_slice(&0xe8d4_a510_0000_0000u64.to_be_bytes()); // NTP timestamp
    sr.extend_from_slice(&0x1234_5678u32.to_be_bytes()); // RTP timestamp
    sr.extend_from_slice(&5u32.to_be_bytes()); // packet count
    sr.extend_from_slice(&1551u32.to_be_bytes()); // octet count
    report_block(&mut sr);
    sdes(&mut sr);
    let mut rr = vec![0x81, 201, 0, 7];
    rr.extend_from_slice(&SSRC.to_be_bytes());
    report_block(&mut rr);
    sdes(&mut rr);
    vec![sr, rr]
}

/// Our side of one run: the DTLS endpoint, its socket and Pion.
struct Run {
    endpoint: Endpoint,
    socket: UdpSocket,
    pion: Pion,
    peer: SocketAddr,
    deadline: Instant,
    /// SRTP and SRTCP datagrams received from Pion, as they arrived.
    media: Vec<Vec<u8>>,
}

impl Run {
    /// Feeds the endpoint at most one datagram (DTLS ones; media is kept) and its timers,
    /// sends what it queued, and returns its events.
    fn step(&mut self) -> Vec<(SocketAddr, Event)> {
        assert!(
            Instant::now() < self.deadline,
            "timed out; pion said:\n{}",
            self.pion.output()
        );
        self.flush();
        let mut buf = [0u8; 2048];
        if let Ok((n, from)) = self.socket.recv_from(&mut buf) {
            assert!(from.ip().is_loopback());
            if is_media(&buf[..n]) {
                assert_eq!(from, self.peer);
                self.media.push(buf[..n].to_vec());
            } else {
                self.endpoint
                    .handle_receive(Instant::now(), from, &buf[..n]);
            }
        }
        self.endpoint.handle_timeout(Instant::now());
        // What the input produced leaves now: a DTLS server's last flight goes out in the
        // same step that reports it connected.
        self.flush();
        let mut events = Vec::new();
        while let Some(event) = self.endpoint.poll_event() {
            events.push(event);
        }
        events
    }

    fn flush(&mut self) {
        while let Some(t) = self.endpoint.poll_transmit() {
            assert!(t.destination.ip().is_loopback());
            self.socket.send_to(&t.contents, t.destination).unwrap();
        }
    }

    fn send(&self, datagram: &[u8]) {
        self.socket.send_to(datagram, self.peer).unwrap();
    }

    /// Steps until `count` media datagrams have arrived from Pion.
    fn receive_media(&mut self, count: usize) {
        while self.media.len() < count {
            if let Some((_, event)) = self.step().into_iter().next() {
                panic!("unexpected {event:?}; pion said:\n{}", self.pion.output());
            }
        }
    }
}

/// Unprotects one echoed datagram with `context`, as RTP or RTCP by its packet type.
fn unprotect(context: &mut Context, datagram: &[u8]) -> Result<Vec<u8>, SrtpError> {
    let mut packet = datagram.to_vec();
    if is_rtcp(&packet) {
        context.unprotect_rtcp(&mut packet)?;
    } else {
        context.unprotect_rtp(&mut packet)?;
    }
    Ok(packet)
}

/// One handshake and media exchange with Pion in the other DTLS role.
fn run(binary: &Path, role: Role, profile: SrtpProfile) {
    let certificate = Certificate::generate().unwrap();
    let ours = certificate.fingerprint(HashAlgorithm::Sha256);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let mut args = vec![
        "-srtp-profile".to_string(),
        profile.openssl_name().into(),
        "-peer-fingerprint".into(),
        ours.to_string(),
        "-timeout".into(),
        "20s".into(),
    ];
    match role {
        Role::Client => args.extend(["-role".into(), "server".into()]),
        Role::Server => args.extend([
            "-role".into(),
            "client".into(),
            "-addr".into(),
            socket.local_addr().unwrap().to_string(),
        ]),
    }
    let mut pion = Pion::spawn(binary, &args);
    let wait = Duration::from_secs(10);
    let pion_fingerprint = pion.wait_for("fingerprint", wait);
    let peer: SocketAddr = pion.wait_for("listening", wait).parse().unwrap();
    assert!(peer.ip().is_loopback());

    let mut config = Config::new(certificate);
    config.srtp_profiles = vec![profile];
    config.expected_peer_fingerprints = vec![pion_fingerprint.parse().unwrap()];
    let mut endpoint = Endpoint::new(Arc::new(config));
    if role == Role::Client {
        endpoint.connect(Instant::now(), peer);
    }
    let mut run = Run {
        endpoint,
        socket,
        pion,
        peer,
        deadline: Instant::now() + Duration::from_secs(20),
        media: Vec::new(),
    };

    // The handshake.
    let material = loop {
        let connected = run
            .step()
            .into_iter()
            .find_map(|(from, event)| match event {
                Event::Connected {
                    srtp_profile,
                    srtp_keying_material,
                    ..
                } => Some((from, srtp_profile, srtp_keying_material)),
                Event::Closed { reason } => {
                    panic!("closed: {reason:?}; pion said:\n{}", run.pion.output())
                }
                _ => None,
            });
        if let Some((from, srtp_profile, material)) = connected {
            assert_eq!(from, peer);
            assert_eq!(srtp_profile, Some(profile));
            let material = material.expect("keying material with a profile");
            assert_eq!(material.profile, profile);
            assert_eq!(material.role, role);
            break material;
        }
    };

    // The keys, as a PeerConnection builds them: the DTLS profile mapped to the SRTP
    // transform by its IANA id, the material split by our DTLS role.
    let srtp_profile =
        ProtectionProfile::from_id(profile.code()).expect("oxrtc-srtp implements the profile");
    assert_eq!(
        srtp_profile.keying_material_len(),
        profile.keying_material_len()
    );
    let keys = SessionKeys::from_dtls_keying_material(
        srtp_profile,
        material.as_bytes(),
        role == Role::Client,
    )
    .unwrap();
    let (mut local, mut remote) = keys.contexts(oxrtc_srtp::Config::default()).unwrap();

    // Media to Pion: every RTP packet, then the RTCP ones.
    let rtp = rtp_packets();
    let rtcp = rtcp_packets();
    for plain in &rtp {
        let mut packet = plain.clone();
        local.protect_rtp(&mut packet).unwrap();
        run.send(&packet);
    }
    for plain in &rtcp {
        let mut packet = plain.clone();
        local.protect_rtcp(&mut packet).unwrap();
        run.send(&packet);
    }
    let wait = Duration::from_secs(5);
    assert_eq!(
        run.pion.wait_for("srtp-profile", wait),
        profile.openssl_name()
    );
    // Pion decrypted exactly what we protected: our local key is its remote key.
    let pion_rtp = run.pion.wait_for_n("rtp", rtp.len(), wait);
    assert_eq!(pion_rtp, rtp.iter().map(hex::encode).collect::<Vec<_>>());
    let pion_rtcp = run.pion.wait_for_n("rtcp", rtcp.len(), wait);
    assert_eq!(pion_rtcp, rtcp.iter().map(hex::encode).collect::<Vec<_>>());

    // And its echoes, protected with its local key, unprotect with our remote key to the
    // same bytes.
    run.receive_media(rtp.len() + rtcp.len());
    let echoes = run.media.clone();
    let (echoed_rtcp, echoed_rtp): (Vec<_>, Vec<_>) = echoes
        .iter()
        .map(|datagram| {
            unprotect(&mut remote, datagram).unwrap_or_else(|e| {
                panic!("echo did not unprotect ({e}): {}", hex::encode(datagram))
            })
        })
        .partition(|p| is_rtcp(p));
    assert_eq!(echoed_rtp, rtp, "RTP echoes differ");
    assert_eq!(echoed_rtcp, rtcp, "RTCP echoes differ");

    // Negative control 1: under the swapped halves (the other role's split) no echo
    // unprotects. The context is fresh, like `remote` was: only the key differs.
    let swapped = SessionKeys::from_dtls_keying_material(
        srtp_profile,
        material.as_bytes(),
        role != Role::Client,
    )
    .unwrap();
    let (mut swapped_local, mut swapped_remote) = swapped.contexts(Default::default()).unwrap();
    for echo in &echoes {
        assert_eq!(
            unprotect(&mut swapped_remote, echo),
            Err(SrtpError::AuthenticationFailed),
            "an echo unprotected under swapped keys"
        );
    }

    // Negative control 2: Pion refuses a packet protected with its own write key and
    // does not echo it; the next packet, under ours, goes through.
    let mut bad = rtp[3].clone();
    bad[2..4].copy_from_slice(&2u16.to_be_bytes());
    swapped_local.protect_rtp(&mut bad).unwrap();
    run.send(&bad);
    let refused = run.pion.wait_for("rtp-error", wait);
    let mut good = rtp[3].clone();
    good[2..4].copy_from_slice(&3u16.to_be_bytes());
    let plain = good.clone();
    local.protect_rtp(&mut good).unwrap();
    run.send(&good);
    run.receive_media(echoes.len() + 1);
    assert_eq!(
        run.media.len(),
        echoes.len() + 1,
        "pion echoed the bad packet"
    );
    assert_eq!(
        unprotect(&mut remote, run.media.last().unwrap()).unwrap(),
        plain
    );
    assert_eq!(
        run.pion.values("rtp-error"),
        [refused],
        "{}",
        run.pion.output()
    );

    // Close; Pion's DTLS read sees close_notify on the shared socket.
    run.endpoint.close(peer);
    run.flush();
    assert_eq!(
        run.pion.wait_for("closed", wait),
        "EOF",
        "{}",
        run.pion.output()
    );
}

#[test]
fn oxrtc_client_pion_server_media_both_ways() {
    let Some(binary) = pion_dtls_srtp() else {
        return;
    };
    for profile in PROFILES {
        run(&binary, Role::Client, profile);
    }
}

#[test]
fn oxrtc_server_pion_client_media_both_ways() {
    let Some(binary) = pion_dtls_srtp() else {
        return;
    };
    for profile in PROFILES {
        run(&binary, Role::Server, profile);
    }
}
