//! RFC 7675 consent freshness: when the peer goes silent, the agent reports
//! `disconnected` within seconds and `failed` once consent expires (30 s); a short
//! outage comes back to `connected`.

mod support;

use std::time::Duration;

use oxrtc_ice::{ConnectionState, Role};
use support::{assert_data_flows, config, World};

fn connected_pair(seed: u8) -> (World, usize, usize) {
    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, seed), "192.0.2.1:5000", None);
    let b = w.add_node(config(Role::Controlled, seed + 1), "192.0.2.2:6000", None);
    w.signal_hosts(a, b);
    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
    // Consent is refreshed well past the first interval.
    w.run_for(Duration::from_secs(20));
    assert!(w.connected(a) && w.connected(b));
    (w, a, b)
}

#[test]
fn silent_peer_goes_disconnected_then_failed() {
    let (mut w, a, b) = connected_pair(1);
    let cut = w.now;
    w.nodes[b].blackhole = true;

    assert!(w.run_until(Duration::from_secs(15), |w| w.state(a)
        == ConnectionState::Disconnected));
    let disconnected_after = w.now - cut;
    // One consent interval (≤ 6 s) plus the disconnect timeout (4 s).
    assert!(
        disconnected_after <= Duration::from_secs(11),
        "{disconnected_after:?}"
    );
    assert!(w.nodes[a].agent.selected_path().is_some());

    assert!(w.run_until(Duration::from_secs(40), |w| w.state(a)
        == ConnectionState::Failed));
    let failed_after = w.now - cut;
    assert!(
        failed_after >= Duration::from_secs(24) && failed_after <= Duration::from_secs(31),
        "{failed_after:?}"
    );
    // Consent lost: the agent stops offering the path for data.
    assert!(w.nodes[a].agent.selected_path().is_none());
    let states = &w.nodes[a].states;
    let d = states
        .iter()
        .position(|s| *s == ConnectionState::Disconnected)
        .unwrap();
    let f = states
        .iter()
        .position(|s| *s == ConnectionState::Failed)
        .unwrap();
    assert!(d < f, "{states:?}");
}

#[test]
fn short_outage_recovers() {
    let (mut w, a, b) = connected_pair(3);
    w.nodes[b].blackhole = true;
    assert!(w.run_until(Duration::from_secs(15), |w| w.state(a)
        == ConnectionState::Disconnected));
    w.nodes[b].blackhole = false;
    assert!(w.run_until(Duration::from_secs(10), |w| w.connected(a)));
    assert_data_flows(&mut w, a, b);
    w.run_for(Duration::from_secs(60));
    assert!(w.connected(a) && w.connected(b));
}

#[test]
fn zero_periods_in_the_config_do_not_spin() {
    use oxrtc_ice::AgentConfig;
    let mut w = World::perfect();
    let zero = |role, seed| AgentConfig {
        consent_interval: Duration::ZERO,
        keepalive_interval: Duration::ZERO,
        check_interval: Duration::ZERO,
        ..config(role, seed)
    };
    let a = w.add_node(zero(Role::Controlling, 9), "192.0.2.1:5000", None);
    let b = w.add_node(zero(Role::Controlled, 10), "192.0.2.2:6000", None);
    w.signal_hosts(a, b);
    // The harness panics on a busy loop (the same instant over and over).
    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
    w.run_for(Duration::from_secs(5));
    assert!(w.connected(a) && w.connected(b));
}
