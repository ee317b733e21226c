// Produced by (full run, by hand; CI only builds it with `cargo bench --no-run`):
//   CARGO_TARGET_DIR=/work/ci-target cargo bench -p oxrtc-benches --bench e2e
// Smoke run, a few iterations of everything:
//   CARGO_TARGET_DIR=/work/ci-target cargo bench -p oxrtc-benches --bench e2e -- --quick

//! The whole stack, end to end: two `oxrtc::PeerConnection`s in one process beside two
//! webrtc-rs 0.21 (`webrtc`) peer connections, each pair talking over loopback UDP on
//! 127.0.0.1 (no STUN server, no mDNS: host candidates only). One data channel, opened
//! in-band by the offerer; signaling in memory without trickle (each side waits for
//! gathering to complete, as `examples/data-channels.rs` does). Default configuration for
//! both stacks otherwise, a fresh certificate per connection included.
//!
//! The rows of the ROADMAP's "Where the others stand":
//! - setup: from creating the two peers to the offerer's `open` event, fresh peers each run;
//! - throughput: 64 KiB messages on a reliable ordered channel, paced by the buffered amount
//!   (stop above 1 MiB, resume on the low-threshold event at 512 KiB), timed from the first
//!   send to the last byte's arrival on the other peer, fresh peers each run;
//! - round trip: a 16-byte message echoed by the other peer, sequentially, after a warm-up;
//! - memory: live heap bytes (`stats_alloc` counting global allocator, as `memory.rs`) that
//!   `N` established pairs hold, over `2 N`: per connection, one side. Everything the
//!   connection allocates is in it: the driver task and its buffers, the certificate, the
//!   protocol state, and this bench's few bytes of glue per pair (channels for the events
//!   it waits on; with webrtc-rs, the tasks that poll its channels' event streams, which
//!   its API requires). Kernel socket buffers are not heap and are not in it.
//!
//! The stacks alternate run by run so that a noisy neighbour on the shared machine hits
//! both alike. It prints and asserts nothing about the numbers.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::Notify;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Bulk messages: the ROADMAP's throughput row.
const MESSAGE_SIZE: usize = 64 * 1024;
/// Sending pauses while more than this is buffered...
const HIGH_WATER: usize = 1024 * 1024;
/// ...and resumes when the low-threshold event says it drained to this.
const LOW_WATER: usize = HIGH_WATER / 2;
/// The round-trip probe.
const PING_SIZE: usize = 16;

/// Longest wait for a connection to open before the run counts as failed.
const SETUP_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest wait for one bulk transfer or one echo.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(120);

/// How much of everything to do.
struct Plan {
    setup_runs: usize,
    throughput_runs: usize,
    throughput_bytes: usize,
    round_trip_warmup: usize,
    round_trips: usize,
    memory_pairs: usize,
    /// Pause after connections are opened or closed, so timers and teardown settle
    /// before the heap is read.
    settle: Duration,
}

impl Plan {
    fn full() -> Self {
        Self {
            setup_runs: 20,
            throughput_runs: 5,
            throughput_bytes: 64 * 1024 * 1024,
            round_trip_warmup: 100,
            round_trips: 1000,
            memory_pairs: 50,
            settle: Duration::from_millis(500),
        }
    }

    fn quick() -> Self {
        Self {
            setup_runs: 3,
            throughput_runs: 3,
            throughput_bytes: 4 * 1024 * 1024,
            round_trip_warmup: 10,
            round_trips: 100,
            memory_pairs: 5,
            settle: Duration::from_millis(200),
        }
    }
}

/// What the answering peer does with the channel the offerer opened.
#[derive(Clone, Copy)]
enum Answerer {
    /// Sends every message straight back.
    Echo,
    /// Counts bytes and reports the instant this many have arrived.
    Count(usize),
}

/// One pair of connected peers of one stack, the offerer's channel open.
trait Pair: Sized {
    /// Creates both peers, signals, and waits until the channel is open on both sides;
    /// returns the pair and the time from creation to the offerer's open event.
    async fn connect(answerer: Answerer) -> Result<(Self, Duration), BoxError>;
    /// Sends `total` bytes in `MESSAGE_SIZE` messages with flow control; returns the
    /// time from the first send until the answerer (in `Count(total)`) had everything.
    async fn push(&mut self, total: usize) -> Result<Duration, BoxError>;
    /// One `PING_SIZE` message there and back (the answerer in `Echo`).
    async fn round_trip(&mut self) -> Result<Duration, BoxError>;
    async fn close(self);
}

async fn within<T>(
    limit: Duration,
    what: &str,
    future: impl Future<Output = Option<T>>,
) -> Result<T, BoxError> {
    match tokio::time::timeout(limit, future).await {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err(format!("{what}: the peer went away").into()),
        Err(_) => Err(format!("{what}: nothing after {limit:?}").into()),
    }
}

// ---------------------------------------------------------------- oxrtc

mod ox {
    use super::*;
    use bytes::Bytes;
    use oxrtc::{DataChannelInit, PeerConnection, RtcConfiguration, RtcDataChannel};

    pub(crate) struct OxPair {
        offerer: PeerConnection,
        answerer: PeerConnection,
        channel: RtcDataChannel,
        answerer_channel: RtcDataChannel,
        drained: Arc<Notify>,
        replies: UnboundedReceiver<Bytes>,
        delivered: UnboundedReceiver<Instant>,
        ping: Bytes,
    }

    fn loopback() -> RtcConfiguration {
        RtcConfiguration {
            bind_addresses: vec!["127.0.0.1:0".parse().expect("a socket address")],
            ..RtcConfiguration::default()
        }
    }

    /// Gives the answerer's side of the channel its role.
    fn answer_with(
        channel: &RtcDataChannel,
        answerer: Answerer,
        delivered: UnboundedSender<Instant>,
    ) {
        match answerer {
            Answerer::Echo => {
                // The callback holds a handle on its own channel: `close` replaces it to
                // break that cycle.
                let echo = channel.clone();
                channel.on_message(move |m| {
                    let _ = echo.send(m.data);
                });
            }
            Answerer::Count(expected) => {
                let mut received = 0;
                channel.on_message(move |m| {
                    let before = received;
                    received += m.data.len();
                    if before < expected && received >= expected {
                        let _ = delivered.send(Instant::now());
                    }
                });
            }
        }
    }

    impl Pair for OxPair {
        async fn connect(answerer: Answerer) -> Result<(Self, Duration), BoxError> {
            let started = Instant::now();
            let offerer = PeerConnection::new(loopback())?;
            let answerer_pc = PeerConnection::new(loopback())?;

            let (delivered_tx, delivered) = unbounded_channel();
            let (accepted_tx, mut accepted) = unbounded_channel();
            answerer_pc.on_data_channel(move |channel| {
                answer_with(&channel, answerer, delivered_tx.clone());
                let _ = accepted_tx.send(channel);
            });

            let channel = offerer.create_data_channel("e2e", DataChannelInit::default())?;
            let (opened_tx, mut opened) = unbounded_channel();
            channel.on_open(move || {
                let _ = opened_tx.send(Instant::now());
            });
            let (replies_tx, replies) = unbounded_channel();
            channel.on_message(move |m| {
                let _ = replies_tx.send(m.data);
            });
            let drained = Arc::new(Notify::new());
            channel.set_buffered_amount_low_threshold(LOW_WATER);
            let wake = drained.clone();
            channel.on_buffered_amount_low(move || wake.notify_one());

            offerer
                .set_local_description(offerer.create_offer().await?)
                .await?;
            offerer.gathering_complete().await;
            answerer_pc
                .set_remote_description(offerer.local_description().ok_or("no offer")?)
                .await?;
            answerer_pc
                .set_local_description(answerer_pc.create_answer().await?)
                .await?;
            answerer_pc.gathering_complete().await;
            offerer
                .set_remote_description(answerer_pc.local_description().ok_or("no answer")?)
                .await?;

            let open_at = within(SETUP_TIMEOUT, "oxrtc open", opened.recv()).await?;
            let answerer_channel =
                within(SETUP_TIMEOUT, "oxrtc on_data_channel", accepted.recv()).await?;
            let pair = Self {
                offerer,
                answerer: answerer_pc,
                channel,
                answerer_channel,
                drained,
                replies,
                delivered,
                ping: Bytes::from(vec![0x42; PING_SIZE]),
            };
            Ok((pair, open_at - started))
        }

        async fn push(&mut self, total: usize) -> Result<Duration, BoxError> {
            let payload = Bytes::from(vec![0x5a; MESSAGE_SIZE]);
            let started = Instant::now();
            for _ in 0..total / MESSAGE_SIZE {
                while self.channel.buffered_amount() > HIGH_WATER {
                    // The low event may fire between the check and the wait: re-check
                    // every few milliseconds rather than trust one wake-up.
                    let _ = tokio::time::timeout(Duration::from_millis(5), self.drained.notified())
                        .await;
                }
                self.channel.send(payload.clone())?;
            }
            let done = within(TRANSFER_TIMEOUT, "oxrtc bulk", self.delivered.recv()).await?;
            Ok(done - started)
        }

        async fn round_trip(&mut self) -> Result<Duration, BoxError> {
            let started = Instant::now();
            self.channel.send(self.ping.clone())?;
            within(TRANSFER_TIMEOUT, "oxrtc echo", self.replies.recv()).await?;
            Ok(started.elapsed())
        }

        async fn close(self) {
            self.answerer_channel.on_message(|_| {});
            self.offerer.close().await;
            self.answerer.close().await;
        }
    }
}

// ---------------------------------------------------------------- webrtc-rs 0.21

mod wrtc {
    use super::*;
    use bytes::BytesMut;
    use rtc_ice::mdns::MulticastDnsMode;
    use webrtc::data_channel::{DataChannel, DataChannelEvent};
    use webrtc::peer_connection::{
        PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
        RTCIceGatheringState, SettingEngineBuilder,
    };

    pub(crate) struct WrtcPair {
        offerer: Arc<dyn PeerConnection>,
        answerer: Arc<dyn PeerConnection>,
        channel: Arc<dyn DataChannel>,
        drained: Arc<Notify>,
        replies: UnboundedReceiver<BytesMut>,
        delivered: UnboundedReceiver<Instant>,
    }

    /// What a peer connection tells us: gathering done, and (answerer) the channel the
    /// offerer opened, handed to a task that plays the answerer's role.
    struct Events {
        gathered: UnboundedSender<()>,
        answerer: Option<(Answerer, UnboundedSender<Instant>, UnboundedSender<()>)>,
    }

    #[async_trait::async_trait]
    impl PeerConnectionEventHandler for Events {
        async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
            if state == RTCIceGatheringState::Complete {
                let _ = self.gathered.send(());
            }
        }

        async fn on_data_channel(&self, channel: Arc<dyn DataChannel>) {
            if let Some((role, delivered, accepted)) = &self.answerer {
                // A task of its own: the driver waits for this callback to return.
                tokio::spawn(answer(channel, *role, delivered.clone()));
                let _ = accepted.send(());
            }
        }
    }

    /// The answerer's side of the channel: its event stream, polled until it ends.
    async fn answer(
        channel: Arc<dyn DataChannel>,
        role: Answerer,
        delivered: UnboundedSender<Instant>,
    ) {
        let mut received = 0;
        while let Some(event) = channel.poll().await {
            let DataChannelEvent::OnMessage(m) = event else {
                continue;
            };
            match role {
                Answerer::Echo => {
                    let _ = channel.send(m.data).await;
                }
                Answerer::Count(expected) => {
                    let before = received;
                    received += m.data.len();
                    if before < expected && received >= expected {
                        let _ = delivered.send(Instant::now());
                    }
                }
            }
        }
    }

    /// The offerer's side: its event stream turned into what the bench waits on.
    async fn offer(
        channel: Arc<dyn DataChannel>,
        opened: UnboundedSender<Instant>,
        drained: Arc<Notify>,
        replies: UnboundedSender<BytesMut>,
    ) {
        while let Some(event) = channel.poll().await {
            match event {
                DataChannelEvent::OnOpen => {
                    let _ = opened.send(Instant::now());
                }
                DataChannelEvent::OnBufferedAmountLow => drained.notify_one(),
                DataChannelEvent::OnMessage(m) => {
                    let _ = replies.send(m.data);
                }
                _ => {}
            }
        }
    }

    async fn peer(events: Events) -> Result<Arc<dyn PeerConnection>, BoxError> {
        // mDNS off: its default mode opens a multicast socket; host candidates are plain
        // 127.0.0.1 here. No ICE servers (the default), no TCP.
        let settings = SettingEngineBuilder::new()
            .with_multicast_dns_mode(MulticastDnsMode::Disabled)
            .build();
        let peer = PeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_setting_engine(settings)
            .with_handler(Arc::new(events))
            .with_udp_addrs(vec![std::net::SocketAddr::from(([127, 0, 0, 1], 0))])
            .build()
            .await?;
        Ok(Arc::new(peer))
    }

    impl Pair for WrtcPair {
        async fn connect(answerer: Answerer) -> Result<(Self, Duration), BoxError> {
            let started = Instant::now();
            let (offerer_gathered_tx, mut offerer_gathered) = unbounded_channel();
            let offerer = peer(Events {
                gathered: offerer_gathered_tx,
                answerer: None,
            })
            .await?;
            let (answerer_gathered_tx, mut answerer_gathered) = unbounded_channel();
            let (delivered_tx, delivered) = unbounded_channel();
            let (accepted_tx, mut accepted) = unbounded_channel();
            let answerer_pc = peer(Events {
                gathered: answerer_gathered_tx,
                answerer: Some((answerer, delivered_tx, accepted_tx)),
            })
            .await?;

            let channel = offerer.create_data_channel("e2e", None).await?;
            channel
                .set_buffered_amount_low_threshold(LOW_WATER as u32)
                .await?;
            let (opened_tx, mut opened) = unbounded_channel();
            let (replies_tx, replies) = unbounded_channel();
            let drained = Arc::new(Notify::new());
            tokio::spawn(offer(
                channel.clone(),
                opened_tx,
                drained.clone(),
                replies_tx,
            ));

            offerer
                .set_local_description(offerer.create_offer(None).await?)
                .await?;
            within(
                SETUP_TIMEOUT,
                "webrtc-rs gathering",
                offerer_gathered.recv(),
            )
            .await?;
            answerer_pc
                .set_remote_description(offerer.local_description().await.ok_or("no offer")?)
                .await?;
            answerer_pc
                .set_local_description(answerer_pc.create_answer(None).await?)
                .await?;
            within(
                SETUP_TIMEOUT,
                "webrtc-rs gathering",
                answerer_gathered.recv(),
            )
            .await?;
            offerer
                .set_remote_description(answerer_pc.local_description().await.ok_or("no answer")?)
                .await?;

            let open_at = within(SETUP_TIMEOUT, "webrtc-rs open", opened.recv()).await?;
            within(SETUP_TIMEOUT, "webrtc-rs on_data_channel", accepted.recv()).await?;
            let pair = Self {
                offerer,
                answerer: answerer_pc,
                channel,
                drained,
                replies,
                delivered,
            };
            Ok((pair, open_at - started))
        }

        async fn push(&mut self, total: usize) -> Result<Duration, BoxError> {
            let payload = vec![0x5a; MESSAGE_SIZE];
            let started = Instant::now();
            for _ in 0..total / MESSAGE_SIZE {
                // Its `bufferedAmount`: what `send` took and SCTP has not released (the
                // async API has no other). Its low event follows SCTP's own count, which
                // leaves out what is not packetised yet, so it may not fire at 512 KiB of
                // this: the 5 ms re-check resumes the sender while 1 MiB is still in flight.
                while self.channel.outstanding_bytes().await? > HIGH_WATER {
                    let _ = tokio::time::timeout(Duration::from_millis(5), self.drained.notified())
                        .await;
                }
                // `send` takes a `BytesMut` by value: a copy per message is its API's cost.
                self.channel.send(BytesMut::from(&payload[..])).await?;
            }
            let done = within(TRANSFER_TIMEOUT, "webrtc-rs bulk", self.delivered.recv()).await?;
            Ok(done - started)
        }

        async fn round_trip(&mut self) -> Result<Duration, BoxError> {
            let started = Instant::now();
            self.channel
                .send(BytesMut::from(&[0x42; PING_SIZE][..]))
                .await?;
            within(TRANSFER_TIMEOUT, "webrtc-rs echo", self.replies.recv()).await?;
            Ok(started.elapsed())
        }

        async fn close(self) {
            let _ = self.offerer.close().await;
            let _ = self.answerer.close().await;
        }
    }
}

// ---------------------------------------------------------------- measurements

/// One stack's samples of one row, or why it has none.
struct Samples {
    values: Vec<f64>,
    error: Option<String>,
}

impl Samples {
    fn new() -> Self {
        Self {
            values: Vec::new(),
            error: None,
        }
    }

    /// Keeps the value, or the first error; nothing more is measured after an error.
    fn record(&mut self, result: Result<f64, BoxError>) {
        match result {
            Ok(value) => self.values.push(value),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// The value at quantile `q` (0 = min, 0.5 = median, 1 = max), nearest rank.
    fn quantile(&self, q: f64) -> Option<f64> {
        if self.failed() || self.values.is_empty() {
            return None;
        }
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = ((sorted.len() - 1) as f64 * q).round() as usize;
        Some(sorted[rank])
    }
}

async fn setup_ms<P: Pair>() -> Result<f64, BoxError> {
    let (pair, took) = P::connect(Answerer::Echo).await?;
    pair.close().await;
    Ok(took.as_secs_f64() * 1e3)
}

async fn throughput_mbps<P: Pair>(total: usize) -> Result<f64, BoxError> {
    let (mut pair, _) = P::connect(Answerer::Count(total)).await?;
    let took = pair.push(total).await;
    pair.close().await;
    Ok((total * 8) as f64 / took?.as_secs_f64() / 1e6)
}

async fn round_trips_us<P: Pair>(plan: &Plan) -> Samples {
    let mut samples = Samples::new();
    let mut pair = match P::connect(Answerer::Echo).await {
        Ok((pair, _)) => pair,
        Err(e) => {
            samples.record(Err(e));
            return samples;
        }
    };
    for i in 0..plan.round_trip_warmup + plan.round_trips {
        let took = pair.round_trip().await;
        if i >= plan.round_trip_warmup || took.is_err() {
            samples.record(took.map(|t| t.as_secs_f64() * 1e6));
        }
        if samples.failed() {
            break;
        }
    }
    pair.close().await;
    samples
}

/// Live heap bytes right now.
fn live_heap() -> i64 {
    let stats = GLOBAL.stats();
    stats.bytes_allocated as i64 - stats.bytes_deallocated as i64
}

/// Live heap bytes per connection (one peer) with `plan.memory_pairs` pairs open.
async fn memory_per_connection<P: Pair>(plan: &Plan) -> Result<f64, BoxError> {
    // One pair first, so lazily built globals (runtime structures, crypto tables) are
    // not charged to the measured ones.
    let (warmup, _) = P::connect(Answerer::Echo).await?;
    warmup.close().await;
    let mut pairs = Vec::with_capacity(plan.memory_pairs);
    tokio::time::sleep(plan.settle).await;
    let before = live_heap();
    for _ in 0..plan.memory_pairs {
        pairs.push(P::connect(Answerer::Echo).await?.0);
    }
    tokio::time::sleep(plan.settle).await;
    let grown = live_heap() - before;
    for pair in pairs {
        pair.close().await;
    }
    tokio::time::sleep(plan.settle).await;
    Ok(grown as f64 / (2 * plan.memory_pairs) as f64)
}

// ---------------------------------------------------------------- report

/// One row of the table: the main value of each stack and a second one in brackets.
struct Row {
    name: String,
    ours: Option<f64>,
    theirs: Option<f64>,
    detail: (Option<f64>, Option<f64>),
    unit: &'static str,
    detail_label: &'static str,
}

fn show(value: Option<f64>, unit: &str) -> String {
    match value {
        Some(v) if v >= 100.0 => format!("{v:.0} {unit}"),
        Some(v) if v >= 10.0 => format!("{v:.1} {unit}"),
        Some(v) => format!("{v:.2} {unit}"),
        None => "failed".to_string(),
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<46} {:>26} {:>26} {:>10}",
        "", "oxrtc", "webrtc-rs 0.21", "oxrtc/wrtc"
    );
    for row in rows {
        let cell = |main: Option<f64>, detail: Option<f64>| match row.detail_label {
            "" => show(main, row.unit),
            label => format!(
                "{} ({label} {})",
                show(main, row.unit),
                show(detail, row.unit)
            ),
        };
        let ratio = match (row.ours, row.theirs) {
            (Some(o), Some(t)) if t != 0.0 => format!("{:.3}", o / t),
            _ => "-".to_string(),
        };
        println!(
            "{:<46} {:>26} {:>26} {:>10}",
            row.name,
            cell(row.ours, row.detail.0),
            cell(row.theirs, row.detail.1),
            ratio
        );
    }
}

fn report_errors(row: &str, ours: &Samples, theirs: &Samples) {
    for (stack, samples) in [("oxrtc", ours), ("webrtc-rs", theirs)] {
        if let Some(e) = &samples.error {
            println!(
                "  {row}: {stack} failed after {} runs: {e}",
                samples.values.len()
            );
        }
    }
}

fn parse_plan() -> Result<(Plan, &'static str), String> {
    let mut quick = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => quick = true,
            // `cargo bench` passes it to every bench binary.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}; usage: e2e [--quick]")),
        }
    }
    Ok(if quick {
        (Plan::quick(), "quick smoke run")
    } else {
        (Plan::full(), "full run")
    })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), BoxError> {
    use ox::OxPair;
    use wrtc::WrtcPair;

    let (plan, kind) = parse_plan()?;
    let began = Instant::now();
    println!(
        "e2e ({kind}): oxrtc vs webrtc-rs 0.21, two peers of one stack in one process, \
         127.0.0.1 UDP, tokio multi-thread ({} workers)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let (mut setup_ox, mut setup_wrtc) = (Samples::new(), Samples::new());
    for _ in 0..plan.setup_runs {
        if !setup_ox.failed() {
            setup_ox.record(setup_ms::<OxPair>().await);
        }
        if !setup_wrtc.failed() {
            setup_wrtc.record(setup_ms::<WrtcPair>().await);
        }
    }
    println!(
        "  setup runs, ms: oxrtc {:.2?} / webrtc-rs {:.1?}",
        setup_ox.values, setup_wrtc.values
    );

    let (mut bulk_ox, mut bulk_wrtc) = (Samples::new(), Samples::new());
    for _ in 0..plan.throughput_runs {
        if !bulk_ox.failed() {
            bulk_ox.record(throughput_mbps::<OxPair>(plan.throughput_bytes).await);
        }
        if !bulk_wrtc.failed() {
            bulk_wrtc.record(throughput_mbps::<WrtcPair>(plan.throughput_bytes).await);
        }
    }
    println!(
        "  throughput runs, Mbit/s: oxrtc {:.0?} / webrtc-rs {:.0?}",
        bulk_ox.values, bulk_wrtc.values
    );

    let rtt_ox = round_trips_us::<OxPair>(&plan).await;
    let rtt_wrtc = round_trips_us::<WrtcPair>(&plan).await;

    let mut memory_ox = Samples::new();
    memory_ox.record(memory_per_connection::<OxPair>(&plan).await);
    let mut memory_wrtc = Samples::new();
    memory_wrtc.record(memory_per_connection::<WrtcPair>(&plan).await);

    let kib = |s: &Samples| s.quantile(0.5).map(|b| b / 1024.0);
    let rows = [
        Row {
            name: format!("setup to channel open, median of {}", plan.setup_runs),
            ours: setup_ox.quantile(0.5),
            theirs: setup_wrtc.quantile(0.5),
            detail: (setup_ox.quantile(0.0), setup_wrtc.quantile(0.0)),
            unit: "ms",
            detail_label: "min",
        },
        Row {
            name: format!(
                "throughput, 64 KiB msgs, {} MiB, median of {}",
                plan.throughput_bytes >> 20,
                plan.throughput_runs
            ),
            ours: bulk_ox.quantile(0.5),
            theirs: bulk_wrtc.quantile(0.5),
            detail: (bulk_ox.quantile(1.0), bulk_wrtc.quantile(1.0)),
            unit: "Mbit/s",
            detail_label: "max",
        },
        Row {
            name: format!("round trip 16 B, median of {}", plan.round_trips),
            ours: rtt_ox.quantile(0.5),
            theirs: rtt_wrtc.quantile(0.5),
            detail: (rtt_ox.quantile(0.99), rtt_wrtc.quantile(0.99)),
            unit: "µs",
            detail_label: "p99",
        },
        Row {
            name: format!("memory per connection, {} pairs open", plan.memory_pairs),
            ours: kib(&memory_ox),
            theirs: kib(&memory_wrtc),
            detail: (None, None),
            unit: "KiB",
            detail_label: "",
        },
    ];
    println!();
    print_table(&rows);
    report_errors("setup", &setup_ox, &setup_wrtc);
    report_errors("throughput", &bulk_ox, &bulk_wrtc);
    report_errors("round trip", &rtt_ox, &rtt_wrtc);
    report_errors("memory", &memory_ox, &memory_wrtc);
    println!(
        "(Mbit/s = 10^6 bit/s; memory = live heap growth / (2 x pairs), one peer; \
         ratio < 1 is better for oxrtc except in throughput; run took {:.1} s)",
        began.elapsed().as_secs_f64()
    );
    Ok(())
}
