//! oxrtc-sctp against dcsctp (libwebrtc's SCTP, the one inside Chrome, ported to Rust),
//! in memory under a virtual clock: both as initiator, with and without zero checksum and
//! I-DATA, DCEP channels opened from either side, messages both ways, channel close by
//! stream reset.
//!
//! dcsctp is a bare SCTP socket, so the DCEP side of the dcsctp peer (answering
//! DATA_CHANNEL_OPEN, opening its own channel, resetting a stream back) is written here
//! from RFC 8832 directly.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use dcsctp::api::{
    DcSctpSocket, Message, Options, PpId, SendOptions, SocketEvent, SocketTime, StreamId,
    ZERO_CHECKSUM_ALTERNATE_ERROR_DETECTION_METHOD_LOWER_LAYER_DTLS,
    ZERO_CHECKSUM_ALTERNATE_ERROR_DETECTION_METHOD_NONE,
};
use oxrtc_sctp::{Association, ChannelConfig, Config, Event, MessageKind, Reliability};

const LATENCY: Duration = Duration::from_millis(2);

struct Peers {
    start: Instant,
    now: Instant,
    ox: Association,
    dc: Box<dyn DcSctpSocket>,
    /// In flight: (due, packet).
    to_dc: VecDeque<(Instant, Vec<u8>)>,
    to_ox: VecDeque<(Instant, Vec<u8>)>,
    ox_events: Vec<Event>,
    dc_events: Vec<SocketEvent>,
    dc_messages: Vec<Message>,
    dc_ready: usize,
    buf: Vec<u8>,
    /// Drop every n-th packet each way (0 = none), to exercise retransmission paths.
    drop_every: usize,
    sent: usize,
}

impl Peers {
    fn new(zero_checksum: bool, interleaving: bool, ox_is_dtls_client: bool) -> Self {
        let start = Instant::now();
        let ox = Association::new(Config {
            dtls_client: ox_is_dtls_client,
            zero_checksum,
            interleaving,
            rng_seed: Some([7; 32]),
            ..Config::default()
        });
        let options = Options {
            enable_message_interleaving: interleaving,
            zero_checksum_alternate_error_detection_method: if zero_checksum {
                ZERO_CHECKSUM_ALTERNATE_ERROR_DETECTION_METHOD_LOWER_LAYER_DTLS
            } else {
                ZERO_CHECKSUM_ALTERNATE_ERROR_DETECTION_METHOD_NONE
            },
            ..Options::default()
        };
        let dc = dcsctp::new_socket("dcsctp", &options);
        Self {
            start,
            now: start,
            ox,
            dc,
            to_dc: VecDeque::new(),
            to_ox: VecDeque::new(),
            ox_events: Vec::new(),
            dc_events: Vec::new(),
            dc_messages: Vec::new(),
            dc_ready: 0,
            buf: Vec::new(),
            drop_every: 0,
            sent: 0,
        }
    }

    fn socket_time(&self) -> SocketTime {
        SocketTime::zero() + (self.now - self.start)
    }

    fn lose(&mut self) -> bool {
        self.sent += 1;
        self.drop_every != 0 && self.sent.is_multiple_of(self.drop_every)
    }

    fn flush(&mut self) {
        let now = self.now;
        while self.ox.poll_transmit(now, &mut self.buf).is_some() {
            if !self.lose() {
                self.to_dc.push_back((now + LATENCY, self.buf.clone()));
            }
        }
        while let Some(e) = self.ox.poll_event() {
            self.ox_events.push(e);
        }
        while let Some(e) = self.dc.poll_event() {
            match e {
                SocketEvent::SendPacket(p) => {
                    if !self.lose() {
                        self.to_ox.push_back((now + LATENCY, p));
                    }
                }
                SocketEvent::OnIncomingStreamReset(streams) => {
                    // RFC 8831 §6.7: answer the peer's reset by resetting our side.
                    self.dc.reset_streams(&streams).expect("reset back");
                    self.dc_events
                        .push(SocketEvent::OnIncomingStreamReset(streams));
                }
                other => self.dc_events.push(other),
            }
        }
        while let Some(m) = self.dc.get_next_message() {
            if m.ppid == PpId(50) && m.payload.first() == Some(&3) {
                // DATA_CHANNEL_OPEN: answer with DATA_CHANNEL_ACK on the same stream.
                let ack = Message::new(m.stream_id, PpId(50), vec![2]);
                self.dc.send(ack, &SendOptions::default()).expect("ack");
            }
            self.dc_ready += 1;
            self.dc_messages.push(m);
        }
    }

    fn step(&mut self) -> bool {
        self.flush();
        let dc_timeout = self.dc.poll_timeout();
        let dc_at = (dc_timeout != SocketTime::infinite_future())
            .then(|| self.start + (dc_timeout - SocketTime::zero()));
        let next = [
            self.ox.poll_timeout(),
            dc_at,
            self.to_dc.front().map(|p| p.0),
            self.to_ox.front().map(|p| p.0),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else {
            return false;
        };
        self.now = self.now.max(next);
        let now = self.now;
        while self.to_dc.front().is_some_and(|p| p.0 <= now) {
            let (_, p) = self.to_dc.pop_front().expect("checked");
            self.dc.handle_input(&p);
        }
        while self.to_ox.front().is_some_and(|p| p.0 <= now) {
            let (_, p) = self.to_ox.pop_front().expect("checked");
            self.ox
                .handle_receive(now, &p)
                .expect("dcsctp packet accepted");
        }
        self.ox.handle_timeout(now);
        let t = self.socket_time();
        self.dc.advance_time(t);
        self.flush();
        true
    }

    fn drive(&mut self, limit: Duration, mut done: impl FnMut(&Peers) -> bool) -> bool {
        let deadline = self.now + limit;
        loop {
            if done(self) {
                return true;
            }
            if self.now > deadline || !self.step() {
                return done(self);
            }
        }
    }

    fn ox_messages(&self, channel: u16) -> Vec<Bytes> {
        self.ox_events
            .iter()
            .filter_map(|e| match e {
                Event::Message {
                    channel: c, data, ..
                } if *c == channel => Some(data.clone()),
                _ => None,
            })
            .collect()
    }

    fn dc_user_messages(&self, stream: u16) -> Vec<Vec<u8>> {
        self.dc_messages
            .iter()
            .filter(|m| m.stream_id == StreamId(stream) && m.ppid != PpId(50))
            .map(|m| m.payload.clone())
            .collect()
    }
}

/// RFC 8832 §5.1 DATA_CHANNEL_OPEN, encoded here independently of oxrtc.
fn data_channel_open(label: &str, protocol: &str, unordered: bool) -> Vec<u8> {
    let mut m = vec![3, if unordered { 0x80 } else { 0 }, 1, 0, 0, 0, 0, 0];
    m.extend_from_slice(&(label.len() as u16).to_be_bytes());
    m.extend_from_slice(&(protocol.len() as u16).to_be_bytes());
    m.extend_from_slice(label.as_bytes());
    m.extend_from_slice(protocol.as_bytes());
    m
}

fn payload(i: usize) -> Vec<u8> {
    const SIZES: [usize; 7] = [1, 100, 1_150, 1_200, 4_000, 30_000, 65_536];
    (0..SIZES[i % SIZES.len()])
        .map(|j| (i * 13 + j) as u8)
        .collect()
}

fn scenario(ox_initiates: bool, zero_checksum: bool, interleaving: bool, drop_every: usize) {
    let label = format!(
        "ox_initiates={ox_initiates} zero_checksum={zero_checksum} idata={interleaving} drop_every={drop_every}"
    );
    let mut p = Peers::new(zero_checksum, interleaving, ox_initiates);
    p.drop_every = drop_every;
    if ox_initiates {
        p.ox.connect(p.now);
    } else {
        p.dc.connect();
    }
    let ok = p.drive(Duration::from_secs(30), |p| {
        p.ox_events.contains(&Event::Connected)
            && p.dc_events
                .iter()
                .any(|e| matches!(e, SocketEvent::OnConnected()))
    });
    assert!(
        ok,
        "{label}: no connection; dcsctp events {:?}",
        p.dc_events
    );
    let metrics = p.dc.get_metrics().expect("connected socket has metrics");
    assert_eq!(metrics.uses_zero_checksum, zero_checksum, "{label}");
    assert_eq!(metrics.uses_message_interleaving, interleaving, "{label}");
    assert_eq!(p.ox.sends_zero_checksum(), zero_checksum, "{label}");
    assert_eq!(p.ox.uses_interleaving(), interleaving, "{label}");

    // oxrtc opens a channel with DCEP; dcsctp (through the code above) acknowledges it.
    let ox_ch =
        p.ox.open_channel(ChannelConfig {
            label: "from-oxrtc".into(),
            protocol: "json".into(),
            ..Default::default()
        })
        .expect("open");
    let sent: Vec<Vec<u8>> = (0..30).map(payload).collect();
    for m in &sent {
        p.ox.send(ox_ch, MessageKind::Binary, Bytes::from(m.clone()))
            .expect("send");
    }
    p.ox.send(ox_ch, MessageKind::Text, Bytes::from_static(b"text"))
        .expect("send");

    // dcsctp opens a channel of the other parity and sends to oxrtc.
    let dc_ch: u16 = if ox_initiates { 1 } else { 0 };
    let open = data_channel_open("from-dcsctp", "", false);
    p.dc.send(
        Message::new(StreamId(dc_ch), PpId(50), open),
        &SendOptions::default(),
    )
    .expect("dcsctp open");
    let back: Vec<Vec<u8>> = (0..20).map(|i| payload(i + 3)).collect();
    for m in &back {
        p.dc.send(
            Message::new(StreamId(dc_ch), PpId(53), m.clone()),
            &SendOptions::default(),
        )
        .expect("dcsctp send");
    }
    // An empty string message travels as PPID 56 with one byte.
    p.dc.send(
        Message::new(StreamId(dc_ch), PpId(56), vec![0]),
        &SendOptions::default(),
    )
    .expect("dcsctp send");

    let ok = p.drive(Duration::from_secs(120), |p| {
        p.dc_user_messages(ox_ch).len() == sent.len() + 1
            && p.ox_messages(dc_ch).len() == back.len() + 1
    });
    assert!(
        ok,
        "{label}: dcsctp got {} of {}, oxrtc got {} of {}",
        p.dc_user_messages(ox_ch).len(),
        sent.len() + 1,
        p.ox_messages(dc_ch).len(),
        back.len() + 1
    );
    // DCEP: dcsctp saw our OPEN with label and protocol; we saw its OPEN and acked it.
    let dc_open = p
        .dc_messages
        .iter()
        .find(|m| m.stream_id == StreamId(ox_ch) && m.ppid == PpId(50))
        .expect("DATA_CHANNEL_OPEN reached dcsctp");
    assert_eq!(dc_open.payload[0], 3);
    assert!(dc_open.payload.ends_with(b"from-oxrtcjson"), "{label}");
    assert!(p.ox_events.iter().any(|e| matches!(
        e,
        Event::ChannelOpened { id, label, .. } if *id == dc_ch && label == "from-dcsctp"
    )));
    assert!(
        p.dc_messages
            .iter()
            .any(|m| m.stream_id == StreamId(dc_ch) && m.ppid == PpId(50) && m.payload == [2]),
        "{label}: our DATA_CHANNEL_ACK"
    );
    // Payloads and PPIDs exactly, in order.
    let mut want = sent.clone();
    want.push(b"text".to_vec());
    assert_eq!(p.dc_user_messages(ox_ch), want, "{label}");
    let ppids: Vec<u32> = p
        .dc_messages
        .iter()
        .filter(|m| m.stream_id == StreamId(ox_ch) && m.ppid != PpId(50))
        .map(|m| m.ppid.0)
        .collect();
    assert!(ppids[..sent.len()].iter().all(|p| *p == 53));
    assert_eq!(ppids[sent.len()], 51);
    let mut want_back: Vec<Bytes> = back.iter().map(|m| Bytes::from(m.clone())).collect();
    want_back.push(Bytes::new());
    assert_eq!(p.ox_messages(dc_ch), want_back, "{label}");

    // An unordered, partially reliable channel also works against dcsctp.
    let pr =
        p.ox.open_channel(ChannelConfig {
            ordered: false,
            reliability: Reliability::MaxRetransmits(3),
            ..Default::default()
        })
        .expect("open");
    p.ox.send(pr, MessageKind::Binary, Bytes::from_static(b"pr"))
        .expect("send");
    let ok = p.drive(Duration::from_secs(30), |p| {
        p.dc_user_messages(pr).len() == 1
    });
    assert!(ok, "{label}: unordered message");

    // Closing resets our outgoing stream; dcsctp resets its side back; both are closed.
    p.ox.close_channel(ox_ch);
    let ok = p.drive(Duration::from_secs(30), |p| {
        p.ox_events
            .contains(&Event::ChannelClosed { channel: ox_ch })
    });
    assert!(ok, "{label}: close; dcsctp events {:?}", p.dc_events);
    assert!(p.dc_events.iter().any(|e| matches!(
        e,
        SocketEvent::OnIncomingStreamReset(s) if s.contains(&StreamId(ox_ch))
    )));

    // And dcsctp closing its channel reaches us as ChannelClosed.
    p.dc.reset_streams(&[StreamId(dc_ch)]).expect("reset");
    let ok = p.drive(Duration::from_secs(30), |p| {
        p.ox_events
            .contains(&Event::ChannelClosed { channel: dc_ch })
    });
    assert!(ok, "{label}: dcsctp-initiated close");
    assert!(
        !p.ox_events
            .iter()
            .any(|e| matches!(e, Event::ConnectionLost { .. })),
        "{label}"
    );
}

#[test]
fn oxrtc_initiates() {
    for zero_checksum in [false, true] {
        for interleaving in [false, true] {
            scenario(true, zero_checksum, interleaving, 0);
        }
    }
}

#[test]
fn dcsctp_initiates() {
    for zero_checksum in [false, true] {
        for interleaving in [false, true] {
            scenario(false, zero_checksum, interleaving, 0);
        }
    }
}

#[test]
fn with_packet_loss_both_ways() {
    for ox_initiates in [true, false] {
        for interleaving in [false, true] {
            scenario(ox_initiates, false, interleaving, 7);
        }
    }
}

#[test]
fn simultaneous_open_with_dcsctp() {
    let mut p = Peers::new(false, true, true);
    p.ox.connect(p.now);
    p.dc.connect();
    let ok = p.drive(Duration::from_secs(30), |p| {
        p.ox_events.contains(&Event::Connected)
            && p.dc_events
                .iter()
                .any(|e| matches!(e, SocketEvent::OnConnected()))
    });
    assert!(ok, "{:?}", p.dc_events);
    let ch = p.ox.open_channel(ChannelConfig::default()).expect("open");
    p.ox.send(ch, MessageKind::Text, Bytes::from_static(b"hi"))
        .expect("send");
    assert!(
        p.drive(Duration::from_secs(10), |p| p.dc_user_messages(ch).len()
            == 1)
    );
}

#[test]
fn graceful_shutdown_with_dcsctp() {
    for ox_closes in [true, false] {
        let mut p = Peers::new(false, false, true);
        p.ox.connect(p.now);
        assert!(p.drive(Duration::from_secs(10), |p| p
            .ox_events
            .contains(&Event::Connected)));
        if ox_closes {
            p.ox.shutdown(p.now);
        } else {
            p.dc.shutdown();
        }
        let ok = p.drive(Duration::from_secs(30), |p| {
            p.ox_events.contains(&Event::Closed)
                && p.dc_events
                    .iter()
                    .any(|e| matches!(e, SocketEvent::OnClosed()))
        });
        assert!(
            ok,
            "ox_closes={ox_closes}: {:?} / {:?}",
            p.ox_events, p.dc_events
        );
    }
}

#[test]
fn early_data_bundled_with_cookie_echo_reaches_dcsctp() {
    for interleaving in [false, true] {
        let mut p = Peers::new(false, interleaving, true);
        let ch =
            p.ox.open_channel(ChannelConfig {
                label: "early".into(),
                ..Default::default()
            })
            .expect("open");
        p.ox.send(ch, MessageKind::Text, Bytes::from_static(b"first"))
            .expect("send");
        p.ox.connect(p.now);
        let ok = p.drive(Duration::from_secs(10), |p| {
            p.dc_user_messages(ch).len() == 1
        });
        assert!(ok, "{:?}", p.dc_events);
        assert_eq!(p.dc_user_messages(ch), vec![b"first".to_vec()]);
        // INIT, INIT ACK, COOKIE ECHO + DATA: three one-way trips.
        assert!(p.now - p.start <= 3 * LATENCY, "{:?}", p.now - p.start);
    }
}
