//! A server fed arbitrary datagrams: the stateless `Endpoint` (cookie exchange on) and a
//! `Connection` without cookie exchange, so the input reaches the handshake state machine.
//! Input: a sequence of `[len_hi, len_lo, bytes...]` datagrams.
#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use oxrtc_dtls::{Certificate, Config, Connection, Endpoint};

fn configs() -> &'static (Arc<Config>, Arc<Config>) {
    static CONFIGS: OnceLock<(Arc<Config>, Arc<Config>)> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let cert = Certificate::generate().expect("certificate");
        let mut with_cookie = Config::new(cert);
        with_cookie.rng_seed = Some([7; 32]);
        let mut without = with_cookie.clone();
        without.hello_verify = false;
        (Arc::new(with_cookie), Arc::new(without))
    })
}

fuzz_target!(|data: &[u8]| {
    let (with_cookie, without) = configs();
    let start = Instant::now();
    let from: SocketAddr = "127.0.0.1:9".parse().expect("address");
    let mut endpoint = Endpoint::new(with_cookie.clone());
    let mut conn = Connection::server(without.clone());
    let mut rest = data;
    let mut step = 0u64;
    while rest.len() >= 2 {
        let len = (usize::from(rest[0]) << 8 | usize::from(rest[1])).min(rest.len() - 2);
        let datagram = &rest[2..2 + len];
        rest = &rest[2 + len..];
        step += 1;
        let now = start + Duration::from_millis(step * 300);
        endpoint.handle_receive(now, from, datagram);
        let _ = conn.handle_receive(now, datagram);
        endpoint.handle_timeout(now);
        conn.handle_timeout(now);
        while endpoint.poll_transmit().is_some() {}
        while endpoint.poll_event().is_some() {}
        while conn.poll_transmit().is_some() {}
        while conn.poll_event().is_some() {}
    }
});
