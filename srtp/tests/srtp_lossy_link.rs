//! SRTP and SRTCP through a lossy, jittery, reordering and duplicating link
//! (`oxrtc-netem`, virtual time): a video-like stream of 1 ms packets crossing the 2^16
//! sequence number wrap. Every packet the receiver accepts is the original plaintext,
//! none is accepted twice, every duplicate is reported as a replay, and with the default
//! 1024-packet window no reordered packet is lost to the window.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use oxrtc_netem::{Link, LinkConfig};
use oxrtc_srtp::{Config, Context, Error, ProtectionProfile};

const PACKETS: u32 = 4000;

fn rtp(seq: u16, id: u32) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(id * 90).to_be_bytes());
    p.extend_from_slice(&0x00c0_ffeeu32.to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend(std::iter::repeat_n(id as u8, 100 + (id % 50) as usize));
    p
}

fn rtcp(id: u32) -> Vec<u8> {
    let mut p = vec![0x80, 201, 0, 2];
    p.extend_from_slice(&0x00c0_ffeeu32.to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p
}

#[derive(Default, Debug)]
struct Outcome {
    accepted: HashSet<u32>,
    replayed: u64,
    too_old: u64,
}

/// Sends `PACKETS` RTP packets (and one RTCP packet per 10) through `link_config`, and
/// returns what the receiver made of them, plus the ids that arrived at all.
fn run(
    profile: ProtectionProfile,
    config: Config,
    link_config: LinkConfig,
) -> (Outcome, Outcome, HashSet<u32>, HashSet<u32>) {
    let key = vec![0x11; profile.master_key_len()];
    let salt = vec![0x22; profile.master_salt_len()];
    let mut tx = Context::new(profile, &key, &salt, config.clone()).unwrap();
    let mut rx = Context::new(profile, &key, &salt, config).unwrap();
    let mut link: Link<(bool, u32, Vec<u8>)> = Link::new(link_config);
    let mut originals = HashMap::new();
    let mut originals_rtcp = HashMap::new();
    let (mut media, mut control) = (Outcome::default(), Outcome::default());
    let (mut arrived, mut arrived_rtcp) = (HashSet::new(), HashSet::new());

    let start = Instant::now();
    let mut now = start;
    let mut next_send = 0u32;
    loop {
        if next_send < PACKETS {
            let seq = 65_000u16.wrapping_add(next_send as u16);
            let plain = rtp(seq, next_send);
            let mut packet = plain.clone();
            tx.protect_rtp(&mut packet).unwrap();
            originals.insert(next_send, plain);
            link.send(now, (false, next_send, packet));
            if next_send.is_multiple_of(10) {
                let plain = rtcp(next_send);
                let mut packet = plain.clone();
                tx.protect_rtcp(&mut packet).unwrap();
                originals_rtcp.insert(next_send, plain);
                link.send(now, (true, next_send, packet));
            }
            next_send += 1;
        }
        while let Some((is_rtcp, id, mut packet)) = link.recv(now) {
            let (outcome, result, original) = if is_rtcp {
                arrived_rtcp.insert(id);
                (
                    &mut control,
                    rx.unprotect_rtcp(&mut packet),
                    &originals_rtcp[&id],
                )
            } else {
                arrived.insert(id);
                (&mut media, rx.unprotect_rtp(&mut packet), &originals[&id])
            };
            match result {
                Ok(()) => {
                    assert_eq!(&packet, original, "{profile}: packet {id} decrypted wrong");
                    assert!(
                        outcome.accepted.insert(id),
                        "{profile}: {id} accepted twice"
                    );
                }
                Err(Error::Replayed { .. }) => {
                    assert!(
                        outcome.accepted.contains(&id),
                        "{profile}: {id} a false replay"
                    );
                    outcome.replayed += 1;
                }
                // Late beyond the window: an original or a duplicate, either way dropped.
                Err(Error::TooOld { .. }) => outcome.too_old += 1,
                Err(other) => panic!("{profile}: packet {id}: {other}"),
            }
        }
        if next_send < PACKETS {
            now += Duration::from_millis(1);
        } else if let Some(due) = link.poll_timeout() {
            now = due;
        } else {
            break;
        }
    }
    (media, control, arrived, arrived_rtcp)
}

fn rough_link(seed: u64) -> LinkConfig {
    LinkConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(30),
        loss: 0.05,
        duplicate: 0.05,
        reorder: 0.1,
        reorder_delay: Duration::from_millis(40),
        mtu: None,
        seed,
    }
}

#[test]
fn every_packet_that_arrives_is_accepted_exactly_once() {
    for (i, profile) in ProtectionProfile::ALL.into_iter().enumerate() {
        let (media, control, arrived, arrived_rtcp) =
            run(profile, Config::default(), rough_link(i as u64 + 1));
        // Reordering reaches ~70 packets back; the 1024 window keeps every one of them, and
        // the 128 SRTCP window (one report per 10 ms) too.
        assert_eq!(media.accepted, arrived, "{profile}");
        assert_eq!(control.accepted, arrived_rtcp, "{profile}");
        assert_eq!(media.too_old, 0, "{profile}");
        assert!(
            media.replayed > 0,
            "{profile}: the link duplicated nothing?"
        );
        assert!(
            arrived.len() < PACKETS as usize,
            "{profile}: the link lost nothing?"
        );
        assert!(arrived.len() > PACKETS as usize * 9 / 10, "{profile}");
    }
}

#[test]
fn a_small_window_drops_late_packets_but_never_accepts_twice() {
    let config = Config::default()
        .with_srtp_replay_window(8)
        .with_srtcp_replay_window(1);
    let (media, control, arrived, _) =
        run(ProtectionProfile::AeadAes128Gcm, config, rough_link(99));
    assert!(media.too_old > 0, "reordering past 8 packets must show");
    assert!(control.too_old > 0);
    assert!(media.accepted.len() + (media.too_old as usize) >= arrived.len());
}
