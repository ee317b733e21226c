//! Two PeerConnections in one process, a data channel between them over loopback UDP:
//! prints the time from `new` to an open channel, then pushes messages through it with
//! flow control and prints the throughput.
//!
//! ```sh
//! cargo run --release --example data-channels -- --messages 2000 --size 65536
//! ```

use std::time::{Duration, Instant};

use bytes::Bytes;
use oxrtc::{DataChannelInit, PeerConnection, RtcConfiguration};
use tokio::sync::{mpsc, Notify};

struct Args {
    messages: usize,
    size: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        messages: 2000,
        size: 64 * 1024,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--messages" => {
                args.messages = value("--messages")?
                    .parse()
                    .map_err(|e| format!("--messages: {e}"))?
            }
            "--size" => {
                args.size = value("--size")?
                    .parse()
                    .map_err(|e| format!("--size: {e}"))?
            }
            "-h" | "--help" => {
                return Err("usage: data-channels [--messages N] [--size BYTES]".into())
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// Sending stops while this much is queued and resumes when it drains to half.
const HIGH_WATER: usize = 1024 * 1024;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let config = || RtcConfiguration {
        bind_addresses: vec!["127.0.0.1:0".parse().expect("an address")],
        ..RtcConfiguration::default()
    };
    let started = Instant::now();
    let alice = PeerConnection::new(config())?;
    let bob = PeerConnection::new(config())?;

    // Bob counts bytes and reports when everything arrived.
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let expected = args.messages * args.size;
    bob.on_data_channel(move |channel| {
        println!("bob: channel {:?} opened by alice", channel.label());
        let done_tx = done_tx.clone();
        let mut received = 0usize;
        channel.on_message(move |m| {
            received += m.data.len();
            if received >= expected {
                let _ = done_tx.send(Instant::now());
            }
        });
    });

    let channel = alice.create_data_channel("bulk", DataChannelInit::default())?;
    let (open_tx, mut open_rx) = mpsc::unbounded_channel();
    channel.on_open(move || {
        let _ = open_tx.send(Instant::now());
    });
    let drained = std::sync::Arc::new(Notify::new());
    channel.set_buffered_amount_low_threshold(HIGH_WATER / 2);
    let wake = drained.clone();
    channel.on_buffered_amount_low(move || wake.notify_one());

    // Signaling in memory, without trickle.
    alice
        .set_local_description(alice.create_offer().await?)
        .await?;
    alice.gathering_complete().await;
    bob.set_remote_description(alice.local_description().ok_or("no offer")?)
        .await?;
    bob.set_local_description(bob.create_answer().await?)
        .await?;
    bob.gathering_complete().await;
    alice
        .set_remote_description(bob.local_description().ok_or("no answer")?)
        .await?;

    let opened = tokio::time::timeout(Duration::from_secs(10), open_rx.recv())
        .await?
        .ok_or("channel closed before opening")?;
    println!(
        "setup: {:.2} ms from new() to an open channel",
        (opened - started).as_secs_f64() * 1e3
    );

    let payload = Bytes::from(vec![0x5a; args.size]);
    let send_start = Instant::now();
    for _ in 0..args.messages {
        while channel.buffered_amount() > HIGH_WATER {
            // The low event may have fired between the check and the wait: re-check
            // at least every few milliseconds.
            let _ = tokio::time::timeout(Duration::from_millis(5), drained.notified()).await;
        }
        channel.send(payload.clone())?;
    }
    let done = tokio::time::timeout(Duration::from_secs(120), done_rx.recv())
        .await?
        .ok_or("bob stopped")?;
    let seconds = (done - send_start).as_secs_f64();
    println!(
        "throughput: {} messages of {} bytes in {:.3} s = {:.1} Mbit/s",
        args.messages,
        args.size,
        seconds,
        (expected * 8) as f64 / seconds / 1e6
    );
    alice.close().await;
    bob.close().await;
    Ok(())
}
