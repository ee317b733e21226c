//! Tests of whole packets through a [`Context`]: RFC vectors, rollover, index exhaustion,
//! replay and every kind of bad input.

use crate::test_util::hex;
use crate::{Config, Context, Error, ProtectionProfile};

/// A tiny deterministic generator for test packets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn pair(profile: ProtectionProfile, config: Config) -> (Context, Context) {
    let key: Vec<u8> = (0..profile.master_key_len() as u8)
        .map(|b| b ^ 0x5a)
        .collect();
    let salt: Vec<u8> = (0..profile.master_salt_len() as u8)
        .map(|b| b ^ 0xa5)
        .collect();
    (
        Context::new(profile, &key, &salt, config.clone()).unwrap(),
        Context::new(profile, &key, &salt, config).unwrap(),
    )
}

fn rtp(seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn rtcp(ssrc: u32, body: &[u8]) -> Vec<u8> {
    // A receiver report header followed by arbitrary words.
    let words = (body.len() / 4 + 1) as u16;
    let mut p = vec![0x80, 201];
    p.extend_from_slice(&words.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(body);
    p
}

fn protect(ctx: &mut Context, packet: &[u8]) -> Vec<u8> {
    let mut buf = packet.to_vec();
    ctx.protect_rtp(&mut buf).unwrap();
    buf
}

fn protect_rtcp(ctx: &mut Context, packet: &[u8]) -> Vec<u8> {
    let mut buf = packet.to_vec();
    ctx.protect_rtcp(&mut buf).unwrap();
    buf
}

fn unprotect(ctx: &mut Context, packet: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = packet.to_vec();
    ctx.unprotect_rtp(&mut buf).map(|()| buf)
}

fn unprotect_rtcp(ctx: &mut Context, packet: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = packet.to_vec();
    ctx.unprotect_rtcp(&mut buf).map(|()| buf)
}

// RFC 7714 §16 and §17: session key and salt given directly, SSRC 0x5501a0b2, ROC 0,
// SEQ 0xf17b, SRTCP index 0x5d4.
const RFC7714_SALT: &str = "517569642070726f2071756f";
const RFC7714_KEY_128: &str = "000102030405060708090a0b0c0d0e0f";
const RFC7714_KEY_256: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const RFC7714_RTP: &str = "8040f17b8041f8d35501a0b2
    47616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573";
const RFC7714_RTCP: &str = "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61
    deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";

fn rfc7714_context(profile: ProtectionProfile, config: Config) -> Context {
    let key = match profile {
        ProtectionProfile::AeadAes256Gcm => hex(RFC7714_KEY_256),
        _ => hex(RFC7714_KEY_128),
    };
    let salt: [u8; 12] = hex(RFC7714_SALT).try_into().unwrap();
    Context::from_gcm_session_keys(profile, &key, salt, config)
}

#[test]
fn rfc7714_16_srtp_vectors() {
    let cases = [
        (
            ProtectionProfile::AeadAes128Gcm,
            "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f
             42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce",
        ),
        (
            ProtectionProfile::AeadAes256Gcm,
            "8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3
             b50b2a0276ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13",
        ),
    ];
    for (profile, protected) in cases {
        let mut tx = rfc7714_context(profile, Config::default());
        let mut rx = rfc7714_context(profile, Config::default());
        assert_eq!(
            protect(&mut tx, &hex(RFC7714_RTP)),
            hex(protected),
            "{profile}"
        );
        assert_eq!(
            unprotect(&mut rx, &hex(protected)),
            Ok(hex(RFC7714_RTP)),
            "{profile}"
        );
    }
}

#[test]
fn rfc7714_17_srtcp_vectors() {
    let tag_and_word = |tag: &str| format!("{RFC7714_RTCP}{tag}000005d4");
    let cases = [
        (
            ProtectionProfile::AeadAes128Gcm,
            true,
            "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda
             4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4"
                .to_string(),
        ),
        (
            ProtectionProfile::AeadAes256Gcm,
            true,
            "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be
             8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6cb26ac3be800005d4"
                .to_string(),
        ),
        // §17.3 / §17.4: tagged, not encrypted (E = 0).
        (
            ProtectionProfile::AeadAes128Gcm,
            false,
            tag_and_word("841dd9683dd78ec92ae58790125f62b3"),
        ),
        (
            ProtectionProfile::AeadAes256Gcm,
            false,
            tag_and_word("91db4afbfeee5a978fab4393ed2615fe"),
        ),
    ];
    for (profile, encrypt, protected) in cases {
        let config = Config::default().with_srtcp_encryption(encrypt);
        let mut tx = rfc7714_context(profile, config.clone());
        let mut rx = rfc7714_context(profile, config);
        tx.set_next_srtcp_send_index(0x4d61_7273, 0x5d4).unwrap();
        assert_eq!(
            protect_rtcp(&mut tx, &hex(RFC7714_RTCP)),
            hex(&protected),
            "{profile} E={encrypt}"
        );
        assert_eq!(
            unprotect_rtcp(&mut rx, &hex(&protected)),
            Ok(hex(RFC7714_RTCP)),
            "{profile} E={encrypt}"
        );
        // A flipped bit anywhere is refused, and leaves the buffer as it was for E = 0.
        for at in [0, 9, hex(&protected).len() - 5, hex(&protected).len() - 1] {
            let mut bad = hex(&protected);
            bad[at] ^= 0x01;
            let mut rx = rfc7714_context(profile, Config::default());
            assert!(unprotect_rtcp(&mut rx, &bad).is_err(), "{profile} {at}");
        }
    }
}

#[test]
fn round_trip_every_profile_with_csrcs_extensions_and_mki() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for profile in ProtectionProfile::ALL {
        for mki in [&[][..], &[0xde, 0xad, 0xbe, 0xef][..]] {
            let config = Config::default().with_mki(mki);
            let (mut tx, mut rx) = pair(profile, config);
            for seq in 0..200u16 {
                let cc = (rng.next() % 4) as u8;
                let ext_words = (rng.next() % 3) as usize;
                let mut packet = vec![0x80 | cc | if ext_words > 0 { 0x10 } else { 0 }, 0];
                packet.extend_from_slice(&seq.to_be_bytes());
                packet.extend_from_slice(&rng.bytes(4));
                packet.extend_from_slice(&0xcafe_f00du32.to_be_bytes());
                packet.extend_from_slice(&rng.bytes(4 * usize::from(cc)));
                if ext_words > 0 {
                    packet.extend_from_slice(&[0xbe, 0xde, 0, ext_words as u8]);
                    packet.extend_from_slice(&rng.bytes(4 * ext_words));
                }
                let header_len = packet.len();
                let payload_len = (rng.next() % 1300) as usize;
                packet.extend_from_slice(&rng.bytes(payload_len));
                let protected = protect(&mut tx, &packet);
                assert_eq!(protected.len(), packet.len() + tx.rtp_overhead());
                // The header stays in the clear, the payload does not (when long enough to
                // tell).
                assert_eq!(protected[..header_len], packet[..header_len]);
                if payload_len >= 8 {
                    assert_ne!(protected[header_len..packet.len()], packet[header_len..]);
                }
                assert_eq!(protected[packet.len()..][..0], []);
                assert_eq!(
                    unprotect(&mut rx, &protected),
                    Ok(packet),
                    "{profile} {seq}"
                );

                let words = (rng.next() % 40) as usize;
                let body = rng.bytes(4 * words);
                let report = rtcp(0x0bad_cafe, &body);
                let protected = protect_rtcp(&mut tx, &report);
                assert_eq!(protected.len(), report.len() + tx.rtcp_overhead());
                assert_eq!(unprotect_rtcp(&mut rx, &protected), Ok(report));
            }
        }
    }
}

#[test]
fn unencrypted_srtcp_round_trips_and_is_still_authenticated() {
    for profile in ProtectionProfile::ALL {
        let config = Config::default().with_srtcp_encryption(false);
        let (mut tx, mut rx) = pair(profile, config);
        let report = rtcp(7, &[1, 2, 3, 4, 5, 6, 7, 8]);
        let protected = protect_rtcp(&mut tx, &report);
        assert_eq!(
            protected[..report.len()],
            report[..],
            "{profile}: sent in the clear"
        );
        let mut forged = protected.clone();
        forged[9] ^= 1;
        assert_eq!(
            unprotect_rtcp(&mut rx, &forged),
            Err(Error::AuthenticationFailed)
        );
        assert_eq!(unprotect_rtcp(&mut rx, &protected), Ok(report), "{profile}");
    }
}

#[test]
fn roc_rolls_over_across_2_16() {
    for profile in ProtectionProfile::ALL {
        let (mut tx, mut rx) = pair(profile, Config::default());
        let seqs: Vec<u16> = (65530..=65535).chain(0..6).collect();
        let packets: Vec<_> = seqs
            .iter()
            .map(|&s| {
                let p = rtp(s, 42, &[s as u8; 40]);
                (p.clone(), protect(&mut tx, &p))
            })
            .collect();
        assert_eq!(tx.send_roc(42), Some(1));
        // Reordered across the wrap: 0 (ROC 1) before 65535 (ROC 0).
        let order = [0, 1, 2, 3, 4, 6, 5, 7, 8, 9, 10, 11];
        for i in order {
            let (plain, protected) = &packets[i];
            assert_eq!(
                unprotect(&mut rx, protected).as_ref(),
                Ok(plain),
                "{profile} {i}"
            );
        }
        assert_eq!(rx.receive_roc(42), Some(1));
        // A replay of the pre-wrap packet is recognised as such, with its ROC 0 index.
        assert_eq!(
            unprotect(&mut rx, &packets[5].1),
            Err(Error::Replayed {
                ssrc: 42,
                index: 65535
            })
        );
    }
}

#[test]
fn roc_keeps_up_over_many_wraps() {
    // Steps of 20000 keep within the §3.3.1 estimate; the ROC reaches 5.
    for profile in ProtectionProfile::ALL {
        let (mut tx, mut rx) = pair(profile, Config::default());
        let mut index = 0u64;
        while index < 6 * 65536 + 100 {
            let p = rtp(index as u16, 9, b"payload");
            let protected = protect(&mut tx, &p);
            assert_eq!(unprotect(&mut rx, &protected), Ok(p), "{profile} {index}");
            index += 20_000;
        }
        assert_eq!(rx.receive_roc(9), Some(5));
        assert_eq!(tx.send_roc(9), Some(5));
    }
}

#[test]
fn a_receiver_with_the_wrong_roc_cannot_decrypt() {
    // The ROC is authenticated (AES-CM) or in the nonce (GCM): a receiver that missed the
    // wrap by more than half the sequence space refuses rather than accepting garbage.
    for profile in ProtectionProfile::ALL {
        let (mut tx, mut rx) = pair(profile, Config::default());
        let first = protect(&mut tx, &rtp(0, 5, b"x"));
        assert!(unprotect(&mut rx, &first).is_ok());
        for seq in (0..=65535u16).step_by(16_384).skip(1).chain([0, 16_384]) {
            protect(&mut tx, &rtp(seq, 5, b"x"));
        }
        // The sender is at ROC 1, seq 16384; the receiver last saw index 0.
        let late = protect(&mut tx, &rtp(16_384 + 10_000, 5, b"x"));
        assert_eq!(tx.send_roc(5), Some(1));
        assert_eq!(
            unprotect(&mut rx, &late),
            Err(Error::AuthenticationFailed),
            "{profile}"
        );
        assert_eq!(rx.receive_roc(5), Some(0));
    }
}

/// A stream moved mid-flight to fresh contexts (another process) continues in both
/// directions once its indices are carried over, and fails without them.
#[test]
fn handoff_carries_the_rollover_counter_and_srtcp_index() {
    for profile in ProtectionProfile::ALL {
        let (mut tx, mut rx) = pair(profile, Config::default());
        for seq in (65_000..=65_535).chain(0..100) {
            let packet = protect(&mut tx, &rtp(seq, 7, b"before"));
            unprotect(&mut rx, &packet).unwrap();
        }
        for _ in 0..5 {
            let report = protect_rtcp(&mut tx, &rtcp(7, b"rtcp"));
            unprotect_rtcp(&mut rx, &report).unwrap();
        }
        assert_eq!(tx.send_index(7), Some((1 << 16) | 99));
        assert_eq!(rx.receive_index(7), Some((1 << 16) | 99));
        assert_eq!(tx.next_srtcp_send_index(7), Some(6));
        assert_eq!(rx.srtcp_receive_index(7), Some(5));

        // Fresh contexts without the indices: the receiver assumes ROC 0 and the sender
        // would reuse SRTCP index 1.
        let (mut naive_tx, mut naive_rx) = pair(profile, Config::default());
        let from_old_sender = protect(&mut tx, &rtp(100, 7, b"after"));
        assert_eq!(
            unprotect(&mut naive_rx, &from_old_sender),
            Err(Error::AuthenticationFailed),
            "{profile}"
        );
        let from_naive_sender = protect(&mut naive_tx, &rtp(101, 7, b"after"));
        assert_eq!(
            unprotect(&mut rx, &from_naive_sender),
            Err(Error::AuthenticationFailed),
            "{profile}"
        );

        // Carried over, both directions continue.
        let (mut new_tx, mut new_rx) = pair(profile, Config::default());
        new_tx.set_send_index(7, tx.send_index(7).unwrap()).unwrap();
        new_rx
            .set_receive_index(7, rx.receive_index(7).unwrap())
            .unwrap();
        new_tx
            .set_next_srtcp_send_index(7, tx.next_srtcp_send_index(7).unwrap())
            .unwrap();
        new_rx
            .set_srtcp_receive_index(7, rx.srtcp_receive_index(7).unwrap())
            .unwrap();
        let plain = rtp(101, 7, b"after");
        assert_eq!(
            unprotect(&mut rx, &protect(&mut new_tx, &plain)),
            Ok(plain.clone())
        );
        assert_eq!(
            unprotect(&mut new_rx, &from_old_sender).unwrap(),
            rtp(100, 7, b"after")
        );
        let report = protect_rtcp(&mut new_tx, &rtcp(7, b"rtcp"));
        unprotect_rtcp(&mut rx, &report).unwrap();
        assert_eq!(rx.srtcp_receive_index(7), Some(6), "{profile}");
        let old_report = protect_rtcp(&mut tx, &rtcp(7, b"rtcp"));
        unprotect_rtcp(&mut new_rx, &old_report).unwrap();
        // a packet from before the handoff arriving late counts as a replay
        let late = protect(&mut new_tx, &rtp(95, 7, b"late"));
        assert!(matches!(
            unprotect(&mut new_rx, &late),
            Err(Error::Replayed { .. })
        ));
        // an index the old receiver already accepted is refused by the new one
        assert!(matches!(
            unprotect_rtcp(&mut new_rx, &protect_rtcp(&mut naive_tx, &rtcp(7, b"rtcp"))),
            Err(Error::TooOld { .. } | Error::Replayed { .. })
        ));
        assert!(new_rx.set_srtcp_receive_index(7, 0x8000_0000).is_err());
        assert!(new_tx.set_send_index(7, 1 << 48).is_err());
    }
}

#[test]
fn srtcp_indices_start_at_1_like_libsrtp() {
    let (mut tx, _) = pair(ProtectionProfile::AeadAes128Gcm, Config::default());
    let first = protect_rtcp(&mut tx, &rtcp(1, b""));
    assert_eq!(first[first.len() - 4..], [0x80, 0, 0, 1]);
    let second = protect_rtcp(&mut tx, &rtcp(1, b""));
    assert_eq!(second[second.len() - 4..], [0x80, 0, 0, 2]);
}

#[test]
fn srtcp_index_runs_out_at_2_31_and_is_refused() {
    for profile in ProtectionProfile::ALL {
        let (mut tx, mut rx) = pair(profile, Config::default());
        tx.set_next_srtcp_send_index(3, 0x7fff_fffe).unwrap();
        let report = rtcp(3, &[9; 8]);
        let a = protect_rtcp(&mut tx, &report);
        let b = protect_rtcp(&mut tx, &report);
        // The E flag and the 31-bit index share the word: 0x7fffffff with E set.
        let word_at = match profile.is_aead() {
            true => b.len() - 4,
            false => b.len() - 10 - 4,
        };
        assert_eq!(b[word_at..word_at + 4], [0xff; 4], "{profile}");
        let mut c = report.clone();
        assert_eq!(
            tx.protect_rtcp(&mut c),
            Err(Error::IndexExhausted { ssrc: 3 })
        );
        assert_eq!(c, report, "a refused packet keeps its length and bytes");
        assert_eq!(unprotect_rtcp(&mut rx, &a), Ok(report.clone()));
        assert_eq!(unprotect_rtcp(&mut rx, &b), Ok(report.clone()));
        assert_eq!(
            unprotect_rtcp(&mut rx, &a),
            Err(Error::Replayed {
                ssrc: 3,
                index: 0x7fff_fffe
            })
        );
        // Other SSRCs are unaffected.
        let other = protect_rtcp(&mut tx, &rtcp(4, &[1; 4]));
        assert!(unprotect_rtcp(&mut rx, &other).is_ok());
    }
}

#[test]
fn srtp_index_runs_out_at_2_48() {
    let (mut tx, _) = pair(ProtectionProfile::AeadAes128Gcm, Config::default());
    // Drive the sender's ROC to its maximum through the estimate, 20000 at a time, is
    // 2^32 · 3 packets; instead protect one packet and set the state where it would be.
    protect(&mut tx, &rtp(0xfff0, 1, b"x"));
    tx.set_send_index(1, (u64::from(u32::MAX) << 16) | 0xfff0)
        .unwrap();
    assert!(tx.protect_rtp(&mut rtp(0xfff1, 1, b"x")).is_ok());
    assert_eq!(
        tx.protect_rtp(&mut rtp(0x0001, 1, b"x")),
        Err(Error::IndexExhausted { ssrc: 1 })
    );
}

#[test]
fn replay_window_edges_through_a_context() {
    for profile in ProtectionProfile::ALL {
        let config = Config::default()
            .with_srtp_replay_window(64)
            .with_srtcp_replay_window(64);
        let (mut tx, mut rx) = pair(profile, config);
        let packets: Vec<_> = (0..=300u16)
            .map(|s| protect(&mut tx, &rtp(s, 1, b"p")))
            .collect();
        // SRTCP indices start at 1: make reports[i] the one with index i.
        tx.set_next_srtcp_send_index(1, 0).unwrap();
        let reports: Vec<_> = (0..=300)
            .map(|_| protect_rtcp(&mut tx, &rtcp(1, &[0; 4])))
            .collect();
        assert!(unprotect(&mut rx, &packets[0]).is_ok());
        assert!(unprotect(&mut rx, &packets[300]).is_ok());
        assert!(unprotect_rtcp(&mut rx, &reports[0]).is_ok());
        assert!(unprotect_rtcp(&mut rx, &reports[300]).is_ok());
        // 300 - 63 is the oldest index inside a window of 64; 300 - 64 is outside.
        assert!(unprotect(&mut rx, &packets[237]).is_ok());
        assert!(unprotect_rtcp(&mut rx, &reports[237]).is_ok());
        assert_eq!(
            unprotect(&mut rx, &packets[236]),
            Err(Error::TooOld {
                ssrc: 1,
                index: 236
            })
        );
        assert_eq!(
            unprotect_rtcp(&mut rx, &reports[236]),
            Err(Error::TooOld {
                ssrc: 1,
                index: 236
            })
        );
        for (i, e) in [(237, 237), (300, 300)] {
            assert_eq!(
                unprotect(&mut rx, &packets[i]),
                Err(Error::Replayed { ssrc: 1, index: e })
            );
            assert_eq!(
                unprotect_rtcp(&mut rx, &reports[i]),
                Err(Error::Replayed { ssrc: 1, index: e })
            );
        }
        assert!(unprotect(&mut rx, &packets[299]).is_ok());
    }
}

#[test]
fn a_forged_packet_moves_no_state() {
    for profile in ProtectionProfile::ALL {
        let (mut tx, mut rx) = pair(profile, Config::default());
        let packets: Vec<_> = (65000..=65535u16)
            .chain(0..100)
            .map(|s| protect(&mut tx, &rtp(s, 77, &[s as u8; 100])))
            .collect();
        assert!(unprotect(&mut rx, &packets[0]).is_ok());
        // Forge every later packet (bad tag): none may be accepted, mark an index as seen,
        // move the window, or roll the ROC over.
        for p in &packets[1..] {
            let mut forged = p.clone();
            let last = forged.len() - 1;
            forged[last] ^= 0x80;
            assert_eq!(
                unprotect(&mut rx, &forged),
                Err(Error::AuthenticationFailed)
            );
            let mut forged = p.clone();
            forged[20] ^= 0x01; // a payload byte
            assert_eq!(
                unprotect(&mut rx, &forged),
                Err(Error::AuthenticationFailed)
            );
        }
        assert_eq!(rx.receive_roc(77), Some(0));
        // A forged packet of an unknown SSRC creates no state.
        let mut stranger = protect(&mut tx, &rtp(5, 78, b"hello"));
        stranger[14] ^= 1;
        assert_eq!(
            unprotect(&mut rx, &stranger),
            Err(Error::AuthenticationFailed)
        );
        assert_eq!(rx.tracked(), [0, 1, 0, 0]);
        // And every genuine packet is still accepted, in order.
        for p in &packets[1..] {
            assert!(unprotect(&mut rx, p).is_ok(), "{profile}");
        }
        assert_eq!(rx.receive_roc(77), Some(1));

        // The same for SRTCP.
        let reports: Vec<_> = (0..10)
            .map(|_| protect_rtcp(&mut tx, &rtcp(77, &[3; 12])))
            .collect();
        for r in &reports {
            let mut forged = r.clone();
            forged[10] ^= 0x01;
            assert_eq!(
                unprotect_rtcp(&mut rx, &forged),
                Err(Error::AuthenticationFailed)
            );
        }
        assert_eq!(rx.tracked(), [0, 1, 0, 0]);
        for r in &reports {
            assert!(unprotect_rtcp(&mut rx, r).is_ok());
        }
    }
}

#[test]
fn truncated_packets_are_refused_without_panic() {
    for profile in ProtectionProfile::ALL {
        let config = Config::default().with_mki(&[1, 2]);
        let (mut tx, mut rx) = pair(profile, config);
        let mut packet = vec![0x80 | 0x10 | 1, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        packet.extend_from_slice(&[0, 0, 0, 9, 0xbe, 0xde, 0, 1, 1, 2, 3, 4]);
        packet.extend_from_slice(&[0xaa; 30]);
        let protected = protect(&mut tx, &packet);
        let min = 12 + tx.rtp_overhead();
        for cut in 0..protected.len() {
            let result = unprotect(&mut rx, &protected[..cut]);
            if cut < min {
                assert_eq!(
                    result,
                    Err(Error::Truncated {
                        len: cut,
                        needed: min
                    }),
                    "{profile} {cut}"
                );
            } else {
                assert!(
                    matches!(
                        result,
                        Err(Error::Truncated { .. })
                            | Err(Error::AuthenticationFailed)
                            | Err(Error::UnknownMki)
                    ),
                    "{profile} {cut}: {result:?}"
                );
            }
        }
        let report = protect_rtcp(&mut tx, &rtcp(1, &[5; 16]));
        let min = 8 + tx.rtcp_overhead();
        for cut in 0..report.len() {
            let result = unprotect_rtcp(&mut rx, &report[..cut]);
            if cut < min {
                assert_eq!(
                    result,
                    Err(Error::Truncated {
                        len: cut,
                        needed: min
                    }),
                    "{profile} {cut}"
                );
            } else {
                assert!(result.is_err(), "{profile} {cut}");
            }
        }
        assert_eq!(rx.tracked(), [0, 0, 0, 0]);
        assert!(unprotect(&mut rx, &protected).is_ok());
        assert!(unprotect_rtcp(&mut rx, &report).is_ok());
        // Short plain packets cannot be protected either.
        assert!(matches!(
            tx.protect_rtp(&mut vec![0x80; 11]),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            tx.protect_rtcp(&mut vec![0x80; 7]),
            Err(Error::Truncated { .. })
        ));
        assert_eq!(
            tx.protect_rtp(&mut vec![0x40; 12]),
            Err(Error::InvalidVersion { version: 1 })
        );
    }
}

#[test]
fn too_many_ssrcs_is_its_own_error() {
    for profile in ProtectionProfile::ALL {
        let config = Config::default().with_max_ssrcs(2);
        let (mut tx, mut rx) = pair(profile, config.clone());
        let (mut big_tx, _) = pair(profile, Config::default());
        let packets: Vec<_> = (1..=3)
            .map(|ssrc| protect(&mut big_tx, &rtp(1, ssrc, b"a")))
            .collect();
        assert!(unprotect(&mut rx, &packets[0]).is_ok());
        assert!(unprotect(&mut rx, &packets[1]).is_ok());
        assert_eq!(
            unprotect(&mut rx, &packets[2]),
            Err(Error::TooManySsrcs { ssrc: 3, limit: 2 })
        );
        // Known SSRCs keep working; removing one makes room.
        assert!(unprotect(&mut rx, &protect(&mut big_tx, &rtp(2, 1, b"b"))).is_ok());
        rx.remove_ssrc(1);
        assert!(unprotect(&mut rx, &packets[2]).is_ok());

        assert!(tx.protect_rtp(&mut rtp(1, 1, b"a")).is_ok());
        assert!(tx.protect_rtp(&mut rtp(1, 2, b"a")).is_ok());
        assert_eq!(
            tx.protect_rtp(&mut rtp(1, 3, b"a")),
            Err(Error::TooManySsrcs { ssrc: 3, limit: 2 })
        );
        assert!(tx.protect_rtcp(&mut rtcp(1, b"")).is_ok());
        assert!(tx.protect_rtcp(&mut rtcp(2, b"")).is_ok());
        assert_eq!(
            tx.protect_rtcp(&mut rtcp(3, b"")),
            Err(Error::TooManySsrcs { ssrc: 3, limit: 2 })
        );
    }
}

#[test]
fn wrong_mki_and_wrong_key_are_distinct_errors() {
    for profile in ProtectionProfile::ALL {
        let (mut tx, _) = pair(profile, Config::default().with_mki(&[1, 2, 3]));
        let (_, mut rx) = pair(profile, Config::default().with_mki(&[1, 2, 4]));
        let p = protect(&mut tx, &rtp(1, 1, b"a"));
        assert_eq!(unprotect(&mut rx, &p), Err(Error::UnknownMki));
        let r = protect_rtcp(&mut tx, &rtcp(1, b""));
        assert_eq!(unprotect_rtcp(&mut rx, &r), Err(Error::UnknownMki));

        let other_key = vec![0u8; profile.master_key_len()];
        let salt = vec![0u8; profile.master_salt_len()];
        let mut other = Context::new(
            profile,
            &other_key,
            &salt,
            Config::default().with_mki(&[1, 2, 3]),
        )
        .unwrap();
        assert_eq!(unprotect(&mut other, &p), Err(Error::AuthenticationFailed));
        assert_eq!(
            unprotect_rtcp(&mut other, &r),
            Err(Error::AuthenticationFailed)
        );
    }
}

#[test]
fn slices_without_room_for_the_tag_are_refused() {
    let (mut tx, _) = pair(ProtectionProfile::Aes128CmHmacSha1_80, Config::default());
    let packet = rtp(1, 1, b"abc");
    let mut buf = packet.clone();
    assert_eq!(
        tx.protect_rtp_in(&mut buf, packet.len()),
        Err(Error::BufferTooSmall {
            needed: packet.len() + 10,
            capacity: packet.len()
        })
    );
    assert_eq!(buf, packet);
    assert!(matches!(
        tx.protect_rtp_in(&mut buf, packet.len() + 1),
        Err(Error::BufferTooSmall { .. })
    ));
    let mut room = [0u8; 100];
    room[..packet.len()].copy_from_slice(&packet);
    assert_eq!(
        tx.protect_rtp_in(&mut room, packet.len()),
        Ok(packet.len() + 10)
    );
}

#[test]
fn invalid_configs_are_refused() {
    let key = [0u8; 16];
    let salt = [0u8; 14];
    let profile = ProtectionProfile::Aes128CmHmacSha1_80;
    for config in [
        Config::default().with_srtp_replay_window(0),
        Config::default().with_srtcp_replay_window(0x8001),
        Config::default().with_max_ssrcs(0),
        Config::default().with_mki(&[0; 129]),
    ] {
        assert!(matches!(
            Context::new(profile, &key, &salt, config),
            Err(Error::InvalidConfig { .. })
        ));
    }
}

#[test]
fn random_bytes_never_panic_and_never_create_state() {
    let mut rng = Rng(99);
    for profile in ProtectionProfile::ALL {
        let (_, mut rx) = pair(profile, Config::default().with_mki(&[7]));
        for _ in 0..3000 {
            let len = (rng.next() % 80) as usize;
            let mut bytes = rng.bytes(len);
            if len > 0 && rng.next().is_multiple_of(2) {
                bytes[0] = 0x80 | (bytes[0] & 0x3f);
            }
            assert!(rx.unprotect_rtp(&mut bytes.clone()).is_err());
            assert!(rx.unprotect_rtcp(&mut bytes).is_err());
        }
        assert_eq!(rx.tracked(), [0, 0, 0, 0]);
    }
}
