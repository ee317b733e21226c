//! Trickle ICE (RFC 8838): checks start before the peer's candidates arrive, a
//! peer-reflexive remote candidate is learned from the first check and later replaced
//! by the signaled one, unreachable candidates trickled late do not disturb the
//! session, and end-of-candidates completes it.

mod support;

use std::time::Duration;

use oxrtc_ice::{AgentEvent, Candidate, CandidateKind, ConnectionState, GatheringState, Role};
use support::{assert_data_flows, config, World};

#[test]
fn checks_before_candidates_then_trickle_and_end_of_candidates() {
    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, 1), "192.0.2.1:5000", None);
    let b = w.add_node(config(Role::Controlled, 2), "192.0.2.2:6000", None);
    let ca = w.nodes[a].agent.local_credentials().clone();
    let cb = w.nodes[b].agent.local_credentials().clone();
    w.nodes[a].agent.set_remote_credentials(cb).unwrap();
    w.nodes[b].agent.set_remote_credentials(ca).unwrap();
    let ha = Candidate::host(w.nodes[a].host);
    let hb = Candidate::host(w.nodes[b].host);
    w.nodes[a].agent.add_local_candidate(ha.clone()).unwrap();
    w.nodes[b].agent.add_local_candidate(hb.clone()).unwrap();
    assert_eq!(
        w.nodes[a].agent.gathering_state(),
        GatheringState::Gathering
    );
    // Only A has heard of B's candidate so far.
    w.nodes[a].agent.add_remote_candidate(hb).unwrap();

    assert!(w.run_until(Duration::from_secs(2), |w| w.connected(a) && w.connected(b)));
    let (_, remote_at_b) = w.nodes[b].agent.selected_pair().unwrap();
    assert_eq!(remote_at_b.kind(), CandidateKind::PeerReflexive);
    assert_eq!(remote_at_b.addr(), Some(w.nodes[a].host));

    // Late trickle: A's real candidate replaces the peer-reflexive one; an unreachable
    // extra candidate each way changes nothing.
    w.nodes[b].agent.add_remote_candidate(ha).unwrap();
    let kinds: Vec<_> = w.nodes[b]
        .agent
        .remote_candidates()
        .map(|c| c.kind())
        .collect();
    assert_eq!(kinds, vec![CandidateKind::Host]);
    let dead = Candidate::host("10.99.0.1:7000".parse().unwrap());
    w.nodes[a].agent.add_remote_candidate(dead.clone()).unwrap();
    w.nodes[b].agent.add_remote_candidate(dead).unwrap();
    w.run_for(Duration::from_secs(1));
    assert!(w.connected(a) && w.connected(b));
    assert_data_flows(&mut w, a, b);

    w.end_of_candidates(a, b);
    w.run_for(Duration::from_millis(100));
    for n in [a, b] {
        assert_eq!(w.state(n), ConnectionState::Completed);
        assert_eq!(w.nodes[n].agent.gathering_state(), GatheringState::Complete);
        assert!(w.nodes[n]
            .events
            .contains(&AgentEvent::GatheringStateChanged(GatheringState::Complete)));
        let selected = w.nodes[n]
            .events
            .iter()
            .filter(|e| matches!(e, AgentEvent::SelectedPairChanged { .. }))
            .count();
        assert_eq!(selected, 1);
    }
}

#[test]
fn no_reachable_candidate_fails_after_end_of_candidates() {
    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, 3), "192.0.2.1:5000", None);
    let b = w.add_node(config(Role::Controlled, 4), "192.0.2.2:6000", None);
    let cb = w.nodes[b].agent.local_credentials().clone();
    w.nodes[a].agent.set_remote_credentials(cb).unwrap();
    let ha = Candidate::host(w.nodes[a].host);
    w.nodes[a].agent.add_local_candidate(ha).unwrap();
    w.nodes[a]
        .agent
        .add_remote_candidate(Candidate::host("10.99.0.1:7000".parse().unwrap()))
        .unwrap();
    w.nodes[a].agent.end_of_local_candidates();
    // Without end-of-candidates, trickle ICE keeps waiting for more.
    w.run_for(Duration::from_secs(40));
    assert_eq!(w.state(a), ConnectionState::Checking);
    w.nodes[a].agent.end_of_remote_candidates();
    w.run_for(Duration::from_millis(1));
    assert_eq!(w.state(a), ConnectionState::Failed);
}
