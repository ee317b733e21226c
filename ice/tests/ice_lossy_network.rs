//! 10% loss each way (plus jitter): checks are retransmitted and the agents still
//! connect, for many different loss patterns.

mod support;

use std::time::Duration;

use oxrtc_ice::Role;
use oxrtc_netem::LinkConfig;
use support::{config, World};

#[test]
fn ten_percent_loss_still_connects() {
    let mut slowest = Duration::ZERO;
    for seed in 0..100u8 {
        let mut w = World::new(LinkConfig {
            latency: Duration::from_millis(30),
            jitter: Duration::from_millis(10),
            loss: 0.10,
            seed: u64::from(seed),
            ..LinkConfig::default()
        });
        let a = w.add_node(config(Role::Controlling, seed), "192.0.2.1:5000", None);
        let b = w.add_node(
            config(Role::Controlled, seed.wrapping_add(100)),
            "192.0.2.2:6000",
            None,
        );
        w.signal_hosts(a, b);
        assert!(
            w.run_until(Duration::from_secs(20), |w| w.connected(a)
                && w.connected(b)),
            "seed {seed}: {:?} {:?}",
            w.state(a),
            w.state(b)
        );
        slowest = slowest.max(w.now - w.start);
        // Stays up under loss: consent retransmits cover lost checks.
        w.run_for(Duration::from_secs(60));
        assert!(
            w.connected(a) && w.connected(b),
            "seed {seed} dropped: {:?} {:?}",
            w.nodes[a].states,
            w.nodes[b].states
        );
        // Some data gets through.
        let before = w.nodes[b].data.len();
        for _ in 0..10 {
            assert!(w.send_data(a, &[23, 9]));
        }
        w.run_for(Duration::from_millis(200));
        assert!(w.nodes[b].data.len() > before);
    }
    assert!(slowest < Duration::from_secs(10), "{slowest:?}");
}
