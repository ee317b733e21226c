//! mDNS-hidden host candidates: A advertises `<uuid>.local` instead of its IP, B
//! resolves the name through a responder on real loopback UDP sockets (never the
//! multicast group) and the agents connect.

mod support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use oxrtc_ice::mdns::{Mdns, MdnsConfig, MdnsEvent};
use oxrtc_ice::{AgentError, Candidate, Role};
use support::{assert_data_flows, config, World};

#[test]
fn mdns_candidate_resolved_over_loopback_then_connects() {
    let responder_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let resolver_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    for s in [&responder_sock, &resolver_sock] {
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    }
    let mdns_cfg = |dest, seed| MdnsConfig {
        destination: dest,
        rng_seed: Some([seed; 32]),
        ..MdnsConfig::default()
    };
    let mut responder = Mdns::new(mdns_cfg(resolver_sock.local_addr().unwrap(), 1));
    let mut resolver = Mdns::new(mdns_cfg(responder_sock.local_addr().unwrap(), 2));

    let mut w = World::perfect();
    let a = w.add_node(config(Role::Controlling, 1), "192.0.2.1:5000", None);
    let b = w.add_node(config(Role::Controlled, 2), "192.0.2.2:6000", None);
    let ca = w.nodes[a].agent.local_credentials().clone();
    let cb = w.nodes[b].agent.local_credentials().clone();
    w.nodes[a].agent.set_remote_credentials(cb).unwrap();
    w.nodes[b].agent.set_remote_credentials(ca).unwrap();

    // A's host candidate, signaled under an mDNS name like browsers do.
    let host_a = Candidate::host(w.nodes[a].host);
    w.nodes[a]
        .agent
        .add_local_candidate(host_a.clone())
        .unwrap();
    let name = responder.register(w.nodes[a].host.ip()).unwrap();
    let signaled = host_a
        .with_hostname(&name)
        .unwrap()
        .with_related(Some("0.0.0.0:0".parse().unwrap()));
    let line = signaled.to_sdp_string();
    assert!(
        line.contains(&name) && !line.contains("192.0.2.1"),
        "{line}"
    );

    // B parses the line and cannot use it before resolving it.
    let remote = Candidate::from_sdp_str(&line).unwrap();
    assert!(matches!(
        w.nodes[b].agent.add_remote_candidate(remote.clone()),
        Err(AgentError::UnresolvedHostname(_))
    ));
    resolver.resolve(&remote.address().to_string()).unwrap();

    let start = Instant::now();
    let mut buf = [0u8; 1500];
    let resolved = loop {
        assert!(start.elapsed() < Duration::from_secs(10), "no mDNS answer");
        let now = Instant::now();
        resolver.handle_timeout(now);
        while let Some(t) = resolver.poll_transmit() {
            resolver_sock.send_to(&t.data, t.destination).unwrap();
        }
        if let Ok((n, from)) = responder_sock.recv_from(&mut buf) {
            responder.handle_receive(now, from, &buf[..n]).unwrap();
        }
        while let Some(t) = responder.poll_transmit() {
            responder_sock.send_to(&t.data, t.destination).unwrap();
        }
        if let Ok((n, from)) = resolver_sock.recv_from(&mut buf) {
            resolver.handle_receive(now, from, &buf[..n]).unwrap();
        }
        match resolver.poll_event() {
            Some(MdnsEvent::Resolved { addr, .. }) => break addr,
            Some(MdnsEvent::NotResolved { name }) => panic!("{name} not resolved"),
            None => {}
        }
    };
    assert_eq!(resolved, w.nodes[a].host.ip());

    w.nodes[b]
        .agent
        .add_remote_candidate(remote.with_resolved_ip(resolved))
        .unwrap();
    let host_b = Candidate::host(w.nodes[b].host);
    w.nodes[b]
        .agent
        .add_local_candidate(host_b.clone())
        .unwrap();
    w.nodes[a].agent.add_remote_candidate(host_b).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
    assert_data_flows(&mut w, a, b);
}
