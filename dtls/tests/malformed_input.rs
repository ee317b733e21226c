//! Hostile and broken input: garbage, truncation, bit flips and replays never panic, never
//! corrupt the handshake, and the server never amplifies or keeps state for strangers.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use common::*;
use oxrtc_dtls::{Connection, Endpoint, Event};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn mutations(d: &[u8], rng: &mut ChaCha8Rng) -> Vec<Vec<u8>> {
    let mut out = vec![];
    for cut in [
        0,
        1,
        5,
        12,
        13,
        14,
        25,
        d.len() / 2,
        d.len().saturating_sub(1),
    ] {
        out.push(d[..cut.min(d.len())].to_vec());
    }
    for _ in 0..24 {
        let mut m = d.to_vec();
        let flips = 1 + rng.next_u32() as usize % 4;
        for _ in 0..flips {
            let i = rng.next_u32() as usize % m.len();
            m[i] ^= 1 << (rng.next_u32() % 8);
        }
        out.push(m);
    }
    let mut noise = vec![0u8; 1 + rng.next_u32() as usize % 1500];
    rng.fill_bytes(&mut noise);
    out.push(noise);
    // A record claiming a huge length, and a fragment claiming a huge message.
    out.push(vec![
        22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0xff, 0xff, 1, 2, 3,
    ]);
    out.push(vec![
        22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 12, 1, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    out
}

#[test]
fn mutated_datagrams_are_dropped_and_the_handshake_still_completes() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (c, s) = default_configs();
    let now = Instant::now();
    let mut client = Connection::client(Arc::new(c), now);
    let mut server = Connection::server(Arc::new(s));
    let mut ce = vec![];
    let mut se = vec![];
    for _ in 0..10 {
        let to_server: Vec<Vec<u8>> = std::iter::from_fn(|| client.poll_transmit()).collect();
        for d in &to_server {
            for m in mutations(d, &mut rng) {
                if m.len() == d.len() && m != *d {
                    // A flipped bit in an authenticated or cookie-checked place may be a
                    // legitimate fatal error; only feed what cannot be (truncations/noise)
                    // into the live connection, the rest into a throwaway copy below.
                    continue;
                }
                let _ = server.handle_receive(now, &m);
            }
            server.handle_receive(now, d).unwrap();
        }
        let to_client: Vec<Vec<u8>> = std::iter::from_fn(|| server.poll_transmit()).collect();
        for d in &to_client {
            for m in mutations(d, &mut rng) {
                if m.len() == d.len() && m != *d {
                    continue;
                }
                let _ = client.handle_receive(now, &m);
            }
            client.handle_receive(now, d).unwrap();
        }
        ce.extend(std::iter::from_fn(|| client.poll_event()));
        se.extend(std::iter::from_fn(|| server.poll_event()));
    }
    assert!(has_connected(&ce), "{ce:?}");
    assert!(has_connected(&se), "{se:?}");
}

#[test]
fn bit_flipped_handshakes_never_panic() {
    // Every datagram of a real handshake, bit-flipped, fed to fresh endpoints at the same
    // point of their handshake: errors are fine, panics are not.
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for round in 0..4 {
        let (c, s) = default_configs();
        let now = Instant::now();
        let mut client = Connection::client(Arc::new(c), now);
        let mut server = Connection::server(Arc::new(s));
        for _ in 0..round + 1 {
            for d in std::iter::from_fn(|| client.poll_transmit()).collect::<Vec<_>>() {
                for m in mutations(&d, &mut rng) {
                    let _ = server.handle_receive(now, &m);
                }
                let _ = server.handle_receive(now, &d);
            }
            for d in std::iter::from_fn(|| server.poll_transmit()).collect::<Vec<_>>() {
                for m in mutations(&d, &mut rng) {
                    let _ = client.handle_receive(now, &m);
                }
                let _ = client.handle_receive(now, &d);
            }
        }
        let _ = std::iter::from_fn(|| client.poll_event()).count();
    }
}

#[test]
fn replayed_application_data_is_delivered_once() {
    let (c, s) = default_configs();
    let mut pair = Pair::perfect(c, s);
    pair.handshake();
    pair.client.send_application_data(b"once").unwrap();
    let record = pair.client.poll_transmit().unwrap();
    let now = pair.net.now;
    for _ in 0..3 {
        pair.server.handle_receive(now, &record).unwrap();
    }
    let got: Vec<Event> = std::iter::from_fn(|| pair.server.poll_event()).collect();
    assert_eq!(got, vec![Event::ApplicationData("once".into())]);
    // A forged record (flipped ciphertext) is dropped silently.
    let mut forged = record.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    pair.server.handle_receive(now, &forged).unwrap();
    assert!(pair.server.poll_event().is_none());
    assert!(pair.server.is_established());
}

#[test]
fn hello_verify_request_is_never_larger_than_the_client_hello() {
    let (c, s) = default_configs();
    let now = Instant::now();
    let mut client = Connection::client(Arc::new(c), now);
    let mut server = Connection::server(Arc::new(s));
    let hello = client.poll_transmit().unwrap();
    server.handle_receive(now, &hello).unwrap();
    let hvr = server.poll_transmit().unwrap();
    assert!(hvr.len() <= hello.len(), "{} > {}", hvr.len(), hello.len());
    assert!(server.poll_transmit().is_none(), "only one answer");
    assert_eq!(server.poll_timeout(), None, "no timer, no state");
}

#[test]
fn endpoint_keeps_no_state_for_unverified_clients() {
    let (c, s) = default_configs();
    let c = Arc::new(c);
    let mut endpoint = Endpoint::new(Arc::new(s));
    let now = Instant::now();
    for i in 0..500u16 {
        let from: SocketAddr = format!("127.0.0.1:{}", 10000 + i).parse().unwrap();
        let mut client = Connection::client(c.clone(), now);
        let hello = client.poll_transmit().unwrap();
        endpoint.handle_receive(now, from, &hello);
        let t = endpoint.poll_transmit().expect("a HelloVerifyRequest");
        assert_eq!(t.destination, from);
        assert!(t.contents.len() <= hello.len());
        // Echoing the cookie from another address does not pass.
        client.handle_receive(now, &t.contents).unwrap();
        let second = client.poll_transmit().unwrap();
        let other: SocketAddr = format!("127.0.0.2:{}", 10000 + i).parse().unwrap();
        endpoint.handle_receive(now, other, &second);
        let again = endpoint
            .poll_transmit()
            .expect("another HelloVerifyRequest");
        assert_eq!(again.destination, other);
    }
    // Junk from strangers is ignored outright.
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for i in 0..200u16 {
        let mut junk = vec![0u8; 1 + (rng.next_u32() % 300) as usize];
        rng.fill_bytes(&mut junk);
        if i % 2 == 0 && junk.len() > 3 {
            junk[0] = 22;
            junk[1] = 0xfe;
            junk[2] = 0xfd;
        }
        let from: SocketAddr = format!("127.0.0.3:{}", 10000 + i).parse().unwrap();
        endpoint.handle_receive(now, from, &junk);
    }
    assert_eq!(endpoint.connection_count(), 0);
    assert!(endpoint.poll_event().is_none());
    assert_eq!(endpoint.poll_timeout(), None);
}
