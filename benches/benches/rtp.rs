//! RTP/RTCP: oxrtc-rtp beside rtc-rtp / rtc-rtcp 0.21.1 (webrtc-rs) on the same input.
//!
//! - `rtp_parse`: one packet (12-byte header, one-byte extensions abs-send-time +
//!   transport-cc, 1200-byte payload); read seq, timestamp, SSRC, the transport-cc
//!   extension and the payload length. oxrtc: `RtpPacket::parse` (borrowing view, every
//!   length checked). rtc-rtp: `Packet::unmarshal` on a `Bytes` clone (its API consumes a
//!   `Buf`).
//! - `rtp_write`: write that header with its two extensions into a reused buffer.
//!   rtc-rtp: `Header::marshal_to`, from its owned `Header` (extension payloads set
//!   beforehand, ids and lengths encoded per call). oxrtc, two ways: `RtpHeader::write`
//!   from borrowed elements, validated and encoded per call (what a one-off writer or a
//!   test uses); and `RtpHeaderTemplate::write`, the per-stream sender's path: layout
//!   validated and encoded once, sequence number, timestamp and marker given per packet.
//! - `rtp_write_per_packet`: what a video sender does per packet: new sequence number,
//!   timestamp, abs-send-time and transport-cc values, then the header. rtc-rtp sets
//!   the two values with `Header::set_extension` (its API takes `Bytes`).
//! - `rtcp_compound_parse`: SR with two report blocks + SDES CNAME + REMB + NACK + TWCC
//!   (written once by oxrtc), parsed whole. oxrtc: `RtcpPacket::parse_compound`;
//!   rtc-rtcp: `packet::unmarshal`.
//! - `vp8_packetize` / `h264_packetize`: a 60 kB frame (H.264: SPS + PPS + IDR slice
//!   in Annex-B) split at MTU 1200. oxrtc hands each payload to a closure (the caller
//!   writes it behind an RTP header); rtc-rtp returns a `Vec<Bytes>` (its API).

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use oxrtc_rtp::codecs::{H264Payloader, Payloader, Vp8Payloader};
use oxrtc_rtp::rtcp::{
    Nack, Remb, ReportBlock, RtcpPacket, Sdes, SenderReport, TransportFeedback, TwccStatus,
};
use oxrtc_rtp::{Extension, RtpHeader, RtpHeaderTemplate, RtpPacket};
use rtc_rtp::packetizer::Payloader as _;
use rtc_shared::marshal::{Marshal, Unmarshal};

const PAYLOAD: usize = 1200;
const ABS_SEND_TIME: [u8; 3] = [0x12, 0x34, 0x56];
const TWCC_SEQ: [u8; 2] = [0x01, 0x02];

fn header() -> RtpHeader<'static> {
    static EXTS: [Extension<'static>; 2] = [
        Extension {
            id: 2,
            data: &ABS_SEND_TIME,
        },
        Extension {
            id: 5,
            data: &TWCC_SEQ,
        },
    ];
    RtpHeader {
        marker: true,
        payload_type: 96,
        sequence_number: 4321,
        timestamp: 0x1234_5678,
        ssrc: 0xCAFE_BABE,
        extensions: &EXTS,
        ..RtpHeader::default()
    }
}

fn packet() -> Vec<u8> {
    let payload: Vec<u8> = (0..PAYLOAD).map(|i| i as u8).collect();
    let mut v = Vec::new();
    header().append_packet(&payload, &mut v).unwrap();
    v
}

fn rtp_parse(c: &mut Criterion) {
    let raw = packet();
    let bytes = Bytes::from(raw.clone());
    let mut g = c.benchmark_group("rtp_parse");
    g.throughput(Throughput::Elements(1));
    g.bench_function("oxrtc", |b| {
        b.iter(|| {
            let p = RtpPacket::parse(black_box(&raw)).unwrap();
            black_box((
                p.sequence_number(),
                p.timestamp(),
                p.ssrc(),
                p.extension(5),
                p.payload().len(),
            ))
        })
    });
    g.bench_function("rtc_rtp", |b| {
        b.iter(|| {
            let mut buf = black_box(&bytes).clone();
            let p = rtc_rtp::Packet::unmarshal(&mut buf).unwrap();
            black_box((
                p.header.sequence_number,
                p.header.timestamp,
                p.header.ssrc,
                p.header.get_extension(5),
                p.payload.len(),
            ))
        })
    });
    g.finish();
}

fn rtp_write(c: &mut Criterion) {
    let raw = Bytes::from(packet());
    let rtc_header = rtc_rtp::Packet::unmarshal(&mut raw.clone()).unwrap().header;
    let ox = header();
    let template = RtpHeaderTemplate::new(&ox).unwrap();
    let mut out = vec![0u8; 1500];
    let mut g = c.benchmark_group("rtp_write");
    g.throughput(Throughput::Elements(1));
    g.bench_function("oxrtc", |b| {
        b.iter(|| black_box(&ox).write(black_box(&mut out[..])).unwrap())
    });
    g.bench_function("oxrtc_template", |b| {
        b.iter(|| {
            black_box(&template)
                .write(
                    black_box(ox.sequence_number),
                    black_box(ox.timestamp),
                    black_box(ox.marker),
                    black_box(&mut out[..]),
                )
                .unwrap()
        })
    });
    g.bench_function("rtc_rtp", |b| {
        b.iter(|| {
            black_box(&rtc_header)
                .marshal_to(black_box(&mut out[..]))
                .unwrap()
        })
    });
    g.finish();
    // all three wrote the same bytes
    let n = ox.write(&mut out).unwrap();
    assert_eq!(&out[..n], &raw[..n]);
    out.fill(0);
    let n = template
        .write(ox.sequence_number, ox.timestamp, ox.marker, &mut out)
        .unwrap();
    assert_eq!(&out[..n], &raw[..n]);
}

/// The values that change per packet on a video stream, for packet number `i`.
fn per_packet_values(i: u32) -> (u16, u32, [u8; 3], [u8; 2]) {
    let seq = i as u16;
    let abs_send_time = (i.wrapping_mul(977) & 0xFF_FFFF).to_be_bytes();
    (
        seq,
        i.wrapping_mul(3000),
        [abs_send_time[1], abs_send_time[2], abs_send_time[3]],
        seq.wrapping_add(7).to_be_bytes(),
    )
}

fn rtp_write_per_packet(c: &mut Criterion) {
    let raw = Bytes::from(packet());
    let mut rtc_header = rtc_rtp::Packet::unmarshal(&mut raw.clone()).unwrap().header;
    let mut template = RtpHeaderTemplate::new(&header()).unwrap();
    let mut out = vec![0u8; 1500];
    let mut g = c.benchmark_group("rtp_write_per_packet");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u32;
    g.bench_function("oxrtc", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let (seq, ts, ast, twcc) = per_packet_values(black_box(i));
            RtpHeader {
                sequence_number: seq,
                timestamp: ts,
                extensions: &[
                    Extension { id: 2, data: &ast },
                    Extension { id: 5, data: &twcc },
                ],
                ..header()
            }
            .write(black_box(&mut out[..]))
            .unwrap()
        })
    });
    g.bench_function("oxrtc_template", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let (seq, ts, ast, twcc) = per_packet_values(black_box(i));
            template.set_extension(2, &ast).unwrap();
            template.set_extension(5, &twcc).unwrap();
            template
                .write(seq, ts, true, black_box(&mut out[..]))
                .unwrap()
        })
    });
    g.bench_function("rtc_rtp", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let (seq, ts, ast, twcc) = per_packet_values(black_box(i));
            rtc_header.sequence_number = seq;
            rtc_header.timestamp = ts;
            rtc_header
                .set_extension(2, Bytes::copy_from_slice(&ast))
                .unwrap();
            rtc_header
                .set_extension(5, Bytes::copy_from_slice(&twcc))
                .unwrap();
            rtc_header.marshal_to(black_box(&mut out[..])).unwrap()
        })
    });
    g.finish();
    // the three write the same bytes for the same packet
    let (seq, ts, ast, twcc) = per_packet_values(12345);
    template.set_extension(2, &ast).unwrap();
    template.set_extension(5, &twcc).unwrap();
    let n = template.write(seq, ts, true, &mut out).unwrap();
    let ours = out[..n].to_vec();
    rtc_header.sequence_number = seq;
    rtc_header.timestamp = ts;
    rtc_header
        .set_extension(2, Bytes::copy_from_slice(&ast))
        .unwrap();
    rtc_header
        .set_extension(5, Bytes::copy_from_slice(&twcc))
        .unwrap();
    assert_eq!(rtc_header.marshal_to(&mut out).unwrap(), n);
    assert_eq!(out[..n], ours[..]);
}

fn compound() -> Vec<u8> {
    let block = ReportBlock {
        ssrc: 0x1111,
        fraction_lost: 3,
        total_lost: 17,
        extended_highest_seq: 0x0001_2345,
        jitter: 40,
        last_sr: 0xABCD_0000,
        delay_since_last_sr: 6000,
    };
    let mut statuses = vec![TwccStatus::SmallDelta(4); 40];
    statuses[7] = TwccStatus::NotReceived;
    statuses[20] = TwccStatus::LargeDelta(-3);
    let packets = vec![
        RtcpPacket::SenderReport(SenderReport {
            ssrc: 0xCAFE,
            ntp_time: 0xDA8B_D1FC_DDDD_A05A,
            rtp_time: 0x1234,
            packet_count: 100,
            octet_count: 120_000,
            reports: vec![
                block,
                ReportBlock {
                    ssrc: 0x2222,
                    ..block
                },
            ],
            profile_extensions: vec![],
        }),
        RtcpPacket::Sdes(Sdes::cname(
            0xCAFE,
            b"{9c00eb92-1afb-9d49-a47d-91f64eee69f5}",
        )),
        RtcpPacket::Remb(Remb {
            sender_ssrc: 0xCAFE,
            bitrate: 1_500_000,
            ssrcs: vec![0x1111],
        }),
        RtcpPacket::Nack(Nack::from_lost(0xCAFE, 0x1111, &[100, 102, 110, 300])),
        RtcpPacket::TransportFeedback(TransportFeedback {
            sender_ssrc: 0xCAFE,
            media_ssrc: 0x1111,
            base_sequence: 1000,
            reference_time: 4000,
            feedback_count: 9,
            statuses,
        }),
    ];
    let mut buf = vec![0u8; 1500];
    let n = RtcpPacket::write_compound(&packets, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn rtcp_parse(c: &mut Criterion) {
    let raw = compound();
    let bytes = Bytes::from(raw.clone());
    assert_eq!(
        rtc_rtcp::packet::unmarshal(&mut bytes.clone())
            .unwrap()
            .len(),
        5
    );
    let mut g = c.benchmark_group("rtcp_compound_parse");
    g.throughput(Throughput::Elements(1));
    g.bench_function("oxrtc", |b| {
        b.iter(|| RtcpPacket::parse_compound(black_box(&raw)).unwrap())
    });
    g.bench_function("rtc_rtcp", |b| {
        b.iter(|| {
            let mut buf = black_box(&bytes).clone();
            rtc_rtcp::packet::unmarshal(&mut buf).unwrap()
        })
    });
    g.finish();
}

fn frame(len: usize) -> Vec<u8> {
    let mut f: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
    f[0] = 0x10; // VP8 keyframe header byte
    f
}

fn h264_access_unit(len: usize) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 1, 0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01, 0x40, 0x16];
    v.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xCE, 0x3C, 0x80]);
    v.extend_from_slice(&[0, 0, 0, 1, 0x65]);
    v.extend((0..len).map(|i| (i % 251) as u8 + 1));
    v
}

fn packetize(c: &mut Criterion) {
    const MTU: usize = 1200;
    let f = frame(60_000);
    let fb = Bytes::from(f.clone());
    let mut g = c.benchmark_group("vp8_packetize");
    g.throughput(Throughput::Bytes(f.len() as u64));
    let mut ox = Vp8Payloader::default();
    g.bench_function("oxrtc", |b| {
        b.iter(|| {
            let mut total = 0;
            ox.packetize(MTU, black_box(&f), &mut |p, _| total += p.len())
                .unwrap();
            total
        })
    });
    let mut rtc = rtc_rtp::codec::vp8::Vp8Payloader::default();
    rtc.enable_picture_id = true;
    g.bench_function("rtc_rtp", |b| {
        b.iter(|| rtc.payload(MTU, black_box(&fb)).unwrap())
    });
    g.finish();

    let au = h264_access_unit(60_000);
    let aub = Bytes::from(au.clone());
    let mut g = c.benchmark_group("h264_packetize");
    g.throughput(Throughput::Bytes(au.len() as u64));
    let mut ox = H264Payloader::default();
    g.bench_function("oxrtc", |b| {
        b.iter(|| {
            let mut total = 0;
            ox.packetize(MTU, black_box(&au), &mut |p, _| total += p.len())
                .unwrap();
            total
        })
    });
    let mut rtc = rtc_rtp::codec::h264::H264Payloader::default();
    g.bench_function("rtc_rtp", |b| {
        b.iter(|| rtc.payload(MTU, black_box(&aub)).unwrap())
    });
    g.finish();
}

criterion_group!(
    benches,
    rtp_parse,
    rtp_write,
    rtp_write_per_packet,
    rtcp_parse,
    packetize
);
criterion_main!(benches);
