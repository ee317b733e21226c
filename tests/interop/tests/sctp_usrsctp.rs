//! oxrtc-sctp against usrsctp (the SCTP stack inside Firefox), over real UDP on loopback.
//!
//! The peer is `tests/interop/usrsctp/peer.c`: usrsctp in AF_CONN mode with Firefox's
//! socket options, whose packets travel as UDP datagrams to this test instead of through
//! DTLS (RFC 8261 without the DTLS layer), plus a minimal DCEP that acknowledges opens,
//! echoes every message with its PPID and the channel's ordering and reliability, opens
//! channels on command and resets its side of a stream the peer reset. Here each datagram
//! goes straight into an oxrtc [`Association`] and what it writes goes back out, through a
//! forwarder that can drop packets (seeded).
//!
//! Cases: the association started by either side or by both at once (Firefox calls
//! `usrsctp_connect` on both ends), with and without I-DATA (RFC 8260), channels opened
//! from both sides, reliable ordered messages from 0 bytes to 256 KiB, an unordered
//! channel with max-retransmits 0 opened from either side, channel close by stream reset
//! both ways, at once, with a message in flight and for forty channels together, reuse of
//! the stream afterwards, I-DATA interleaving of two channels, the four ways an
//! association ends, and reliable delivery over a lossy link. Every packet's chunk types
//! are counted on the way through, so the tests also check which chunks each side chose.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::UdpSocket;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use oxrtc_interop::require_c_program;
use oxrtc_sctp::{Association, ChannelConfig, Config, Event, LostReason, MessageKind, Reliability};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// The largest message sent: Firefox's and oxrtc's default limit.
const MAX_MESSAGE: usize = 256 * 1024;

/// RFC 9260 §3.2, RFC 8260, RFC 3758, RFC 6525 chunk types, for the wire accounting.
const DATA: u8 = 0;
const I_DATA: u8 = 64;
const RE_CONFIG: u8 = 130;
const FORWARD_TSN: u8 = 192;
const I_FORWARD_TSN: u8 = 194;

/// Directions, as indexes of [`Link::wire`].
const FROM_OX: usize = 0;
const FROM_USRSCTP: usize = 1;

/// Counts the chunks of one SCTP packet by type, parsed here independently of oxrtc:
/// a 12-byte common header, then chunks of type, flags, length, padded to 4 bytes.
fn count_chunks(packet: &[u8], counts: &mut BTreeMap<u8, usize>) {
    let mut at = 12;
    while at + 4 <= packet.len() {
        let len = usize::from(u16::from_be_bytes([packet[at + 2], packet[at + 3]]));
        *counts.entry(packet[at]).or_default() += 1;
        if len < 4 {
            break;
        }
        at += (len + 3) & !3;
    }
}

/// Who sends INIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// oxrtc; usrsctp listens and accepts.
    Oxrtc,
    /// usrsctp; oxrtc only answers.
    Usrsctp,
    /// Both at once, as Firefox does (INIT collision, RFC 9260 §5.2.1).
    Both,
}

/// The usrsctp peer process and what it reported.
struct Peer {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// Every line read so far, in order.
    log: Vec<String>,
}

impl Peer {
    fn command(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("write a command to the usrsctp peer");
        self.stdin.flush().expect("flush the usrsctp peer's stdin");
    }

    fn has(&self, line: &str) -> bool {
        self.log.iter().any(|l| l == line)
    }

    fn starting(&self, prefix: &str) -> Vec<&str> {
        self.log
            .iter()
            .filter(|l| l.starts_with(prefix))
            .map(String::as_str)
            .collect()
    }

    /// The `msg` lines of one stream: (ppid, length, unordered).
    fn messages(&self, stream: u16) -> Vec<(u32, usize, bool)> {
        self.log
            .iter()
            .filter_map(|l| {
                let mut f = l.strip_prefix("msg ")?.split(' ');
                let sid: u16 = f.next()?.parse().ok()?;
                let ppid = f.next()?.parse().ok()?;
                let len = f.next()?.parse().ok()?;
                let unordered = f.next()? == "1";
                (sid == stream).then_some((ppid, len, unordered))
            })
            .collect()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// oxrtc on one end of a UDP pair, usrsctp on the other.
struct Link {
    label: String,
    udp: UdpSocket,
    ox: Association,
    ox_events: Vec<Event>,
    receive_errors: Vec<String>,
    peer: Peer,
    /// Share of packets dropped each way, in 1/1000 (0 = none).
    loss_per_mille: u32,
    /// Chunks sent by each side (before loss), by type: [`FROM_OX`], [`FROM_USRSCTP`].
    wire: [BTreeMap<u8, usize>; 2],
    /// The association is meant to end: `drive` does not fail on its end.
    ending: bool,
    rng: ChaCha20Rng,
    dropped: usize,
    forwarded: usize,
    buf: Vec<u8>,
}

impl Link {
    /// Starts the usrsctp peer and the association. `None` when usrsctp is not installed
    /// (and interop is not required).
    fn start(start: Start, ox_idata: bool, usrsctp_idata: bool) -> Option<Self> {
        let binary = require_c_program(
            "usrsctp/peer.c",
            &[("usrsctp.h", "libusrsctp-dev")],
            &["usrsctp", "pthread"],
        )?;
        let label = format!("start={start:?} idata(ox={ox_idata}, usrsctp={usrsctp_idata})");
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind UDP on loopback");
        let port = udp.local_addr().expect("local address").port();
        // The DTLS roles decide stream parity (RFC 8832 §6); the initiator plays client.
        let ox_dtls_client = start != Start::Usrsctp;
        let mut child = Command::new(&binary)
            .arg(port.to_string())
            .arg(if start == Start::Oxrtc {
                "listen"
            } else {
                "connect"
            })
            .arg(if usrsctp_idata { "1" } else { "0" })
            .arg(if ox_dtls_client { "0" } else { "1" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the usrsctp peer");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr_pipe = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut all = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr_pipe, &mut all);
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_str(&all);
        });
        let peer = Peer {
            child,
            stdin,
            lines,
            stderr,
            log: Vec::new(),
        };
        let first = peer
            .lines
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| {
                panic!(
                    "{label}: the usrsctp peer did not start: {}",
                    peer.stderr.lock().unwrap_or_else(|e| e.into_inner())
                )
            });
        let peer_port: u16 = first
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{label}: the usrsctp peer said {first:?}, not its port"));
        udp.connect(("127.0.0.1", peer_port))
            .expect("connect UDP to the peer");
        let ox = Association::new(Config {
            dtls_client: ox_dtls_client,
            interleaving: ox_idata,
            // usrsctp 0.9.5 predates RFC 9653: announcing it must change nothing.
            zero_checksum: true,
            max_message_size: MAX_MESSAGE,
            remote_max_message_size: MAX_MESSAGE,
            rng_seed: Some([0x5c; 32]),
            ..Config::default()
        });
        let mut link = Self {
            label,
            udp,
            ox,
            ox_events: Vec::new(),
            receive_errors: Vec::new(),
            peer,
            loss_per_mille: 0,
            wire: [BTreeMap::new(), BTreeMap::new()],
            ending: false,
            rng: ChaCha20Rng::seed_from_u64(0x05c7_9260),
            dropped: 0,
            forwarded: 0,
            buf: Vec::with_capacity(65_536),
        };
        if start != Start::Usrsctp {
            link.ox.connect(Instant::now());
        }
        let expect_idata = ox_idata && usrsctp_idata;
        let want = format!("connected idata={}", u8::from(expect_idata));
        link.drive("association", Duration::from_secs(10), |l| {
            l.ox_events.contains(&Event::Connected)
                && l.peer.log.iter().any(|s| s.starts_with("connected "))
        });
        let connected = link.peer.starting("connected ")[0].to_string();
        assert!(
            connected.starts_with(&want) && connected.contains(" pr=1 reconfig=1 "),
            "{}: usrsctp reports `{connected}`, want `{want} pr=1 reconfig=1 ...`",
            link.label
        );
        assert_eq!(
            link.ox.uses_interleaving(),
            expect_idata,
            "{}: oxrtc's view of I-DATA",
            link.label
        );
        assert!(
            !link.ox.sends_zero_checksum(),
            "{}: usrsctp never announced zero checksum, yet oxrtc omits the CRC32c",
            link.label
        );
        Some(link)
    }

    fn lose(&mut self) -> bool {
        let lost = self.loss_per_mille != 0 && self.rng.next_u32() % 1000 < self.loss_per_mille;
        if lost {
            self.dropped += 1;
        } else {
            self.forwarded += 1;
        }
        lost
    }

    /// One turn: wait for a datagram (at most until oxrtc's next timer or 5 ms), hand in
    /// every datagram available, run timers, send what oxrtc writes, collect events.
    fn step(&mut self) {
        let now = Instant::now();
        let wait = self
            .ox
            .poll_timeout()
            .map_or(Duration::from_millis(5), |t| {
                t.saturating_duration_since(now)
            })
            .clamp(Duration::from_micros(100), Duration::from_millis(5));
        self.udp
            .set_read_timeout(Some(wait))
            .expect("set read timeout");
        let mut packet = vec![0u8; 65_536];
        let mut blocking = true;
        loop {
            match self.udp.recv(&mut packet) {
                Ok(n) => {
                    count_chunks(&packet[..n], &mut self.wire[FROM_USRSCTP]);
                    if !self.lose() {
                        let now = Instant::now();
                        if let Err(e) = self
                            .ox
                            .handle_receive_bytes(now, Bytes::copy_from_slice(&packet[..n]))
                        {
                            self.receive_errors.push(format!("{e} ({n} bytes)"));
                        }
                    }
                    if blocking {
                        self.udp.set_nonblocking(true).expect("non-blocking");
                        blocking = false;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                // ECONNREFUSED from an earlier send: the peer has not bound yet or is gone.
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => break,
                Err(e) => panic!("{}: UDP receive: {e}", self.label),
            }
        }
        if !blocking {
            self.udp.set_nonblocking(false).expect("blocking");
        }
        let now = Instant::now();
        self.ox.handle_timeout(now);
        loop {
            let mut sent = false;
            while let Some(t) = self.ox.poll_transmit(now, &mut self.buf) {
                sent = true;
                count_chunks(&self.buf[..t.size], &mut self.wire[FROM_OX]);
                if !self.lose() {
                    // A refused send means the datagram is lost: SCTP copes.
                    let _ = self.udp.send(&self.buf[..t.size]);
                }
            }
            let mut evented = false;
            while let Some(e) = self.ox.poll_event() {
                evented = true;
                self.ox_events.push(e);
            }
            if !sent && !evented {
                break;
            }
        }
        while let Ok(line) = self.peer.lines.try_recv() {
            self.peer.log.push(line);
        }
    }

    /// Runs until `done`, failing with everything known after `limit`, or at once when
    /// either side reports an error or the end of the association.
    fn drive(&mut self, what: &str, limit: Duration, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + limit;
        loop {
            if done(self) {
                return;
            }
            let broken = !self.ending
                && (self
                    .peer
                    .log
                    .iter()
                    .any(|l| l.starts_with("error") || l.starts_with("lost"))
                    || self
                        .ox_events
                        .iter()
                        .any(|e| matches!(e, Event::ConnectionLost { .. } | Event::Closed)));
            if broken || Instant::now() > deadline {
                self.fail(&format!(
                    "{what}: {}",
                    if broken {
                        "association broken"
                    } else {
                        "deadline passed"
                    }
                ));
            }
            self.step();
        }
    }

    fn fail(&self, why: &str) -> ! {
        let ox_events: Vec<String> = self
            .ox_events
            .iter()
            .map(|e| match e {
                Event::Message {
                    channel,
                    kind,
                    data,
                } => format!("Message({channel}, {kind:?}, {} bytes)", data.len()),
                other => format!("{other:?}"),
            })
            .collect();
        let tail = self.peer.log.len().saturating_sub(40);
        panic!(
            "{}: {why}\n  oxrtc events: {ox_events:?}\n  oxrtc receive errors: {:?}\n  \
             usrsctp said (last 40): {:#?}\n  usrsctp stderr: {}\n  forwarded {} dropped {}",
            self.label,
            self.receive_errors,
            &self.peer.log[tail..],
            self.peer.stderr.lock().unwrap_or_else(|e| e.into_inner()),
            self.forwarded,
            self.dropped,
        );
    }

    fn ox_messages(&self, channel: u16) -> Vec<(MessageKind, Bytes)> {
        self.ox_events
            .iter()
            .filter_map(|e| match e {
                Event::Message {
                    channel: c,
                    kind,
                    data,
                } if *c == channel => Some((*kind, data.clone())),
                _ => None,
            })
            .collect()
    }

    fn ox_closed(&self, channel: u16) -> bool {
        self.ox_events.contains(&Event::ChannelClosed { channel })
    }

    /// oxrtc opens a channel; waits for usrsctp to report the DATA_CHANNEL_OPEN.
    fn ox_open(&mut self, label: &str, ordered: bool, reliability: Reliability) -> u16 {
        let id = self
            .ox
            .open_channel(ChannelConfig {
                label: label.into(),
                ordered,
                reliability,
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("{}: open {label}: {e}", self.label));
        let (kind, param) = match reliability {
            Reliability::Reliable => (0x00, 0),
            Reliability::MaxRetransmits(n) => (0x01, n),
            Reliability::MaxLifetime(d) => (0x02, d.as_millis() as u32),
        };
        let kind = kind | if ordered { 0 } else { 0x80 };
        // usrsctp prints the type with `%#x`, which writes a plain 0 for zero.
        let kind = if kind == 0 {
            "0".to_string()
        } else {
            format!("{kind:#x}")
        };
        let want = format!("opened {id} {kind} {param} {label}");
        self.drive(
            &format!("usrsctp sees `{want}`"),
            Duration::from_secs(5),
            |l| l.peer.has(&want),
        );
        id
    }

    /// Sends `messages` on `channel` and waits for usrsctp's echo of each, then checks
    /// the echo byte for byte, and what usrsctp saw (PPID, length) in order.
    fn echo(
        &mut self,
        what: &str,
        channel: u16,
        messages: &[(MessageKind, Bytes)],
        limit: Duration,
    ) {
        let before = self.ox_messages(channel).len();
        let peer_before = self.peer.messages(channel).len();
        for (kind, data) in messages {
            self.ox
                .send(channel, *kind, data.clone())
                .unwrap_or_else(|e| panic!("{}: send on {channel}: {e}", self.label));
        }
        let want = before + messages.len();
        self.drive(
            &format!("{what}: {} echoes on channel {channel}", messages.len()),
            limit,
            // usrsctp's report of each message comes through a pipe, maybe after the echo.
            |l| {
                l.ox_messages(channel).len() >= want
                    && l.peer.messages(channel).len() >= peer_before + messages.len()
            },
        );
        let got = &self.ox_messages(channel)[before..];
        for (i, ((kind, data), (got_kind, got_data))) in messages.iter().zip(got).enumerate() {
            if (kind, data) != (got_kind, got_data) {
                self.fail(&format!(
                    "{what}: echo {i} is {got_kind:?} of {} bytes, sent {kind:?} of {} bytes{}",
                    got_data.len(),
                    data.len(),
                    if got_data.len() == data.len() {
                        " (contents differ)"
                    } else {
                        ""
                    }
                ));
            }
        }
        // usrsctp saw each message with its PPID and length, in order; on an ordered
        // channel never with the U bit.
        let ordered = self.ox.channel(channel).is_some_and(|c| c.ordered());
        let seen: Vec<(u32, usize, bool)> = self.peer.messages(channel)[peer_before..]
            .iter()
            .map(|&(ppid, len, unordered)| (ppid, len, unordered && ordered))
            .collect();
        let want_seen: Vec<(u32, usize, bool)> = messages
            .iter()
            .map(|(kind, data)| match (kind, data.is_empty()) {
                (MessageKind::Text, false) => (51, data.len(), false),
                (MessageKind::Text, true) => (56, 1, false),
                (MessageKind::Binary, false) => (53, data.len(), false),
                (MessageKind::Binary, true) => (57, 1, false),
            })
            .collect();
        assert_eq!(
            seen, want_seen,
            "{}: {what}: what usrsctp received (ppid, length, unordered on an ordered channel)",
            self.label
        );
    }

    /// oxrtc closes `channel`; both sides must see the stream reset both ways.
    fn ox_close(&mut self, channel: u16) {
        self.ox.close_channel(channel);
        let closed = format!("closed {channel}");
        self.drive(
            &format!("oxrtc closes channel {channel}"),
            Duration::from_secs(5),
            |l| l.ox_closed(channel) && l.peer.has(&closed),
        );
        assert!(
            self.peer.has(&format!("reset-in {channel}")),
            "{}",
            self.label
        );
    }

    /// usrsctp closes `channel` (resets its outgoing stream); oxrtc resets back.
    fn usrsctp_close(&mut self, channel: u16) {
        self.peer.command(&format!("close {channel}"));
        let closed = format!("closed {channel}");
        self.drive(
            &format!("usrsctp closes channel {channel}"),
            Duration::from_secs(5),
            |l| l.ox_closed(channel) && l.peer.has(&closed),
        );
    }

    fn assert_clean(&self) {
        if !self.receive_errors.is_empty() {
            self.fail("oxrtc rejected packets from usrsctp");
        }
        eprintln!(
            "{}: ok; {} packets forwarded, {} dropped, usrsctp reported {} lines; \
             chunks by type from oxrtc {:?}, from usrsctp {:?}",
            self.label,
            self.forwarded,
            self.dropped,
            self.peer.log.len(),
            self.wire[FROM_OX],
            self.wire[FROM_USRSCTP],
        );
    }

    /// Both sides sent user data as I-DATA exactly when it was negotiated, and the
    /// matching kind of FORWARD TSN if any (RFC 8260 §2.2: never mix the two).
    fn assert_data_chunks(&self, idata: bool) {
        let (used, unused) = if idata {
            (I_DATA, DATA)
        } else {
            (DATA, I_DATA)
        };
        let (fwd_unused, fwd_name) = if idata {
            (FORWARD_TSN, "FORWARD TSN")
        } else {
            (I_FORWARD_TSN, "I-FORWARD-TSN")
        };
        for (side, name) in [(FROM_OX, "oxrtc"), (FROM_USRSCTP, "usrsctp")] {
            let counts = &self.wire[side];
            if counts.get(&used).is_none_or(|&n| n == 0) || counts.contains_key(&unused) {
                self.fail(&format!(
                    "{name} sent chunks {counts:?}: want type {used} and never {unused}"
                ));
            }
            if counts.contains_key(&fwd_unused) {
                self.fail(&format!(
                    "{name} sent {fwd_name} on this association: {counts:?}"
                ));
            }
        }
    }
}

/// Deterministic contents: text is ASCII, binary covers all byte values.
fn message(kind: MessageKind, seed: usize, len: usize) -> Bytes {
    (0..len)
        .map(|j| match kind {
            MessageKind::Text => b'a' + ((seed * 7 + j) % 26) as u8,
            MessageKind::Binary => ((seed * 31 + j * 13) ^ (j >> 8)) as u8,
        })
        .collect::<Vec<u8>>()
        .into()
}

/// Sizes around the interesting edges: empty (RFC 8831 §6.6 PPIDs 56/57), one byte, one
/// packet (MTU 1200 minus headers), two packets, 16 KiB (Firefox's send piece), 64 KiB,
/// and 256 KiB (past usrsctp's partial delivery point: arrives in pieces).
const SIZES: [usize; 14] = [
    0,
    0,
    1,
    100,
    1_150,
    1_200,
    1_201,
    4_096,
    16_384,
    16_385,
    65_535,
    65_536,
    100_000,
    MAX_MESSAGE,
];

fn reliable_messages() -> Vec<(MessageKind, Bytes)> {
    SIZES
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            let kind = if i % 2 == 0 {
                MessageKind::Binary
            } else {
                MessageKind::Text
            };
            (kind, message(kind, i, len))
        })
        .collect()
}

/// Everything one association goes through.
fn scenario(start: Start, idata: bool) {
    let Some(mut l) = Link::start(start, idata, idata) else {
        return;
    };
    let odd = start != Start::Usrsctp;

    // A reliable ordered channel opened by oxrtc, echoing 0 B .. 256 KiB.
    let reliable = l.ox_open("ox-reliable", true, Reliability::Reliable);
    assert_eq!(
        reliable % 2,
        u16::from(!odd),
        "{}: oxrtc's stream parity",
        l.label
    );
    l.echo(
        "reliable",
        reliable,
        &reliable_messages(),
        Duration::from_secs(10),
    );

    // A channel opened by usrsctp: it sends a greeting before our ACK; we echo through it.
    l.peer.command("open from-usrsctp 1 -1");
    l.drive("usrsctp opens a channel", Duration::from_secs(5), |l| {
        !l.peer.starting("opening ").is_empty()
            && l.ox_events
                .iter()
                .any(|e| matches!(e, Event::ChannelOpened { label, .. } if label == "from-usrsctp"))
    });
    let theirs: u16 = l.peer.starting("opening ")[0]["opening ".len()..]
        .parse()
        .expect("stream id");
    assert_eq!(
        theirs % 2,
        u16::from(odd),
        "{}: usrsctp's stream parity",
        l.label
    );
    let opened = l
        .ox_events
        .iter()
        .find(|e| matches!(e, Event::ChannelOpened { label, .. } if label == "from-usrsctp"))
        .cloned();
    assert_eq!(
        opened,
        Some(Event::ChannelOpened {
            id: theirs,
            label: "from-usrsctp".into(),
            protocol: String::new(),
            ordered: true,
            reliability: Reliability::Reliable,
            priority: 0,
        }),
        "{}",
        l.label
    );
    l.drive(
        "usrsctp's greeting and our ACK",
        Duration::from_secs(5),
        |l| !l.ox_messages(theirs).is_empty() && l.peer.has(&format!("acked {theirs}")),
    );
    assert_eq!(
        l.ox_messages(theirs),
        vec![(MessageKind::Text, Bytes::from_static(b"hello from usrsctp"))],
        "{}",
        l.label
    );
    let small: Vec<_> = reliable_messages().into_iter().take(9).collect();
    // The greeting is already in the event list; `echo` counts from here.
    l.echo("usrsctp's channel", theirs, &small, Duration::from_secs(5));

    // Unordered, max-retransmits 0: no loss on loopback, so everything arrives, each once.
    let pr = l.ox_open("ox-partial", false, Reliability::MaxRetransmits(0));
    partial_reliable(&mut l, pr, true);

    // Close with a 256 KiB message still queued: it goes out whole before the reset
    // (RFC 8831 §6.7), and usrsctp's echo of it comes back before its reset.
    let (kind, last) = reliable_messages().pop().expect("messages");
    let peer_before = l.peer.log.len();
    l.ox.send(reliable, kind, last.clone())
        .expect("send before close");
    l.ox_close(reliable);
    let after: Vec<&String> = l.peer.log[peer_before..].iter().collect();
    let got_at = after
        .iter()
        .position(|s| **s == format!("msg {reliable} 51 {MAX_MESSAGE} 0"));
    let reset_at = after
        .iter()
        .position(|s| **s == format!("reset-in {reliable}"));
    assert!(
        got_at.is_some() && got_at < reset_at,
        "{}: usrsctp must get the last message before the reset: {after:?}",
        l.label
    );
    assert_eq!(
        l.ox_messages(reliable).last(),
        Some(&(kind, last)),
        "{}: the echo sent before usrsctp's reset",
        l.label
    );
    let closed_at = l
        .ox_events
        .iter()
        .position(|e| *e == Event::ChannelClosed { channel: reliable });
    let echo_at = l
        .ox_events
        .iter()
        .rposition(|e| matches!(e, Event::Message { channel, .. } if *channel == reliable));
    assert!(
        echo_at < closed_at,
        "{}: message after ChannelClosed",
        l.label
    );

    // usrsctp closes its channel; then both close the same channel at once.
    l.usrsctp_close(theirs);
    l.ox.close_channel(pr);
    l.peer.command(&format!("close {pr}"));
    let closed = format!("closed {pr}");
    l.drive("both close at once", Duration::from_secs(5), |l| {
        l.ox_closed(pr) && l.peer.has(&closed)
    });
    for ch in [reliable, theirs, pr] {
        let n = l
            .ox_events
            .iter()
            .filter(|e| **e == Event::ChannelClosed { channel: ch })
            .count();
        assert_eq!(n, 1, "{}: ChannelClosed for {ch} {n} times", l.label);
    }
    assert!(
        l.ox.channel_ids().next().is_none(),
        "{}: channels left open",
        l.label
    );
    // The reset stream carries a new channel from sequence number 0 again.
    let again = l.ox_open("ox-again", true, Reliability::Reliable);
    assert_eq!(again, reliable, "{}: the lowest free id is reused", l.label);
    let some: Vec<_> = reliable_messages().into_iter().skip(2).take(6).collect();
    l.echo("reopened stream", again, &some, Duration::from_secs(5));
    l.assert_data_chunks(idata);
    for side in [FROM_OX, FROM_USRSCTP] {
        assert!(
            l.wire[side].contains_key(&RE_CONFIG),
            "{}: no RE-CONFIG",
            l.label
        );
    }
    l.assert_clean();
}

/// Sends 120 unordered max-retransmits-0 messages and checks each echo is one of them,
/// whole and at most once; with `all`, that every one came back.
fn partial_reliable(l: &mut Link, channel: u16, all: bool) {
    let count = 120;
    let sent: Vec<Bytes> = (0..count)
        .map(|i| {
            let mut m = message(MessageKind::Binary, i + 1000, 8 + (i * 37) % 2_500).to_vec();
            m[..4].copy_from_slice(&(i as u32).to_be_bytes());
            m.into()
        })
        .collect();
    if all {
        // usrsctp's echo of a probe follows its DATA_CHANNEL_ACK on the stream: once it
        // is here, oxrtc knows the channel is acknowledged and sends unordered.
        let probe = (MessageKind::Binary, Bytes::from_static(b"probe"));
        l.echo("probe", channel, &[probe], Duration::from_secs(5));
    }
    let before = l.ox_messages(channel).len();
    let peer_before = l.peer.messages(channel).len();
    for m in &sent {
        l.ox.send(channel, MessageKind::Binary, m.clone())
            .unwrap_or_else(|e| panic!("{}: send: {e}", l.label));
    }
    if all {
        l.drive(
            "all partially reliable echoes",
            Duration::from_secs(5),
            |l| l.ox_messages(channel).len() >= before + count,
        );
    } else {
        // Loss: wait until the echoes stop coming for half a second.
        let start = Instant::now();
        let mut last = (before, Instant::now());
        while start.elapsed() < Duration::from_secs(8) {
            l.step();
            let n = l.ox_messages(channel).len();
            if n != last.0 {
                last = (n, Instant::now());
            } else if last.1.elapsed() > Duration::from_millis(500) && n > before {
                break;
            }
        }
    }
    let got = &l.ox_messages(channel)[before..];
    let mut seen = HashSet::new();
    for (kind, data) in got {
        let index = data
            .get(..4)
            .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")) as usize)
            .filter(|&i| i < count);
        let Some(index) = index else {
            l.fail(&format!(
                "an echo of {} bytes that was never sent",
                data.len()
            ));
        };
        if *kind != MessageKind::Binary || *data != sent[index] {
            l.fail(&format!(
                "echo of message {index} is corrupt ({kind:?}, {} bytes)",
                data.len()
            ));
        }
        if !seen.insert(index) {
            l.fail(&format!("message {index} came back twice"));
        }
    }
    assert!(
        !seen.is_empty(),
        "{}: no partially reliable echo at all",
        l.label
    );
    if all {
        assert_eq!(
            seen.len(),
            count,
            "{}: lost partially reliable messages without loss",
            l.label
        );
        // After the ACK oxrtc sends them unordered (RFC 8832 §6); usrsctp saw the U bit.
        let unordered = l.peer.messages(channel)[peer_before..]
            .iter()
            .filter(|m| m.2)
            .count();
        assert_eq!(
            unordered, count,
            "{}: messages that arrived at usrsctp unordered",
            l.label
        );
    }
}

#[test]
fn oxrtc_initiates() {
    scenario(Start::Oxrtc, false);
}

#[test]
fn oxrtc_initiates_with_idata() {
    scenario(Start::Oxrtc, true);
}

#[test]
fn usrsctp_initiates() {
    scenario(Start::Usrsctp, false);
}

#[test]
fn usrsctp_initiates_with_idata() {
    scenario(Start::Usrsctp, true);
}

#[test]
fn both_initiate_like_firefox() {
    scenario(Start::Both, false);
}

#[test]
fn both_initiate_like_firefox_with_idata() {
    scenario(Start::Both, true);
}

/// I-DATA is used only when both ends announce it (RFC 8260 §2.2).
#[test]
fn idata_on_one_side_only_falls_back_to_data() {
    for (ox_idata, usrsctp_idata) in [(true, false), (false, true)] {
        let Some(mut l) = Link::start(Start::Oxrtc, ox_idata, usrsctp_idata) else {
            return;
        };
        let ch = l.ox_open("fallback", true, Reliability::Reliable);
        let some: Vec<_> = reliable_messages().into_iter().skip(6).take(6).collect();
        l.echo("fallback", ch, &some, Duration::from_secs(5));
        l.assert_clean();
    }
}

/// 3 % of packets dropped each way after the handshake: reliable messages all arrive
/// intact and in order; partially reliable echoes that arrive are intact and unique.
#[test]
fn lossy_link() {
    for idata in [false, true] {
        let Some(mut l) = Link::start(Start::Both, idata, idata) else {
            return;
        };
        l.loss_per_mille = 30;
        let reliable = l.ox_open("lossy", true, Reliability::Reliable);
        let messages: Vec<_> = reliable_messages()
            .into_iter()
            .filter(|(_, m)| m.len() <= 65_536)
            .collect();
        l.echo(
            "lossy reliable",
            reliable,
            &messages,
            Duration::from_secs(12),
        );
        let pr = l.ox_open("lossy-partial", false, Reliability::MaxRetransmits(0));
        partial_reliable(&mut l, pr, false);
        assert!(l.dropped > 0, "{}: nothing was dropped", l.label);
        l.assert_data_chunks(idata);
        l.assert_clean();
    }
}

/// How an association ends, four ways: each side shuts down gracefully or aborts.
#[test]
fn association_end() {
    for how in [
        "ox-shutdown",
        "ox-abort",
        "usrsctp-shutdown",
        "usrsctp-abort",
    ] {
        let Some(mut l) = Link::start(Start::Both, false, false) else {
            return;
        };
        l.label = format!("{} end={how}", l.label);
        // Something in flight first, so the end has data to finish (shutdown) or drop.
        let ch = l.ox_open("ending", true, Reliability::Reliable);
        let some: Vec<_> = reliable_messages().into_iter().skip(4).take(4).collect();
        l.echo("before the end", ch, &some, Duration::from_secs(5));
        l.ending = true;
        let now = Instant::now();
        match how {
            "ox-shutdown" => l.ox.shutdown(now),
            "ox-abort" => l.ox.abort(now, "test over"),
            "usrsctp-shutdown" => l.peer.command("shutdown"),
            _ => l.peer.command("abort"),
        }
        let graceful = how.ends_with("shutdown");
        l.drive(how, Duration::from_secs(5), |l| {
            let ox_done = if graceful {
                l.ox_events.contains(&Event::Closed)
            } else {
                l.ox_events
                    .iter()
                    .any(|e| matches!(e, Event::ConnectionLost { .. }))
            };
            let usrsctp_done = if graceful {
                l.peer.has("lost shutdown")
            } else {
                how == "usrsctp-abort" || l.peer.starting("lost state=2").len() == 1
            };
            ox_done && usrsctp_done
        });
        let ends: Vec<&Event> = l
            .ox_events
            .iter()
            .filter(|e| matches!(e, Event::ConnectionLost { .. } | Event::Closed))
            .collect();
        let right = match (how, ends.as_slice()) {
            ("usrsctp-abort", [Event::ConnectionLost { reason }]) => {
                matches!(reason, LostReason::PeerAborted(_))
            }
            ("ox-abort", [Event::ConnectionLost { reason }]) => *reason == LostReason::LocalAbort,
            (_, [Event::Closed]) => graceful,
            _ => false,
        };
        assert!(right, "{}: oxrtc ended with {ends:?}", l.label);
        assert!(l.ox.is_closed(), "{}", l.label);
        l.assert_clean();
    }
}

/// Two channels at once: a 256 KiB message on one while small ones flow on the other,
/// so with I-DATA the fragments of both streams interleave on the wire (RFC 8260 §1) and
/// usrsctp hands them up interleaved (fragment interleave level 2, as in Firefox).
#[test]
fn two_channels_at_once() {
    for idata in [false, true] {
        let Some(mut l) = Link::start(Start::Both, idata, idata) else {
            return;
        };
        let big = l.ox_open("big", true, Reliability::Reliable);
        let small = l.ox_open("small", true, Reliability::Reliable);
        let large: Vec<_> = (0..3)
            .map(|i| {
                (
                    MessageKind::Binary,
                    message(MessageKind::Binary, 500 + i, MAX_MESSAGE),
                )
            })
            .collect();
        let little: Vec<_> = (0..40)
            .map(|i| {
                (
                    MessageKind::Text,
                    message(MessageKind::Text, 900 + i, 10 + i * 50),
                )
            })
            .collect();
        for (kind, m) in &large {
            l.ox.send(big, *kind, m.clone()).expect("send big");
        }
        for (kind, m) in &little {
            l.ox.send(small, *kind, m.clone()).expect("send small");
        }
        l.drive("both channels echo", Duration::from_secs(10), |l| {
            l.ox_messages(big).len() == large.len() && l.ox_messages(small).len() == little.len()
        });
        assert_eq!(l.ox_messages(big), large, "{}", l.label);
        assert_eq!(l.ox_messages(small), little, "{}", l.label);
        let at = |channel: u16| {
            l.ox_events
                .iter()
                .position(|e| matches!(e, Event::Message { channel: c, .. } if *c == channel))
        };
        if idata {
            // The small messages overtook the large ones: oxrtc interleaved them and
            // usrsctp reassembled both streams side by side.
            assert!(
                at(small) < at(big),
                "{}: no interleaving: first big echo at {:?}, first small at {:?}",
                l.label,
                at(big),
                at(small)
            );
        }
        l.assert_data_chunks(idata);
        l.assert_clean();
    }
}

/// Forty channels closed at once: oxrtc resets them in RE-CONFIG requests of several
/// streams each, usrsctp resets its side of each; all end closed on both sides.
#[test]
fn many_channels_closed_at_once() {
    let Some(mut l) = Link::start(Start::Oxrtc, true, true) else {
        return;
    };
    let ids: Vec<u16> = (0..40)
        .map(|i| l.ox_open(&format!("ch{i}"), i % 2 == 0, Reliability::Reliable))
        .collect();
    for &id in &ids {
        l.ox.send(id, MessageKind::Text, Bytes::from(format!("on {id}")))
            .expect("send");
    }
    l.drive("one echo on each channel", Duration::from_secs(5), |l| {
        ids.iter().all(|&id| l.ox_messages(id).len() == 1)
    });
    for &id in &ids {
        assert_eq!(
            l.ox_messages(id),
            vec![(MessageKind::Text, Bytes::from(format!("on {id}")))],
            "{}",
            l.label
        );
        l.ox.close_channel(id);
    }
    l.drive("all forty closed", Duration::from_secs(10), |l| {
        ids.iter()
            .all(|&id| l.ox_closed(id) && l.peer.has(&format!("closed {id}")))
    });
    assert!(l.ox.channel_ids().next().is_none(), "{}", l.label);
    l.assert_clean();
}

/// usrsctp opens an unordered max-retransmits-0 channel: oxrtc reports its type from the
/// DATA_CHANNEL_OPEN (0x81, RFC 8832 §5.1) and the channel carries messages both ways.
#[test]
fn usrsctp_opens_partially_reliable_channel() {
    let Some(mut l) = Link::start(Start::Usrsctp, true, true) else {
        return;
    };
    l.peer.command("open pr-from-usrsctp 0 0");
    l.drive(
        "usrsctp's channel and greeting",
        Duration::from_secs(5),
        |l| !l.peer.starting("opening ").is_empty() && !l.ox_messages(0).is_empty(),
    );
    assert_eq!(l.peer.starting("opening "), ["opening 0"], "{}", l.label);
    assert!(
        l.ox_events.contains(&Event::ChannelOpened {
            id: 0,
            label: "pr-from-usrsctp".into(),
            protocol: String::new(),
            ordered: false,
            reliability: Reliability::MaxRetransmits(0),
            priority: 0,
        }),
        "{}: {:?}",
        l.label,
        l.ox_events
    );
    assert_eq!(
        l.ox.channel(0).map(|c| (c.ordered(), c.reliability())),
        Some((false, Reliability::MaxRetransmits(0))),
        "{}",
        l.label
    );
    partial_reliable(&mut l, 0, true);
    l.assert_clean();
}
