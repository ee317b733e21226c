//! A full controlling agent against an ICE-lite agent (RFC 8445 §2.5): the lite side
//! only answers checks and takes the pair the full side nominates.

mod support;

use std::time::Duration;

use oxrtc_ice::{AgentConfig, ConnectionState, Role};
use support::{assert_data_flows, config, World};

#[test]
fn full_to_lite_connects_and_stays_up() {
    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, 1), "192.0.2.1:5000", None);
    let b = w.add_node(
        AgentConfig {
            lite: true,
            // A lite agent is controlled whatever it is told.
            role: Role::Controlling,
            ..config(Role::Controlled, 2)
        },
        "192.0.2.2:6000",
        None,
    );
    assert_eq!(w.nodes[b].agent.role(), Role::Controlled);
    w.signal_hosts(a, b);
    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
    assert_data_flows(&mut w, a, b);
    w.end_of_candidates(a, b);
    w.run_for(Duration::from_secs(90));
    assert_eq!(w.state(a), ConnectionState::Completed);
    assert_eq!(w.state(b), ConnectionState::Completed);
    assert_eq!(w.nodes[b].agent.role(), Role::Controlled);
    assert_data_flows(&mut w, a, b);

    // The full side goes away: the lite side notices within the consent lifetime.
    w.nodes[a].blackhole = true;
    assert!(w.run_until(Duration::from_secs(40), |w| w.state(b)
        == ConnectionState::Failed));
}

#[test]
fn lite_sends_no_checks_first() {
    let mut w = World::perfect();
    let b = w.add_node(
        AgentConfig {
            lite: true,
            ..config(Role::Controlled, 4)
        },
        "192.0.2.2:6000",
        None,
    );
    let a = w.add_node(config(Role::Controlling, 3), "192.0.2.1:5000", None);
    w.signal_hosts(a, b);
    // Cut the full side: the lite side alone never transmits anything.
    w.nodes[a].blackhole = true;
    let sent_before = w.link.stats().sent;
    w.run_for(Duration::from_secs(5));
    assert_eq!(w.link.stats().sent, sent_before);
    assert_eq!(w.state(b), ConnectionState::Checking);
}
