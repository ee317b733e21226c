//! Bad input from the peer: wrong tags, bad checksums, malformed chunks, out-of-window
//! TSNs, hostile SACKs and FORWARD TSNs. Each is rejected or ignored, nothing panics,
//! and the association keeps working.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::Pair;
use oxrtc_sctp::chunk::{Chunk, DataChunk, ForwardTsnChunk, GapAckBlock, SackChunk, SkippedStream};
use oxrtc_sctp::packet::{CommonHeader, PacketWriter};
use oxrtc_sctp::{ChannelConfig, Event, MessageKind, ParseError, ReceiveError};

fn packet(header: CommonHeader, chunks: &[Chunk]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = PacketWriter::new(&mut buf, header);
    for c in chunks {
        w.push(c);
    }
    let _ = w.finish(false);
    buf
}

#[test]
fn hostile_packets_are_rejected_and_the_association_survives() {
    let mut p = Pair::lossless();
    p.connect();
    let ch = p.a.open_channel(ChannelConfig::default()).unwrap();
    p.drive(Duration::from_secs(5), |p| p.b.channel(ch).is_some());
    // Let the links drain so the next packet from b is the only one in flight.
    let until = p.now() + Duration::from_secs(1);
    p.drive(Duration::from_secs(2), |p| p.now() >= until);
    // A packet from b to a tells us a's verification tag.
    p.b.send(ch, MessageKind::Text, Bytes::from_static(b"x"))
        .unwrap();
    let now = p.now();
    let mut buf = Vec::new();
    let _ = p.b.poll_transmit(now, &mut buf).unwrap();
    p.a.handle_receive(now, &buf).unwrap();
    let next_tsn = oxrtc_sctp::packet::Packet::parse(Bytes::from(buf.clone()), false)
        .unwrap()
        .chunks()
        .find_map(|c| match c {
            Ok(Chunk::IData(d)) => Some(d.tsn.wrapping_add(1)),
            _ => None,
        })
        .expect("b's packet carries its message");
    let header = CommonHeader {
        src_port: 5000,
        dst_port: 5000,
        verification_tag: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
    };

    // Wrong verification tag.
    let wrong = CommonHeader {
        verification_tag: header.verification_tag ^ 1,
        ..header
    };
    assert_eq!(
        p.a.handle_receive(now, &packet(wrong, &[Chunk::CookieAck])),
        Err(ReceiveError::WrongVerificationTag {
            tag: header.verification_tag ^ 1
        })
    );
    // Bad checksum.
    let mut bad = packet(header, &[Chunk::CookieAck]);
    bad[14] ^= 0xff;
    assert!(matches!(
        p.a.handle_receive(now, &bad),
        Err(ReceiveError::Parse(ParseError::BadChecksum { .. }))
    ));
    // Truncated chunk (length beyond the packet), with a valid checksum.
    let mut truncated = packet(header, &[Chunk::CookieAck]);
    truncated[15] = 200;
    let crc = oxrtc_sctp::packet::checksum(&truncated);
    truncated[8..12].copy_from_slice(&crc.to_le_bytes());
    assert!(matches!(
        p.a.handle_receive(now, &truncated),
        Err(ReceiveError::Parse(_))
    ));
    // Wrong port.
    let other_port = CommonHeader {
        dst_port: 9,
        ..header
    };
    assert!(matches!(
        p.a.handle_receive(now, &packet(other_port, &[Chunk::CookieAck])),
        Err(ReceiveError::WrongPort { .. })
    ));
    // DATA far outside the window, and on a stream that does not exist.
    let data = |tsn: u32, stream_id: u16| {
        Chunk::IData(DataChunk {
            tsn,
            stream_id,
            // b's DATA_CHANNEL_ACK and "x" used 0 and 1 on this stream.
            mid: 2,
            fsn: 0,
            ppid: 53,
            unordered: false,
            beginning: true,
            ending: true,
            immediate: false,
            payload: Bytes::from_static(b"evil"),
        })
    };
    // A bogus COOKIE ECHO cannot smuggle bundled DATA past the tag check.
    let smuggle = packet(
        wrong,
        &[
            Chunk::CookieEcho(oxrtc_sctp::chunk::CookieEchoChunk {
                cookie: Bytes::from_static(&[0; 64]),
            }),
            data(next_tsn, ch),
        ],
    );
    let _ = p.a.handle_receive(now, &smuggle);
    p.flush();
    for tsn in [0x8000_0000, 0x1234_5678, 7] {
        p.a.handle_receive(now, &packet(header, &[data(tsn, 1)]))
            .unwrap();
    }
    // SACKs acknowledging unsent data, with absurd gap blocks and duplicates.
    let sack = Chunk::Sack(SackChunk {
        cumulative_tsn_ack: 0xdead_beef,
        a_rwnd: u32::MAX,
        gap_ack_blocks: (0..200)
            .map(|i| GapAckBlock {
                start: i,
                end: u16::MAX - i,
            })
            .collect(),
        duplicate_tsns: vec![1; 50],
    });
    p.a.handle_receive(now, &packet(header, &[sack])).unwrap();
    // FORWARD TSN far ahead with bogus stream skips.
    let fwd = Chunk::IForwardTsn(ForwardTsnChunk {
        new_cumulative_tsn: 0x7fff_0000,
        skipped: vec![SkippedStream {
            stream_id: 999,
            unordered: false,
            mid: 12345,
        }],
    });
    let _ = p.a.handle_receive(now, &packet(header, &[fwd]));
    // Unknown chunk types, with each combination of the two high bits.
    for kind in [0x3f, 0x7f, 0xbf, 0xff] {
        let unknown = Chunk::Unknown {
            kind,
            flags: 0,
            value: Bytes::from_static(b"??"),
        };
        p.a.handle_receive(now, &packet(header, &[unknown]))
            .unwrap();
    }
    assert!(!p
        .a_events
        .iter()
        .any(|e| matches!(e, Event::Message { data, .. } if data == "evil")));

    // Still alive in the direction that did not see the forged FORWARD TSN.
    p.a.send(ch, MessageKind::Text, Bytes::from_static(b"still here"))
        .unwrap();
    let ok = p.drive(Duration::from_secs(10), |p| {
        p.b_events
            .iter()
            .any(|e| matches!(e, Event::Message { data, .. } if data == "still here"))
    });
    assert!(ok, "{:?}", p.b_events);
}
