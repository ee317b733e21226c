//! A server's view: many PeerConnections on one UDP port (`UdpMux`), each reached by its
//! own client in the same process over 127.0.0.1, each with one data channel that
//! echoes. Prints how fast connections are set up, the heap each server-side
//! connection holds, and a round of echoes across all of them. Prints only.
//!
//! `cargo bench -p oxrtc-benches --bench mux` (`-- --quick` for 50 connections).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oxrtc::{DataChannelInit, PeerConnection, RtcConfiguration, UdpMux};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn live() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

/// One client connection with its open channel, and the server side it reached.
struct Pair {
    client: PeerConnection,
    channel: oxrtc::RtcDataChannel,
    server: PeerConnection,
}

async fn connect(
    mux: &UdpMux,
    certificate: &oxrtc::dtls::Certificate,
    echoes: Arc<AtomicUsize>,
) -> Pair {
    let server = PeerConnection::new(RtcConfiguration {
        udp_mux: Some(mux.clone()),
        certificate: Some(certificate.clone()),
        ..RtcConfiguration::default()
    })
    .expect("server connection");
    server.on_data_channel(|channel| {
        let echo = channel.clone();
        channel.on_message(move |m| drop(echo.send(m.data)));
    });
    let client = PeerConnection::new(RtcConfiguration {
        bind_addresses: vec!["127.0.0.1:0".parse().expect("address")],
        certificate: Some(certificate.clone()),
        ..RtcConfiguration::default()
    })
    .expect("client connection");
    let channel = client
        .create_data_channel("echo", DataChannelInit::default())
        .expect("channel");
    let (open_tx, open_rx) = tokio::sync::oneshot::channel();
    let mut open_tx = Some(open_tx);
    channel.on_open(move || {
        if let Some(tx) = open_tx.take() {
            let _ = tx.send(());
        }
    });
    channel.on_message(move |_| {
        echoes.fetch_add(1, Ordering::Relaxed);
    });
    client
        .set_local_description(client.create_offer().await.expect("offer"))
        .await
        .expect("offer applied");
    client.gathering_complete().await;
    server
        .set_remote_description(client.local_description().expect("offer"))
        .await
        .expect("offer taken");
    server
        .set_local_description(server.create_answer().await.expect("answer"))
        .await
        .expect("answer applied");
    server.gathering_complete().await;
    client
        .set_remote_description(server.local_description().expect("answer"))
        .await
        .expect("answer taken");
    tokio::time::timeout(Duration::from_secs(20), open_rx)
        .await
        .expect("channel opens in time")
        .expect("channel opens");
    Pair {
        client,
        channel,
        server,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let count = if quick { 50 } else { 500 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        // One certificate and one port for everything, as a server would run.
        let certificate = oxrtc::dtls::Certificate::generate().expect("certificate");
        let mux = UdpMux::bind("127.0.0.1:0".parse().expect("address"))
            .await
            .expect("mux");
        let echoes = Arc::new(AtomicUsize::new(0));
        // Warm up lazily initialised state (the runtime's, the first connection's).
        drop(connect(&mux, &certificate, echoes.clone()).await);

        let before = live();
        let start = Instant::now();
        // Eight set-ups in flight at a time: a server answers offers concurrently.
        let mut pairs = Vec::with_capacity(count);
        for batch in 0..count.div_ceil(8) {
            let n = 8.min(count - batch * 8);
            let mut tasks = Vec::with_capacity(n);
            for _ in 0..n {
                let (mux, certificate, echoes) = (mux.clone(), certificate.clone(), echoes.clone());
                tasks.push(tokio::spawn(
                    async move { connect(&mux, &certificate, echoes).await },
                ));
            }
            for t in tasks {
                pairs.push(t.await.expect("set-up task"));
            }
        }
        let setup = start.elapsed();
        let heap = live() - before;

        let round = Instant::now();
        for p in &pairs {
            p.channel.send_text("ping").expect("send");
        }
        while echoes.load(Ordering::Relaxed) < count {
            tokio::time::sleep(Duration::from_millis(1)).await;
            assert!(round.elapsed() < Duration::from_secs(30), "echoes stalled");
        }
        let echo_round = round.elapsed();

        println!("mux: {count} connections on one UDP port ({}), each with an echoing data channel", mux.local_addr());
        println!(
            "  set-up: {:.2} s for all, {:.0} connections/s (8 in flight; both ends in this process, 2 workers)",
            setup.as_secs_f64(),
            count as f64 / setup.as_secs_f64()
        );
        println!(
            "  heap: {:.1} KiB per connection pair (server + client, shared certificate)",
            heap as f64 / count as f64 / 1024.0
        );
        println!(
            "  one echo on every connection: {:.1} ms for all {count}",
            echo_round.as_secs_f64() * 1e3
        );
        println!("  mux reports {} connections", mux.connection_count());
        for p in &pairs {
            p.client.close().await;
            p.server.close().await;
        }
    });
}
