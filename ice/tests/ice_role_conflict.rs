//! Both agents start with the same role; RFC 8445 §7.3.1.1 487 resolution by
//! tie-breaker makes exactly one of them switch, and they connect.

mod support;

use std::time::Duration;

use oxrtc_ice::{AgentEvent, Role};
use support::{assert_data_flows, config, World};

fn run(role: Role, seed: u8) {
    let mut w = World::perfect();
    let a = w.add_node(config(role, seed), "192.0.2.1:5000", None);
    let b = w.add_node(config(role, seed + 1), "192.0.2.2:6000", None);
    w.signal_hosts(a, b);
    assert!(w.run_until(Duration::from_secs(10), |w| w.connected(a)
        && w.connected(b)));
    assert_ne!(w.nodes[a].agent.role(), w.nodes[b].agent.role());
    let switched: Vec<usize> = [a, b]
        .into_iter()
        .filter(|&n| {
            w.nodes[n]
                .events
                .iter()
                .any(|e| matches!(e, AgentEvent::RoleChanged(_)))
        })
        .collect();
    assert_eq!(switched.len(), 1, "exactly one side switches role");
    assert_data_flows(&mut w, a, b);
}

#[test]
fn both_controlling() {
    for seed in [1, 11, 21, 31] {
        run(Role::Controlling, seed);
    }
}

#[test]
fn both_controlled() {
    for seed in [2, 12, 22, 32] {
        run(Role::Controlled, seed);
    }
}
