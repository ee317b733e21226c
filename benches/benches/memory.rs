//! Heap memory per connection, layer by layer, beside webrtc-rs 0.21 (and dcsctp for SCTP).
//!
//! A counting global allocator (`stats_alloc`) gives the live heap bytes (allocated minus
//! deallocated, as requested from the allocator: the allocator's own overhead per block is
//! not in it). For each layer, `N` established instances are built and kept alive; the
//! growth of the live heap divided by `N` is the heap one instance holds. Both sides of a
//! pair are built together, then the first sides are dropped to split the total between
//! them. Whatever is shared between connections (certificates and configurations behind an
//! `Arc`, as a server shares them) is built before counting starts, so it is not in the
//! numbers. `size_of` is the inline part of the top-level struct, which lives wherever the
//! owner puts it (in a `Box`, a `Vec`, a task): "total" adds it to the heap part.
//!
//! What is built:
//! - DTLS: a client and a server connection after a full handshake in memory, every event
//!   drained (oxrtc-dtls `Connection`; rtc-dtls `Endpoint` holding its one connection).
//! - SCTP: an association pair with one data channel open after the DCEP exchange, every
//!   SACK sent, idle (oxrtc-sctp `Association`; dcsctp socket; rtc-sctp `Endpoint` and its
//!   `Association`).
//! - SRTP: a protect and an unprotect context after 16 packets of an audio SSRC and 16 of a
//!   video SSRC passed through them (oxrtc-srtp `Context`; rtc-srtp `Context`, the unprotect
//!   side with the 64-packet replay windows webrtc-rs gives remote contexts).
//! - ICE: a controlling and a controlled agent, one host candidate each and the other's as
//!   remote, after the connectivity checks and nomination succeeded over an in-memory
//!   network (oxrtc-ice `Agent`).
//!
//! - peer: two `oxrtc::session::Session`s connected in memory with one data channel open,
//!   sharing one certificate (as a server shares one): the whole connection without its
//!   driver.
//!
//! The sum line adds one side of each layer, two SRTP contexts (protect + unprotect): an
//! approximation of what one data + media connection's layers hold, since the peer crate
//! that composes them does not exist yet.
//!
//! It prints; it asserts nothing about the numbers. Run it with
//! `cargo bench -p oxrtc-benches --bench memory`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use oxrtc_benches::{dtls, sctp};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Instances of each kind kept alive at once.
const N: usize = 100;

/// Live heap bytes right now.
fn live() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

/// Heap bytes one instance of each side of a pair holds.
#[derive(Clone, Copy)]
struct Sides {
    first: f64,
    second: f64,
}

impl Sides {
    fn mean(self) -> f64 {
        (self.first + self.second) / 2.0
    }
}

/// Builds `N` pairs with `make`, all alive at once, and returns the heap each side holds.
/// One pair is built and dropped first, so lazily initialised globals are not counted.
fn measure<A, B>(mut make: impl FnMut(usize) -> (A, B)) -> Sides {
    drop(black_box(make(N)));
    let mut firsts = Vec::with_capacity(N);
    let mut seconds = Vec::with_capacity(N);
    let start = live();
    for i in 0..N {
        let (a, b) = make(i);
        firsts.push(a);
        seconds.push(b);
    }
    let both = live() - start;
    firsts.clear();
    let second = live() - start;
    black_box(&seconds);
    drop(seconds);
    Sides {
        first: (both - second) as f64 / N as f64,
        second: second as f64 / N as f64,
    }
}

/// One row of the table.
struct Row {
    layer: &'static str,
    name: &'static str,
    sides: (&'static str, &'static str),
    heap: Sides,
    inline: usize,
}

impl Row {
    fn total(&self) -> f64 {
        self.heap.mean() + self.inline as f64
    }
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

// ---------------------------------------------------------------- DTLS

fn dtls_rows() -> Vec<Row> {
    let (oc, os) = dtls::oxrtc_configs();
    let ox = measure(|_| dtls::oxrtc_handshake(&oc, &os));
    let (rc, rs) = dtls::rtc::configs();
    let rtc = measure(|_| dtls::rtc::handshake(&rc, &rs));
    vec![
        Row {
            layer: "DTLS",
            name: "oxrtc-dtls",
            sides: ("client", "server"),
            heap: ox,
            inline: size_of::<oxrtc_dtls::Connection>(),
        },
        Row {
            layer: "DTLS",
            name: "rtc-dtls 0.21",
            sides: ("client", "server"),
            heap: rtc,
            inline: size_of::<rtc_dtls::endpoint::Endpoint>(),
        },
    ]
}

// ---------------------------------------------------------------- SCTP

fn sctp_rows() -> Vec<Row> {
    let ox = measure(|_| sctp::ox::Pair::with_open_channel().into_parts());
    let dc = measure(|_| sctp::dc::Pair::with_open_channel().into_parts());
    let rtc = measure(|_| sctp::rtc::Pair::with_open_channel().into_parts());
    vec![
        Row {
            layer: "SCTP",
            name: "oxrtc-sctp",
            sides: ("opener", "accepter"),
            heap: ox,
            inline: size_of::<oxrtc_sctp::Association>(),
        },
        Row {
            layer: "SCTP",
            name: "dcsctp 0.1.16",
            sides: ("opener", "accepter"),
            heap: dc,
            // A boxed trait object: the socket itself is on the heap.
            inline: size_of::<Box<dyn dcsctp::api::DcSctpSocket>>(),
        },
        Row {
            layer: "SCTP",
            name: "rtc-sctp 0.21",
            sides: ("opener", "accepter"),
            heap: rtc,
            inline: size_of::<rtc_sctp::Endpoint>() + size_of::<rtc_sctp::Association>(),
        },
    ]
}

// ---------------------------------------------------------------- SRTP

const AUDIO_SSRC: u32 = 0x1111_1111;
const VIDEO_SSRC: u32 = 0x2222_2222;
const PACKETS: u16 = 16;

/// An RTP packet: Opus-sized for audio, MTU-sized for video, with room for the tag.
fn rtp(ssrc: u32, seq: u16) -> Vec<u8> {
    let (pt, payload) = if ssrc == AUDIO_SSRC {
        (111, 160)
    } else {
        (96, 1100)
    };
    let mut p = Vec::with_capacity(12 + payload + 16);
    p.extend_from_slice(&[0x80, pt]);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.resize(12 + payload, 0x5a);
    p
}

fn key_salt(profile: oxrtc_srtp::ProtectionProfile) -> (Vec<u8>, Vec<u8>) {
    (
        (0..profile.master_key_len() as u8).collect(),
        (0..profile.master_salt_len() as u8).map(|b| !b).collect(),
    )
}

fn oxrtc_srtp_pair(
    profile: oxrtc_srtp::ProtectionProfile,
) -> (oxrtc_srtp::Context, oxrtc_srtp::Context) {
    use oxrtc_srtp::{Config, Context};
    let (key, salt) = key_salt(profile);
    let mut tx = Context::new(profile, &key, &salt, Config::default()).unwrap();
    let mut rx = Context::new(profile, &key, &salt, Config::default()).unwrap();
    for seq in 1..=PACKETS {
        for ssrc in [AUDIO_SSRC, VIDEO_SSRC] {
            let mut p = rtp(ssrc, seq);
            tx.protect_rtp(&mut p).unwrap();
            rx.unprotect_rtp(&mut p).unwrap();
        }
    }
    (tx, rx)
}

fn rtc_srtp_pair(
    profile: oxrtc_srtp::ProtectionProfile,
) -> (rtc_srtp::context::Context, rtc_srtp::context::Context) {
    use oxrtc_srtp::ProtectionProfile as P;
    use rtc_srtp::option::{srtcp_replay_protection, srtp_replay_protection};
    use rtc_srtp::protection_profile::ProtectionProfile as R;
    let rtc_profile = match profile {
        P::Aes128CmHmacSha1_80 => R::Aes128CmHmacSha1_80,
        P::Aes128CmHmacSha1_32 => R::Aes128CmHmacSha1_32,
        P::AeadAes128Gcm => R::AeadAes128Gcm,
        _ => R::AeadAes256Gcm,
    };
    let (key, salt) = key_salt(profile);
    let provider = rtc_srtp::crypto::default_provider().unwrap();
    let context = |replay: bool| {
        let (srtp, srtcp) = if replay {
            (
                Some(srtp_replay_protection(64)),
                Some(srtcp_replay_protection(64)),
            )
        } else {
            (None, None)
        };
        rtc_srtp::context::Context::new(&key, &salt, rtc_profile, srtp, srtcp, provider.crypto())
            .unwrap()
    };
    let (mut tx, mut rx) = (context(false), context(true));
    for seq in 1..=PACKETS {
        for ssrc in [AUDIO_SSRC, VIDEO_SSRC] {
            let p = tx.encrypt_rtp(&rtp(ssrc, seq)).unwrap();
            black_box(rx.decrypt_rtp(&p).unwrap());
        }
    }
    (tx, rx)
}

fn srtp_rows() -> Vec<Row> {
    use oxrtc_srtp::ProtectionProfile as P;
    let mut rows = Vec::new();
    for (profile, label) in [(P::AeadAes128Gcm, "GCM"), (P::Aes128CmHmacSha1_80, "CM")] {
        rows.push(Row {
            layer: "SRTP",
            name: if label == "GCM" {
                "oxrtc-srtp GCM"
            } else {
                "oxrtc-srtp CM_80"
            },
            sides: ("protect", "unprotect"),
            heap: measure(|_| oxrtc_srtp_pair(profile)),
            inline: size_of::<oxrtc_srtp::Context>(),
        });
        rows.push(Row {
            layer: "SRTP",
            name: if label == "GCM" {
                "rtc-srtp GCM"
            } else {
                "rtc-srtp CM_80"
            },
            sides: ("protect", "unprotect"),
            heap: measure(|_| rtc_srtp_pair(profile)),
            inline: size_of::<rtc_srtp::context::Context>(),
        });
    }
    rows
}

// ---------------------------------------------------------------- ICE

/// Two agents with one host candidate each, connected over an in-memory network whose
/// clock jumps to the next timer when nothing is in flight; every event drained.
fn ice_pair(i: usize) -> (oxrtc_ice::Agent, oxrtc_ice::Agent) {
    use oxrtc_ice::{Agent, AgentConfig, AgentEvent, Candidate, ConnectionState, Datagram, Role};
    let config = |role, seed: u8| AgentConfig {
        role,
        rng_seed: Some([seed.wrapping_add(i as u8); 32]),
        ..AgentConfig::default()
    };
    let mut a = Agent::new(config(Role::Controlling, 1));
    let mut b = Agent::new(config(Role::Controlled, 2));
    let pa: SocketAddr = "127.0.0.1:5000".parse().unwrap();
    let pb: SocketAddr = "127.0.0.1:5001".parse().unwrap();
    a.set_remote_credentials(b.local_credentials().clone())
        .unwrap();
    b.set_remote_credentials(a.local_credentials().clone())
        .unwrap();
    a.add_local_candidate(Candidate::host(pa)).unwrap();
    b.add_local_candidate(Candidate::host(pb)).unwrap();
    a.add_remote_candidate(Candidate::host(pb)).unwrap();
    b.add_remote_candidate(Candidate::host(pa)).unwrap();
    let mut now = Instant::now();
    let deadline = now + Duration::from_secs(10);
    a.handle_timeout(now);
    b.handle_timeout(now);
    let (mut a_up, mut b_up) = (false, false);
    loop {
        let mut moved = false;
        while let Some(t) = a.poll_transmit() {
            let _ = b.handle_receive(now, Datagram::udp(t.remote, t.local, &t.data));
            moved = true;
        }
        while let Some(t) = b.poll_transmit() {
            let _ = a.handle_receive(now, Datagram::udp(t.remote, t.local, &t.data));
            moved = true;
        }
        let connected = AgentEvent::ConnectionStateChanged(ConnectionState::Connected);
        while let Some(e) = a.poll_event() {
            a_up |= e == connected;
        }
        while let Some(e) = b.poll_event() {
            b_up |= e == connected;
        }
        if a_up && b_up && !moved {
            break;
        }
        if !moved {
            let next = [a.poll_timeout(), b.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .expect("a timer is running");
            now = now.max(next);
            assert!(now < deadline, "ICE did not connect");
            a.handle_timeout(now);
            b.handle_timeout(now);
        }
    }
    assert!(a.selected_path().is_some() && b.selected_path().is_some());
    (a, b)
}

fn ice_rows() -> Vec<Row> {
    vec![Row {
        layer: "ICE",
        name: "oxrtc-ice",
        sides: ("controlling", "controlled"),
        heap: measure(ice_pair),
        inline: size_of::<oxrtc_ice::Agent>(),
    }]
}

// ---------------------------------------------------------------- whole session

/// Two `oxrtc::session::Session`s, negotiated and connected in memory (ICE, DTLS,
/// SCTP), one data channel open on both sides, every event drained: what one
/// PeerConnection holds without its driver (sockets, task, receive buffer).
fn session_pair(
    i: usize,
    certificate: &oxrtc::dtls::Certificate,
) -> (oxrtc::session::Session, oxrtc::session::Session) {
    use oxrtc::session::{Session, SessionConfig, SessionEvent};
    let now = Instant::now();
    let make = |seed: u8| {
        Session::new(SessionConfig {
            certificate: Some(certificate.clone()),
            rng_seed: Some([seed; 32]),
            ..SessionConfig::default()
        })
        .expect("session")
    };
    let (mut a, mut b) = (make(1 + (i % 200) as u8), make(201));
    let port = 10_000 + i as u16 * 2;
    let (addr_a, addr_b): (SocketAddr, SocketAddr) = (
        format!("10.1.0.1:{port}").parse().expect("addr"),
        format!("10.1.0.2:{port}").parse().expect("addr"),
    );
    a.add_local_candidate(addr_a).expect("candidate");
    b.add_local_candidate(addr_b).expect("candidate");
    a.end_of_local_candidates();
    b.end_of_local_candidates();
    let chat = a
        .create_data_channel(now, "chat", &oxrtc::DataChannelInit::default())
        .expect("channel");
    let offer = a.create_offer().expect("offer");
    a.set_local_description(now, offer).expect("sld");
    b.set_remote_description(now, a.local_description().expect("offer"))
        .expect("srd");
    let answer = b.create_answer().expect("answer");
    b.set_local_description(now, answer).expect("sld");
    a.set_remote_description(now, b.local_description().expect("answer"))
        .expect("srd");
    let (mut opened, mut announced) = (false, false);
    for _ in 0..200 {
        a.handle_timeout(now);
        b.handle_timeout(now);
        while let Some(t) = a.poll_transmit() {
            b.handle_receive(now, t.remote, t.local, &t.data);
        }
        while let Some(t) = b.poll_transmit() {
            a.handle_receive(now, t.remote, t.local, &t.data);
        }
        while let Some(e) = a.poll_event() {
            opened |= e == SessionEvent::DataChannelOpen(chat);
        }
        while let Some(e) = b.poll_event() {
            announced |= matches!(e, SessionEvent::DataChannel(_));
        }
        if opened && announced {
            break;
        }
    }
    assert!(opened && announced, "sessions connect in memory");
    (a, b)
}

fn session_rows() -> Vec<Row> {
    let certificate = oxrtc::dtls::Certificate::generate().expect("certificate");
    vec![Row {
        layer: "peer",
        name: "oxrtc Session",
        sides: ("offerer", "answerer"),
        heap: measure(|i| session_pair(i, &certificate)),
        inline: size_of::<oxrtc::session::Session>(),
    }]
}

// ---------------------------------------------------------------- report

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported, the run is short.
    let mut rows = Vec::new();
    rows.extend(dtls_rows());
    rows.extend(sctp_rows());
    rows.extend(srtp_rows());
    rows.extend(ice_rows());
    rows.extend(session_rows());

    println!("memory per connection: live heap bytes per instance, N = {N} kept alive");
    println!(
        "{:<5} {:<17} {:>28} {:>11} {:>8} {:>11}",
        "layer", "implementation", "heap per side", "heap mean", "size_of", "total"
    );
    for r in &rows {
        let sides = format!(
            "{} {} / {} {}",
            r.sides.0,
            kib(r.heap.first),
            r.sides.1,
            kib(r.heap.second)
        );
        println!(
            "{:<5} {:<17} {:>28} {:>11} {:>8} {:>11}",
            r.layer,
            r.name,
            sides,
            kib(r.heap.mean()),
            r.inline,
            kib(r.total())
        );
    }

    let find = |name: &str| rows.iter().find(|r| r.name == name).expect("row");
    println!();
    for (layer, ours, theirs) in [
        ("DTLS", "oxrtc-dtls", "rtc-dtls 0.21"),
        ("SCTP", "oxrtc-sctp", "rtc-sctp 0.21"),
        ("SCTP", "oxrtc-sctp", "dcsctp 0.1.16"),
        ("SRTP", "oxrtc-srtp GCM", "rtc-srtp GCM"),
        ("SRTP", "oxrtc-srtp CM_80", "rtc-srtp CM_80"),
    ] {
        let (o, t) = (find(ours).total(), find(theirs).total());
        println!(
            "{layer}: {ours} / {theirs} = {:.2} ({} vs {})",
            o / t,
            kib(o),
            kib(t)
        );
    }

    // One side of each layer; SRTP twice (protect + unprotect), the larger profile.
    let srtp = |a: &str, b: &str| {
        let (a, b) = (find(a), find(b));
        let pick = if a.total() >= b.total() { a } else { b };
        pick.heap.first + pick.heap.second + 2.0 * pick.inline as f64
    };
    let ours = find("oxrtc-dtls").total()
        + find("oxrtc-sctp").total()
        + srtp("oxrtc-srtp GCM", "oxrtc-srtp CM_80")
        + find("oxrtc-ice").total();
    let theirs_no_ice = find("rtc-dtls 0.21").total()
        + find("rtc-sctp 0.21").total()
        + srtp("rtc-srtp GCM", "rtc-srtp CM_80");
    let ours_no_ice = ours - find("oxrtc-ice").total();
    println!();
    println!(
        "sum (approximation, no peer crate yet): DTLS + SCTP + SRTP x2 + ICE = {} per connection",
        kib(ours)
    );
    println!(
        "  without ICE: oxrtc {} vs webrtc-rs (rtc-dtls + rtc-sctp + rtc-srtp x2) {} = {:.2}",
        kib(ours_no_ice),
        kib(theirs_no_ice),
        ours_no_ice / theirs_no_ice
    );
    println!(
        "  ROADMAP whole-connection figures: webrtc-rs 245 KiB, str0m 67 KiB; aim: half the best"
    );
    println!(
        "whole sans-IO session (ICE + DTLS + SCTP + descriptions, one channel): {} per connection \
         (the tokio PeerConnection adds its driver: see the e2e bench)",
        kib(find("oxrtc Session").total())
    );
}
