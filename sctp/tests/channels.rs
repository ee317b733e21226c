//! Data channel behaviour: many channels, close with stream reset, negotiated ids,
//! buffered-amount events, empty messages, size limits.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{config, Pair};
use oxrtc_netem::LinkConfig;
use oxrtc_sctp::{ChannelConfig, Event, MessageKind, SendError};

fn messages(events: &[Event]) -> Vec<(u16, MessageKind, Bytes)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message {
                channel,
                kind,
                data,
            } => Some((*channel, *kind, data.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_thousand_channels_on_one_association() {
    let mut p = Pair::lossless();
    p.connect();
    let mut ids = Vec::new();
    for i in 0..1000 {
        let id =
            p.a.open_channel(ChannelConfig {
                label: format!("ch{i}"),
                ..Default::default()
            })
            .unwrap();
        p.a.send(id, MessageKind::Text, Bytes::from(format!("m{i}")))
            .unwrap();
        ids.push(id);
    }
    assert!(ids.iter().all(|id| id % 2 == 0));
    let ok = p.drive(Duration::from_secs(30), |p| {
        messages(&p.b_events).len() == 1000
    });
    assert!(ok);
    let opened = p
        .b_events
        .iter()
        .filter(|e| matches!(e, Event::ChannelOpened { .. }))
        .count();
    assert_eq!(opened, 1000);
    for (i, id) in ids.iter().enumerate() {
        let got: Vec<_> = messages(&p.b_events)
            .into_iter()
            .filter(|(c, _, _)| c == id)
            .map(|(_, _, d)| d)
            .collect();
        assert_eq!(got, vec![Bytes::from(format!("m{i}"))]);
        assert_eq!(p.b.channel(*id).unwrap().label(), format!("ch{i}"));
    }
    // The answering side allocates odd ids.
    let id = p.b.open_channel(ChannelConfig::default()).unwrap();
    assert_eq!(id % 2, 1);
}

#[test]
fn close_resets_streams_on_both_sides() {
    for interleaving in [false, true] {
        let mut a = config(true, 3);
        let mut b = config(false, 4);
        a.interleaving = interleaving;
        b.interleaving = interleaving;
        let mut p = Pair::new(
            a,
            b,
            LinkConfig {
                latency: Duration::from_millis(5),
                loss: 0.1,
                seed: 9,
                ..LinkConfig::default()
            },
        );
        p.connect();
        let keep = p.a.open_channel(ChannelConfig::default()).unwrap();
        let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
        for i in 0..20u8 {
            p.a.send(ch, MessageKind::Binary, Bytes::from(vec![i; 3000]))
                .unwrap();
        }
        p.a.close_channel(ch);
        assert_eq!(
            p.a.send(ch, MessageKind::Binary, Bytes::from_static(b"x")),
            Err(SendError::ChannelClosing(ch))
        );
        let ok = p.drive(Duration::from_secs(60), |p| {
            p.a_events.contains(&Event::ChannelClosed { channel: ch })
                && p.b_events.contains(&Event::ChannelClosed { channel: ch })
        });
        assert!(ok, "a: {:?}\nb: {:?}", p.a_events, p.b_events);
        // Everything sent before the close arrived first.
        let got: Vec<_> = messages(&p.b_events)
            .into_iter()
            .filter(|(c, _, _)| *c == ch)
            .collect();
        assert_eq!(got.len(), 20);
        assert!(p.a.channel(ch).is_none() && p.b.channel(ch).is_none());
        // The id is free again and its sequence numbers restarted: a new channel on it works.
        let again =
            p.a.open_channel(ChannelConfig {
                label: "again".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(again, ch);
        p.a.send(again, MessageKind::Text, Bytes::from_static(b"fresh"))
            .unwrap();
        p.a.send(keep, MessageKind::Text, Bytes::from_static(b"kept"))
            .unwrap();
        let ok = p.drive(Duration::from_secs(60), |p| {
            messages(&p.b_events)
                .iter()
                .any(|(c, _, d)| *c == again && d == "fresh")
                && messages(&p.b_events)
                    .iter()
                    .any(|(c, _, d)| *c == keep && d == "kept")
        });
        assert!(ok, "{:?}", p.b_events);
    }
}

#[test]
fn peer_close_is_answered() {
    let mut p = Pair::lossless();
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    p.drive(Duration::from_secs(5), |p| p.b.channel(ch).is_some());
    p.b.close_channel(ch);
    let ok = p.drive(Duration::from_secs(10), |p| {
        p.a_events.contains(&Event::ChannelClosed { channel: ch })
            && p.b_events.contains(&Event::ChannelClosed { channel: ch })
    });
    assert!(ok);
}

#[test]
fn negotiated_channels_skip_dcep() {
    let mut p = Pair::lossless();
    p.connect();
    let cfg = ChannelConfig {
        negotiated: Some(7),
        label: "neg".into(),
        ..Default::default()
    };
    assert_eq!(p.a.open_channel(cfg.clone()).unwrap(), 7);
    assert_eq!(p.b.open_channel(cfg.clone()).unwrap(), 7);
    assert!(p.a.open_channel(cfg).is_err());
    p.a.send(7, MessageKind::Binary, Bytes::from_static(b"n"))
        .unwrap();
    p.drive(Duration::from_secs(5), |p| {
        !messages(&p.b_events).is_empty()
    });
    assert_eq!(
        messages(&p.b_events),
        vec![(7, MessageKind::Binary, Bytes::from_static(b"n"))]
    );
    assert!(!p
        .b_events
        .iter()
        .any(|e| matches!(e, Event::ChannelOpened { .. })));
}

#[test]
fn data_on_a_stream_without_a_channel_is_dropped() {
    let mut p = Pair::lossless();
    p.connect();
    // Pre-negotiated on one side only: the other has no channel on stream 9.
    let one_sided = ChannelConfig {
        negotiated: Some(9),
        ..Default::default()
    };
    assert_eq!(p.a.open_channel(one_sided).unwrap(), 9);
    p.a.send(9, MessageKind::Text, Bytes::from_static(b"stray"))
        .unwrap();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    p.a.send(ch, MessageKind::Text, Bytes::from_static(b"kept"))
        .unwrap();
    p.drive(Duration::from_secs(5), |p| {
        !messages(&p.b_events).is_empty()
    });
    p.drive(Duration::from_millis(500), |_| false);
    assert_eq!(
        messages(&p.b_events),
        vec![(ch, MessageKind::Text, Bytes::from_static(b"kept"))]
    );
    // The id stays usable: once b opens it too, data flows.
    assert_eq!(
        p.b.open_channel(ChannelConfig {
            negotiated: Some(9),
            ..Default::default()
        })
        .unwrap(),
        9
    );
    p.a.send(9, MessageKind::Text, Bytes::from_static(b"now"))
        .unwrap();
    p.drive(Duration::from_secs(5), |p| messages(&p.b_events).len() == 2);
    assert_eq!(
        messages(&p.b_events)[1],
        (9, MessageKind::Text, Bytes::from_static(b"now"))
    );
}

#[test]
fn empty_messages_and_kinds() {
    let mut p = Pair::lossless();
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    p.a.send(ch, MessageKind::Text, Bytes::new()).unwrap();
    p.a.send(ch, MessageKind::Binary, Bytes::new()).unwrap();
    p.a.send(ch, MessageKind::Text, Bytes::from_static(b"t"))
        .unwrap();
    p.a.send(ch, MessageKind::Binary, Bytes::from_static(b"b"))
        .unwrap();
    p.drive(Duration::from_secs(5), |p| messages(&p.b_events).len() == 4);
    assert_eq!(
        messages(&p.b_events),
        vec![
            (ch, MessageKind::Text, Bytes::new()),
            (ch, MessageKind::Binary, Bytes::new()),
            (ch, MessageKind::Text, Bytes::from_static(b"t")),
            (ch, MessageKind::Binary, Bytes::from_static(b"b")),
        ]
    );
}

#[test]
fn max_message_size_is_enforced_both_ways() {
    let mut p = Pair::lossless();
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    let limit = p.a.config().remote_max_message_size;
    assert_eq!(
        p.a.send(ch, MessageKind::Binary, Bytes::from(vec![0; limit + 1])),
        Err(SendError::MessageTooLarge {
            len: limit + 1,
            limit
        })
    );
    p.a.send(ch, MessageKind::Binary, Bytes::from(vec![1; limit]))
        .unwrap();
    p.drive(Duration::from_secs(5), |p| messages(&p.b_events).len() == 1);
    assert_eq!(messages(&p.b_events)[0].2.len(), limit);

    // A peer ignoring our limit gets the association aborted, not our memory.
    let mut a = config(true, 5);
    a.remote_max_message_size = 1 << 20;
    let mut b = config(false, 6);
    b.max_message_size = 100_000;
    let mut p = Pair::new(a, b, LinkConfig::default());
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    p.a.send(ch, MessageKind::Binary, Bytes::from(vec![1; 500_000]))
        .unwrap();
    let ok = p.drive(Duration::from_secs(10), |p| {
        p.b_events
            .iter()
            .any(|e| matches!(e, Event::ConnectionLost { .. }))
            && p.a_events
                .iter()
                .any(|e| matches!(e, Event::ConnectionLost { .. }))
    });
    assert!(ok, "{:?}", p.b_events);
}

#[test]
fn buffered_amount_low_fires() {
    let mut p = Pair::lossless();
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    p.a.channel(ch)
        .unwrap()
        .set_buffered_amount_low_threshold(10_000);
    for _ in 0..10 {
        p.a.send(ch, MessageKind::Binary, Bytes::from(vec![0; 50_000]))
            .unwrap();
    }
    assert!(p.a.buffered_amount(ch) >= 500_000);
    let ok = p.drive(Duration::from_secs(30), |p| {
        p.a_events
            .contains(&Event::BufferedAmountLow { channel: ch })
    });
    assert!(ok);
    assert!(p.a.buffered_amount(ch) <= 10_000);
}

/// With I-DATA a small message on another channel overtakes a large message still in
/// transit; without it, it waits behind the large one.
#[test]
fn interleaving_lets_small_messages_overtake_large_ones() {
    for interleaving in [true, false] {
        let mut a = config(true, 1);
        let mut b = config(false, 2);
        a.interleaving = interleaving;
        b.interleaving = interleaving;
        a.remote_max_message_size = 256 * 1024;
        let mut p = Pair::new(
            a,
            b,
            LinkConfig {
                latency: Duration::from_millis(20),
                ..LinkConfig::default()
            },
        );
        p.connect();
        let big = p.a.open_channel(ChannelConfig::default()).unwrap();
        let small = p.a.open_channel(ChannelConfig::default()).unwrap();
        p.drive(Duration::from_secs(5), |p| p.b.channel(small).is_some());
        p.a.send(big, MessageKind::Binary, Bytes::from(vec![1; 256 * 1024]))
            .unwrap();
        p.a.send(small, MessageKind::Text, Bytes::from_static(b"urgent"))
            .unwrap();
        p.drive(Duration::from_secs(30), |p| {
            messages(&p.b_events).len() == 2
        });
        let order: Vec<u16> = messages(&p.b_events).iter().map(|m| m.0).collect();
        if interleaving {
            assert_eq!(order, vec![small, big]);
        } else {
            assert_eq!(order, vec![big, small]);
        }
    }
}
