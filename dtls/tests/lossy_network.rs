//! Handshakes over a lossy, reordering, duplicating network, and the retransmission
//! schedule of RFC 6347 §4.2.4.1, all under netem's virtual clock.

mod common;

use std::time::Duration;

use common::*;
use oxrtc_dtls::{CloseReason, Error};
use oxrtc_netem::LinkConfig;

fn harsh(seed: u64) -> LinkConfig {
    LinkConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(10),
        loss: 0.3,
        duplicate: 0.2,
        reorder: 0.3,
        reorder_delay: Duration::from_millis(30),
        mtu: None,
        seed,
    }
}

#[test]
fn handshake_completes_with_30_percent_loss_reordering_and_duplication() {
    let mut retransmitted = 0;
    for seed in 0..64 {
        let (mut c, mut s) = default_configs();
        // With 30% loss each way a flight and its answer both survive about half the
        // time; allow enough attempts that every seed gets through.
        c.max_retransmissions = 12;
        s.max_retransmissions = 12;
        c.mtu = 300;
        s.mtu = 300;
        let mut pair = Pair::new(c, s, harsh(seed));
        pair.handshake();
        let stats = pair.net.a_to_b.stats();
        assert!(stats.dropped > 0 || pair.net.b_to_a.stats().dropped > 0 || seed > 0);
        if pair.client_sent.len() > 4 {
            retransmitted += 1;
        }
        // Application data flows afterwards (sent until it gets through).
        let mut got = false;
        for _ in 0..20 {
            pair.client
                .send_application_data(b"after the storm")
                .unwrap();
            pair.flush();
            let t = pair.net.now + Duration::from_millis(200);
            pair.drive_until(t - pair.start, |p| !app_data(&p.server_events).is_empty());
            if !app_data(&pair.server_events).is_empty() {
                got = true;
                break;
            }
        }
        assert!(got, "seed {seed}: application data never arrived");
        assert!(app_data(&pair.server_events)
            .iter()
            .all(|d| d == b"after the storm"));
    }
    assert!(
        retransmitted > 10,
        "the loss actually forced retransmissions"
    );
}

#[test]
fn retransmission_backoff_doubles_up_to_the_cap_then_gives_up() {
    let (mut c, s) = default_configs();
    c.retransmit_max = Duration::from_secs(4);
    c.max_retransmissions = 6;
    let mut pair = Pair::perfect(c, s);
    // The server never hears anything, not even the first ClientHello.
    pair.net.a_to_b.clear();
    pair.net.a_to_b.set_blackhole(true);
    pair.drive_until(Duration::from_secs(120), |p| {
        closed_reason(&p.client_events).is_some()
    });
    let times: Vec<Duration> = pair
        .client_sent
        .iter()
        .filter(|(_, d)| d[0] == 22) // handshake records, not the final alert
        .map(|(t, _)| *t - pair.start)
        .collect();
    let secs = |s: u64| Duration::from_secs(s);
    assert_eq!(
        times,
        vec![
            secs(0),
            secs(1),
            secs(3),
            secs(7),
            secs(11),
            secs(15),
            secs(19)
        ],
        "1 s, doubled per retransmission, capped at 4 s"
    );
    assert_eq!(
        closed_reason(&pair.client_events),
        Some(&CloseReason::Error(Error::HandshakeTimeout {
            retransmissions: 6
        }))
    );
    // The last thing sent is a fatal alert; then nothing is scheduled.
    assert_eq!(pair.client_sent.last().unwrap().1[0], 21);
    assert_eq!(pair.client.poll_timeout(), None);
}

#[test]
fn lost_final_flight_is_resent_when_the_client_retransmits() {
    let (c, s) = default_configs();
    let mut pair = Pair::perfect(c, s);
    // Run until the server has connected (it sent flight 6), dropping that flight.
    pair.drive_until(Duration::from_secs(5), |p| has_connected(&p.server_events));
    assert!(!has_connected(&pair.client_events));
    pair.net.b_to_a.clear();
    let sent_before = pair.server_sent.len();
    pair.handshake();
    // The client retransmitted flight 5 after its 1 s timer, the server answered with
    // flight 6 again.
    assert!(pair.server_sent.len() > sent_before);
    assert!(pair.net.now - pair.start >= Duration::from_secs(1));
}

#[test]
fn lost_server_flight_is_retransmitted_by_the_server_timer() {
    let (c, s) = default_configs();
    let mut pair = Pair::perfect(c, s);
    // Deliver the first two client datagrams (ClientHello, ClientHello+cookie), then drop
    // everything the server sends once.
    pair.drive_until(Duration::from_secs(5), |p| p.server_sent.len() >= 2);
    pair.net.b_to_a.clear();
    pair.handshake();
    assert!(pair.server_sent.len() >= 4, "flight 4 sent twice");
}
