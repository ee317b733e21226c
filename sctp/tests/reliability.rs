//! Reliable, unordered and partially reliable channels over lossy, reordering,
//! duplicating links under a virtual clock.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{config, Pair};
use oxrtc_netem::LinkConfig;
use oxrtc_sctp::{ChannelConfig, Event, MessageKind, Reliability};

fn lossy(loss: f64, seed: u64) -> LinkConfig {
    LinkConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(5),
        loss,
        duplicate: 0.05,
        reorder: 0.05,
        reorder_delay: Duration::from_millis(15),
        mtu: None,
        seed,
    }
}

fn pair(loss: f64, seed: u64, interleaving: bool) -> Pair {
    let mut a = config(true, seed as u8);
    let mut b = config(false, seed as u8 + 100);
    a.interleaving = interleaving;
    b.interleaving = interleaving;
    let mut p = Pair::new(a, b, lossy(loss, seed));
    p.connect();
    assert_eq!(p.a.uses_interleaving(), interleaving);
    p
}

/// Deterministic message `i`: sizes from 1 byte to the 64 KiB default max message size.
fn message(i: usize) -> Bytes {
    const SIZES: [usize; 9] = [1, 2, 3, 100, 1_000, 1_188, 1_200, 5_000, 65_536];
    let len = if i % 10 == 9 {
        17 + (i * 7919) % 20_000
    } else {
        SIZES[i % SIZES.len()]
    };
    Bytes::from((0..len).map(|j| (i * 31 + j) as u8).collect::<Vec<u8>>())
}

fn received(events: &[Event], channel: u16) -> Vec<Bytes> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message {
                channel: c, data, ..
            } if *c == channel => Some(data.clone()),
            _ => None,
        })
        .collect()
}

fn reliable_ordered(loss: f64, seed: u64, interleaving: bool) {
    let mut p = pair(loss, seed, interleaving);
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    let sent: Vec<Bytes> = (0..60).map(message).collect();
    for m in &sent {
        p.a.send(ch, MessageKind::Binary, m.clone()).unwrap();
    }
    // The other direction carries traffic at the same time.
    let back = p.b.open_channel(ChannelConfig::default()).unwrap();
    for i in 0..20 {
        p.b.send(back, MessageKind::Text, message(i)).unwrap();
    }
    let n = sent.len();
    let ok = p.drive(Duration::from_secs(600), |p| {
        received(&p.b_events, ch).len() >= n && received(&p.a_events, back).len() >= 20
    });
    assert!(
        ok,
        "only {} of {n} arrived",
        received(&p.b_events, ch).len()
    );
    // Let retransmissions and duplicates settle, then check exactly-once, in order.
    let until = p.now() + Duration::from_secs(5);
    p.drive(Duration::from_secs(5), |p| p.now() >= until);
    assert_eq!(received(&p.b_events, ch), sent);
    assert_eq!(
        received(&p.a_events, back),
        (0..20).map(message).collect::<Vec<_>>()
    );
    let stats = p.net.a_to_b.stats();
    if loss > 0.0 {
        assert!(
            stats.dropped > 0 && stats.duplicated > 0 && stats.reordered > 0,
            "{stats:?}"
        );
    }
}

#[test]
fn reliable_ordered_no_loss() {
    reliable_ordered(0.0, 1, false);
    reliable_ordered(0.0, 2, true);
}

#[test]
fn reliable_ordered_5_percent_loss() {
    reliable_ordered(0.05, 3, false);
    reliable_ordered(0.05, 4, true);
}

#[test]
fn reliable_ordered_20_percent_loss() {
    reliable_ordered(0.20, 5, false);
    reliable_ordered(0.20, 6, true);
}

#[test]
fn unordered_reliable_delivers_everything_once() {
    for interleaving in [false, true] {
        let mut p = pair(0.2, 7, interleaving);
        let ch =
            p.a.open_channel(ChannelConfig {
                ordered: false,
                ..Default::default()
            })
            .unwrap();
        // Wait for the DCEP ACK so messages really go unordered.
        p.drive(Duration::from_secs(30), |p| {
            p.b_events
                .iter()
                .any(|e| matches!(e, Event::ChannelOpened { .. }))
        });
        let until = p.now() + Duration::from_secs(2);
        p.drive(Duration::from_secs(2), |p| p.now() >= until);
        let sent: Vec<Bytes> = (0..80).map(message).collect();
        for m in &sent {
            p.a.send(ch, MessageKind::Binary, m.clone()).unwrap();
        }
        p.drive(Duration::from_secs(600), |p| {
            received(&p.b_events, ch).len() >= 80
        });
        let until = p.now() + Duration::from_secs(5);
        p.drive(Duration::from_secs(5), |p| p.now() >= until);
        let mut got = received(&p.b_events, ch);
        assert_eq!(got.len(), sent.len());
        assert_ne!(
            got, sent,
            "with 20% loss some messages should arrive out of order"
        );
        got.sort();
        let mut want = sent.clone();
        want.sort();
        assert_eq!(got, want);
    }
}

fn is_subsequence(got: &[Bytes], sent: &[Bytes]) -> bool {
    let mut it = sent.iter();
    got.iter().all(|g| it.any(|s| s == g))
}

#[test]
fn partial_reliability_by_retransmits_and_lifetime() {
    for interleaving in [false, true] {
        for reliability in [
            Reliability::MaxRetransmits(0),
            Reliability::MaxLifetime(Duration::from_millis(300)),
        ] {
            let mut p = pair(0.2, 8, interleaving);
            let ch =
                p.a.open_channel(ChannelConfig {
                    reliability,
                    ..Default::default()
                })
                .unwrap();
            let reliable = p.a.open_channel(ChannelConfig::default()).unwrap();
            let sent: Vec<Bytes> = (0..100).map(|i| message(i % 7)).collect();
            for m in &sent {
                p.a.send(ch, MessageKind::Binary, m.clone()).unwrap();
            }
            p.a.send(reliable, MessageKind::Text, Bytes::from_static(b"done"))
                .unwrap();
            let ok = p.drive(Duration::from_secs(600), |p| {
                !received(&p.b_events, reliable).is_empty()
            });
            assert!(
                ok,
                "reliable message after the partial-reliable ones never came"
            );
            let until = p.now() + Duration::from_secs(10);
            p.drive(Duration::from_secs(10), |p| p.now() >= until);
            let got = received(&p.b_events, ch);
            assert!(
                got.len() < sent.len(),
                "{reliability:?}: nothing was abandoned"
            );
            assert!(
                got.len() > sent.len() / 4,
                "{reliability:?}: too much was abandoned"
            );
            assert!(
                is_subsequence(&got, &sent),
                "{reliability:?}: out of order or duplicated"
            );
            // The association is healthy afterwards.
            p.a.send(reliable, MessageKind::Text, Bytes::from_static(b"again"))
                .unwrap();
            let ok = p.drive(Duration::from_secs(60), |p| {
                received(&p.b_events, reliable).len() == 2
            });
            assert!(ok);
        }
    }
}

/// RACK-style loss detection: a lost packet followed by a single later packet (so the
/// three-miss rule never fires) is repaired within a few round trips, not after RTO.
#[test]
fn tail_loss_is_repaired_before_the_retransmission_timeout() {
    let mut p = Pair::new(
        config(true, 1),
        config(false, 2),
        LinkConfig {
            latency: Duration::from_millis(10),
            ..LinkConfig::default()
        },
    );
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    p.a.send(ch, MessageKind::Binary, Bytes::from_static(b"warm-up"))
        .unwrap();
    assert!(
        p.drive(Duration::from_secs(5), |p| received(&p.b_events, ch).len()
            == 1)
    );
    let until = p.now() + Duration::from_secs(1);
    p.drive(Duration::from_secs(2), |p| p.now() >= until);

    let t0 = p.now();
    p.a.send(ch, MessageKind::Binary, Bytes::from_static(b"lost"))
        .unwrap();
    p.net.a_to_b.set_blackhole(true);
    p.flush();
    p.net.a_to_b.set_blackhole(false);
    let later = t0 + Duration::from_millis(10);
    p.drive(Duration::from_secs(1), |p| p.now() >= later);
    p.a.send(ch, MessageKind::Binary, Bytes::from_static(b"next"))
        .unwrap();
    assert!(
        p.drive(Duration::from_secs(5), |p| received(&p.b_events, ch).len()
            == 3)
    );
    let repaired = p.now() - t0;
    assert!(
        repaired < Duration::from_millis(150),
        "took {repaired:?}; RTO.Min is 400 ms"
    );
    assert_eq!(received(&p.b_events, ch)[1], "lost");
}

/// Tail loss probe: when the last packet of a flight is lost and nothing follows it, a
/// probe goes out after about two RTTs plus the delayed-ack allowance, before T3-rtx.
#[test]
fn lost_tail_is_probed_before_the_retransmission_timeout() {
    let mut p = Pair::new(
        config(true, 1),
        config(false, 2),
        LinkConfig {
            latency: Duration::from_millis(10),
            ..LinkConfig::default()
        },
    );
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    p.a.send(ch, MessageKind::Binary, Bytes::from_static(b"warm-up"))
        .unwrap();
    assert!(
        p.drive(Duration::from_secs(5), |p| received(&p.b_events, ch).len()
            == 1)
    );
    let until = p.now() + Duration::from_secs(1);
    p.drive(Duration::from_secs(2), |p| p.now() >= until);

    let t0 = p.now();
    p.a.send(ch, MessageKind::Binary, Bytes::from_static(b"tail"))
        .unwrap();
    p.net.a_to_b.set_blackhole(true);
    p.flush();
    p.net.a_to_b.set_blackhole(false);
    assert!(
        p.drive(Duration::from_secs(5), |p| received(&p.b_events, ch).len()
            == 2)
    );
    let repaired = p.now() - t0;
    assert!(
        repaired < Duration::from_millis(350),
        "took {repaired:?}; RTO.Min is 400 ms"
    );
}
