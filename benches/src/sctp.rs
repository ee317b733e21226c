//! SCTP association pairs connected in memory (no crypto, no sockets, no loss) for
//! oxrtc-sctp, dcsctp 0.1.16 (libwebrtc's SCTP) and rtc-sctp 0.21 (webrtc-rs).
//!
//! Each `Pair::new` sets an association pair up and warms it with a few 64 KiB messages on
//! stream 0, for the throughput bench ([`Transfer`]). Each `Pair::with_open_channel` sets one
//! up with one data channel open on both sides and leaves it idle (every packet delivered,
//! every SACK sent), for the memory bench; `into_parts` hands over what a connection keeps.
//! oxrtc runs the real DCEP exchange (RFC 8832); dcsctp and rtc-sctp have no DCEP of their
//! own (it lives a layer above them), so the same two messages, DATA_CHANNEL_OPEN and
//! DATA_CHANNEL_ACK, are sent on stream 0 with PPID 50 as the layer above would send them.

use std::collections::VecDeque;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

/// Size of one message of the throughput bench.
pub const MESSAGE: usize = 64 * 1024;
/// Keep at most this much queued on the sender, as an application watching
/// bufferedAmount would.
pub const SEND_CAP: usize = 1 << 20;
/// DATA_CHANNEL_OPEN for a reliable ordered channel with no label or protocol
/// (RFC 8832 §5.1), what `ChannelConfig::default()` makes oxrtc send.
const DCEP_OPEN: [u8; 12] = [0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// DATA_CHANNEL_ACK (RFC 8832 §5.2).
const DCEP_ACK: [u8; 1] = [0x02];
/// PPID of DCEP messages (RFC 8832 §8.1).
const PPID_DCEP: u32 = 50;
/// How far an idle pair's clock jumps so a delayed SACK goes out (it waits 200 ms at
/// most), while heartbeats (every 30 s) stay quiet.
const SETTLE: Duration = Duration::from_secs(1);

/// Moves messages from one side of a pair to the other.
pub trait Transfer {
    /// Sends `messages` messages of [`MESSAGE`] bytes and runs until all arrived.
    fn transfer(&mut self, messages: usize);
}

// ---------------------------------------------------------------- oxrtc

/// oxrtc-sctp.
pub mod ox {
    use super::*;
    use oxrtc_sctp::{Association, ChannelConfig, Config, Event, MessageKind};

    pub struct Pair {
        now: Instant,
        a: Association,
        b: Association,
        channel: u16,
        buf: Vec<u8>,
        payload: Bytes,
    }

    impl Pair {
        fn handshake(zero_checksum: bool) -> Self {
            let now = Instant::now();
            let config = |client: bool, seed: u8| Config {
                dtls_client: client,
                zero_checksum,
                rng_seed: Some([seed; 32]),
                ..Config::default()
            };
            let mut pair = Self {
                now,
                a: Association::new(config(true, 1)),
                b: Association::new(config(false, 2)),
                channel: 0,
                buf: Vec::with_capacity(2048),
                payload: Bytes::from(vec![0x5a; MESSAGE]),
            };
            pair.a.connect(now);
            pair.channel = pair
                .a
                .open_channel(ChannelConfig::default())
                .expect("open channel");
            while !pair.a.is_established() || !pair.b.is_established() {
                pair.pump();
            }
            pair
        }

        /// An established pair with one channel, warmed by four messages.
        pub fn new(zero_checksum: bool) -> Self {
            let mut pair = Self::handshake(zero_checksum);
            pair.transfer(4);
            pair
        }

        /// An established pair with one channel open on both sides after the DCEP
        /// exchange, idle.
        pub fn with_open_channel() -> Self {
            let mut pair = Self::handshake(false);
            while pair.pump().0 {}
            pair.now += SETTLE;
            pair.a.handle_timeout(pair.now);
            pair.b.handle_timeout(pair.now);
            while pair.pump().0 {}
            assert!(pair.a.channel(pair.channel).is_some(), "channel closed");
            assert_eq!(pair.b.channel_ids().count(), 1, "channel not opened");
            pair
        }

        /// The two associations, without the bench's buffers.
        pub fn into_parts(self) -> (Association, Association) {
            (self.a, self.b)
        }

        /// Moves every packet both ways once; returns bytes delivered to b.
        fn pump(&mut self) -> (bool, usize) {
            let now = self.now;
            let mut moved = false;
            // Each packet moves into an owned buffer, as it would leave a DTLS decrypt.
            while self.a.poll_transmit(now, &mut self.buf).is_some() {
                let packet = std::mem::replace(&mut self.buf, Vec::with_capacity(1280));
                let _ = self.b.handle_receive_bytes(now, Bytes::from(packet));
                moved = true;
            }
            while self.b.poll_transmit(now, &mut self.buf).is_some() {
                let packet = std::mem::replace(&mut self.buf, Vec::with_capacity(1280));
                let _ = self.a.handle_receive_bytes(now, Bytes::from(packet));
                moved = true;
            }
            let mut got = 0;
            while let Some(e) = self.b.poll_event() {
                if let Event::Message { data, .. } = e {
                    got += black_box(data).len();
                }
            }
            while self.a.poll_event().is_some() {}
            (moved, got)
        }
    }

    impl Transfer for Pair {
        fn transfer(&mut self, messages: usize) {
            let total = messages * MESSAGE;
            let (mut sent, mut received) = (0, 0);
            while received < total {
                while sent < messages && self.a.buffered_amount(self.channel) < SEND_CAP {
                    self.a
                        .send(self.channel, MessageKind::Binary, self.payload.clone())
                        .expect("send");
                    sent += 1;
                }
                let (moved, got) = self.pump();
                received += got;
                if !moved && got == 0 {
                    // Only a timer (delayed SACK) can make progress: jump to it.
                    let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                        .into_iter()
                        .flatten()
                        .min()
                        .expect("a timer is running");
                    self.now = self.now.max(next);
                    self.a.handle_timeout(self.now);
                    self.b.handle_timeout(self.now);
                }
            }
        }
    }
}

// ---------------------------------------------------------------- dcsctp

/// dcsctp 0.1.16.
pub mod dc {
    use super::*;
    use dcsctp::api::{
        DcSctpSocket, Message, Options, PpId, SendOptions, SocketEvent, SocketTime, StreamId,
    };

    pub struct Pair {
        time: SocketTime,
        a: Box<dyn DcSctpSocket>,
        b: Box<dyn DcSctpSocket>,
    }

    impl Default for Pair {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Pair {
        fn handshake() -> Self {
            let options = Options::default();
            let mut pair = Self {
                time: SocketTime::zero(),
                a: dcsctp::new_socket("a", &options),
                b: dcsctp::new_socket("b", &options),
            };
            pair.a.connect();
            for _ in 0..10 {
                pair.pump();
            }
            pair
        }

        /// An established pair, warmed by four messages on stream 0.
        pub fn new() -> Self {
            let mut pair = Self::handshake();
            pair.transfer(4);
            pair
        }

        /// An established pair that carried DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK on
        /// stream 0, idle.
        pub fn with_open_channel() -> Self {
            let mut pair = Self::handshake();
            let options = SendOptions::default();
            let dcep =
                |payload: &[u8]| Message::new(StreamId(0), PpId(PPID_DCEP), payload.to_vec());
            pair.a.send(dcep(&DCEP_OPEN), &options).expect("send open");
            while pair.pump().1 == 0 {}
            pair.b.send(dcep(&DCEP_ACK), &options).expect("send ack");
            pair.pump();
            let mut acked = false;
            while let Some(m) = pair.a.get_next_message() {
                acked |= m.payload == DCEP_ACK;
            }
            assert!(acked, "DATA_CHANNEL_ACK not delivered");
            while pair.pump().0 {}
            pair.time = pair.time + SETTLE;
            pair.a.advance_time(pair.time);
            pair.b.advance_time(pair.time);
            while pair.pump().0 {}
            pair
        }

        /// The two sockets.
        pub fn into_parts(self) -> (Box<dyn DcSctpSocket>, Box<dyn DcSctpSocket>) {
            (self.a, self.b)
        }

        fn pump(&mut self) -> (bool, usize) {
            let mut moved = false;
            while let Some(e) = self.a.poll_event() {
                if let SocketEvent::SendPacket(p) = e {
                    self.b.handle_input(&p);
                    moved = true;
                }
            }
            while let Some(e) = self.b.poll_event() {
                if let SocketEvent::SendPacket(p) = e {
                    self.a.handle_input(&p);
                    moved = true;
                }
            }
            let mut got = 0;
            while let Some(m) = self.b.get_next_message() {
                got += black_box(m.payload).len();
            }
            (moved, got)
        }
    }

    impl Transfer for Pair {
        fn transfer(&mut self, messages: usize) {
            let total = messages * MESSAGE;
            let (mut sent, mut received) = (0, 0);
            let options = SendOptions::default();
            while received < total {
                while sent < messages && self.a.buffered_amount(StreamId(0)) < SEND_CAP {
                    // dcsctp takes an owned Vec per message.
                    let msg = Message::new(StreamId(0), PpId(53), vec![0x5a; MESSAGE]);
                    self.a.send(msg, &options).expect("send");
                    sent += 1;
                }
                let (moved, got) = self.pump();
                received += got;
                if !moved && got == 0 {
                    let next = self.a.poll_timeout().min(self.b.poll_timeout());
                    self.time = if next > self.time {
                        next
                    } else {
                        self.time + Duration::from_millis(1)
                    };
                    self.a.advance_time(self.time);
                    self.b.advance_time(self.time);
                }
            }
        }
    }
}

// ---------------------------------------------------------------- rtc-sctp

/// rtc-sctp 0.21.
pub mod rtc {
    use super::*;
    use rtc_sctp::{
        Association, AssociationHandle, ClientConfig, DatagramEvent, Endpoint, EndpointConfig,
        Event, Payload, PayloadProtocolIdentifier, ServerConfig, TransportConfig,
    };
    use rtc_shared::TransportProtocol;

    /// One side: its endpoint and the association it holds (webrtc-rs keeps one endpoint
    /// per SCTP transport).
    pub struct Node {
        endpoint: Endpoint,
        peer: SocketAddr,
        handle: Option<AssociationHandle>,
        assoc: Option<Association>,
        timeout: Option<Instant>,
        connected: bool,
    }

    impl Node {
        fn drive(
            &mut self,
            now: Instant,
            inbound: &mut VecDeque<Bytes>,
            outbound: &mut VecDeque<Bytes>,
        ) -> bool {
            let mut worked = false;
            while let Some(data) = inbound.pop_front() {
                worked = true;
                if let Some((handle, event)) = self.endpoint.handle(now, self.peer, None, data) {
                    match event {
                        DatagramEvent::NewAssociation(assoc) => {
                            self.handle = Some(handle);
                            self.assoc = Some(assoc);
                        }
                        DatagramEvent::AssociationEvent(event) => {
                            if let Some(assoc) = self.assoc.as_mut() {
                                assoc.handle_event(event);
                            }
                        }
                        _ => {}
                    }
                }
            }
            let Some(assoc) = self.assoc.as_mut() else {
                return worked;
            };
            if self.timeout.is_some_and(|t| t <= now) {
                self.timeout = None;
                assoc.handle_timeout(now);
            }
            while let Some(event) = assoc.poll() {
                if matches!(event, Event::Connected) {
                    self.connected = true;
                }
            }
            while let Some(event) = assoc.poll_endpoint_event() {
                if let Some(handle) = self.handle {
                    self.endpoint.handle_event(handle, event);
                }
            }
            while let Some(transmit) = assoc.poll_transmit(now) {
                if let Payload::RawEncode(contents) = transmit.message {
                    for content in contents {
                        outbound.push_back(content);
                        worked = true;
                    }
                }
            }
            self.timeout = assoc.poll_timeout();
            worked
        }
    }

    pub struct Pair {
        now: Instant,
        client: Node,
        server: Node,
        c2s: VecDeque<Bytes>,
        s2c: VecDeque<Bytes>,
        accepted: bool,
        read_buf: Vec<u8>,
        payload: Bytes,
    }

    impl Default for Pair {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Pair {
        fn handshake() -> Self {
            let client_addr: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
            let server_addr: SocketAddr = "127.0.0.1:5001".parse().expect("addr");
            let endpoint_config = Arc::new(EndpointConfig::default());
            let mut client = Node {
                endpoint: Endpoint::new(
                    client_addr,
                    TransportProtocol::UDP,
                    endpoint_config.clone(),
                    None,
                ),
                peer: server_addr,
                handle: None,
                assoc: None,
                timeout: None,
                connected: false,
            };
            let server = Node {
                endpoint: Endpoint::new(
                    server_addr,
                    TransportProtocol::UDP,
                    endpoint_config,
                    Some(Arc::new(ServerConfig::new(TransportConfig::default()))),
                ),
                peer: client_addr,
                handle: None,
                assoc: None,
                timeout: None,
                connected: false,
            };
            let now = Instant::now();
            let (handle, assoc) = client
                .endpoint
                .connect(
                    now,
                    ClientConfig::new(TransportConfig::default()),
                    server_addr,
                )
                .expect("connect");
            client.handle = Some(handle);
            client.assoc = Some(assoc);
            let mut pair = Self {
                now,
                client,
                server,
                c2s: VecDeque::new(),
                s2c: VecDeque::new(),
                accepted: false,
                read_buf: vec![0; MESSAGE],
                payload: Bytes::from(vec![0x5a; MESSAGE]),
            };
            while !(pair.client.connected && pair.server.connected) {
                let worked = pair.client.drive(pair.now, &mut pair.s2c, &mut pair.c2s)
                    | pair.server.drive(pair.now, &mut pair.c2s, &mut pair.s2c);
                if !worked {
                    pair.advance();
                }
            }
            pair.client
                .assoc
                .as_mut()
                .expect("client association")
                .open_stream(0, PayloadProtocolIdentifier::Binary)
                .expect("open stream");
            pair
        }

        /// An established pair, warmed by four messages on stream 0.
        pub fn new() -> Self {
            let mut pair = Self::handshake();
            pair.transfer(4);
            pair
        }

        /// Drives both sides at `self.now` until neither moves anything (a timer due by
        /// then fires in `Node::drive`).
        fn drive(&mut self) {
            loop {
                let worked = self.client.drive(self.now, &mut self.s2c, &mut self.c2s)
                    | self.server.drive(self.now, &mut self.c2s, &mut self.s2c);
                if !worked && self.c2s.is_empty() && self.s2c.is_empty() {
                    return;
                }
            }
        }

        /// Reads one message from stream 0 of `node`, if one arrived.
        fn read(node: &mut Node, buf: &mut [u8]) -> Option<usize> {
            let assoc = node.assoc.as_mut().expect("association");
            let mut stream = assoc.stream(0).ok()?;
            let chunks = stream.read_sctp().ok()??;
            Some(chunks.read(buf).expect("read"))
        }

        /// An established pair that carried DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK on
        /// stream 0, idle.
        pub fn with_open_channel() -> Self {
            let mut pair = Self::handshake();
            let dcep = PayloadProtocolIdentifier::Dcep;
            let (now, mut buf) = (pair.now, [0u8; 64]);
            let client = pair.client.assoc.as_mut().expect("client association");
            let mut stream = client.stream(0).expect("stream");
            stream
                .write_sctp(now, &Bytes::from_static(&DCEP_OPEN), dcep)
                .expect("write open");
            pair.drive();
            let server = pair.server.assoc.as_mut().expect("server association");
            pair.accepted = server.accept_stream().is_some();
            assert!(pair.accepted, "stream not accepted");
            let n = Self::read(&mut pair.server, &mut buf).expect("DATA_CHANNEL_OPEN");
            assert_eq!(buf[..n], DCEP_OPEN);
            let server = pair.server.assoc.as_mut().expect("server association");
            let mut stream = server.stream(0).expect("stream");
            stream
                .write_sctp(now, &Bytes::from_static(&DCEP_ACK), dcep)
                .expect("write ack");
            pair.drive();
            let n = Self::read(&mut pair.client, &mut buf).expect("DATA_CHANNEL_ACK");
            assert_eq!(buf[..n], DCEP_ACK);
            pair.now += SETTLE;
            pair.drive();
            pair
        }

        /// The two sides, without the bench's queues and buffers.
        pub fn into_parts(self) -> (Node, Node) {
            (self.client, self.server)
        }

        fn advance(&mut self) {
            let next = [self.client.timeout, self.server.timeout]
                .into_iter()
                .flatten()
                .min();
            self.now = match next {
                Some(t) if t > self.now => t,
                _ => self.now + Duration::from_millis(1),
            };
        }
    }

    impl Transfer for Pair {
        fn transfer(&mut self, messages: usize) {
            let total = messages * MESSAGE;
            let (mut sent, mut received) = (0, 0);
            while received < total {
                let mut wrote = false;
                {
                    let assoc = self.client.assoc.as_mut().expect("client association");
                    let mut stream = assoc.stream(0).expect("stream");
                    while sent < messages && stream.buffered_amount().unwrap_or(0) < SEND_CAP {
                        stream
                            .write_sctp(self.now, &self.payload, PayloadProtocolIdentifier::Binary)
                            .expect("write");
                        sent += 1;
                        wrote = true;
                    }
                }
                let worked = self.client.drive(self.now, &mut self.s2c, &mut self.c2s)
                    | self.server.drive(self.now, &mut self.c2s, &mut self.s2c);
                let mut read = false;
                if let Some(assoc) = self.server.assoc.as_mut() {
                    if !self.accepted {
                        self.accepted = assoc.accept_stream().is_some();
                    }
                    if self.accepted {
                        let mut stream = assoc.stream(0).expect("stream");
                        while let Some(chunks) = stream.read_sctp().unwrap_or(None) {
                            let n = chunks.read(&mut self.read_buf).expect("read");
                            black_box(&self.read_buf[..n]);
                            received += n;
                            read = true;
                        }
                    }
                }
                if !(worked || wrote || read) && self.c2s.is_empty() && self.s2c.is_empty() {
                    self.advance();
                }
            }
        }
    }
}
