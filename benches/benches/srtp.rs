//! SRTP: protect and unprotect one RTP packet with a 1200-byte payload, for each of the
//! four DTLS-SRTP profiles (and with a 160-byte audio payload for two of them); oxrtc-srtp
//! beside the raw cipher work on the same buffer and beside rtc-srtp 0.21 (webrtc-rs).
//!
//! - `oxrtc`: `Context::protect_rtp_in` / `unprotect_rtp_in`, in place in a reused buffer
//!   (header parse, per-SSRC ROC and replay state, IV, cipher, tag).
//! - `raw_cipher`: only the cryptography, on the same buffer, with keys prepared up front:
//!   ring AES-GCM `seal_in_place_separate_tag` / `open_in_place_separate_tag` with the header
//!   as AAD; or the `aes` + `ctr` keystream (expanded key cloned into `Ctr128BE`, the cheapest
//!   way that API allows) plus HMAC-SHA1 over header, payload and ROC with RustCrypto `hmac` +
//!   `sha1` (SHA-NI), the primitives oxrtc-srtp uses.
//! - `raw_cipher_ring_hmac` (AES-CM only): the same with ring's HMAC-SHA1, whose portable SHA-1
//!   is why oxrtc-srtp takes RustCrypto's for this one primitive.
//! - `rtc_srtp`: `Context::encrypt_rtp` / `decrypt_rtp` of rtc-srtp 0.21.1 with its default
//!   ring provider (each returns a new `BytesMut`, that is its API).
//!
//! Unprotect benches get a freshly protected packet per iteration from an untimed setup
//! (`iter_batched`), so the replay window sees a new sequence number each time.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use criterion::{
    black_box, criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput,
};
use hmac::Mac;
use oxrtc_srtp::{Config, Context, ProtectionProfile};
use ring::aead;

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

const PAYLOAD: usize = 1200;
const AUDIO_PAYLOAD: usize = 160;
const HEADER: usize = 12;
const SSRC: u32 = 0x1234_5678;

fn packet(seq: u16, payload: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(HEADER + payload + 16);
    p.extend_from_slice(&[0x80, 96]);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 3000).to_be_bytes());
    p.extend_from_slice(&SSRC.to_be_bytes());
    p.extend((0..payload).map(|i| i as u8));
    p
}

fn set_seq(buf: &mut [u8], seq: u16) {
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
}

fn key_salt(profile: ProtectionProfile) -> (Vec<u8>, Vec<u8>) {
    (
        (0..profile.master_key_len() as u8).collect(),
        (0..profile.master_salt_len() as u8).map(|b| !b).collect(),
    )
}

fn rtc_profile(profile: ProtectionProfile) -> rtc_srtp::protection_profile::ProtectionProfile {
    use rtc_srtp::protection_profile::ProtectionProfile as P;
    match profile {
        ProtectionProfile::Aes128CmHmacSha1_80 => P::Aes128CmHmacSha1_80,
        ProtectionProfile::Aes128CmHmacSha1_32 => P::Aes128CmHmacSha1_32,
        ProtectionProfile::AeadAes128Gcm => P::AeadAes128Gcm,
        _ => P::AeadAes256Gcm,
    }
}

fn rtc_context(profile: ProtectionProfile) -> rtc_srtp::context::Context {
    let (key, salt) = key_salt(profile);
    let provider = rtc_srtp::crypto::default_provider().expect("rtc-srtp ring provider");
    rtc_srtp::context::Context::new(
        &key,
        &salt,
        rtc_profile(profile),
        None,
        None,
        provider.crypto(),
    )
    .expect("rtc-srtp context")
}

fn oxrtc_context(profile: ProtectionProfile) -> Context {
    let (key, salt) = key_salt(profile);
    Context::new(profile, &key, &salt, Config::default()).expect("oxrtc context")
}

/// The raw cryptography of a profile, keys prepared once.
// One per bench, inline like in oxrtc-srtp: the AES key schedule makes a variant large.
#[allow(clippy::large_enum_variant)]
enum Raw {
    Gcm {
        key: aead::LessSafeKey,
        salt: [u8; 12],
    },
    AesCm {
        aes: aes::Aes128Enc,
        salt: [u8; 14],
        auth: Auth,
        tag_len: usize,
    },
}

/// The HMAC-SHA1 implementation of the AES-CM baseline.
enum Auth {
    RustCrypto(HmacSha1),
    Ring(ring::hmac::Key),
}

impl Raw {
    fn new(profile: ProtectionProfile, ring_hmac: bool) -> Self {
        // Any session keys do: only the cost of the operations is measured.
        if profile.is_aead() {
            let algorithm = if profile.master_key_len() == 32 {
                &aead::AES_256_GCM
            } else {
                &aead::AES_128_GCM
            };
            let key = vec![7u8; profile.master_key_len()];
            Self::Gcm {
                key: aead::LessSafeKey::new(aead::UnboundKey::new(algorithm, &key).unwrap()),
                salt: [9; 12],
            }
        } else {
            Self::AesCm {
                aes: aes::Aes128Enc::new(&[7u8; 16].into()),
                salt: [9; 14],
                auth: if ring_hmac {
                    Auth::Ring(ring::hmac::Key::new(
                        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
                        &[5; 20],
                    ))
                } else {
                    Auth::RustCrypto(<HmacSha1 as Mac>::new_from_slice(&[5; 20]).unwrap())
                },
                tag_len: profile.rtp_auth_tag_len(),
            }
        }
    }

    fn iv(salt: &[u8], seq: u16, at: usize) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv[..salt.len()].copy_from_slice(salt);
        for (b, s) in iv[at..at + 4].iter_mut().zip(SSRC.to_be_bytes()) {
            *b ^= s;
        }
        iv[at + 8] ^= (seq >> 8) as u8;
        iv[at + 9] ^= seq as u8;
        iv
    }

    fn keystream(aes: &aes::Aes128Enc, salt: &[u8; 14], seq: u16, data: &mut [u8]) {
        let iv = Self::iv(salt, seq, 4);
        let core = ctr::CtrCore::<aes::Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(
            aes.clone(),
            &iv.into(),
        );
        ctr::Ctr128BE::from_core(core).apply_keystream(data);
    }

    fn mac(auth: &Auth, data: &[u8]) -> [u8; 20] {
        match auth {
            Auth::RustCrypto(key) => {
                let mut mac = key.clone();
                mac.update(data);
                mac.update(&0u32.to_be_bytes());
                mac.finalize().into_bytes().into()
            }
            Auth::Ring(key) => {
                let mut ctx = ring::hmac::Context::with_key(key);
                ctx.update(data);
                ctx.update(&0u32.to_be_bytes());
                ctx.sign().as_ref().try_into().unwrap()
            }
        }
    }

    /// Encrypts `buf[HEADER..len]` and writes the tag after it; returns the new length.
    fn seal(&self, buf: &mut [u8], len: usize, seq: u16) -> usize {
        match self {
            Self::Gcm { key, salt } => {
                let iv = Self::iv(salt, seq, 2);
                let nonce = aead::Nonce::try_assume_unique_for_key(&iv[..12]).unwrap();
                let (header, rest) = buf.split_at_mut(HEADER);
                let tag = key
                    .seal_in_place_separate_tag(
                        nonce,
                        aead::Aad::from(&*header),
                        &mut rest[..len - HEADER],
                    )
                    .unwrap();
                buf[len..len + 16].copy_from_slice(tag.as_ref());
                len + 16
            }
            Self::AesCm {
                aes,
                salt,
                auth,
                tag_len,
            } => {
                Self::keystream(aes, salt, seq, &mut buf[HEADER..len]);
                let tag = Self::mac(auth, &buf[..len]);
                buf[len..len + tag_len].copy_from_slice(&tag[..*tag_len]);
                len + tag_len
            }
        }
    }

    /// Checks the tag and decrypts in place; returns the plaintext length.
    fn open(&self, buf: &mut [u8], seq: u16) -> usize {
        match self {
            Self::Gcm { key, salt } => {
                let iv = Self::iv(salt, seq, 2);
                let nonce = aead::Nonce::try_assume_unique_for_key(&iv[..12]).unwrap();
                let tag_at = buf.len() - 16;
                let tag = aead::Tag::try_from(&buf[tag_at..]).unwrap();
                let (header, rest) = buf.split_at_mut(HEADER);
                key.open_in_place_separate_tag(
                    nonce,
                    aead::Aad::from(&*header),
                    tag,
                    &mut rest[..tag_at - HEADER],
                    0..,
                )
                .unwrap();
                tag_at
            }
            Self::AesCm {
                aes,
                salt,
                auth,
                tag_len,
            } => {
                let len = buf.len() - tag_len;
                let tag = Self::mac(auth, &buf[..len]);
                let equal = tag[..*tag_len]
                    .iter()
                    .zip(&buf[len..])
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0;
                assert!(equal);
                Self::keystream(aes, salt, seq, &mut buf[HEADER..len]);
                len
            }
        }
    }
}

fn short_name(profile: ProtectionProfile) -> &'static str {
    match profile {
        ProtectionProfile::Aes128CmHmacSha1_80 => "aes_cm_sha1_80",
        ProtectionProfile::Aes128CmHmacSha1_32 => "aes_cm_sha1_32",
        ProtectionProfile::AeadAes128Gcm => "aead_aes_128_gcm",
        _ => "aead_aes_256_gcm",
    }
}

fn protect(c: &mut Criterion, payload: usize, profiles: &[ProtectionProfile]) {
    for &profile in profiles {
        let mut group =
            c.benchmark_group(format!("srtp_protect_{payload}/{}", short_name(profile)));
        group.throughput(Throughput::Bytes(payload as u64));
        let len = HEADER + payload;

        let mut ctx = oxrtc_context(profile);
        let mut buf = packet(1, payload);
        buf.resize(len + 16, 0);
        let mut seq = 0u16;
        group.bench_function(BenchmarkId::from_parameter("oxrtc"), |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                set_seq(&mut buf, seq);
                black_box(ctx.protect_rtp_in(black_box(&mut buf), len).unwrap())
            })
        });

        for (name, ring_hmac) in [("raw_cipher", false), ("raw_cipher_ring_hmac", true)] {
            if ring_hmac && profile.is_aead() {
                continue;
            }
            let raw = Raw::new(profile, ring_hmac);
            let mut buf = packet(1, payload);
            buf.resize(len + 16, 0);
            let mut seq = 0u16;
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| {
                    seq = seq.wrapping_add(1);
                    set_seq(&mut buf, seq);
                    black_box(raw.seal(black_box(&mut buf), len, seq))
                })
            });
        }

        let mut rtc = rtc_context(profile);
        let mut plain = packet(1, payload);
        let mut seq = 0u16;
        group.bench_function(BenchmarkId::from_parameter("rtc_srtp"), |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                set_seq(&mut plain, seq);
                black_box(rtc.encrypt_rtp(black_box(&plain)).unwrap())
            })
        });
        group.finish();
    }
}

fn unprotect(c: &mut Criterion, payload: usize, profiles: &[ProtectionProfile]) {
    for &profile in profiles {
        let mut group =
            c.benchmark_group(format!("srtp_unprotect_{payload}/{}", short_name(profile)));
        group.throughput(Throughput::Bytes(payload as u64));

        let mut tx = oxrtc_context(profile);
        let mut rx = oxrtc_context(profile);
        let mut seq = 0u16;
        group.bench_function(BenchmarkId::from_parameter("oxrtc"), |b| {
            b.iter_batched(
                || {
                    seq = seq.wrapping_add(1);
                    let mut p = packet(seq, payload);
                    tx.protect_rtp(&mut p).unwrap();
                    p
                },
                |mut p| {
                    let n = rx.unprotect_rtp_in(black_box(&mut p)).unwrap();
                    black_box(n);
                    p
                },
                BatchSize::SmallInput,
            )
        });

        for (name, ring_hmac) in [("raw_cipher", false), ("raw_cipher_ring_hmac", true)] {
            if ring_hmac && profile.is_aead() {
                continue;
            }
            let raw = Raw::new(profile, ring_hmac);
            let mut seq = 0u16;
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter_batched(
                    || {
                        seq = seq.wrapping_add(1);
                        let mut p = packet(seq, payload);
                        let len = p.len();
                        p.resize(len + 16, 0);
                        let n = raw.seal(&mut p, len, seq);
                        p.truncate(n);
                        (p, seq)
                    },
                    |(mut p, seq)| {
                        black_box(raw.open(black_box(&mut p), seq));
                        p
                    },
                    BatchSize::SmallInput,
                )
            });
        }

        let mut rtc_tx = rtc_context(profile);
        let mut rtc_rx = rtc_context(profile);
        let mut seq = 0u16;
        group.bench_function(BenchmarkId::from_parameter("rtc_srtp"), |b| {
            b.iter_batched(
                || {
                    seq = seq.wrapping_add(1);
                    rtc_tx.encrypt_rtp(&packet(seq, payload)).unwrap()
                },
                |p| black_box(rtc_rx.decrypt_rtp(black_box(&p)).unwrap()),
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

/// Video-sized packets, every profile: the goals are measured here.
fn video(c: &mut Criterion) {
    protect(c, PAYLOAD, &ProtectionProfile::ALL);
    unprotect(c, PAYLOAD, &ProtectionProfile::ALL);
}

/// Audio-sized packets (a 20 ms Opus frame), where per-packet overhead weighs more.
fn audio(c: &mut Criterion) {
    let profiles = [
        ProtectionProfile::Aes128CmHmacSha1_80,
        ProtectionProfile::AeadAes128Gcm,
    ];
    protect(c, AUDIO_PAYLOAD, &profiles);
    unprotect(c, AUDIO_PAYLOAD, &profiles);
}

criterion_group!(benches, video, audio);
criterion_main!(benches);
