//! Two `Endpoint`s (client dials, server accepts through the cookie exchange), several
//! clients on one server, renegotiation refusal, and role selection from SDP a=setup.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use oxrtc_dtls::{AlertDescription, CloseReason, Connection, Endpoint, Event, Role};

fn addr(port: u16) -> SocketAddr {
    format!("127.0.0.1:{port}").parse().unwrap()
}

/// Moves datagrams between a server endpoint and several client endpoints.
fn pump(
    server: &mut Endpoint,
    clients: &mut [(SocketAddr, Endpoint)],
    server_addr: SocketAddr,
    now: Instant,
) -> Vec<(SocketAddr, Event)> {
    let mut server_events = vec![];
    for _ in 0..10 {
        for (client_addr, client) in clients.iter_mut() {
            while let Some(t) = client.poll_transmit() {
                assert_eq!(t.destination, server_addr);
                server.handle_receive(now, *client_addr, &t.contents);
            }
        }
        while let Some(t) = server.poll_transmit() {
            let (_, client) = clients
                .iter_mut()
                .find(|(a, _)| *a == t.destination)
                .expect("a known client");
            client.handle_receive(now, server_addr, &t.contents);
        }
        server_events.extend(std::iter::from_fn(|| server.poll_event()));
    }
    server_events
}

#[test]
fn many_clients_one_server_endpoint() {
    let (c, s) = default_configs();
    let c = Arc::new(c);
    let server_addr = addr(4000);
    let mut server = Endpoint::new(Arc::new(s));
    let now = Instant::now();
    let mut clients: Vec<(SocketAddr, Endpoint)> = (0..5)
        .map(|i| {
            let mut e = Endpoint::new(c.clone());
            e.connect(now, server_addr);
            (addr(5000 + i), e)
        })
        .collect();
    let events = pump(&mut server, &mut clients, server_addr, now);
    let connected = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Connected { .. }))
        .count();
    assert_eq!(connected, 5);
    assert_eq!(server.connection_count(), 5);
    for (a, client) in clients.iter_mut() {
        let ev: Vec<Event> = std::iter::from_fn(|| client.poll_event())
            .map(|(_, e)| e)
            .collect();
        assert!(has_connected(&ev), "{a}");
        client
            .send_application_data(server_addr, format!("hi from {a}").as_bytes())
            .unwrap();
    }
    let events = pump(&mut server, &mut clients, server_addr, now);
    for (a, _) in &clients {
        assert!(events.iter().any(|(from, e)| from == a
            && *e == Event::ApplicationData(format!("hi from {a}").into_bytes().into())));
    }
    // One client closes: the server forgets it.
    clients[0].1.close(server_addr);
    let events = pump(&mut server, &mut clients, server_addr, now);
    assert!(events.iter().any(|(from, e)| *from == clients[0].0
        && matches!(
            e,
            Event::Closed {
                reason: CloseReason::PeerClosed
            }
        )));
    assert_eq!(server.connection_count(), 4);
    assert!(
        server.poll_timeout().is_none(),
        "established connections keep no timer"
    );
}

#[test]
fn renegotiation_is_refused_with_a_warning() {
    let (c, s) = default_configs();
    let c = Arc::new(c);
    let mut pair = Pair::perfect((*c).clone(), s);
    pair.handshake();
    // A fresh ClientHello arriving on the established connection (epoch 0, new message_seq
    // range) is answered with a no_renegotiation warning, and the connection stays up.
    let now = pair.net.now;
    let mut other = Connection::client(c, now);
    let hello = other.poll_transmit().unwrap();
    pair.server.handle_receive(now, &hello).unwrap();
    assert!(pair.server.is_established());
    pair.client.send_application_data(b"still here").unwrap();
    pair.flush();
    pair.drive_until(Duration::from_secs(1), |p| {
        !app_data(&p.server_events).is_empty()
    });
    assert_eq!(app_data(&pair.server_events), vec![b"still here".to_vec()]);
    let _ = AlertDescription::NoRenegotiation;
}

#[test]
fn role_from_sdp_setup() {
    assert_eq!(Role::from_setup_active(true), Role::Client);
    assert_eq!(Role::from_setup_active(false), Role::Server);
    let (c, s) = default_configs();
    let now = Instant::now();
    let client = Connection::new_with_role(Arc::new(c), Role::from_setup_active(true), now);
    let server = Connection::new_with_role(Arc::new(s), Role::from_setup_active(false), now);
    assert_eq!(client.role(), Role::Client);
    assert_eq!(server.role(), Role::Server);
    assert!(
        client.poll_timeout().is_some(),
        "the client's ClientHello is out, timer armed"
    );
    assert!(server.poll_timeout().is_none());
}

#[test]
fn no_srtp_offered_means_no_keying_material() {
    let (mut c, s) = default_configs();
    c.srtp_profiles.clear();
    let mut pair = Pair::perfect(c, s);
    pair.handshake();
    for events in [&pair.client_events, &pair.server_events] {
        assert!(events.iter().any(|e| matches!(
            e,
            Event::Connected {
                srtp_profile: None,
                srtp_keying_material: None,
                ..
            }
        )));
    }
    // The exporter still works for other labels.
    let a = pair
        .client
        .export_keying_material("EXPERIMENTAL-x", Some(b"ctx"), 32)
        .unwrap();
    let b = pair
        .server
        .export_keying_material("EXPERIMENTAL-x", Some(b"ctx"), 32)
        .unwrap();
    assert_eq!(a, b);
    let c = pair
        .server
        .export_keying_material("EXPERIMENTAL-x", None, 32)
        .unwrap();
    assert_ne!(a, c);
}
