//! Both agents behind symmetric NATs: srflx candidates are useless, so they connect
//! through relayed candidates allocated with the TURN client on the TURN server core,
//! all on the virtual network.

mod support;

use std::time::Duration;

use oxrtc_ice::{CandidateKind, Role};
use support::{assert_data_flows, config, Nat, NatKind, World};

#[test]
fn symmetric_both_sides_connects_via_relay() {
    let mut w = World::perfect()
        .with_stun_server("198.51.100.1:3478")
        .with_turn_server("198.51.100.2:3478");
    let na = w.add_nat(Nat::new(NatKind::Symmetric, "203.0.113.1"));
    let nb = w.add_nat(Nat::new(NatKind::Symmetric, "203.0.113.2"));
    let a = w.add_node(config(Role::Controlling, 60), "10.0.1.2:5000", Some(na));
    let b = w.add_node(config(Role::Controlled, 61), "10.0.2.2:6000", Some(nb));
    w.start_turn(a);
    w.start_turn(b);
    w.gather_and_signal(a, b);
    for n in [a, b] {
        let kinds: Vec<_> = w.nodes[n]
            .agent
            .local_candidates()
            .map(|c| c.kind())
            .collect();
        assert!(kinds.contains(&CandidateKind::Relayed), "{kinds:?}");
    }
    assert!(
        w.run_until(Duration::from_secs(60), |w| w.connected(a)
            && w.connected(b)),
        "{:?} {:?}",
        w.state(a),
        w.state(b)
    );
    for n in [a, b] {
        let (local, remote) = w.nodes[n].agent.selected_pair().unwrap();
        assert!(
            local.kind() == CandidateKind::Relayed || remote.kind() == CandidateKind::Relayed,
            "{local} / {remote}"
        );
    }
    assert_data_flows(&mut w, a, b);
    // The relayed session stays up (consent over the relay, TURN refreshes).
    w.run_for(Duration::from_secs(120));
    assert!(w.connected(a) && w.connected(b));
    assert_data_flows(&mut w, a, b);
}

#[test]
fn symmetric_to_port_restricted_connects_via_one_relay() {
    // Without a relay this pair fails (ice_nat_srflx.rs); one side's relayed
    // candidate is enough.
    let mut w = World::perfect()
        .with_stun_server("198.51.100.1:3478")
        .with_turn_server("198.51.100.2:3478");
    let na = w.add_nat(Nat::new(NatKind::Symmetric, "203.0.113.1"));
    let nb = w.add_nat(Nat::new(NatKind::PortRestricted, "203.0.113.2"));
    let a = w.add_node(config(Role::Controlling, 70), "10.0.1.2:5000", Some(na));
    let b = w.add_node(config(Role::Controlled, 71), "10.0.2.2:6000", Some(nb));
    w.start_turn(a);
    w.gather_and_signal(a, b);
    assert!(w.run_until(Duration::from_secs(60), |w| w.connected(a)
        && w.connected(b)));
    let (local, _) = w.nodes[a].agent.selected_pair().unwrap();
    assert_eq!(local.kind(), CandidateKind::Relayed);
    assert_data_flows(&mut w, a, b);
}
