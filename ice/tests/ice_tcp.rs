//! ICE-TCP (RFC 6544): an active TCP candidate connects to a passive one; checks and
//! data travel RFC 4571-framed over the emulated connection; UDP is preferred when
//! both work.

mod support;

use std::time::Duration;

use oxrtc_ice::{Candidate, CandidateKind, Protocol, Role, TcpType, Transport};
use support::{assert_data_flows, config, World};

fn tcp(addr: &str, t: TcpType) -> Candidate {
    Candidate::new(
        CandidateKind::Host,
        Transport::Tcp(t),
        addr.parse().unwrap(),
        None,
        1,
    )
}

#[test]
fn active_to_passive_connects() {
    for (role_a, role_b) in [
        (Role::Controlling, Role::Controlled),
        (Role::Controlled, Role::Controlling),
    ] {
        let mut w = World::perfect();
        let a = w.add_node(config(role_a, 1), "192.0.2.1:9", None);
        let b = w.add_node(config(role_b, 2), "192.0.2.2:7000", None);
        let ca = w.nodes[a].agent.local_credentials().clone();
        let cb = w.nodes[b].agent.local_credentials().clone();
        w.nodes[a].agent.set_remote_credentials(cb).unwrap();
        w.nodes[b].agent.set_remote_credentials(ca).unwrap();
        let active = tcp("192.0.2.1:9", TcpType::Active);
        let passive = tcp("192.0.2.2:7000", TcpType::Passive);
        w.nodes[a]
            .agent
            .add_local_candidate(active.clone())
            .unwrap();
        w.nodes[b]
            .agent
            .add_local_candidate(passive.clone())
            .unwrap();
        w.nodes[a].agent.add_remote_candidate(passive).unwrap();
        w.nodes[b].agent.add_remote_candidate(active).unwrap();
        // The passive side never forms a pair by itself.
        assert_eq!(w.nodes[b].agent.pair_count(), 0);
        assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
        for n in [a, b] {
            assert_eq!(
                w.nodes[n].agent.selected_path().unwrap().protocol,
                Protocol::Tcp
            );
        }
        assert_data_flows(&mut w, a, b);
        w.run_for(Duration::from_secs(40));
        assert!(w.connected(a) && w.connected(b));
    }
}

#[test]
fn udp_preferred_over_tcp() {
    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, 3), "192.0.2.1:5000", None);
    let b = w.add_node(config(Role::Controlled, 4), "192.0.2.2:6000", None);
    w.signal_hosts(a, b);
    let active = tcp("192.0.2.1:9", TcpType::Active);
    let passive = tcp("192.0.2.2:7000", TcpType::Passive);
    w.nodes[a]
        .agent
        .add_local_candidate(active.clone())
        .unwrap();
    w.nodes[b]
        .agent
        .add_local_candidate(passive.clone())
        .unwrap();
    w.nodes[a].agent.add_remote_candidate(passive).unwrap();
    w.nodes[b].agent.add_remote_candidate(active).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
    assert_eq!(
        w.nodes[a].agent.selected_path().unwrap().protocol,
        Protocol::Udp
    );
}
