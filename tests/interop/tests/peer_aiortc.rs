//! oxrtc's `PeerConnection` data channels against aiortc (PyPI `aiortc`, driven by
//! `scripts/peer_aiortc.py`) over ICE, DTLS and SCTP on 127.0.0.1.
//!
//! aiortc echoes every message it receives on the channel it came from, with its type, and
//! reports each event (channel announced, open, message bytes, close, connection state) as a
//! JSON line; the tests check both what comes back to oxrtc and what aiortc saw.
//!
//! Cases: either side offers; text and binary echo byte for byte (empty, 64 KiB, the
//! largest both accept, 100 in order) and one byte over the limit refused; channel label,
//! protocol, reliability and stream-id parity seen alike on both sides; channels opened by
//! either side on a live association (DCEP), twenty at once; an unordered
//! max-retransmits-0 channel; a pre-negotiated channel; closing a channel from oxrtc (with
//! 50 messages still queued), from aiortc and from both at once; `close()` ending
//! aiortc's connection; 2 MiB queued at once each way.
//!
//! What aiortc 1.16 does, learnt from running it and reading its source:
//! - As answerer to an `actpass` offer it answers `a=setup:active`: it is the DTLS client,
//!   so an oxrtc offerer is the DTLS server and takes odd stream ids (RFC 8832); as
//!   offerer it is the DTLS server, with odd ids, and an oxrtc answerer takes even ones.
//! - Both of its SCTP roles send INIT ("both endpoints initiate the association", RFC
//!   8841 9.3), so oxrtc meets an INIT collision in every run here.
//! - It advertises `a=max-message-size:262144` and assumes 65536 for a peer that says
//!   nothing; `createOffer` leaves out the application section unless a channel exists.
//! - Its `setLocalDescription` returns after gathering, so its SDP has every candidate
//!   and `a=end-of-candidates`; aioice never gathers loopback unless patched (the script
//!   does).
//! - A channel announced by the remote arrives already open, with no `open` event (the
//!   script reports one for it).
//! - Its DCEP OPEN carries the label and protocol lengths in characters, not bytes, so a
//!   non-ASCII label would be mis-framed: labels here are ASCII (messages need not be).
//! - When the remote's DTLS closes, its connection state goes to `closed` at once. The
//!   other way round oxrtc keeps `Connected` until ICE consent runs out (`Disconnected`
//!   after about 9 s, `Failed` after 30 s), as browsers do; too slow to test here.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use oxrtc::{
    DataChannelInit, DataChannelMessage, Error, PeerConnection, PeerConnectionState,
    RtcConfiguration, RtcDataChannel, RtcSessionDescription,
};
use oxrtc_interop::PeerProcess;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// A whole test fails rather than hangs past this.
const TEST_TIMEOUT: Duration = Duration::from_secs(20);
/// One awaited step (an answer, an event, a message) fails past this.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// A data channel message as (binary, bytes): what both sides report and compare.
type Message = (bool, Vec<u8>);

/// Runs a test body under [`TEST_TIMEOUT`].
async fn within_time_limit(body: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(TEST_TIMEOUT, body).await.is_err() {
        panic!("the test did not finish within {TEST_TIMEOUT:?}");
    }
}

// ---------------------------------------------------------------------------------------
// The aiortc side.

/// The aiortc peer: a child running `scripts/peer_aiortc.py`, commanded over a TCP
/// connection on loopback (the shared child-process helper gives the child no stdin).
struct Aiortc {
    process: PeerProcess,
    control: TcpStream,
    events: Vec<Value>,
}

impl Aiortc {
    /// Starts the script, or returns `None` when the virtualenv is missing and interop is
    /// optional.
    async fn start() -> Option<Self> {
        let python = oxrtc_interop::require_python_venv()?;
        let script = oxrtc_interop::interop_dir().join("scripts/peer_aiortc.py");
        let mut args = vec![script.display().to_string(), "--control-tcp".to_string()];
        if std::env::var_os("OXRTC_AIORTC_DEBUG").is_some() {
            args.push("--debug".to_string());
        }
        let mut process = PeerProcess::spawn(&python, &args);
        let deadline = Instant::now() + STEP_TIMEOUT;
        let address: SocketAddr = loop {
            if let Some(address) = process.value("control") {
                break address
                    .parse()
                    .expect("control address printed by the script");
            }
            assert!(
                Instant::now() < deadline,
                "aiortc script printed no control address; it said:\n{}",
                process.output()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(address.ip().is_loopback(), "control on {address}");
        let control = TcpStream::connect(address)
            .await
            .expect("connect to the aiortc script's control port");
        Some(Self {
            process,
            control,
            events: Vec::new(),
        })
    }

    async fn command(&mut self, command: Value) {
        let mut line = command.to_string();
        line.push('\n');
        self.control
            .write_all(line.as_bytes())
            .await
            .expect("send a command to the aiortc script");
    }

    /// Parses the events printed since the last call; any `error` event fails the test.
    fn refresh(&mut self) {
        let lines = self.process.values("event");
        for line in &lines[self.events.len()..] {
            let event: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("aiortc printed a bad event {line:?}: {e}"));
            if event["event"] == "error" {
                panic!(
                    "aiortc reported an error: {}\nit said:\n{}",
                    event["error"],
                    self.process.output()
                );
            }
            self.events.push(event);
        }
    }

    /// Waits for the first event (from the start) that `matches` accepts.
    async fn wait_event(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            self.refresh();
            if let Some(found) = self.events.iter().find(|e| matches(e)) {
                return found.clone();
            }
            assert!(
                Instant::now() < deadline,
                "aiortc did not report {what} within {STEP_TIMEOUT:?}; it said:\n{}",
                self.process.output()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn wait_named(&mut self, name: &str, label: &str) -> Value {
        self.wait_event(&format!("`{name}` of channel {label:?}"), |e| {
            e["event"] == name && e["label"] == label
        })
        .await
    }

    async fn wait_connected(&mut self) {
        self.wait_event("connection state `connected`", |e| {
            e["event"] == "state" && e["state"] == "connected"
        })
        .await;
    }

    /// Waits for the script's offer or answer and returns its SDP.
    async fn wait_sdp(&mut self, kind: &str) -> String {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            self.refresh();
            if let Some(line) = self.process.value("sdp") {
                let description: Value = serde_json::from_str(&line).expect("sdp line is JSON");
                assert_eq!(description["type"], kind, "aiortc printed {line}");
                return description["sdp"]
                    .as_str()
                    .expect("sdp is a string")
                    .to_string();
            }
            assert!(
                Instant::now() < deadline,
                "aiortc printed no {kind} within {STEP_TIMEOUT:?}; it said:\n{}",
                self.process.output()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Every message aiortc received on channel `label`, as (binary, bytes), in order.
    fn messages(&mut self, label: &str) -> Vec<Message> {
        self.refresh();
        self.events
            .iter()
            .filter(|e| e["event"] == "message" && e["label"] == label)
            .map(|e| {
                let binary = e["binary"].as_bool().expect("binary flag");
                let bytes = hex::decode(e["hex"].as_str().expect("hex payload")).expect("hex");
                (binary, bytes)
            })
            .collect()
    }

    async fn wait_messages(&mut self, label: &str, count: usize) -> Vec<Message> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let messages = self.messages(label);
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "aiortc received {} of {count} messages on {label:?}; it said:\n{}",
                messages.len(),
                self.process.output()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

// ---------------------------------------------------------------------------------------
// The oxrtc side.

#[derive(Debug)]
enum ChannelEvent {
    Open,
    Message(DataChannelMessage),
    Close,
}

/// A data channel with its callbacks turned into a queue the test awaits.
struct Channel {
    dc: RtcDataChannel,
    events: mpsc::UnboundedReceiver<ChannelEvent>,
}

/// Registers the callbacks at once, so nothing that arrives before the test looks is lost.
fn watch(dc: RtcDataChannel) -> Channel {
    let (tx, events) = mpsc::unbounded_channel();
    let on_open = tx.clone();
    dc.on_open(move || {
        let _ = on_open.send(ChannelEvent::Open);
    });
    let on_message = tx.clone();
    dc.on_message(move |message| {
        let _ = on_message.send(ChannelEvent::Message(message));
    });
    dc.on_close(move || {
        let _ = tx.send(ChannelEvent::Close);
    });
    Channel { dc, events }
}

impl Channel {
    async fn next_event(&mut self, what: &str) -> ChannelEvent {
        match tokio::time::timeout(STEP_TIMEOUT, self.events.recv()).await {
            Ok(Some(event)) => event,
            Ok(None) => panic!("channel {:?}: callbacks dropped", self.dc.label()),
            Err(_) => panic!(
                "channel {:?}: no {what} within {STEP_TIMEOUT:?} (state {:?})",
                self.dc.label(),
                self.dc.ready_state()
            ),
        }
    }

    async fn wait_open(&mut self) {
        match self.next_event("open").await {
            ChannelEvent::Open => {}
            other => panic!("channel {:?}: {other:?} before open", self.dc.label()),
        }
    }

    /// The next message, as (binary, bytes).
    async fn next_message(&mut self) -> Message {
        match self.next_event("message").await {
            ChannelEvent::Message(message) => (!message.is_string, message.data.to_vec()),
            other => panic!(
                "channel {:?}: {other:?} where a message was due",
                self.dc.label()
            ),
        }
    }

    async fn messages(&mut self, count: usize) -> Vec<Message> {
        let mut messages = Vec::with_capacity(count);
        for _ in 0..count {
            messages.push(self.next_message().await);
        }
        messages
    }

    async fn wait_closed(&mut self) {
        loop {
            match self.next_event("close").await {
                ChannelEvent::Close => return,
                ChannelEvent::Message(_) => continue,
                ChannelEvent::Open => panic!("channel {:?}: open after open", self.dc.label()),
            }
        }
    }

    fn send(&self, (binary, bytes): &Message) {
        if *binary {
            self.dc
                .send(Bytes::copy_from_slice(bytes))
                .expect("send binary");
        } else {
            self.dc
                .send_text(std::str::from_utf8(bytes).expect("text is UTF-8"))
                .expect("send text");
        }
    }
}

struct Oxrtc {
    pc: PeerConnection,
    remote_channels: mpsc::UnboundedReceiver<Channel>,
    states: mpsc::UnboundedReceiver<PeerConnectionState>,
}

impl Oxrtc {
    fn new() -> Self {
        let pc = PeerConnection::new(RtcConfiguration {
            bind_addresses: vec!["127.0.0.1:0".parse().unwrap()],
            ..Default::default()
        })
        .expect("PeerConnection::new");
        let (channel_tx, remote_channels) = mpsc::unbounded_channel();
        pc.on_data_channel(move |dc| {
            let _ = channel_tx.send(watch(dc));
        });
        let (state_tx, states) = mpsc::unbounded_channel();
        pc.on_connection_state_change(move |state| {
            let _ = state_tx.send(state);
        });
        Self {
            pc,
            remote_channels,
            states,
        }
    }

    fn create_channel(&self, label: &str, init: DataChannelInit) -> Channel {
        watch(
            self.pc
                .create_data_channel(label, init)
                .expect("create_data_channel"),
        )
    }

    async fn next_remote_channel(&mut self) -> Channel {
        match tokio::time::timeout(STEP_TIMEOUT, self.remote_channels.recv()).await {
            Ok(Some(channel)) => channel,
            Ok(None) => panic!("on_data_channel callback dropped"),
            Err(_) => panic!("on_data_channel did not fire within {STEP_TIMEOUT:?}"),
        }
    }

    async fn wait_connected(&mut self) {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, self.states.recv()).await {
                Ok(Some(PeerConnectionState::Connected)) => return,
                Ok(Some(PeerConnectionState::Failed | PeerConnectionState::Closed)) => {
                    panic!("oxrtc's connection ended before it connected")
                }
                Ok(Some(_)) => continue,
                Ok(None) => panic!("on_connection_state_change callback dropped"),
                Err(_) => panic!("oxrtc did not reach Connected within {STEP_TIMEOUT:?}"),
            }
        }
    }

    /// Takes a full (non-trickle) local description after setting `description`.
    async fn set_local_and_gather(&self, description: RtcSessionDescription) -> String {
        self.pc
            .set_local_description(description)
            .await
            .expect("set_local_description");
        self.pc.gathering_complete().await;
        let sdp = self
            .pc
            .local_description()
            .expect("a local description once set")
            .sdp;
        assert!(
            sdp.contains(" 127.0.0.1 ") && sdp.contains("typ host"),
            "oxrtc's description has no loopback host candidate:\n{sdp}"
        );
        sdp
    }

    /// oxrtc offers, aiortc answers; returns once both report connected.
    async fn connect_as_offerer(&mut self, aiortc: &mut Aiortc) {
        let offer = self.pc.create_offer().await.expect("create_offer");
        let offer = self.set_local_and_gather(offer).await;
        aiortc.command(json!({"cmd": "answer", "sdp": offer})).await;
        let answer = aiortc.wait_sdp("answer").await;
        assert!(
            answer.contains("a=setup:active"),
            "aiortc's answer:\n{answer}"
        );
        self.pc
            .set_remote_description(RtcSessionDescription::answer(answer))
            .await
            .expect("set_remote_description(answer)");
        self.wait_connected().await;
        aiortc.wait_connected().await;
    }

    /// aiortc offers (creating `channels` first), oxrtc answers; returns once both report
    /// connected.
    async fn connect_as_answerer(&mut self, aiortc: &mut Aiortc, channels: Value) {
        aiortc
            .command(json!({"cmd": "offer", "channels": channels}))
            .await;
        let offer = aiortc.wait_sdp("offer").await;
        self.pc
            .set_remote_description(RtcSessionDescription::offer(offer))
            .await
            .expect("set_remote_description(offer)");
        let answer = self.pc.create_answer().await.expect("create_answer");
        let answer = self.set_local_and_gather(answer).await;
        assert!(
            answer.contains("a=setup:active"),
            "oxrtc's answer:\n{answer}"
        );
        aiortc
            .command(json!({"cmd": "remote_answer", "sdp": answer}))
            .await;
        self.wait_connected().await;
        aiortc.wait_connected().await;
    }
}

fn text(s: &str) -> Message {
    (false, s.as_bytes().to_vec())
}

fn binary(b: &[u8]) -> Message {
    (true, b.to_vec())
}

/// A binary message whose every byte depends on its position, so a reordered or
/// duplicated fragment changes it.
fn patterned_message(len: usize) -> Message {
    let bytes = (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect::<Vec<_>>();
    binary(&bytes)
}

/// One line about a message, short enough for a failure report of 64 KiB messages.
fn describe(message: Option<&Message>) -> String {
    let Some((is_binary, bytes)) = message else {
        return "nothing".to_string();
    };
    let kind = if *is_binary { "binary" } else { "text" };
    let shown = &bytes[..bytes.len().min(16)];
    let more = if bytes.len() > shown.len() { "..." } else { "" };
    format!("{kind} of {} B: {}{more}", bytes.len(), hex::encode(shown))
}

fn assert_same_messages(what: &str, got: &[Message], expected: &[Message]) {
    if got == expected {
        return;
    }
    let first_difference = got
        .iter()
        .zip(expected)
        .position(|(g, e)| g != e)
        .unwrap_or(got.len().min(expected.len()));
    panic!(
        "{what}: {} messages where {} were due; #{first_difference} is {}, expected {}",
        got.len(),
        expected.len(),
        describe(got.get(first_difference)),
        describe(expected.get(first_difference)),
    );
}

/// Sends `messages` on `channel` and checks that aiortc received them, and that its
/// echoes came back, identical and in order.
async fn check_echo(channel: &mut Channel, aiortc: &mut Aiortc, label: &str, messages: &[Message]) {
    let already_seen = aiortc.messages(label).len();
    for message in messages {
        channel.send(message);
    }
    let echoed = channel.messages(messages.len()).await;
    let received = aiortc
        .wait_messages(label, already_seen + messages.len())
        .await;
    assert_same_messages(
        &format!("what aiortc received on {label:?}"),
        &received[already_seen..],
        messages,
    );
    assert_same_messages(
        &format!("what aiortc echoed back on {label:?}"),
        &echoed,
        messages,
    );
}

/// The `a=max-message-size` of a description (RFC 8841: 64 KiB when absent).
fn max_message_size(sdp: &str) -> usize {
    sdp.lines()
        .find_map(|line| line.strip_prefix("a=max-message-size:"))
        .map_or(65536, |size| size.trim().parse().expect("max-message-size"))
}

// ---------------------------------------------------------------------------------------
// The cases.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oxrtc_offers_and_messages_echo_byte_for_byte() {
    within_time_limit(async {
        let Some(mut aiortc) = Aiortc::start().await else {
            return;
        };
        let mut ox = Oxrtc::new();
        let mut chat = ox.create_channel(
            "chat",
            DataChannelInit {
                protocol: "chat-v1".into(),
                ..Default::default()
            },
        );
        ox.connect_as_offerer(&mut aiortc).await;

        chat.wait_open().await;
        let announced = aiortc.wait_named("channel", "chat").await;
        assert_eq!(announced["protocol"], "chat-v1", "{announced}");
        assert_eq!(announced["ordered"], true, "{announced}");
        assert_eq!(announced["negotiated"], false, "{announced}");
        let id = chat.dc.id().expect("an open channel has an id");
        assert_eq!(announced["id"], id, "both sides name the same stream");
        // aiortc answered `active` (DTLS client), so we are the DTLS server: odd ids.
        assert_eq!(id % 2, 1, "the DTLS server's channel id {id} must be odd");

        let messages = [
            text("hello"),
            text("héllo ✓ — UTF-8"),
            binary(&[0, 1, 2, 0xfe, 0xff]),
            text(""),
            binary(&[]),
            patterned_message(64 * 1024),
            text("after the large one"),
        ];
        check_echo(&mut chat, &mut aiortc, "chat", &messages).await;

        // The largest message both ends accept goes through; one byte more is refused
        // by `send` rather than cut or dropped on the wire.
        let local = ox.pc.local_description().expect("offer").sdp;
        let remote = ox.pc.remote_description().expect("answer").sdp;
        let largest = max_message_size(&local).min(max_message_size(&remote));
        check_echo(
            &mut chat,
            &mut aiortc,
            "chat",
            &[patterned_message(largest)],
        )
        .await;
        match chat.dc.send(Bytes::from(vec![0; largest + 1])) {
            Err(Error::MessageTooLarge { size, max }) => {
                assert_eq!((size, max), (largest + 1, largest))
            }
            other => panic!(
                "sending {} B where {largest} is the limit: {other:?}",
                largest + 1
            ),
        }

        let small: Vec<_> = (0..100)
            .map(|i| {
                if i % 2 == 0 {
                    text(&format!("message {i}"))
                } else {
                    binary(&(i as u32).to_be_bytes())
                }
            })
            .collect();
        check_echo(&mut chat, &mut aiortc, "chat", &small).await;

        ox.pc.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aiortc_offers_and_on_data_channel_reports_its_channels() {
    within_time_limit(async {
        let Some(mut aiortc) = Aiortc::start().await else {
            return;
        };
        let mut ox = Oxrtc::new();
        ox.connect_as_answerer(
            &mut aiortc,
            json!([
                {"label": "from-aiortc", "protocol": "proto-x"},
                {"label": "loose", "ordered": false, "max_packet_life_time": 500},
            ]),
        )
        .await;

        let mut first = ox.next_remote_channel().await;
        let mut second = ox.next_remote_channel().await;
        if first.dc.label() != "from-aiortc" {
            std::mem::swap(&mut first, &mut second);
        }
        assert_eq!(first.dc.label(), "from-aiortc");
        assert_eq!(first.dc.protocol(), "proto-x");
        assert!(first.dc.ordered());
        assert_eq!(first.dc.max_retransmits(), None);
        assert_eq!(first.dc.max_packet_life_time(), None);
        assert!(!first.dc.negotiated());
        assert_eq!(second.dc.label(), "loose");
        assert_eq!(second.dc.protocol(), "");
        assert!(!second.dc.ordered());
        assert_eq!(second.dc.max_packet_life_time(), Some(500));
        assert_eq!(second.dc.max_retransmits(), None);
        first.wait_open().await;
        second.wait_open().await;

        for (channel, label) in [(&first, "from-aiortc"), (&second, "loose")] {
            let opened = aiortc.wait_named("open", label).await;
            let id = channel.dc.id().expect("an announced channel has an id");
            assert_eq!(opened["id"], id, "both sides name the same stream");
            // aiortc, the offerer, is the DTLS server (we answered active): odd ids.
            assert_eq!(id % 2, 1, "aiortc's channel id {id} must be odd");
        }

        // oxrtc -> aiortc -> echo -> oxrtc.
        check_echo(
            &mut first,
            &mut aiortc,
            "from-aiortc",
            &[text("to aiortc"), binary(&[9; 1500]), text("")],
        )
        .await;
        check_echo(&mut second, &mut aiortc, "loose", &[binary(b"unordered")]).await;

        // aiortc -> oxrtc (oxrtc does not echo, so this is aiortc's own message).
        aiortc
            .command(json!({"cmd": "send", "label": "from-aiortc", "text": "from aiortc ✓"}))
            .await;
        aiortc
            .command(json!({"cmd": "send", "label": "from-aiortc", "hex": "00ff00ff"}))
            .await;
        assert_eq!(first.next_message().await, text("from aiortc ✓"));
        assert_eq!(first.next_message().await, binary(&[0, 0xff, 0, 0xff]));

        // As answerer we are the DTLS client (setup:active), so our channels take even ids.
        let mut ours = ox.create_channel("from-oxrtc", DataChannelInit::default());
        ours.wait_open().await;
        let announced = aiortc.wait_named("channel", "from-oxrtc").await;
        let id = ours.dc.id().expect("an open channel has an id");
        assert_eq!(announced["id"], id, "both sides name the same stream");
        assert_eq!(id % 2, 0, "the DTLS client's channel id {id} must be even");
        check_echo(
            &mut ours,
            &mut aiortc,
            "from-oxrtc",
            &[text("answerer's own")],
        )
        .await;

        ox.pc.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_opened_by_either_side_on_a_live_association() {
    within_time_limit(async {
        let Some(mut aiortc) = Aiortc::start().await else {
            return;
        };
        let mut ox = Oxrtc::new();
        let mut first = ox.create_channel("first", DataChannelInit::default());
        ox.connect_as_offerer(&mut aiortc).await;
        first.wait_open().await;

        // DCEP OPEN from oxrtc on the established association.
        let mut late = ox.create_channel(
            "late-oxrtc",
            DataChannelInit {
                protocol: "late".into(),
                ..Default::default()
            },
        );
        late.wait_open().await;
        let announced = aiortc.wait_named("channel", "late-oxrtc").await;
        assert_eq!(announced["protocol"], "late", "{announced}");
        assert_eq!(announced["id"], late.dc.id().expect("open channel id"));
        assert_ne!(late.dc.id(), first.dc.id());
        check_echo(
            &mut late,
            &mut aiortc,
            "late-oxrtc",
            &[text("late"), binary(b"late")],
        )
        .await;

        // DCEP OPEN from aiortc on the established association.
        aiortc
            .command(json!({"cmd": "channel", "label": "late-aiortc", "protocol": "theirs"}))
            .await;
        let opened = aiortc.wait_named("open", "late-aiortc").await;
        let mut theirs = ox.next_remote_channel().await;
        assert_eq!(theirs.dc.label(), "late-aiortc");
        assert_eq!(theirs.dc.protocol(), "theirs");
        theirs.wait_open().await;
        let id = theirs.dc.id().expect("announced channel id");
        assert_eq!(opened["id"], id);
        // aiortc answered, so it is the DTLS client: even ids.
        assert_eq!(id % 2, 0, "aiortc's channel id {id} must be even");
        check_echo(
            &mut theirs,
            &mut aiortc,
            "late-aiortc",
            &[text("both ways")],
        )
        .await;

        // Twenty opens in one burst: each is announced with its own stream id.
        let mut burst: Vec<_> = (0..20)
            .map(|i| ox.create_channel(&format!("burst-{i}"), DataChannelInit::default()))
            .collect();
        let mut ids = std::collections::BTreeSet::new();
        for (i, channel) in burst.iter_mut().enumerate() {
            channel.wait_open().await;
            let announced = aiortc.wait_named("channel", &format!("burst-{i}")).await;
            let id = channel.dc.id().expect("open channel id");
            assert_eq!(announced["id"], id, "both sides name the same stream");
            assert!(ids.insert(id), "stream id {id} given twice");
        }
        check_echo(&mut burst[19], &mut aiortc, "burst-19", &[text("last")]).await;

        // The first channel still works after all the opens.
        check_echo(&mut first, &mut aiortc, "first", &[text("still here")]).await;

        ox.pc.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unordered_unreliable_and_pre_negotiated_channels() {
    within_time_limit(async {
        let Some(mut aiortc) = Aiortc::start().await else {
            return;
        };
        let mut ox = Oxrtc::new();
        let mut lossy = ox.create_channel(
            "lossy",
            DataChannelInit {
                ordered: false,
                max_retransmits: Some(0),
                ..Default::default()
            },
        );
        let mut agreed = ox.create_channel(
            "agreed",
            DataChannelInit {
                negotiated: Some(42),
                ..Default::default()
            },
        );
        // aiortc's half of the pre-negotiated channel, created before it answers.
        aiortc
            .command(json!({"cmd": "channel", "label": "agreed", "negotiated": 42}))
            .await;
        ox.connect_as_offerer(&mut aiortc).await;

        lossy.wait_open().await;
        let announced = aiortc.wait_named("channel", "lossy").await;
        assert_eq!(announced["ordered"], false, "{announced}");
        assert_eq!(announced["max_retransmits"], 0, "{announced}");
        assert_eq!(
            announced["max_packet_life_time"],
            Value::Null,
            "{announced}"
        );

        // Loopback loses nothing, so every message must arrive; unordered delivery may
        // reorder them, so compare them sorted.
        let sent: Vec<_> = (0..20u8).map(|i| binary(&[i; 100])).collect();
        for message in &sent {
            lossy.send(message);
        }
        let mut echoed = lossy.messages(sent.len()).await;
        let mut received = aiortc.wait_messages("lossy", sent.len()).await;
        echoed.sort();
        received.sort();
        assert_same_messages(
            "what aiortc received on the unordered channel",
            &received,
            &sent,
        );
        assert_same_messages("what came back on the unordered channel", &echoed, &sent);

        agreed.wait_open().await;
        assert_eq!(agreed.dc.id(), Some(42));
        assert!(agreed.dc.negotiated());
        let opened = aiortc.wait_named("open", "agreed").await;
        assert_eq!(opened["id"], 42);
        check_echo(
            &mut agreed,
            &mut aiortc,
            "agreed",
            &[text("pre-negotiated"), binary(&[42; 42])],
        )
        .await;

        // Neither side announced the pre-negotiated channel in band.
        aiortc.refresh();
        assert!(
            !aiortc
                .events
                .iter()
                .any(|e| e["event"] == "channel" && e["label"] == "agreed"),
            "aiortc saw a DCEP OPEN for the negotiated channel"
        );
        assert!(
            ox.remote_channels.try_recv().is_err(),
            "on_data_channel fired for a pre-negotiated channel"
        );

        ox.pc.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_channel_and_the_connection() {
    within_time_limit(async {
        let Some(mut aiortc) = Aiortc::start().await else {
            return;
        };
        let mut ox = Oxrtc::new();
        let mut ours = ox.create_channel("closed-by-oxrtc", DataChannelInit::default());
        let mut theirs_here = ox.create_channel("closed-by-aiortc", DataChannelInit::default());
        let mut both = ox.create_channel("closed-by-both", DataChannelInit::default());
        let mut kept = ox.create_channel("kept", DataChannelInit::default());
        ox.connect_as_offerer(&mut aiortc).await;
        for channel in [&mut ours, &mut theirs_here, &mut both, &mut kept] {
            channel.wait_open().await;
        }
        for label in ["closed-by-aiortc", "closed-by-both"] {
            aiortc.wait_named("channel", label).await;
        }

        // oxrtc closes: aiortc sees the stream reset and closes its end.
        // The close comes right behind 50 queued messages: the stream is reset only after
        // they are sent (RFC 8831 6.7), so aiortc receives every one before the close.
        check_echo(&mut ours, &mut aiortc, "closed-by-oxrtc", &[text("bye")]).await;
        let in_flight: Vec<_> = (0..50).map(|i| binary(&[i; 3000])).collect();
        for message in &in_flight {
            ours.send(message);
        }
        ours.dc.close();
        aiortc.wait_named("close", "closed-by-oxrtc").await;
        let received = aiortc.messages("closed-by-oxrtc");
        assert_same_messages(
            "what aiortc received before the close",
            &received[1..],
            &in_flight,
        );
        ours.wait_closed().await;

        // aiortc closes: oxrtc's close callback fires.
        aiortc
            .command(json!({"cmd": "close_channel", "label": "closed-by-aiortc"}))
            .await;
        theirs_here.wait_closed().await;
        aiortc.wait_named("close", "closed-by-aiortc").await;

        // Both ends close one channel at once: each sees it closed, once.
        aiortc
            .command(json!({"cmd": "close_channel", "label": "closed-by-both"}))
            .await;
        both.dc.close();
        both.wait_closed().await;
        aiortc.wait_named("close", "closed-by-both").await;

        // The other channel is untouched by the resets (and its round trip gives a
        // duplicate close time to show).
        check_echo(&mut kept, &mut aiortc, "kept", &[text("still open")]).await;
        for channel in [&mut ours, &mut theirs_here, &mut both] {
            if let Ok(event) = channel.events.try_recv() {
                panic!(
                    "channel {:?}: {event:?} after its close",
                    channel.dc.label()
                );
            }
        }
        aiortc.refresh();
        for label in ["closed-by-oxrtc", "closed-by-aiortc", "closed-by-both"] {
            let closes = aiortc
                .events
                .iter()
                .filter(|e| e["event"] == "close" && e["label"] == label)
                .count();
            assert_eq!(closes, 1, "aiortc closed {label:?} {closes} times");
        }

        // Closing the connection ends aiortc's: its state leaves `connected` promptly.
        let closed_at = Instant::now();
        ox.pc.close().await;
        let state = aiortc
            .wait_event("connection state closed or failed", |e| {
                e["event"] == "state" && (e["state"] == "closed" || e["state"] == "failed")
            })
            .await;
        let took = closed_at.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "aiortc went to {} only after {took:?}",
            state["state"]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_mebibytes_each_way_arrive_whole_and_in_order() {
    within_time_limit(async {
        let Some(mut aiortc) = Aiortc::start().await else {
            return;
        };
        let mut ox = Oxrtc::new();
        let mut bulk = ox.create_channel("bulk", DataChannelInit::default());
        ox.connect_as_offerer(&mut aiortc).await;
        bulk.wait_open().await;

        // Queued all at once, far past any window: oxrtc must buffer and pace it.
        let chunks: Vec<_> = (0..32u8)
            .map(|i| {
                let mut chunk = patterned_message(64 * 1024);
                chunk.1[0] = i;
                chunk
            })
            .collect();
        check_echo(&mut bulk, &mut aiortc, "bulk", &chunks).await;

        // The same from aiortc's side, which oxrtc does not echo.
        for (_, bytes) in &chunks {
            aiortc
                .command(json!({"cmd": "send", "label": "bulk", "hex": hex::encode(bytes)}))
                .await;
        }
        let received = bulk.messages(chunks.len()).await;
        assert_same_messages("what oxrtc received from aiortc", &received, &chunks);

        ox.pc.close().await;
    })
    .await;
}
