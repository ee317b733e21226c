//! ICE: answering a connectivity check — decode a Binding request, check USERNAME,
//! MESSAGE-INTEGRITY and FINGERPRINT, and build the signed success response with
//! XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT — the per-check cost of every
//! ICE agent (and of a server answering many peers' consent checks).
//!
//! oxrtc runs its whole `Agent::handle_receive` path (which also does the agent's
//! bookkeeping: role-conflict test, pair lookup, triggered-check queue); rtc-stun 0.21
//! (webrtc-rs) does the message work alone, with its reusable `Message` buffers.

use std::net::SocketAddr;
use std::time::Instant;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use oxrtc_ice::stun::{Attribute, Class, Integrity, Key, Message, Method, TransactionId};
use oxrtc_ice::{Agent, AgentConfig, Candidate, Credentials, Datagram, Role};

fn answer_check(c: &mut Criterion) {
    let local: SocketAddr = "192.0.2.2:6000".parse().unwrap();
    let peer: SocketAddr = "192.0.2.1:5000".parse().unwrap();
    let ours = Credentials::new("Ours", "OursOursOursOursOursOu").unwrap();
    let theirs = Credentials::new("Them", "ThemThemThemThemThemTh").unwrap();
    let check = Message::new(Class::Request, Method::BINDING, TransactionId([7; 12]))
        .with(Attribute::Username(&format!(
            "{}:{}",
            ours.ufrag, theirs.ufrag
        )))
        .with(Attribute::Priority(1_862_270_975))
        .with(Attribute::IceControlling(0x0123_4567_89ab_cdef))
        .to_bytes(Integrity::Sha1(&Key::short_term(&ours.pwd)), true)
        .unwrap();

    let mut group = c.benchmark_group("ice_answer_check");

    let mut agent = Agent::new(AgentConfig {
        role: Role::Controlled,
        rng_seed: Some([1; 32]),
        local_credentials: Some(ours.clone()),
        ..AgentConfig::default()
    });
    agent.set_remote_credentials(theirs).unwrap();
    agent.add_local_candidate(Candidate::host(local)).unwrap();
    agent.add_remote_candidate(Candidate::host(peer)).unwrap();
    let now = Instant::now();
    group.bench_function("oxrtc", |b| {
        b.iter(|| {
            let r = agent.handle_receive(now, Datagram::udp(local, peer, black_box(&check)));
            assert_eq!(r.unwrap(), oxrtc_ice::Received::Stun);
            let resp = agent.poll_transmit().unwrap();
            black_box(resp.data);
        })
    });

    let provider = rtc_stun::crypto::default_provider().expect("rtc-stun's ring provider");
    let mut req = rtc_stun::message::Message::new();
    let mut resp = rtc_stun::message::Message::new();
    group.bench_function("rtc_stun", |b| {
        b.iter(|| {
            req.unmarshal_binary(black_box(&check)).unwrap();
            let username = req.get(rtc_stun::attributes::ATTR_USERNAME).unwrap();
            assert!(username.starts_with(ours.ufrag.as_bytes()));
            rtc_stun::integrity::MessageIntegrity::check(
                &mut req,
                ours.pwd.as_bytes(),
                provider.crypto(),
            )
            .unwrap();
            rtc_stun::fingerprint::FINGERPRINT.check(&req).unwrap();
            resp.build(&[
                Box::new(req.clone()),
                Box::new(rtc_stun::message::BINDING_SUCCESS),
                Box::new(rtc_stun::xoraddr::XorMappedAddress {
                    ip: peer.ip(),
                    port: peer.port(),
                }),
                Box::new(
                    rtc_stun::integrity::MessageIntegrity::new_short_term_integrity_with_provider(
                        ours.pwd.clone(),
                        provider.crypto(),
                    ),
                ),
                Box::new(rtc_stun::fingerprint::FINGERPRINT),
            ])
            .unwrap();
            black_box(resp.marshal_binary().unwrap());
        })
    });
    group.finish();
}

criterion_group!(benches, answer_check);
criterion_main!(benches);
