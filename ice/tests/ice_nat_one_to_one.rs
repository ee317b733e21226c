//! NAT 1:1 address mapping (a host behind a static NAT, like a cloud VM): the agent
//! advertises its public IP as the host candidate while checks go out from and arrive
//! on the private socket (its base). No STUN server is involved.

mod support;

use std::time::Duration;

use oxrtc_ice::gather::{host_candidates, NatMapping};
use oxrtc_ice::{Candidate, CandidateKind, Role};
use support::{assert_data_flows, config, Nat, NatKind, World};

#[test]
fn advertised_public_ip_with_private_base_connects() {
    let mut w = World::perfect();
    let mut nat = Nat::new(NatKind::OneToOne, "203.0.113.10");
    nat.static_host = Some("10.0.0.5".parse().unwrap());
    let nat = w.add_nat(nat);
    let a = w.add_node(config(Role::Controlled, 1), "10.0.0.5:7000", Some(nat));
    let b = w.add_node(config(Role::Controlling, 2), "192.0.2.2:6000", None);
    let ca = w.nodes[a].agent.local_credentials().clone();
    let cb = w.nodes[b].agent.local_credentials().clone();
    w.nodes[a].agent.set_remote_credentials(cb).unwrap();
    w.nodes[b].agent.set_remote_credentials(ca).unwrap();

    let base = w.nodes[a].host;
    let mapping = NatMapping::Host(vec![(base.ip(), "203.0.113.10".parse().unwrap())]);
    let cands = host_candidates(&[base], Some(&mapping));
    assert_eq!(cands.len(), 1);
    let (public_host, cand_base) = cands[0].clone();
    assert_eq!(cand_base, base);
    assert_eq!(public_host.kind(), CandidateKind::Host);
    assert_eq!(
        public_host.addr(),
        Some("203.0.113.10:7000".parse().unwrap())
    );
    w.nodes[a]
        .agent
        .add_local_candidate_with_base(public_host.clone(), cand_base)
        .unwrap();
    let hb = Candidate::host(w.nodes[b].host);
    w.nodes[b].agent.add_local_candidate(hb.clone()).unwrap();
    // B only ever hears of the public address.
    w.nodes[b].agent.add_remote_candidate(public_host).unwrap();
    w.nodes[a].agent.add_remote_candidate(hb).unwrap();

    assert!(w.run_until(Duration::from_secs(5), |w| w.connected(a) && w.connected(b)));
    let pa = w.nodes[a].agent.selected_path().unwrap();
    assert_eq!(pa.local, base, "A sends from its private socket");
    let pb = w.nodes[b].agent.selected_path().unwrap();
    assert_eq!(pb.remote, "203.0.113.10:7000".parse().unwrap());
    // The mapped address B reflects is the advertised one: no peer-reflexive local.
    assert!(w.nodes[a]
        .agent
        .local_candidates()
        .all(|c| c.kind() != CandidateKind::PeerReflexive));
    assert_data_flows(&mut w, a, b);
}
