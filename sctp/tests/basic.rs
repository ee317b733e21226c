//! Basic association and channel behaviour over a lossless emulated link.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::Pair;
use oxrtc_sctp::{ChannelConfig, Event, MessageKind};

#[test]
fn handshake_channel_and_message() {
    let mut p = Pair::lossless();
    p.connect();
    let id =
        p.a.open_channel(ChannelConfig {
            label: "chat".into(),
            protocol: "proto".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(id % 2, 0);
    p.a.send(id, MessageKind::Text, Bytes::from_static(b"hi"))
        .unwrap();
    let ok = p.drive(Duration::from_secs(5), |p| {
        p.b_events
            .iter()
            .any(|e| matches!(e, Event::Message { .. }))
    });
    assert!(ok, "{:?}", p.b_events);
    assert!(p.b_events.iter().any(|e| matches!(e, Event::ChannelOpened { id: 0, label, protocol, .. } if label == "chat" && protocol == "proto")));
}

/// Every packet of a batch is handed in before polling: the batch is answered with one
/// SACK, and small messages are bundled into full packets.
#[test]
fn one_sack_per_batch_and_full_packets() {
    let now = std::time::Instant::now();
    let mut p = Pair::lossless();
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    p.drive(Duration::from_secs(5), |p| p.b.channel(ch).is_some());
    let mut buf = Vec::new();
    for _ in 0..100 {
        p.a.send(ch, MessageKind::Binary, Bytes::from(vec![1; 100]))
            .unwrap();
    }
    let mut packets = Vec::new();
    while p.a.poll_transmit(now, &mut buf).is_some() {
        packets.push(buf.clone());
    }
    // Each message is a 120-byte I-DATA chunk; packets are filled until the next chunk
    // would pass the 1200-byte MTU (the congestion window limits how many go out).
    let sizes: Vec<usize> = packets.iter().map(Vec::len).collect();
    assert!(sizes.len() >= 4, "{sizes:?}");
    assert!(
        sizes[..sizes.len() - 1].iter().all(|s| s + 120 > 1200),
        "{sizes:?}"
    );
    for packet in &packets {
        p.b.handle_receive(now, packet).unwrap();
    }
    let mut replies = 0;
    while p.b.poll_transmit(now, &mut buf).is_some() {
        replies += 1;
        assert_eq!(buf[12], 3, "a SACK");
    }
    assert_eq!(replies, 1);
}

/// The association is plain data: a copy taken mid-transfer carries on in its place.
#[test]
fn association_can_be_handed_over_mid_transfer() {
    let mut p = Pair::lossless();
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    for i in 0..50u8 {
        p.a.send(ch, MessageKind::Binary, Bytes::from(vec![i; 5000]))
            .unwrap();
    }
    for _ in 0..3 {
        p.step();
    }
    // Move both ends to new owners (another thread).
    let (a, b) = std::thread::spawn({
        let a = p.a.clone();
        let b = p.b.clone();
        move || (a, b)
    })
    .join()
    .unwrap();
    p.a = a;
    p.b = b;
    let ok = p.drive(Duration::from_secs(30), |p| {
        p.b_events
            .iter()
            .filter(|e| matches!(e, Event::Message { .. }))
            .count()
            == 50
    });
    assert!(ok);
    let got: Vec<u8> = p
        .b_events
        .iter()
        .filter_map(|e| match e {
            Event::Message { data, .. } => Some(data[0]),
            _ => None,
        })
        .collect();
    assert_eq!(got, (0..50).collect::<Vec<u8>>());
}
