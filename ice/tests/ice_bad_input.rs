//! Unauthenticated or malformed STUN never changes the agent: random datagrams,
//! bit-flipped checks, wrong passwords and foreign usernames are dropped without a
//! reply, an event or a state change; the session keeps working.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use oxrtc_ice::stun::{Attribute, Class, Integrity, Key, Message, Method, TransactionId};
use oxrtc_ice::{Agent, AgentError, Candidate, ConnectionState, Datagram, Path, Role};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use support::{assert_data_flows, config, World};

#[derive(Debug, PartialEq)]
struct Snapshot {
    state: ConnectionState,
    path: Option<Path>,
    role: Role,
    pairs: usize,
    remotes: usize,
    locals: usize,
}

fn snapshot(a: &Agent) -> Snapshot {
    Snapshot {
        state: a.connection_state(),
        path: a.selected_path(),
        role: a.role(),
        pairs: a.pair_count(),
        remotes: a.remote_candidates().count(),
        locals: a.local_candidates().count(),
    }
}

fn check(username: &str, pwd: &str, controlling: bool, id: u8) -> Vec<u8> {
    let mut m = Message::new(Class::Request, Method::BINDING, TransactionId([id; 12]));
    m.add(Attribute::Username(username))
        .add(Attribute::Priority(1_862_270_975))
        .add(Attribute::UseCandidate);
    if controlling {
        m.add(Attribute::IceControlling(u64::MAX));
    } else {
        m.add(Attribute::IceControlled(0));
    }
    m.to_bytes(Integrity::Sha1(&Key::short_term(pwd)), true)
        .unwrap()
}

#[test]
fn garbage_and_forged_stun_change_nothing() {
    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, 1), "192.0.2.1:5000", None);
    let b = w.add_node(config(Role::Controlled, 2), "192.0.2.2:6000", None);
    w.signal_hosts(a, b);
    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));

    let local = w.nodes[a].host;
    let attacker: SocketAddr = "198.51.100.66:4444".parse().unwrap();
    let peer = w.nodes[b].host;
    let ours = w.nodes[a].agent.local_credentials().clone();
    let theirs = w.nodes[b].agent.local_credentials().clone();
    let now = w.now;
    let agent = &mut w.nodes[a].agent;
    let before = snapshot(agent);
    let mut rng = ChaCha8Rng::seed_from_u64(7);

    let feed = |agent: &mut Agent, from: SocketAddr, data: &[u8]| {
        let r = agent.handle_receive(now, Datagram::udp(local, from, data));
        assert!(
            agent.poll_transmit().is_none(),
            "answered {data:02x?}: {r:?}"
        );
        assert!(agent.poll_event().is_none());
        r
    };

    // Random datagrams that pass the cheap STUN test.
    for i in 0..5_000 {
        let len = 20 + (rng.next_u32() as usize % 200);
        let mut d = vec![0u8; len];
        rng.fill_bytes(&mut d);
        d[0] &= 0x01;
        d[2..4].copy_from_slice(&((len as u16 - 20) & !3).to_be_bytes());
        d[4..8].copy_from_slice(&0x2112_A442u32.to_be_bytes());
        let from = if i % 2 == 0 { attacker } else { peer };
        let _ = feed(agent, from, &d);
    }

    // A correct check from the peer, bit-flipped anywhere up to the end of
    // MESSAGE-INTEGRITY: always rejected. (Bytes after it — FINGERPRINT — may turn into
    // an ignored attribute, which leaves a still-authentic message.)
    let good = check(
        &format!("{}:{}", ours.ufrag, theirs.ufrag),
        &ours.pwd,
        true,
        9,
    );
    for bit in 0..(good.len() - 8) * 8 {
        let mut d = good.clone();
        d[bit / 8] ^= 1 << (bit % 8);
        if let Ok(r) = feed(agent, peer, &d) {
            // Only a flip that makes it non-STUN is handed back as data.
            assert!(matches!(r, oxrtc_ice::Received::Data { .. }), "bit {bit}");
        }
    }

    // Wrong password, foreign ufrag, missing integrity, from the peer and others.
    let wrong_pwd = check(
        &format!("{}:{}", ours.ufrag, theirs.ufrag),
        "0123456789012345678901",
        true,
        1,
    );
    let foreign = check("nope:nope", &ours.pwd, true, 2);
    let no_mi = Message::new(Class::Request, Method::BINDING, TransactionId([3; 12]))
        .with(Attribute::Username(&format!("{}:x", ours.ufrag)))
        .to_bytes(Integrity::None, true)
        .unwrap();
    let stray_success = Message::new(Class::Success, Method::BINDING, TransactionId([4; 12]))
        .with(Attribute::XorMappedAddress(attacker))
        .to_bytes(Integrity::Sha1(&Key::short_term(&theirs.pwd)), true)
        .unwrap();
    for d in [&wrong_pwd, &foreign, &no_mi] {
        for from in [peer, attacker] {
            assert!(matches!(
                feed(agent, from, d),
                Err(AgentError::Unauthenticated)
            ));
        }
    }
    assert_eq!(
        feed(agent, attacker, &stray_success).unwrap(),
        oxrtc_ice::Received::OtherStun
    );

    assert_eq!(snapshot(agent), before);
    // And the session still works.
    w.run_for(Duration::from_secs(40));
    assert!(w.connected(a) && w.connected(b));
    assert_data_flows(&mut w, a, b);
}

#[test]
fn limits_bound_candidates_and_pairs() {
    let now = Instant::now();
    let mut agent = Agent::new(oxrtc_ice::AgentConfig {
        max_remote_candidates: 100,
        max_pairs: 150,
        ..config(Role::Controlling, 3)
    });
    agent
        .set_remote_credentials(
            oxrtc_ice::Credentials::new("abcd", "0123456789012345678901").unwrap(),
        )
        .unwrap();
    for i in 0..2u16 {
        agent
            .add_local_candidate(Candidate::host(SocketAddr::new(
                "10.0.0.1".parse().unwrap(),
                5000 + i,
            )))
            .unwrap();
    }
    let mut rejected = 0;
    for i in 0..300u16 {
        // Distinct IPs, so distinct foundations: one Waiting pair each.
        let ip = std::net::Ipv4Addr::new(10, 1, (i / 200) as u8, (i % 200) as u8 + 1);
        let c = Candidate::host(SocketAddr::new(ip.into(), 1000));
        match agent.add_remote_candidate(c) {
            Ok(()) => {}
            Err(AgentError::Limit { limit, .. }) => {
                assert_eq!(limit, 100);
                rejected += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(rejected, 200);
    assert_eq!(agent.remote_candidates().count(), 100);
    assert_eq!(agent.pair_count(), 150);
    // Checks still go out, paced.
    agent.handle_timeout(now);
    assert!(agent.poll_transmit().is_some());
    assert!(agent.poll_transmit().is_none());
    assert_eq!(
        agent.poll_timeout(),
        Some(now + oxrtc_ice::DEFAULT_TA),
        "Ta pacing"
    );
}

#[test]
fn refuses_candidates_that_would_aim_checks_at_groups() {
    let mut agent = Agent::new(config(Role::Controlling, 4));
    for bad in [
        "0.0.0.0:9",
        "224.0.0.251:5353",
        "255.255.255.255:9",
        "[ff02::fb]:5353",
        "192.0.2.1:0",
    ] {
        let c = Candidate::host(bad.parse().unwrap());
        assert!(
            matches!(
                agent.add_remote_candidate(c),
                Err(AgentError::UnsupportedCandidate(_))
            ),
            "{bad}"
        );
    }
    assert_eq!(agent.remote_candidates().count(), 0);
}
