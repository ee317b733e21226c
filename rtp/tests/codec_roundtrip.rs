//! packetize → RTP → lossy, reordering, duplicating link (oxrtc-netem) → sample builder →
//! depacketize, for every codec across MTU sizes.

use std::time::{Duration, Instant};

use bytes::Bytes;
use oxrtc_netem::{Link, LinkConfig};
use oxrtc_rtp::codecs::*;
use oxrtc_rtp::{RtpHeader, SampleBuilder, SampleBuilderConfig};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo) as u64) as usize
    }
    /// Bytes without zeros, so Annex-B payloads hold no start code emulation.
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() % 255) as u8 + 1).collect()
    }
}

fn annexb(nals: &[Vec<u8>]) -> Vec<u8> {
    nals.iter()
        .flat_map(|n| [0, 0, 0, 1].iter().chain(n.iter()).copied())
        .collect()
}

fn av1_obu(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![kind << 3 | 0x02];
    let mut n = payload.len();
    loop {
        let b = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            v.push(b);
            break;
        }
        v.push(b | 0x80);
    }
    v.extend_from_slice(payload);
    v
}

#[derive(Clone, Copy, Debug)]
enum Codec {
    Opus,
    G711,
    Vp8,
    Vp9,
    H264,
    H265,
    Av1,
}

/// (frame as given to the payloader, frame expected out of the depayloader)
fn make_frame(codec: Codec, i: usize, rng: &mut Rng) -> (Vec<u8>, Vec<u8>) {
    let key = i.is_multiple_of(15);
    let big = if key {
        rng.range(3000, 12000)
    } else {
        rng.range(50, 4000)
    };
    match codec {
        Codec::Opus => {
            let n = rng.range(10, 150);
            let f = rng.bytes(n);
            (f.clone(), f)
        }
        Codec::G711 => {
            let f = rng.bytes(160);
            (f.clone(), f)
        }
        Codec::Vp8 => {
            let mut f = rng.bytes(big);
            f[0] = if key { 0x10 } else { 0x11 };
            (f.clone(), f)
        }
        Codec::Vp9 => {
            let mut f = rng.bytes(big);
            f[0] = if key { 0x82 } else { 0x86 };
            (f.clone(), f)
        }
        Codec::H264 => {
            let mut nals = vec![];
            if key {
                nals.push([vec![0x67], rng.bytes(12)].concat());
                nals.push([vec![0x68], rng.bytes(4)].concat());
                nals.push([vec![0x65], rng.bytes(big)].concat());
            } else {
                for _ in 0..rng.range(1, 4) {
                    nals.push([vec![0x41], rng.bytes(big / 2 + 1)].concat());
                }
            }
            let f = annexb(&nals);
            (f.clone(), f)
        }
        Codec::H265 => {
            let mut nals = vec![];
            if key {
                nals.push([vec![0x40, 0x01], rng.bytes(20)].concat());
                nals.push([vec![0x42, 0x01], rng.bytes(30)].concat());
                nals.push([vec![0x44, 0x01], rng.bytes(6)].concat());
                nals.push([vec![0x26, 0x01], rng.bytes(big)].concat());
            } else {
                for _ in 0..rng.range(1, 4) {
                    nals.push([vec![0x02, 0x01], rng.bytes(big / 2 + 1)].concat());
                }
            }
            let f = annexb(&nals);
            (f.clone(), f)
        }
        Codec::Av1 => {
            let mut obus = vec![];
            if key {
                obus.push(av1_obu(1, &rng.bytes(11)));
            }
            obus.push(av1_obu(6, &rng.bytes(big)));
            if rng.range(0, 2) == 1 {
                obus.push(av1_obu(6, &rng.bytes(30)));
            }
            let expected = obus.concat();
            let given = [av1_obu(2, &[]), expected.clone()].concat();
            (given, expected)
        }
    }
}

fn payloader(codec: Codec) -> Box<dyn Payloader> {
    match codec {
        Codec::Opus => Box::new(OpusPayloader),
        Codec::G711 => Box::new(G711Payloader),
        Codec::Vp8 => Box::new(Vp8Payloader::default()),
        Codec::Vp9 => Box::new(Vp9Payloader::new(true, Some((1280, 720)))),
        Codec::H264 => Box::new(H264Payloader::default()),
        Codec::H265 => Box::new(H265Payloader::default()),
        Codec::Av1 => Box::new(Av1Payloader::default()),
    }
}

fn depayloader(codec: Codec) -> Box<dyn Depayloader> {
    match codec {
        Codec::Opus => Box::new(OpusDepayloader),
        Codec::G711 => Box::new(G711Depayloader),
        Codec::Vp8 => Box::new(Vp8Depayloader::default()),
        Codec::Vp9 => Box::new(Vp9Depayloader::default()),
        Codec::H264 => Box::new(H264Depayloader::default()),
        Codec::H265 => Box::new(H265Depayloader::default()),
        Codec::Av1 => Box::new(Av1Depayloader::default()),
    }
}

struct Outcome {
    frames: usize,
    emitted: usize,
    gaps: usize,
}

fn run(codec: Codec, mtu: usize, loss: f64, seed: u64) -> Outcome {
    const FRAMES: usize = 120;
    let mut rng = Rng(seed * 7919 + 1);
    let start = Instant::now();
    let mut link = Link::new(LinkConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(8),
        loss,
        duplicate: 0.03,
        reorder: 0.1,
        reorder_delay: Duration::from_millis(12),
        mtu: None,
        seed,
    });
    let mut pay = payloader(codec);
    let mut sb = SampleBuilder::new(
        depayloader(codec),
        SampleBuilderConfig {
            max_packets: 1024,
            max_latency: 90_000 / 4,
        },
    );
    let mut expected = Vec::new();
    let mut seq: u16 = 65000; // wraps during the run
    let mut got = Vec::new();
    let frame_gap = Duration::from_millis(33);
    let drain = |link: &mut Link<Vec<u8>>,
                 now: Instant,
                 sb: &mut SampleBuilder<Box<dyn Depayloader>>,
                 got: &mut Vec<_>| {
        while let Some(d) = link.recv(now) {
            sb.push(Bytes::from(d)).unwrap();
        }
        while let Some(s) = sb.pop() {
            got.push(s);
        }
    };
    for i in 0..FRAMES {
        let now = start + frame_gap * i as u32;
        let (given, want) = make_frame(codec, i, &mut rng);
        let ts = (i as u32)
            .wrapping_mul(3000)
            .wrapping_add(u32::MAX - 100_000);
        expected.push((ts, want));
        let mut datagrams = vec![];
        pay.packetize(mtu, &given, &mut |payload, last| {
            assert!(
                payload.len() <= mtu,
                "{codec:?} payload {} > mtu {mtu}",
                payload.len()
            );
            let mut d = vec![];
            RtpHeader {
                marker: last,
                payload_type: 96,
                sequence_number: seq,
                timestamp: ts,
                ssrc: 0x1234,
                ..Default::default()
            }
            .append_packet(payload, &mut d)
            .unwrap();
            seq = seq.wrapping_add(1);
            datagrams.push(d);
        })
        .unwrap_or_else(|e| panic!("{codec:?} mtu {mtu}: {e}"));
        for d in datagrams {
            link.send(now, d);
        }
        drain(&mut link, now, &mut sb, &mut got);
    }
    drain(
        &mut link,
        start + Duration::from_secs(60),
        &mut sb,
        &mut got,
    );
    // Every emitted frame is exactly the frame sent with that timestamp, in order.
    let mut last_index = None;
    let mut gaps = 0;
    for s in &got {
        let idx = expected
            .iter()
            .position(|(t, _)| *t == s.timestamp)
            .unwrap_or_else(|| panic!("{codec:?}: unknown timestamp {}", s.timestamp));
        assert!(
            s.data == expected[idx].1,
            "{codec:?} mtu {mtu} frame {idx} corrupted: {} bytes, expected {}",
            s.data.len(),
            expected[idx].1.len()
        );
        if let Some(l) = last_index {
            assert!(idx > l, "{codec:?}: frames out of order");
            if idx != l + 1 {
                assert!(
                    s.gap_before,
                    "{codec:?}: frame {idx} after a loss lacks gap_before"
                );
            }
        }
        if s.gap_before {
            gaps += 1;
        }
        last_index = Some(idx);
    }
    Outcome {
        frames: FRAMES,
        emitted: got.len(),
        gaps,
    }
}

const CODECS: [Codec; 7] = [
    Codec::Opus,
    Codec::G711,
    Codec::Vp8,
    Codec::Vp9,
    Codec::H264,
    Codec::H265,
    Codec::Av1,
];

#[test]
fn reorder_and_duplicates_lose_nothing() {
    for codec in CODECS {
        for (k, mtu) in [200usize, 576, 1200, 1400].into_iter().enumerate() {
            let o = run(codec, mtu, 0.0, 11 + k as u64);
            assert_eq!(o.emitted, o.frames, "{codec:?} mtu {mtu}");
            assert_eq!(o.gaps, 0, "{codec:?} mtu {mtu}");
        }
    }
}

#[test]
fn loss_drops_whole_frames_only() {
    for codec in CODECS {
        for (k, mtu) in [200usize, 576, 1200].into_iter().enumerate() {
            let o = run(codec, mtu, 0.03, 101 + k as u64);
            // frames with a lost packet are dropped, never emitted corrupted (checked in
            // `run`); most frames still come through
            eprintln!(
                "{codec:?} mtu {mtu}: {} of {} frames, {} gaps",
                o.emitted, o.frames, o.gaps
            );
            assert!(
                o.emitted < o.frames && o.gaps > 0,
                "{codec:?} mtu {mtu}: loss had no effect"
            );
            assert!(
                o.emitted * 2 > o.frames,
                "{codec:?} mtu {mtu}: only {} of {}",
                o.emitted,
                o.frames
            );
        }
    }
}
