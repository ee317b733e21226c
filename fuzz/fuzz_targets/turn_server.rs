//! The TURN server core fed arbitrary datagrams from clients and peers, after a real
//! client has allocated, so authenticated state is reachable.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use oxrtc_ice::turn::{
    Client, ClientConfig, FiveTuple, Server, ServerConfig, ServerEvent, ServerTransmitKind,
    TransportProtocol,
};

fn five(i: u8) -> FiveTuple {
    FiveTuple {
        client: SocketAddr::from(([198, 51, 100, 1 + (i % 2)], 4000)),
        server: SocketAddr::from(([203, 0, 113, 1], 3478)),
        protocol: if i & 2 == 0 {
            TransportProtocol::Udp
        } else {
            TransportProtocol::Tcp
        },
    }
}

fn drain(server: &mut Server, client: &mut Client, now: Instant) {
    for _ in 0..8 {
        while let Some(t) = client.poll_transmit() {
            let _ = server.handle_client(now, five(0), &t.contents);
        }
        while let Some(ev) = server.poll_event() {
            if let ServerEvent::OpenRelay(r) = ev {
                server.relay_opened_with_reservation(
                    now,
                    r.token,
                    Some(SocketAddr::new(r.ip, 50000)),
                    r.reserve_next.then(|| SocketAddr::new(r.ip, 50001)),
                );
            }
        }
        while let Some(t) = server.poll_transmit() {
            if let ServerTransmitKind::ToClient(_) = t.kind {
                let _ = client.handle_receive(now, five(0).server, &t.contents);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut config = ServerConfig::new("fuzz", five(0).server.ip()).with_user("u", "p");
    config.rng_seed = Some([3; 32]);
    config.bandwidth_limit = Some(10_000);
    let mut server = Server::new(config);
    let mut cc = ClientConfig::new(five(0).server, "u", "p");
    cc.rng_seed = Some([4; 32]);
    let mut client = Client::new(cc);
    let _ = client.allocate(now);
    drain(&mut server, &mut client, now);
    let peer = SocketAddr::from(([192, 0, 2, 9], 7000));
    let _ = client.bind_channel(now, peer);
    drain(&mut server, &mut client, now);

    // Then arbitrary frames: [selector, len, bytes...].
    let mut rest = data;
    let mut t = now;
    while rest.len() >= 2 {
        let (sel, len) = (rest[0], usize::from(rest[1]) * 4);
        let body = &rest[2..(2 + len).min(rest.len())];
        rest = &rest[(2 + len).min(rest.len())..];
        t += Duration::from_millis(u64::from(sel >> 4) * 100);
        match sel & 7 {
            0..=3 => {
                let _ = server.handle_client(t, five(sel), body);
            }
            4 => server.handle_peer(t, SocketAddr::new(five(0).server.ip(), 50000), peer, body),
            5 => server.handle_timeout(t),
            6 => server.client_closed(five(sel >> 3)),
            _ => server.relay_opened_with_reservation(
                t,
                u64::from(sel >> 3),
                Some(SocketAddr::new(five(0).server.ip(), 50001)),
                Some(SocketAddr::new(five(0).server.ip(), 50003)),
            ),
        }
        while server.poll_transmit().is_some() {}
        while server.poll_event().is_some() {}
        let _ = server.poll_timeout();
    }
});
