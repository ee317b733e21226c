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
