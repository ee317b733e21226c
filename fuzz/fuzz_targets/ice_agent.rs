#![no_main]
//! The ICE agent fed arbitrary datagrams (split on 0xFF 0xFF) between timer ticks: no
//! input panics it.

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use oxrtc_ice::{Agent, AgentConfig, Candidate, Credentials, Datagram};

fuzz_target!(|data: &[u8]| {
    let mut now = Instant::now();
    let mut agent = Agent::new(AgentConfig {
        rng_seed: Some([1; 32]),
        local_credentials: Some(Credentials::new("fuzz", "fuzzfuzzfuzzfuzzfuzzfu").unwrap()),
        ..AgentConfig::default()
    });
    let local = "127.0.0.1:5000".parse().unwrap();
    let remote = "127.0.0.1:6000".parse().unwrap();
    agent.add_local_candidate(Candidate::host(local)).unwrap();
    agent.add_remote_candidate(Candidate::host(remote)).unwrap();
    agent
        .set_remote_credentials(Credentials::new("peer", "peerpeerpeerpeerpeerpe").unwrap())
        .unwrap();
    for chunk in data.split(|b| *b == 0xFF) {
        let _ = agent.handle_receive(now, Datagram::udp(local, remote, chunk));
        now += Duration::from_millis(20);
        agent.handle_timeout(now);
        while agent.poll_transmit().is_some() {}
        while agent.poll_event().is_some() {}
        let _ = agent.poll_timeout();
    }
});
