//! Two agents behind simulated NATs (RFC 4787 behaviours) gather server-reflexive
//! candidates from a STUN server on the "public" side and connect through them.

mod support;

use std::time::Duration;

use oxrtc_ice::{CandidateKind, ConnectionState, Role};
use support::{assert_data_flows, config, Nat, NatKind, World};

/// Connects A behind `ka` and B behind `kb`; returns the kinds of the selected pair's
/// remote candidates as seen from A and from B, or both final states when they do not
/// connect.
fn connect(
    ka: NatKind,
    kb: NatKind,
    seed: u8,
) -> Result<(CandidateKind, CandidateKind), (ConnectionState, ConnectionState)> {
    let mut w = World::perfect().with_stun_server("198.51.100.1:3478");
    let na = w.add_nat(Nat::new(ka, "203.0.113.1"));
    let nb = w.add_nat(Nat::new(kb, "203.0.113.2"));
    let a = w.add_node(config(Role::Controlling, seed), "10.0.1.2:5000", Some(na));
    let b = w.add_node(
        config(Role::Controlled, seed + 1),
        "10.0.2.2:6000",
        Some(nb),
    );
    w.gather_and_signal(a, b);
    for n in [a, b] {
        assert!(
            w.nodes[n]
                .agent
                .local_candidates()
                .any(|c| c.kind() == CandidateKind::ServerReflexive),
            "no srflx candidate gathered"
        );
    }
    if !w.run_until(Duration::from_secs(60), |w| {
        w.connected(a) && w.connected(b)
    }) {
        return Err((w.state(a), w.state(b)));
    }
    assert_data_flows(&mut w, a, b);
    let ra = w.nodes[a].agent.selected_pair().unwrap().1.kind();
    let rb = w.nodes[b].agent.selected_pair().unwrap().1.kind();
    Ok((ra, rb))
}

fn not_host(k: CandidateKind) -> bool {
    k != CandidateKind::Host
}

#[test]
fn full_cone_both_sides() {
    let (ra, rb) = connect(NatKind::FullCone, NatKind::FullCone, 10).expect("connects");
    assert!(not_host(ra) && not_host(rb), "{ra:?} {rb:?}");
}

#[test]
fn restricted_both_sides() {
    let (ra, rb) = connect(NatKind::Restricted, NatKind::Restricted, 20).expect("connects");
    assert!(not_host(ra) && not_host(rb), "{ra:?} {rb:?}");
}

#[test]
fn port_restricted_both_sides() {
    let (ra, rb) = connect(NatKind::PortRestricted, NatKind::PortRestricted, 30).expect("connects");
    assert!(not_host(ra) && not_host(rb), "{ra:?} {rb:?}");
}

#[test]
fn symmetric_to_full_cone_through_peer_reflexive() {
    // The symmetric side's srflx port is useless to the peer; the full-cone side
    // learns the real mapping as a peer-reflexive candidate.
    let (ra, rb) = connect(NatKind::Symmetric, NatKind::FullCone, 40).expect("connects");
    assert_eq!(rb, CandidateKind::PeerReflexive, "{ra:?} {rb:?}");
}

#[test]
fn symmetric_to_port_restricted_fails_without_relay() {
    // The classic impossible case for srflx alone: both sides end in `failed`.
    assert_eq!(
        connect(NatKind::Symmetric, NatKind::PortRestricted, 50),
        Err((ConnectionState::Failed, ConnectionState::Failed))
    );
}
