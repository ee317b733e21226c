//! A ClientHello shaped like current Chrome/Firefox ones: it also offers DTLS 1.3
//! (supported_versions, a 1216-byte X25519MLKEM768 key_share, a cookie extension, GREASE),
//! its extension order is permuted, and it is larger than one record. Sent fragmented and
//! out of order, the server must reassemble it and negotiate DTLS 1.2.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use oxrtc_dtls::handshake::ClientHello;
use oxrtc_dtls::{Config, Connection, Endpoint, Event};

fn ext(out: &mut Vec<(u16, Vec<u8>)>, typ: u16, body: Vec<u8>) {
    out.push((typ, body));
}

fn u16s(values: &[u16]) -> Vec<u8> {
    let mut v = ((values.len() * 2) as u16).to_be_bytes().to_vec();
    for x in values {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

/// Encodes `hello` the way a DTLS 1.3-capable browser would.
fn browser_encoder(hello: &ClientHello, out: &mut Vec<u8>) {
    out.extend_from_slice(&0xfefdu16.to_be_bytes()); // legacy_version
    out.extend_from_slice(&hello.random);
    out.push(0); // empty legacy_session_id
    out.push(hello.cookie.len() as u8);
    out.extend_from_slice(&hello.cookie);
    // GREASE, TLS 1.3 suites, then what the DTLS 1.2 stack offers.
    let mut suites = vec![0x2a2a, 0x1301, 0x1302, 0x1303];
    suites.extend(hello.cipher_suites.iter().copied());
    out.extend_from_slice(&u16s(&suites));
    out.extend_from_slice(&[1, 0]);

    let e = &hello.extensions;
    let mut exts: Vec<(u16, Vec<u8>)> = Vec::new();
    ext(&mut exts, 0x3a3a, vec![]); // GREASE
    ext(&mut exts, 43, vec![4, 0xfe, 0xfc, 0xfe, 0xfd]); // supported_versions: 1.3, 1.2
    let mut shares = Vec::new();
    shares.extend_from_slice(&0x11ecu16.to_be_bytes()); // X25519MLKEM768
    shares.extend_from_slice(&1216u16.to_be_bytes());
    shares.extend((0..1216u32).map(|i| (i * 7) as u8));
    shares.extend_from_slice(&29u16.to_be_bytes());
    shares.extend_from_slice(&32u16.to_be_bytes());
    shares.extend([9u8; 32]);
    let mut ks = (shares.len() as u16).to_be_bytes().to_vec();
    ks.extend(shares);
    ext(&mut exts, 51, ks); // key_share
    ext(&mut exts, 44, {
        let mut c = 16u16.to_be_bytes().to_vec();
        c.extend([0xcc; 16]);
        c
    }); // cookie (DTLS 1.3)
    ext(&mut exts, 45, vec![1, 1]); // psk_key_exchange_modes
    let mut groups = vec![0x11ec];
    groups.extend(e.supported_groups.clone().unwrap());
    ext(&mut exts, 10, u16s(&groups));
    ext(&mut exts, 11, vec![1, 0]);
    ext(
        &mut exts,
        13,
        u16s(e.signature_algorithms.as_ref().unwrap()),
    );
    let srtp = e.use_srtp.as_ref().unwrap();
    let mut s = u16s(&srtp.profiles);
    s.push(srtp.mki.len() as u8);
    s.extend_from_slice(&srtp.mki);
    ext(&mut exts, 14, s);
    ext(&mut exts, 23, vec![]);
    ext(&mut exts, 0xff01, vec![0]);
    ext(&mut exts, 0, {
        // server_name "example.invalid", ignored by the server
        let name = b"example.invalid";
        let mut v = ((name.len() + 3) as u16).to_be_bytes().to_vec();
        v.push(0);
        v.extend_from_slice(&(name.len() as u16).to_be_bytes());
        v.extend_from_slice(name);
        v
    });
    // Chrome permutes extension order per connection: derive a permutation from the random.
    let n = exts.len();
    exts.rotate_left(hello.random[0] as usize % n);
    if hello.random[1] & 1 == 1 {
        exts.reverse();
    }
    let a = hello.random[2] as usize % n;
    let b = hello.random[3] as usize % n;
    exts.swap(a, b);

    let mut block = Vec::new();
    for (t, body) in exts {
        block.extend_from_slice(&t.to_be_bytes());
        block.extend_from_slice(&(body.len() as u16).to_be_bytes());
        block.extend(body);
    }
    out.extend_from_slice(&(block.len() as u16).to_be_bytes());
    out.extend(block);
}

fn browser_config(seed: u8) -> (Config, Config) {
    let (mut c, s) = default_configs();
    c.client_hello_encoder = Some(browser_encoder);
    c.rng_seed = Some([seed; 32]);
    // Small MTU: the ClientHello goes out in many fragments, one datagram each.
    c.mtu = 300;
    (c, s)
}

/// Delivers each side's datagrams in reverse order per batch until both are connected.
fn run_reversed(
    client: &mut Connection,
    server: &mut Connection,
) -> (Vec<Event>, Vec<Event>, usize) {
    let now = Instant::now();
    let (mut ce, mut se) = (vec![], vec![]);
    let mut max_hello_fragments = 0;
    for _ in 0..20 {
        let mut batch: Vec<Vec<u8>> = std::iter::from_fn(|| client.poll_transmit()).collect();
        max_hello_fragments = max_hello_fragments.max(batch.len());
        batch.reverse();
        for d in &batch {
            server.handle_receive(now, d).unwrap();
        }
        let mut answer: Vec<Vec<u8>> = std::iter::from_fn(|| server.poll_transmit()).collect();
        answer.reverse();
        for d in &answer {
            client.handle_receive(now, d).unwrap();
        }
        ce.extend(std::iter::from_fn(|| client.poll_event()));
        se.extend(std::iter::from_fn(|| server.poll_event()));
        if has_connected(&ce) && has_connected(&se) {
            break;
        }
    }
    (ce, se, max_hello_fragments)
}

#[test]
fn browser_hello_fragmented_out_of_order_negotiates_dtls12() {
    for seed in 1..=8u8 {
        let (c, s) = browser_config(seed);
        let now = Instant::now();
        let mut client = Connection::client(Arc::new(c), now);
        let mut server = Connection::server(Arc::new(s));
        let (ce, se, fragments) = run_reversed(&mut client, &mut server);
        assert!(
            fragments >= 5,
            "the ClientHello spanned {fragments} datagrams"
        );
        assert!(has_connected(&ce), "seed {seed}: client {ce:?}");
        assert!(has_connected(&se), "seed {seed}: server {se:?}");
        assert!(client.is_established() && server.is_established());
    }
}

#[test]
fn browser_hello_in_default_mtu_is_two_records() {
    let (mut c, s) = browser_config(3);
    c.mtu = 1200;
    let mut pair = Pair::perfect(c, s);
    let first = pair.client_sent[0].1.clone();
    let records = oxrtc_dtls::record::Record::iter(&first).count();
    let total: usize = pair.client_sent.iter().map(|(_, d)| d.len()).sum();
    assert!(total > 1200, "larger than one MTU ({total} bytes)");
    assert_eq!(records, 1, "one fragment record per datagram at this size");
    assert_eq!(pair.client_sent.len(), 2, "two fragments");
    pair.handshake();
}

#[test]
fn endpoint_accepts_fragmented_browser_hello() {
    // Through the stateless Endpoint: the cookie is checked on the first fragment.
    for reverse in [false, true] {
        let (c, s) = browser_config(5);
        let start = Instant::now();
        let client_addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut client = Connection::client(Arc::new(c), start);
        let mut server = Endpoint::new(Arc::new(s));
        let mut now = start;
        let mut connected = (false, false);
        for _ in 0..200 {
            let mut batch: Vec<Vec<u8>> = std::iter::from_fn(|| client.poll_transmit()).collect();
            if reverse {
                batch.reverse();
            }
            for d in &batch {
                server.handle_receive(now, client_addr, d);
            }
            while let Some(t) = server.poll_transmit() {
                assert_eq!(t.destination, client_addr);
                let _ = client.handle_receive(now, &t.contents);
            }
            while let Some((_, e)) = server.poll_event() {
                connected.1 |= matches!(e, Event::Connected { .. });
            }
            while let Some(e) = client.poll_event() {
                connected.0 |= matches!(e, Event::Connected { .. });
            }
            if connected == (true, true) {
                break;
            }
            now += Duration::from_millis(100);
            client.handle_timeout(now);
            server.handle_timeout(now);
        }
        assert_eq!(connected, (true, true), "reverse={reverse}");
        assert_eq!(server.connection_count(), 1);
    }
}
