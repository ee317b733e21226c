//! Handshake variants, checksum negotiation, shutdown, abort and loss of the peer.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{config, Pair};
use oxrtc_netem::LinkConfig;
use oxrtc_sctp::{Association, ChannelConfig, Event, LostReason, MessageKind};

#[test]
fn simultaneous_open() {
    let mut p = Pair::lossless();
    let now = p.now();
    p.a.connect(now);
    p.b.connect(now);
    let ok = p.drive(Duration::from_secs(10), |p| {
        p.a_events.contains(&Event::Connected) && p.b_events.contains(&Event::Connected)
    });
    assert!(ok);
    let ch = p.b.open_channel(ChannelConfig::default()).unwrap();
    p.b.send(ch, MessageKind::Text, Bytes::from_static(b"x"))
        .unwrap();
    let ok = p.drive(Duration::from_secs(5), |p| {
        p.a_events
            .iter()
            .any(|e| matches!(e, Event::Message { .. }))
    });
    assert!(ok);
    assert_eq!(
        p.a_events
            .iter()
            .filter(|e| **e == Event::Connected)
            .count(),
        1
    );
}

#[test]
fn handshake_survives_loss() {
    let mut p = Pair::new(
        config(true, 1),
        config(false, 2),
        LinkConfig {
            loss: 0.5,
            seed: 4,
            ..LinkConfig::default()
        },
    );
    p.connect();
}

#[test]
fn listener_keeps_no_state_until_the_cookie_returns() {
    let now = std::time::Instant::now();
    let mut a = Association::new(config(true, 1));
    let mut b = Association::new(config(false, 2));
    let mut buf = Vec::new();
    a.connect(now);
    let _ = a.poll_transmit(now, &mut buf).unwrap();
    let init = buf.clone();
    // Many INITs: each gets an INIT ACK, nothing is established or remembered.
    for _ in 0..3 {
        b.handle_receive(now, &init).unwrap();
        let _ = b.poll_transmit(now, &mut buf).unwrap();
        assert!(b.poll_transmit(now, &mut buf).is_none());
        assert!(!b.is_established());
        assert!(b.poll_timeout().is_none(), "no timer means no state");
    }
    a.handle_receive(now, &buf).unwrap();
    let _ = a.poll_transmit(now, &mut buf).unwrap();
    // A tampered cookie is ignored.
    let mut forged = buf.clone();
    let last = forged.len() - 1;
    forged[last - 5] ^= 0xff;
    let crc = oxrtc_sctp::packet::checksum(&forged);
    forged[8..12].copy_from_slice(&crc.to_le_bytes());
    b.handle_receive(now, &forged).unwrap();
    assert!(!b.is_established());
    b.handle_receive(now, &buf).unwrap();
    assert!(b.is_established());
    assert_eq!(b.poll_event(), Some(Event::Connected));
}

#[test]
fn zero_checksum_is_one_directional() {
    for (za, zb) in [(true, true), (true, false), (false, true), (false, false)] {
        let mut a = config(true, 1);
        let mut b = config(false, 2);
        a.zero_checksum = za;
        b.zero_checksum = zb;
        let mut p = Pair::new(a, b, LinkConfig::default());
        p.connect();
        // We skip the checksum only toward a peer that accepts it, and only if we do too.
        assert_eq!(p.a.sends_zero_checksum(), za && zb);
        assert_eq!(p.b.sends_zero_checksum(), za && zb);
        let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
        p.a.send(ch, MessageKind::Binary, Bytes::from(vec![5; 3000]))
            .unwrap();
        let now = p.now();
        let mut buf = Vec::new();
        let mut saw = 0;
        while p.a.poll_transmit(now, &mut buf).is_some() {
            assert_eq!(buf[8..12] == [0, 0, 0, 0], za && zb);
            p.b.handle_receive(now, &buf).unwrap();
            saw += 1;
        }
        assert!(saw > 0);
    }
}

#[test]
fn graceful_shutdown_delivers_queued_data() {
    let mut p = Pair::lossless();
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    for _ in 0..10 {
        p.a.send(ch, MessageKind::Binary, Bytes::from(vec![1; 10_000]))
            .unwrap();
    }
    let now = p.now();
    p.a.shutdown(now);
    assert!(p.a.send(ch, MessageKind::Binary, Bytes::new()).is_err());
    let ok = p.drive(Duration::from_secs(30), |p| {
        p.a_events.contains(&Event::Closed) && p.b_events.contains(&Event::Closed)
    });
    assert!(ok, "{:?} {:?}", p.a_events, p.b_events);
    let n = p
        .b_events
        .iter()
        .filter(|e| matches!(e, Event::Message { .. }))
        .count();
    assert_eq!(n, 10);
    assert!(p.a.is_closed() && p.b.is_closed());
}

#[test]
fn abort_reaches_the_peer() {
    let mut p = Pair::lossless();
    p.connect();
    let now = p.now();
    p.a.abort(now, "bye");
    let ok = p.drive(Duration::from_secs(5), |p| {
        p.b_events.contains(&Event::ConnectionLost {
            reason: LostReason::PeerAborted("bye".into()),
        })
    });
    assert!(ok, "{:?}", p.b_events);
}

#[test]
fn dead_peer_is_detected() {
    let mut p = Pair::lossless();
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    p.net.a_to_b.set_blackhole(true);
    p.net.b_to_a.set_blackhole(true);
    p.a.send(ch, MessageKind::Binary, Bytes::from_static(b"void"))
        .unwrap();
    let ok = p.drive(Duration::from_secs(3600), |p| {
        p.a_events.contains(&Event::ConnectionLost {
            reason: LostReason::Timeout,
        })
    });
    assert!(ok);
    // The idle side notices through heartbeats.
    let ok = p.drive(Duration::from_secs(3600), |p| {
        p.b_events.contains(&Event::ConnectionLost {
            reason: LostReason::Timeout,
        })
    });
    assert!(ok);
}

#[test]
fn unanswered_init_gives_up() {
    let mut p = Pair::lossless();
    p.net.a_to_b.set_blackhole(true);
    let now = p.now();
    p.a.connect(now);
    let ok = p.drive(Duration::from_secs(3600), |p| {
        p.a_events.contains(&Event::ConnectionLost {
            reason: LostReason::HandshakeTimeout,
        })
    });
    assert!(ok);
}

/// Data queued before the handshake rides behind COOKIE ECHO: the peer has the channel
/// and its first message after three one-way trips, not five.
#[test]
fn first_messages_ride_with_cookie_echo() {
    let mut p = Pair::new(
        config(true, 1),
        config(false, 2),
        LinkConfig {
            latency: Duration::from_millis(10),
            ..LinkConfig::default()
        },
    );
    let t0 = p.now();
    let ch =
        p.a.open_channel(ChannelConfig {
            label: "early".into(),
            ..Default::default()
        })
        .unwrap();
    p.a.send(ch, MessageKind::Text, Bytes::from_static(b"hello"))
        .unwrap();
    p.a.connect(t0);
    let ok = p.drive(Duration::from_secs(5), |p| {
        p.b_events
            .iter()
            .any(|e| matches!(e, Event::Message { .. }))
    });
    assert!(ok);
    assert!(
        p.now() - t0 <= Duration::from_millis(30),
        "{:?}",
        p.now() - t0
    );
    assert!(p
        .b_events
        .iter()
        .any(|e| matches!(e, Event::ChannelOpened { label, .. } if label == "early")));
}
