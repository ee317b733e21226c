//! SDP: parse and write a real Chromium offer (audio + video + data channel, gathered
//! candidates; `sdp/tests/data/chromium-offer-av-dc.sdp`), oxrtc-sdp beside `rtc-sdp`
//! 0.21 (webrtc-rs's SDP crate) on the same input.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{criterion_main, Criterion, Throughput};

const CHROMIUM_OFFER: &str = include_str!("../../sdp/tests/data/chromium-offer-av-dc.sdp");

fn sdp(c: &mut Criterion) {
    let ours: oxrtc_sdp::SessionDescription = CHROMIUM_OFFER.parse().expect("oxrtc parses");
    let theirs = rtc_sdp::SessionDescription::unmarshal(&mut Cursor::new(CHROMIUM_OFFER))
        .expect("rtc-sdp parses");

    let mut group = c.benchmark_group("sdp");
    group.throughput(Throughput::Bytes(CHROMIUM_OFFER.len() as u64));
    group.bench_function("oxrtc parse", |b| {
        b.iter(|| {
            black_box(CHROMIUM_OFFER)
                .parse::<oxrtc_sdp::SessionDescription>()
                .expect("parses")
        })
    });
    group.bench_function("rtc-sdp parse", |b| {
        b.iter(|| {
            rtc_sdp::SessionDescription::unmarshal(&mut Cursor::new(black_box(CHROMIUM_OFFER)))
                .expect("parses")
        })
    });
    group.bench_function("oxrtc write", |b| {
        b.iter(|| black_box(&ours).to_sdp_string())
    });
    group.bench_function("rtc-sdp write", |b| b.iter(|| black_box(&theirs).marshal()));
    group.finish();
}

mod group {
    // The macro generates an undocumented `pub fn`.
    #![allow(missing_docs, unreachable_pub)]
    criterion::criterion_group!(benches, super::sdp);
}
criterion_main!(group::benches);
