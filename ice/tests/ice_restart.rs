//! ICE restart (RFC 8445 §9): new credentials on both sides, data keeps flowing on the
//! old pair until the new session nominates a pair, then a new selected pair.

mod support;

use std::time::Duration;

use oxrtc_ice::{AgentEvent, ConnectionState, Role};
use support::{assert_data_flows, config, World};

fn selections(w: &World, n: usize) -> usize {
    w.nodes[n]
        .events
        .iter()
        .filter(|e| matches!(e, AgentEvent::SelectedPairChanged { .. }))
        .count()
}

#[test]
fn restart_keeps_old_pair_until_new_one_is_nominated() {
    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, 5), "192.0.2.1:5000", None);
    let b = w.add_node(config(Role::Controlled, 6), "192.0.2.2:6000", None);
    w.signal_hosts(a, b);
    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
    let old_a = w.nodes[a].agent.local_credentials().clone();
    let old_b = w.nodes[b].agent.local_credentials().clone();

    // A restarts (new offer); signaling takes a while.
    w.nodes[a].agent.restart(None).unwrap();
    assert_ne!(w.nodes[a].agent.local_credentials(), &old_a);
    w.run_for(Duration::from_secs(2));
    // Media continues on the old pair meanwhile.
    assert!(w.connected(a) && w.connected(b));
    assert_data_flows(&mut w, a, b);

    // B receives the offer, restarts too and answers; both learn the new credentials
    // and candidates.
    w.nodes[b].agent.restart(None).unwrap();
    assert_ne!(w.nodes[b].agent.local_credentials(), &old_b);
    let ca = w.nodes[a].agent.local_credentials().clone();
    let cb = w.nodes[b].agent.local_credentials().clone();
    w.nodes[a].agent.set_remote_credentials(cb).unwrap();
    w.nodes[b].agent.set_remote_credentials(ca).unwrap();
    w.run_for(Duration::from_millis(1));
    w.trickle(a, b);
    w.trickle(b, a);
    assert_data_flows(&mut w, a, b);

    assert!(w.run_until(Duration::from_secs(5), |w| {
        selections(w, a) == 2 && selections(w, b) == 2
    }));
    assert!(w.connected(a) && w.connected(b));
    assert_data_flows(&mut w, a, b);
    // The new session's consent holds for a long time.
    w.run_for(Duration::from_secs(60));
    assert!(w.connected(a) && w.connected(b));
    for n in [a, b] {
        assert!(!w.nodes[n].states.contains(&ConnectionState::Failed));
        assert!(!w.nodes[n].states.contains(&ConnectionState::Disconnected));
    }
}

#[test]
fn restart_recovers_a_failed_session() {
    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, 7), "192.0.2.1:5000", None);
    let b = w.add_node(config(Role::Controlled, 8), "192.0.2.2:6000", None);
    w.signal_hosts(a, b);
    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
    w.nodes[b].blackhole = true;
    assert!(w.run_until(Duration::from_secs(60), |w| w.state(a)
        == ConnectionState::Failed));
    w.nodes[b].blackhole = false;
    for n in [a, b] {
        w.nodes[n].agent.restart(None).unwrap();
    }
    let ca = w.nodes[a].agent.local_credentials().clone();
    let cb = w.nodes[b].agent.local_credentials().clone();
    w.nodes[a].agent.set_remote_credentials(cb).unwrap();
    w.nodes[b].agent.set_remote_credentials(ca).unwrap();
    w.trickle(a, b);
    w.trickle(b, a);
    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
    assert_data_flows(&mut w, a, b);
}
