//! Several local sockets per agent (the caller says which one a datagram came in on):
//! with one interface's path cut, the agents find the pair over the other one; with
//! IPv4 and IPv6 on both sides, only same-family pairs are formed.

mod support;

use std::time::Duration;

use oxrtc_ice::{Candidate, Role};
use support::{assert_data_flows, config, World};

#[test]
fn second_interface_carries_the_session() {
    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, 1), "192.0.2.1:5000", None);
    let b = w.add_node(config(Role::Controlled, 2), "192.0.2.2:6000", None);
    // Second sockets on IPv6; the IPv4 path does not work (A has a stale IPv4
    // address for B, B none for A), so the session runs over the second sockets.
    let a6 = "[2001:db8::1]:5001".parse().unwrap();
    let b6 = "[2001:db8::2]:6001".parse().unwrap();
    w.nodes[a].extra.push(a6);
    w.nodes[b].extra.push(b6);
    let ca = w.nodes[a].agent.local_credentials().clone();
    let cb = w.nodes[b].agent.local_credentials().clone();
    w.nodes[a].agent.set_remote_credentials(cb).unwrap();
    w.nodes[b].agent.set_remote_credentials(ca).unwrap();
    for (n, addrs) in [(a, [w.nodes[a].host, a6]), (b, [w.nodes[b].host, b6])] {
        for addr in addrs {
            w.nodes[n]
                .agent
                .add_local_candidate(
                    Candidate::host(addr).with_local_preference(if addr.is_ipv4() {
                        65535
                    } else {
                        30000
                    }),
                )
                .unwrap();
        }
    }
    // A only knows B's IPv6 address plus an IPv4 address nobody has.
    w.nodes[a]
        .agent
        .add_remote_candidate(Candidate::host("192.0.2.99:6000".parse().unwrap()))
        .unwrap();
    w.nodes[a]
        .agent
        .add_remote_candidate(Candidate::host(b6))
        .unwrap();
    w.nodes[b]
        .agent
        .add_remote_candidate(Candidate::host(a6))
        .unwrap();
    // B only knows A's IPv6 address. Only same-family pairs are formed.
    assert_eq!(w.nodes[a].agent.pair_count(), 2);
    assert_eq!(w.nodes[b].agent.pair_count(), 1);

    assert!(w.run_until(Duration::from_secs(10), |w| w.connected(a)
        && w.connected(b)));
    let pa = w.nodes[a].agent.selected_path().unwrap();
    assert_eq!((pa.local, pa.remote), (a6, b6));
    assert_data_flows(&mut w, a, b);
}
