//! STUN: decode + MESSAGE-INTEGRITY + FINGERPRINT check of an ICE binding request
//! (the RFC 5769 §2.1 sample request), oxrtc-ice beside rtc-stun 0.21 (webrtc-rs).
//!
//! Each side uses its library's per-packet path: oxrtc decodes a borrowed view and checks
//! the HMAC with a `Key` built once per credential (an ICE agent knows its password up
//! front); rtc-stun copies into its reusable `Message`, decodes, and checks with the key
//! bytes. `oxrtc_key_per_message` also builds the key every time, for transparency.
//! Both sides then fetch the raw USERNAME value (what an ICE agent looks up next).

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use oxrtc_ice::stun::{AttributeType, Key, MessageRef};

/// RFC 5769 §2.1 sample request: SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
/// MESSAGE-INTEGRITY, FINGERPRINT.
const REQUEST: [u8; 108] = [
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
];
const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

fn stun_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("stun_decode_integrity_fingerprint");

    let key = Key::short_term(PASSWORD);
    group.bench_function("oxrtc", |b| {
        b.iter(|| {
            let m = MessageRef::decode(black_box(&REQUEST)).unwrap();
            m.check_integrity(&key).unwrap();
            assert!(m.has_fingerprint());
            black_box(m.get(AttributeType::USERNAME).unwrap());
        })
    });

    group.bench_function("oxrtc_key_per_message", |b| {
        b.iter(|| {
            let m = MessageRef::decode(black_box(&REQUEST)).unwrap();
            m.check_integrity(&Key::short_term(black_box(PASSWORD)))
                .unwrap();
            assert!(m.has_fingerprint());
            black_box(m.get(AttributeType::USERNAME).unwrap());
        })
    });

    let provider = rtc_stun::crypto::default_provider().expect("rtc-stun's ring provider");
    let mut msg = rtc_stun::message::Message::new();
    group.bench_function("rtc_stun", |b| {
        b.iter(|| {
            msg.unmarshal_binary(black_box(&REQUEST)).unwrap();
            rtc_stun::integrity::MessageIntegrity::check(
                &mut msg,
                PASSWORD.as_bytes(),
                provider.crypto(),
            )
            .unwrap();
            rtc_stun::fingerprint::FINGERPRINT.check(&msg).unwrap();
            black_box(msg.get(rtc_stun::attributes::ATTR_USERNAME).unwrap());
        })
    });
    group.finish();
}

criterion_group!(benches, stun_check);
criterion_main!(benches);
