//! Two sans-IO sessions over a simulated network (loss, reordering, delay) under a
//! virtual clock: whole connections, deterministic from their seeds.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use oxrtc::session::{ChannelId, Session, SessionConfig, SessionEvent, Transmit};
use oxrtc::{
    DataChannelInit, DataChannelState, Error, PeerConnectionState, RtcSessionDescription,
    SignalingState,
};
use oxrtc_netem::{Link, LinkConfig, Packet};

/// A datagram on the simulated wire.
#[derive(Clone)]
struct Wire(Transmit);

impl Packet for Wire {
    fn wire_len(&self) -> usize {
        self.0.data.len()
    }
}

struct Net {
    now: Instant,
    a: Session,
    b: Session,
    a_to_b: Link<Wire>,
    b_to_a: Link<Wire>,
    a_events: Vec<SessionEvent>,
    b_events: Vec<SessionEvent>,
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn session(seed: u8) -> Session {
    Session::new(SessionConfig {
        rng_seed: Some([seed; 32]),
        ..SessionConfig::default()
    })
    .unwrap()
}

impl Net {
    /// Two sessions with one host candidate each, over `link` both ways.
    fn new(link: LinkConfig) -> Self {
        let start = Instant::now();
        let mut a = session(1);
        let mut b = session(2);
        a.add_local_candidate(addr("10.0.0.1:4000")).unwrap();
        b.add_local_candidate(addr("10.0.0.2:5000")).unwrap();
        a.end_of_local_candidates();
        b.end_of_local_candidates();
        let reverse = LinkConfig {
            seed: link.seed + 1,
            ..link.clone()
        };
        Self {
            now: start,
            a,
            b,
            a_to_b: Link::new(link),
            b_to_a: Link::new(reverse),
            a_events: Vec::new(),
            b_events: Vec::new(),
        }
    }

    /// `a` offers, `b` answers, without trickle.
    fn negotiate(&mut self) {
        let offer = self.a.create_offer().unwrap();
        self.a.set_local_description(self.now, offer).unwrap();
        let offer = self.a.local_description().unwrap();
        self.b.set_remote_description(self.now, offer).unwrap();
        let answer = self.b.create_answer().unwrap();
        self.b.set_local_description(self.now, answer).unwrap();
        let answer = self.b.local_description().unwrap();
        self.a.set_remote_description(self.now, answer).unwrap();
    }

    /// Moves packets and time until `done` holds, or fails after `limit` of virtual
    /// time.
    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Net) -> bool) {
        let end = self.now + limit;
        loop {
            self.exchange();
            if done(self) {
                return;
            }
            let Some(next) = self.next_deadline().filter(|t| *t <= end) else {
                panic!(
                    "not done after {limit:?}: a {:?}, b {:?}",
                    self.a.connection_state(),
                    self.b.connection_state()
                );
            };
            self.now = self.now.max(next);
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
        }
    }

    /// The earliest timer of either session or link.
    fn next_deadline(&self) -> Option<Instant> {
        [
            self.a.poll_timeout(),
            self.b.poll_timeout(),
            self.a_to_b.poll_timeout(),
            self.b_to_a.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// `a` opens a "chat" channel, offers, `b` answers; runs until both are connected,
    /// the channel is open at `a` and announced at `b`. Returns the channel on each side.
    fn with_open_channel(link: LinkConfig, limit: Duration) -> (Self, ChannelId, ChannelId) {
        let mut net = Self::new(link);
        let chat = net
            .a
            .create_data_channel(net.now, "chat", &DataChannelInit::default())
            .unwrap();
        net.negotiate();
        net.run_until(limit, |n| {
            n.connected()
                && n.a.channel_info(chat).map(|i| i.state) == Some(DataChannelState::Open)
                && !remote_channels(&n.b_events).is_empty()
        });
        let theirs = remote_channels(&net.b_events)[0];
        (net, chat, theirs)
    }

    /// Moves packets and time for half a second of virtual time.
    fn run_for_a_while(&mut self) {
        let end = self.now + Duration::from_millis(500);
        loop {
            self.exchange();
            let next = self.next_deadline().filter(|t| *t < end);
            self.now = next.unwrap_or(end).max(self.now);
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
            if next.is_none() {
                self.exchange();
                return;
            }
        }
    }

    fn exchange(&mut self) {
        loop {
            let mut moved = false;
            while let Some(Wire(t)) = self.a_to_b.recv(self.now) {
                moved = true;
                self.b.handle_receive(self.now, t.remote, t.local, &t.data);
            }
            while let Some(Wire(t)) = self.b_to_a.recv(self.now) {
                moved = true;
                self.a.handle_receive(self.now, t.remote, t.local, &t.data);
            }
            while let Some(t) = self.a.poll_transmit() {
                moved = true;
                self.a_to_b.send(self.now, Wire(t));
            }
            while let Some(t) = self.b.poll_transmit() {
                moved = true;
                self.b_to_a.send(self.now, Wire(t));
            }
            while let Some(e) = self.a.poll_event() {
                self.a_events.push(e);
            }
            while let Some(e) = self.b.poll_event() {
                self.b_events.push(e);
            }
            if !moved {
                return;
            }
        }
    }

    fn connected(&self) -> bool {
        self.a.connection_state() == PeerConnectionState::Connected
            && self.b.connection_state() == PeerConnectionState::Connected
    }
}

fn messages(events: &[SessionEvent], channel: ChannelId) -> Vec<Bytes> {
    events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::DataChannelMessage(c, m) if *c == channel => Some(m.data.clone()),
            _ => None,
        })
        .collect()
}

fn remote_channels(events: &[SessionEvent]) -> Vec<ChannelId> {
    events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::DataChannel(c) => Some(*c),
            _ => None,
        })
        .collect()
}

fn lossy(seed: u64) -> LinkConfig {
    LinkConfig {
        latency: Duration::from_millis(30),
        jitter: Duration::from_millis(10),
        loss: 0.05,
        reorder: 0.05,
        reorder_delay: Duration::from_millis(15),
        duplicate: 0.01,
        seed,
        ..LinkConfig::default()
    }
}

/// Through loss, reordering and duplication, every message of a reliable ordered
/// channel arrives once, in order; the channel opens on both sides.
#[test]
fn reliable_channel_through_a_lossy_network() {
    for seed in [3, 11, 27] {
        let (mut net, chat, theirs) = Net::with_open_channel(lossy(seed), Duration::from_secs(30));
        assert!(net.connected(), "seed {seed}");
        let sent: Vec<Bytes> = (0..200u32)
            .map(|i| Bytes::from(format!("message {i} {}", "x".repeat(i as usize * 7))))
            .collect();
        for m in &sent {
            net.a.send(net.now, chat, true, m.clone()).unwrap();
        }
        net.run_until(Duration::from_secs(60), |n| {
            messages(&n.b_events, theirs).len() >= sent.len()
        });
        assert_eq!(messages(&net.b_events, theirs), sent, "seed {seed}");
        let bytes: u64 = sent.iter().map(|m| m.len() as u64).sum();
        let (ours, peer) = (net.a.stats(), net.b.stats());
        let a_chat = &ours.data_channels[0];
        assert_eq!((a_chat.messages_sent, a_chat.bytes_sent), (200, bytes));
        let b_chat = &peer.data_channels[0];
        assert_eq!(
            (b_chat.messages_received, b_chat.bytes_received),
            (200, bytes)
        );
        assert_eq!(ours.peer_connection.data_channels_opened, 1);
        assert!(ours.transport.bytes_sent > bytes && peer.transport.bytes_received > bytes);
        assert!(ours.transport.packets_received > 0 && ours.transport.dtls_cipher.is_some());
        assert!(ours.transport.sctp_rtt.is_some());
        assert_eq!(
            ours.candidate_pairs.iter().filter(|p| p.selected).count(),
            1,
            "one selected pair"
        );
        let info = net.b.channel_info(theirs).unwrap();
        assert_eq!(info.label, "chat");
        // RFC 8832 §6: the offerer answered with setup:active by the peer is the DTLS
        // server, so its channels take odd stream ids.
        assert_eq!(info.id.map(|id| id % 2), Some(1));
    }
}

/// Both sides open channels after the connection is up, with the browser's
/// reliability options; each side's ids have its DTLS role's parity.
#[test]
fn channels_opened_on_a_live_connection() {
    let mut net = Net::new(LinkConfig {
        latency: Duration::from_millis(10),
        seed: 5,
        ..LinkConfig::default()
    });
    let first = net
        .a
        .create_data_channel(net.now, "first", &DataChannelInit::default())
        .unwrap();
    net.negotiate();
    net.run_until(Duration::from_secs(10), |n| {
        n.a.channel_info(first).map(|i| i.state) == Some(DataChannelState::Open)
    });
    let unordered = DataChannelInit {
        ordered: false,
        max_retransmits: Some(0),
        protocol: "game".into(),
        ..DataChannelInit::default()
    };
    let from_b = net
        .b
        .create_data_channel(net.now, "from-b", &unordered)
        .unwrap();
    let timed = DataChannelInit {
        max_packet_life_time: Some(500),
        ..DataChannelInit::default()
    };
    let from_a = net
        .a
        .create_data_channel(net.now, "from-a", &timed)
        .unwrap();
    // Open at once on a live association (RFC 8832 §6: data may follow the OPEN).
    assert_eq!(
        net.b.channel_info(from_b).unwrap().state,
        DataChannelState::Open
    );
    net.b
        .send(net.now, from_b, false, Bytes::from_static(b"\x00\x01"))
        .unwrap();
    net.a
        .send(net.now, from_a, true, Bytes::from_static(b"timed"))
        .unwrap();
    net.run_until(Duration::from_secs(10), |n| {
        remote_channels(&n.a_events).len() == 1 && remote_channels(&n.b_events).len() == 2
    });
    let at_a = remote_channels(&net.a_events)[0];
    let info = net.a.channel_info(at_a).unwrap();
    assert_eq!(
        (info.label.as_str(), info.protocol.as_str()),
        ("from-b", "game")
    );
    assert_eq!((info.ordered, info.max_retransmits), (false, Some(0)));
    assert_eq!(
        info.id.map(|id| id % 2),
        Some(0),
        "the DTLS client's ids are even"
    );
    net.run_until(Duration::from_secs(5), |n| {
        !messages(&n.a_events, at_a).is_empty()
    });
    assert_eq!(
        messages(&net.a_events, at_a),
        vec![Bytes::from_static(b"\x00\x01")]
    );
    let at_b = remote_channels(&net.b_events)[1];
    assert_eq!(
        net.b.channel_info(at_b).unwrap().max_packet_life_time,
        Some(500)
    );
    net.run_until(Duration::from_secs(5), |n| {
        !messages(&n.b_events, at_b).is_empty()
    });
}

/// A pre-negotiated channel: both sides create it with the same id, no DCEP, and it
/// carries data both ways; no `DataChannel` event announces it.
#[test]
fn negotiated_channel() {
    let mut net = Net::new(lossy(8));
    let init = DataChannelInit {
        negotiated: Some(7),
        ..DataChannelInit::default()
    };
    let a = net.a.create_data_channel(net.now, "n", &init).unwrap();
    let b = net.b.create_data_channel(net.now, "n", &init).unwrap();
    net.negotiate();
    net.run_until(Duration::from_secs(20), |n| {
        n.a.channel_info(a).map(|i| i.state) == Some(DataChannelState::Open)
            && n.b.channel_info(b).map(|i| i.state) == Some(DataChannelState::Open)
    });
    net.a
        .send(net.now, a, false, Bytes::from_static(b"ab"))
        .unwrap();
    net.b
        .send(net.now, b, false, Bytes::from_static(b"ba"))
        .unwrap();
    net.run_until(Duration::from_secs(20), |n| {
        !messages(&n.a_events, a).is_empty() && !messages(&n.b_events, b).is_empty()
    });
    assert_eq!(messages(&net.b_events, b), vec![Bytes::from_static(b"ab")]);
    assert_eq!(messages(&net.a_events, a), vec![Bytes::from_static(b"ba")]);
    assert!(remote_channels(&net.a_events).is_empty());
    assert!(remote_channels(&net.b_events).is_empty());
    assert_eq!(net.a.channel_info(a).unwrap().id, Some(7));
}

/// Closing a channel closes it on both sides; closing the session makes the peer's
/// ICE lose consent: disconnected, then failed.
#[test]
fn channel_close_and_session_close() {
    let mut net = Net::new(LinkConfig {
        latency: Duration::from_millis(5),
        seed: 9,
        ..LinkConfig::default()
    });
    let chat = net
        .a
        .create_data_channel(net.now, "chat", &DataChannelInit::default())
        .unwrap();
    net.negotiate();
    // Not `with_open_channel`: closing as soon as `b` has the channel, before `a` has
    // seen the association up, is the case where the OPEN is still in flight.
    net.run_until(Duration::from_secs(10), |n| {
        !remote_channels(&n.b_events).is_empty()
    });
    let theirs = remote_channels(&net.b_events)[0];
    net.a.close_data_channel(net.now, chat);
    net.run_until(Duration::from_secs(10), |n| {
        n.a_events.contains(&SessionEvent::DataChannelClose(chat))
            && n.b_events.contains(&SessionEvent::DataChannelClose(theirs))
    });
    assert!(net.a.channel_info(chat).is_none());
    assert!(matches!(
        net.a.send(net.now, chat, true, Bytes::from_static(b"late")),
        Err(Error::InvalidState(_))
    ));

    net.a.close(net.now);
    assert_eq!(net.a.connection_state(), PeerConnectionState::Closed);
    assert_eq!(net.a.signaling_state(), SignalingState::Closed);
    net.run_until(Duration::from_secs(60), |n| {
        n.b.connection_state() == PeerConnectionState::Failed
    });
    assert!(net.b_events.contains(&SessionEvent::ConnectionStateChange(
        PeerConnectionState::Disconnected
    )));
}

/// What a browser refuses, we refuse, with the error the browser would throw.
#[test]
fn jsep_state_errors() {
    let mut s = session(4);
    let now = Instant::now();
    assert!(matches!(s.create_answer(), Err(Error::InvalidState(_))));
    assert!(matches!(
        s.set_remote_description(
            now,
            RtcSessionDescription::answer("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n")
        ),
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        s.set_remote_description(now, RtcSessionDescription::offer("not sdp")),
        Err(Error::Syntax(_))
    ));
    let chat = s
        .create_data_channel(now, "x", &DataChannelInit::default())
        .unwrap();
    assert!(matches!(
        s.send(now, chat, true, Bytes::from_static(b"early")),
        Err(Error::InvalidState(_))
    ));
    // An offer whose credentials are not ours is a modification.
    let offer = s.create_offer().unwrap();
    let forged = RtcSessionDescription::offer(offer.sdp.replace("a=ice-pwd:", "a=ice-pwd:x"));
    assert!(matches!(
        s.set_local_description(now, forged),
        Err(Error::InvalidModification)
    ));
    // The argument-less form applies the last offer; rollback returns to stable.
    s.set_local_description(now, RtcSessionDescription::offer(""))
        .unwrap();
    assert_eq!(s.signaling_state(), SignalingState::HaveLocalOffer);
    s.set_local_description(
        now,
        RtcSessionDescription {
            sdp_type: oxrtc::SdpType::Rollback,
            sdp: String::new(),
        },
    )
    .unwrap();
    assert_eq!(s.signaling_state(), SignalingState::Stable);
    assert!(s.local_description().is_none());
}

/// Trickle: candidates announced after the first setLocalDescription, then `None`;
/// the peer adds them one by one and connects without them in the SDP.
#[test]
fn trickled_candidates_connect() {
    let mut net = Net::new(LinkConfig {
        latency: Duration::from_millis(5),
        seed: 12,
        ..LinkConfig::default()
    });
    let chat = net
        .a
        .create_data_channel(net.now, "chat", &DataChannelInit::default())
        .unwrap();
    let strip = |d: RtcSessionDescription| RtcSessionDescription {
        sdp: d
            .sdp
            .lines()
            .filter(|l| !l.starts_with("a=candidate") && !l.starts_with("a=end-of-candidates"))
            .map(|l| format!("{l}\r\n"))
            .collect(),
        ..d
    };
    let offer = net.a.create_offer().unwrap();
    net.a.set_local_description(net.now, offer).unwrap();
    net.b
        .set_remote_description(net.now, strip(net.a.local_description().unwrap()))
        .unwrap();
    let answer = net.b.create_answer().unwrap();
    net.b.set_local_description(net.now, answer).unwrap();
    net.a
        .set_remote_description(net.now, strip(net.b.local_description().unwrap()))
        .unwrap();
    net.exchange();
    let trickled = |events: &[SessionEvent]| -> Vec<Option<oxrtc::RtcIceCandidateInit>> {
        events
            .iter()
            .filter_map(|e| match e {
                SessionEvent::IceCandidate(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    };
    let from_a = trickled(&net.a_events);
    let from_b = trickled(&net.b_events);
    assert_eq!(from_a.len(), 2, "one candidate, then the end");
    assert!(from_a[1].is_none());
    for c in from_a.into_iter().flatten() {
        net.b.add_ice_candidate(&c).unwrap();
    }
    for c in from_b.into_iter().flatten() {
        net.a.add_ice_candidate(&c).unwrap();
    }
    net.run_until(Duration::from_secs(10), |n| {
        n.a.channel_info(chat).map(|i| i.state) == Some(DataChannelState::Open)
    });
}

/// Whatever arrives on the socket, a connected session keeps working.
#[test]
fn garbage_datagrams_do_not_break_a_connection() {
    let link = LinkConfig {
        latency: Duration::from_millis(5),
        seed: 21,
        ..LinkConfig::default()
    };
    let (mut net, chat, theirs) = Net::with_open_channel(link, Duration::from_secs(10));
    let mut x = 0x1234_5678_9abc_def0u64;
    for len in 0..2000usize {
        let junk: Vec<u8> = (0..len % 300)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let mut junk = junk;
        if let Some(first) = junk.first_mut() {
            // Aim at every demultiplexing branch: STUN, DTLS, RTP.
            *first = [0, 1, 22, 23, 128, 200][len % 6];
        }
        net.b
            .handle_receive(net.now, addr("10.0.0.2:5000"), addr("10.0.0.1:4000"), &junk);
    }
    net.a
        .send(net.now, chat, true, Bytes::from_static(b"still here"))
        .unwrap();
    net.run_until(Duration::from_secs(10), |n| {
        !messages(&n.b_events, theirs).is_empty()
    });
    assert!(net.connected());
}

/// Media both ways over the lossy network: `a` sends VP8 on a send-receive
/// transceiver, `b` answers receive-only with its own sending audio; each side's
/// packets arrive on the right transceiver with the negotiated payload type, and a
/// PLI comes back as a keyframe request.
#[test]
fn media_both_ways() {
    use oxrtc::session::{MediaKind, RtpCodecCapability};
    use oxrtc::Direction;

    let mut net = Net::new(LinkConfig {
        latency: Duration::from_millis(20),
        loss: 0.02,
        seed: 31,
        ..LinkConfig::default()
    });
    let video = net
        .a
        .add_transceiver(
            MediaKind::Video,
            Direction::SendRecv,
            Some(RtpCodecCapability::vp8()),
            ("stream".into(), "camera".into()),
        )
        .unwrap();
    let audio_b = net
        .b
        .add_transceiver(
            MediaKind::Audio,
            Direction::SendOnly,
            Some(RtpCodecCapability::opus()),
            ("b".into(), "mic".into()),
        )
        .unwrap();
    let offer = net.a.create_offer().unwrap();
    assert!(
        offer
            .sdp
            .contains("m=video 9 UDP/TLS/RTP/SAVPF 96 98 102 45\r\n"),
        "{}",
        offer.sdp
    );
    net.negotiate();
    // b answered the video section with a new receive-only transceiver; its audio
    // transceiver found no section (the offer had none) and stays unassociated.
    let answer = net.b.local_description().unwrap().sdp;
    assert!(answer.contains("a=recvonly\r\n"), "{answer}");
    assert!(net.b.transceiver(audio_b).unwrap().mid.is_none());
    net.exchange();
    let tracks: Vec<_> = net
        .b_events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Track(t) => Some(*t),
            _ => None,
        })
        .collect();
    assert_eq!(tracks.len(), 1, "b sees a's video track");
    let remote_video = tracks[0];
    net.run_until(Duration::from_secs(10), |n| n.connected());
    let info = net.a.transceiver(video).unwrap();
    assert_eq!(info.send_payload_type, Some(96));
    for i in 0..100u32 {
        let payload = format!("frame {i}").into_bytes();
        net.a
            .send_rtp(net.now, video, true, i * 3000, &payload)
            .unwrap();
    }
    net.run_for_a_while();
    let received: Vec<(u8, u32, Vec<u8>)> = net
        .b_events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Rtp(t, p) if *t == remote_video => {
                let rtp = oxrtc::rtp::RtpPacket::parse(p).unwrap();
                Some((rtp.payload_type(), rtp.timestamp(), rtp.payload().to_vec()))
            }
            _ => None,
        })
        .collect();
    // 2% loss: most arrive, each intact, with the VP8 payload type.
    assert!(received.len() > 85, "{} of 100", received.len());
    for (pt, ts, payload) in &received {
        assert_eq!(*pt, 96);
        assert_eq!(payload, &format!("frame {}", ts / 3000).into_bytes());
    }
    // a receive-only side cannot send.
    assert!(net
        .b
        .send_rtp(net.now, remote_video, false, 0, b"x")
        .is_err());
    net.b.request_keyframe(net.now, remote_video).unwrap();
    net.run_until(Duration::from_secs(5), |n| {
        n.a_events.contains(&SessionEvent::KeyframeRequest(video))
    });
}

/// ICE restart, from either side: new credentials in the SDP, checks run again, the
/// connection and its channel survive.
#[test]
fn ice_restart_from_either_side() {
    let link = LinkConfig {
        latency: Duration::from_millis(10),
        seed: 41,
        ..LinkConfig::default()
    };
    let (mut net, chat, theirs) = Net::with_open_channel(link, Duration::from_secs(10));
    let ufrag = |s: &Session| {
        let d = s.local_description().unwrap().sdp;
        d.lines()
            .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
            .unwrap()
            .to_owned()
    };
    for round in 0..2 {
        let (before_a, before_b) = (ufrag(&net.a), ufrag(&net.b));
        net.a_events.clear();
        net.b_events.clear();
        if round == 0 {
            net.a.restart_ice();
            net.negotiate();
        } else {
            // b restarts and offers this time.
            net.b.restart_ice();
            let offer = net.b.create_offer().unwrap();
            net.b.set_local_description(net.now, offer).unwrap();
            net.a
                .set_remote_description(net.now, net.b.local_description().unwrap())
                .unwrap();
            let answer = net.a.create_answer().unwrap();
            net.a.set_local_description(net.now, answer).unwrap();
            net.b
                .set_remote_description(net.now, net.a.local_description().unwrap())
                .unwrap();
        }
        assert_ne!(
            ufrag(&net.a),
            before_a,
            "round {round}: a has new credentials"
        );
        assert_ne!(
            ufrag(&net.b),
            before_b,
            "round {round}: b has new credentials"
        );
        net.run_until(Duration::from_secs(10), |n| {
            n.a_events.iter().any(|e| {
                matches!(
                    e,
                    SessionEvent::IceConnectionStateChange(
                        oxrtc::IceConnectionState::Connected | oxrtc::IceConnectionState::Completed
                    )
                )
            })
        });
        let sent = Bytes::from(format!("after restart {round}"));
        net.a.send(net.now, chat, true, sent.clone()).unwrap();
        net.run_until(Duration::from_secs(10), |n| {
            messages(&n.b_events, theirs).contains(&sent)
        });
        assert!(net.connected());
    }
}

/// A peer's mids are its own business: huge numbers or names must not break our
/// numbering of new sections.
#[test]
fn hostile_mids_do_not_break_mid_allocation() {
    use oxrtc::session::{MediaKind, RtpCodecCapability};
    use oxrtc::Direction;

    let mut net = Net::new(LinkConfig::default());
    let init = DataChannelInit::default();
    net.b.create_data_channel(net.now, "x", &init).unwrap();
    let offer = net.b.create_offer().unwrap();
    let hostile = offer
        .sdp
        .replace("a=mid:0", "a=mid:4294967295")
        .replace("a=group:BUNDLE 0", "a=group:BUNDLE 4294967295");
    net.a
        .set_remote_description(net.now, RtcSessionDescription::offer(hostile))
        .unwrap();
    let answer = net.a.create_answer().unwrap();
    assert!(answer.sdp.contains("a=mid:4294967295\r\n"));
    net.a.set_local_description(net.now, answer).unwrap();
    // Renegotiation from our side adds a section: it gets a fresh mid.
    net.a
        .add_transceiver(
            MediaKind::Video,
            Direction::SendRecv,
            Some(RtpCodecCapability::vp8()),
            ("s".into(), "t".into()),
        )
        .unwrap();
    let reoffer = net.a.create_offer().unwrap();
    let mids: Vec<&str> = reoffer
        .sdp
        .lines()
        .filter_map(|l| l.strip_prefix("a=mid:"))
        .collect();
    assert_eq!(mids.len(), 2);
    assert_ne!(mids[0], mids[1]);
}

/// Renegotiation on a live connection: data first, then `a` adds a video track and
/// offers again; the new section rides the same transport and its RTP arrives.
#[test]
fn renegotiation_adds_video_to_a_live_connection() {
    use oxrtc::session::{MediaKind, RtpCodecCapability};
    use oxrtc::Direction;

    let link = LinkConfig {
        latency: Duration::from_millis(10),
        seed: 51,
        ..LinkConfig::default()
    };
    let (mut net, chat, theirs) = Net::with_open_channel(link, Duration::from_secs(10));
    let video = net
        .a
        .add_transceiver(
            MediaKind::Video,
            Direction::SendOnly,
            Some(RtpCodecCapability::vp8()),
            ("s".into(), "camera".into()),
        )
        .unwrap();
    net.negotiate();
    net.exchange();
    let track = net
        .b_events
        .iter()
        .find_map(|e| match e {
            SessionEvent::Track(t) => Some(*t),
            _ => None,
        })
        .expect("b sees the new track");
    for i in 0..10u32 {
        net.a
            .send_rtp(net.now, video, true, i * 3000, b"frame")
            .unwrap();
    }
    net.run_until(Duration::from_secs(5), |n| {
        n.b_events
            .iter()
            .filter(|e| matches!(e, SessionEvent::Rtp(t, _) if *t == track))
            .count()
            == 10
    });
    // The channel still works on the same association.
    net.a
        .send(net.now, chat, true, Bytes::from_static(b"still"))
        .unwrap();
    net.run_until(Duration::from_secs(5), |n| {
        messages(&n.b_events, theirs).contains(&Bytes::from_static(b"still"))
    });
}

/// Server-reflexive gathering: a STUN server seen through a NAT gives a `srflx`
/// candidate (its base as the related address); gathering completes only after it.
/// A server that never answers delays completion until its query times out.
#[test]
fn stun_server_gives_a_server_reflexive_candidate() {
    use oxrtc_ice::stun::BindingServer;

    let stun: SocketAddr = "198.51.100.7:3478".parse().unwrap();
    let host: SocketAddr = "10.0.0.1:4000".parse().unwrap();
    let public: SocketAddr = "203.0.113.9:62000".parse().unwrap();
    for server_answers in [true, false] {
        let mut now = Instant::now();
        let mut s = Session::new(SessionConfig {
            rng_seed: Some([9; 32]),
            stun_servers: vec![stun],
            ..SessionConfig::default()
        })
        .unwrap();
        s.add_local_candidate(host).unwrap();
        s.end_of_local_candidates();
        s.create_data_channel(now, "x", &DataChannelInit::default())
            .unwrap();
        let offer = s.create_offer().unwrap();
        s.set_local_description(now, offer).unwrap();
        assert_ne!(s.ice_gathering_state(), oxrtc::IceGatheringState::Complete);
        let mut server = BindingServer::new();
        for _ in 0..200 {
            s.handle_timeout(now);
            while let Some(t) = s.poll_transmit() {
                assert_eq!((t.local, t.remote), (host, stun));
                if server_answers {
                    // The NAT maps the host candidate to a public address.
                    server.handle_receive(public, &t.data).unwrap();
                }
            }
            while let Some(answer) = server.poll_transmit() {
                assert_eq!(answer.destination, public);
                s.handle_receive(now, host, stun, &answer.contents);
            }
            if s.ice_gathering_state() == oxrtc::IceGatheringState::Complete {
                break;
            }
            now = s.poll_timeout().unwrap_or(now + Duration::from_millis(100));
        }
        assert_eq!(s.ice_gathering_state(), oxrtc::IceGatheringState::Complete);
        let sdp = s.local_description().unwrap().sdp;
        let srflx = "203.0.113.9 62000 typ srflx raddr 10.0.0.1 rport 4000";
        assert_eq!(sdp.contains(srflx), server_answers, "{sdp}");
        assert!(sdp.contains("10.0.0.1 4000 typ host"));
        assert!(sdp.contains("a=end-of-candidates"));
        let trickled: Vec<_> = std::iter::from_fn(|| s.poll_event())
            .filter_map(|e| match e {
                SessionEvent::IceCandidate(c) => Some(c),
                _ => None,
            })
            .collect();
        // host, (srflx,) then the end.
        assert_eq!(trickled.len(), if server_answers { 3 } else { 2 });
        assert!(trickled.last().unwrap().is_none());
    }
}
