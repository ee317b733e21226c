//! oxrtc-dtls beside its baselines, on the same inputs:
//!
//! * `dtls_handshake`: a full DTLS 1.2 handshake (cookie exchange, ECDHE X25519,
//!   ECDSA P-256 mutual authentication, extended_master_secret, use_srtp) between two
//!   in-memory endpoints with pre-generated certificates — oxrtc vs `rtc-dtls` 0.21
//!   (webrtc-rs's sans-IO DTLS).
//! * `dtls_record_1200`: protecting and unprotecting one 1200-byte application data record
//!   (AES-128-GCM) — oxrtc's whole record path (`send_application_data` → datagram →
//!   `handle_receive` → `Event::ApplicationData`) vs a raw `ring` AEAD seal + open of the same
//!   payload (`oxrtc_encrypt_decrypt` / `ring_aead_seal_open` is the headline ratio), and
//!   rtc-dtls's record cipher for reference.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use oxrtc_benches::dtls::{oxrtc_configs, oxrtc_handshake, rtc};
use oxrtc_dtls::Event;

const PAYLOAD: usize = 1200;

fn handshake(c: &mut Criterion) {
    let (oc, os) = oxrtc_configs();
    let (rc, rs) = rtc::configs();
    let mut g = c.benchmark_group("dtls_handshake");
    g.bench_function("oxrtc", |b| b.iter(|| oxrtc_handshake(&oc, &os)));
    g.bench_function("rtc-dtls-0.21", |b| b.iter(|| rtc::handshake(&rc, &rs)));
    g.finish();
}

fn record(c: &mut Criterion) {
    let payload: Vec<u8> = (0..PAYLOAD).map(|i| i as u8).collect();
    let mut g = c.benchmark_group("dtls_record_1200");
    g.throughput(Throughput::Bytes(PAYLOAD as u64));

    // Raw ring AES-128-GCM: copy the payload behind a header and seal it in place; then copy
    // the sealed record into a receive buffer and open it in place — the least any DTLS
    // record path must do.
    {
        use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
        let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &[7; 16]).unwrap());
        let mut seq = 0u64;
        let mut buf = Vec::with_capacity(13 + 8 + PAYLOAD + 16);
        let mut rx = Vec::with_capacity(13 + 8 + PAYLOAD + 16);
        let seal = |seq: u64, buf: &mut Vec<u8>| {
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&seq.to_be_bytes());
            buf.clear();
            buf.extend_from_slice(&[0u8; 21]);
            buf.extend_from_slice(&payload);
            let tag = key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from([0u8; 13]),
                    &mut buf[21..],
                )
                .unwrap();
            buf.extend_from_slice(tag.as_ref());
        };
        g.bench_function("ring_aead_seal", |b| {
            b.iter(|| {
                seq += 1;
                seal(seq, &mut buf);
                std::hint::black_box(&buf);
            })
        });
        g.bench_function("ring_aead_seal_open", |b| {
            b.iter(|| {
                seq += 1;
                seal(seq, &mut buf);
                rx.clear();
                rx.extend_from_slice(&buf[21..]);
                let mut nonce = [0u8; 12];
                nonce[4..].copy_from_slice(&seq.to_be_bytes());
                let plain = key
                    .open_in_place(
                        Nonce::assume_unique_for_key(nonce),
                        Aad::from([0u8; 13]),
                        &mut rx,
                    )
                    .unwrap();
                std::hint::black_box(plain);
            })
        });
    }

    // oxrtc: the whole record path of an established connection, datagram in and out.
    let (oc, os) = oxrtc_configs();
    let (mut client, mut server) = oxrtc_handshake(&oc, &os);
    // Sealing into a reused buffer, as `ring_aead_seal` does.
    let mut out = Vec::with_capacity(2048);
    g.bench_function("oxrtc_encrypt", |b| {
        b.iter(|| {
            out.clear();
            client.write_application_data(&payload, &mut out).unwrap();
            std::hint::black_box(&out);
        })
    });
    let now = Instant::now();
    // The driver's hot path: records sealed into a reused buffer (`write_application_data`),
    // received into a reused `BytesMut` handed over with `handle_receive_buf`, decrypted in
    // place and delivered as a slice of it. The copy into `rx` stands for the socket read, as
    // the copy into `rx` does in the ring baseline.
    let mut tx = Vec::with_capacity(2048);
    let mut rx = bytes::BytesMut::with_capacity(4096);
    g.bench_function("oxrtc_encrypt_decrypt", |b| {
        b.iter(|| {
            tx.clear();
            client.write_application_data(&payload, &mut tx).unwrap();
            rx.reserve(tx.len());
            rx.extend_from_slice(&tx);
            server.handle_receive_buf(now, rx.split()).unwrap();
            match server.poll_event() {
                Some(Event::ApplicationData(d)) => std::hint::black_box(d),
                other => panic!("expected data, got {other:?}"),
            };
        })
    });
    // The convenience path: a fresh Vec per datagram out (`send_application_data` +
    // `poll_transmit`) and a borrowed datagram in (`handle_receive(&[u8])`, one more copy).
    g.bench_function("oxrtc_encrypt_decrypt_convenience", |b| {
        b.iter(|| {
            client.send_application_data(&payload).unwrap();
            let record = client.poll_transmit().unwrap();
            server.handle_receive(now, &record).unwrap();
            match server.poll_event() {
                Some(Event::ApplicationData(d)) => std::hint::black_box(d),
                other => panic!("expected data, got {other:?}"),
            };
        })
    });

    // rtc-dtls's AES-GCM record cipher, for reference.
    {
        use rtc_dtls::content::ContentType;
        use rtc_dtls::crypto::crypto_gcm::CryptoGcm;
        use rtc_dtls::record_layer::record_layer_header::{RecordLayerHeader, PROTOCOL_VERSION1_2};
        let provider = rtc_dtls::crypto_provider::default_provider().unwrap();
        let (k1, iv1, k2, iv2) = ([0x11u8; 16], [0x22u8; 4], [0x33u8; 16], [0x44u8; 4]);
        let mut sender = CryptoGcm::new(provider.clone(), &k1, &iv1, &k2, &iv2).unwrap();
        let mut receiver = CryptoGcm::new(provider, &k2, &iv2, &k1, &iv1).unwrap();
        let header = RecordLayerHeader {
            content_type: ContentType::ApplicationData,
            protocol_version: PROTOCOL_VERSION1_2,
            epoch: 1,
            sequence_number: 1,
            content_len: PAYLOAD as u16,
        };
        let mut raw = Vec::with_capacity(13 + PAYLOAD);
        header.marshal(&mut raw).unwrap();
        raw.extend_from_slice(&payload);
        g.bench_function("rtc-dtls-0.21_encrypt", |b| {
            b.iter(|| std::hint::black_box(sender.encrypt(&header, &raw).unwrap()))
        });
        let encrypted = sender.encrypt(&header, &raw).unwrap();
        g.bench_function("rtc-dtls-0.21_decrypt", |b| {
            b.iter(|| std::hint::black_box(receiver.decrypt(&encrypted).unwrap()))
        });
        g.bench_function("rtc-dtls-0.21_encrypt_decrypt", |b| {
            b.iter(|| {
                let e = sender.encrypt(&header, &raw).unwrap();
                std::hint::black_box(receiver.decrypt(&e).unwrap())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, handshake, record);
criterion_main!(benches);
