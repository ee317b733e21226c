//! Two full agents with host candidates on a perfect virtual network connect, select
//! the same pair, reach `completed` after end-of-candidates, and carry data.

mod support;

use std::time::Duration;

use oxrtc_ice::{
    binding_request_ufrag, Agent, AgentEvent, CandidatePairState, ConnectionState, Role,
};
use support::{assert_data_flows, config, World};

#[test]
fn host_to_host_connects_and_completes() {
    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, 1), "192.0.2.1:5000", None);
    let b = w.add_node(config(Role::Controlled, 2), "192.0.2.2:6000", None);
    w.signal_hosts(a, b);
    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
    // One round trip for the check, one for the nomination: well under a second.
    assert!(
        w.now - w.start < Duration::from_millis(500),
        "{:?}",
        w.now - w.start
    );

    let path_a = w.nodes[a].agent.selected_path().unwrap();
    let path_b = w.nodes[b].agent.selected_path().unwrap();
    assert_eq!((path_a.local, path_a.remote), (path_b.remote, path_b.local));
    for n in [a, b] {
        assert!(w.nodes[n]
            .events
            .iter()
            .any(|e| matches!(e, AgentEvent::SelectedPairChanged { .. })));
        assert_eq!(
            w.nodes[n].states,
            vec![ConnectionState::Checking, ConnectionState::Connected]
        );
    }
    assert_data_flows(&mut w, a, b);

    // Stats: one pair, succeeded, nominated and selected, with the link's RTT (once
    // the nomination's own check is answered).
    w.run_for(Duration::from_millis(100));
    let pairs: Vec<_> = w.nodes[a].agent.candidate_pairs().collect();
    assert_eq!(pairs.len(), 1);
    let p = &pairs[0];
    assert_eq!(p.state, CandidatePairState::Succeeded);
    assert!(p.nominated && p.selected);
    assert!(p.requests_sent >= 2 && p.responses_received >= 2 && p.requests_received >= 1);
    assert_eq!(p.current_round_trip_time, Some(Duration::from_millis(20)));
    // Connected, the agents stop checking (consent checks come seconds apart): no
    // triggered checks crossing each other forever.
    let sent = p.requests_sent;
    w.run_for(Duration::from_secs(2));
    let p = w.nodes[a].agent.candidate_pairs().next().unwrap();
    assert_eq!(p.requests_sent, sent);
    assert_eq!(p.state, CandidatePairState::Succeeded);

    w.end_of_candidates(a, b);
    w.run_for(Duration::from_millis(10));
    assert_eq!(w.state(a), ConnectionState::Completed);
    assert_eq!(w.state(b), ConnectionState::Completed);

    // Consent keeps the pair alive for a long time on a healthy path.
    w.run_for(Duration::from_secs(120));
    assert_eq!(w.state(a), ConnectionState::Completed);
    assert_eq!(w.state(b), ConnectionState::Completed);
    assert_data_flows(&mut w, a, b);
}

#[test]
fn ipv6_hosts_connect() {
    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, 3), "[2001:db8::1]:5000", None);
    let b = w.add_node(config(Role::Controlled, 4), "[2001:db8::2]:6000", None);
    w.signal_hosts(a, b);
    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
    assert_data_flows(&mut w, a, b);
}

#[test]
fn a_mux_can_route_a_first_check_by_ufrag() {
    let mut a = Agent::new(config(Role::Controlling, 5));
    let b = Agent::new(config(Role::Controlled, 6));
    a.set_remote_credentials(b.local_credentials().clone())
        .unwrap();
    a.add_local_candidate(oxrtc_ice::Candidate::host("192.0.2.1:1".parse().unwrap()))
        .unwrap();
    a.add_remote_candidate(oxrtc_ice::Candidate::host("192.0.2.2:2".parse().unwrap()))
        .unwrap();
    a.handle_timeout(std::time::Instant::now());
    let check = a.poll_transmit().unwrap();
    assert_eq!(
        binding_request_ufrag(&check.data),
        Some(b.local_credentials().ufrag.as_str())
    );
    assert_eq!(binding_request_ufrag(&[23, 0, 0, 0]), None);
}
