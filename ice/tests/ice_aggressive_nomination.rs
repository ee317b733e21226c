//! A peer that nominates aggressively (USE-CANDIDATE on its very first check, as
//! older browsers did): our controlled agent answers, runs its triggered check and
//! selects the pair as soon as that check succeeds (RFC 8445 §7.3.1.5). The peer is
//! played by hand with the STUN codec.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use oxrtc_ice::stun::{
    Attribute, Class, Integrity, Key, Message, MessageRef, Method, TransactionId,
};
use oxrtc_ice::{
    Agent, AgentConfig, AgentEvent, Candidate, ConnectionState, Credentials, Datagram, Received,
    Role,
};

#[test]
fn use_candidate_on_first_check_selects_after_triggered_check() {
    let mut now = Instant::now();
    let peer_addr: SocketAddr = "192.0.2.1:5000".parse().unwrap();
    let our_addr: SocketAddr = "192.0.2.2:6000".parse().unwrap();
    let peer = Credentials::new("peer", "peerpasswordpeerpasswo").unwrap();
    let mut agent = Agent::new(AgentConfig {
        role: Role::Controlled,
        rng_seed: Some([7; 32]),
        ..AgentConfig::default()
    });
    let ours = agent.local_credentials().clone();
    agent.set_remote_credentials(peer.clone()).unwrap();
    agent
        .add_local_candidate(Candidate::host(our_addr))
        .unwrap();
    agent
        .add_remote_candidate(Candidate::host(peer_addr))
        .unwrap();
    agent.end_of_local_candidates();
    agent.end_of_remote_candidates();
    // Hold our own ordinary check back: the peer's check arrives first.
    let their_check = Message::new(Class::Request, Method::BINDING, TransactionId([1; 12]))
        .with(Attribute::Username(&format!(
            "{}:{}",
            ours.ufrag, peer.ufrag
        )))
        .with(Attribute::Priority(1_862_270_975))
        .with(Attribute::IceControlling(42))
        .with(Attribute::UseCandidate)
        .to_bytes(Integrity::Sha1(&Key::short_term(&ours.pwd)), true)
        .unwrap();
    assert_eq!(
        agent
            .handle_receive(now, Datagram::udp(our_addr, peer_addr, &their_check))
            .unwrap(),
        Received::Stun
    );
    // Our success response reflects the peer's address, signed with our password.
    let resp = agent.poll_transmit().unwrap();
    assert_eq!((resp.local, resp.remote), (our_addr, peer_addr));
    let m = MessageRef::decode(&resp.data).unwrap();
    assert_eq!(m.class(), Class::Success);
    assert_eq!(m.mapped_address(), Some(peer_addr));
    m.check_integrity(&Key::short_term(&ours.pwd)).unwrap();
    // Nominated but not yet selected: our own check must succeed first.
    assert!(agent.selected_path().is_none());

    // Our triggered check goes out at the next tick and carries our role.
    agent.handle_timeout(now);
    let check = agent.poll_transmit().expect("triggered check");
    let m = MessageRef::decode(&check.data).unwrap();
    assert_eq!(m.class(), Class::Request);
    assert_eq!(
        m.username(),
        Some(format!("{}:{}", peer.ufrag, ours.ufrag).as_str())
    );
    assert!(m.ice_controlled().is_some() && !m.use_candidate());
    m.check_integrity(&Key::short_term(&peer.pwd)).unwrap();

    now += Duration::from_millis(20);
    let answer = Message::success_to(&m)
        .with(Attribute::XorMappedAddress(our_addr))
        .to_bytes(Integrity::Sha1(&Key::short_term(&peer.pwd)), true)
        .unwrap();
    assert_eq!(
        agent
            .handle_receive(now, Datagram::udp(our_addr, peer_addr, &answer))
            .unwrap(),
        Received::Stun
    );
    let path = agent.selected_path().expect("selected");
    assert_eq!((path.local, path.remote), (our_addr, peer_addr));
    assert_eq!(agent.connection_state(), ConnectionState::Completed);
    let events: Vec<_> = std::iter::from_fn(|| agent.poll_event()).collect();
    assert!(events
        .iter()
        .any(|e| matches!(e, AgentEvent::SelectedPairChanged { .. })));
}
