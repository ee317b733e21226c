#![no_main]
//! mDNS packets: the parser and the responder/resolver never panic on any input.

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use oxrtc_ice::mdns::packet::Packet;
use oxrtc_ice::mdns::{Mdns, MdnsConfig};

fuzz_target!(|data: &[u8]| {
    let _ = Packet::parse(data);
    let mut m = Mdns::new(MdnsConfig {
        destination: "127.0.0.1:5353".parse().unwrap(),
        rng_seed: Some([0; 32]),
        ..MdnsConfig::default()
    });
    let _ = m.register("127.0.0.1".parse().unwrap());
    let _ = m.resolve("peer.local");
    let now = Instant::now();
    let _ = m.handle_receive(now, "127.0.0.1:1".parse().unwrap(), data);
    while m.poll_transmit().is_some() {}
    while m.poll_event().is_some() {}
});
