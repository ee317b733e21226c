//! The oxrtc side of the media suite (`scripts/peer_browsers/media.js`).
//!
//! - `POST /media/offer?<codec>`: the page offers one track (its fake camera with only
//!   `<codec>` left by `setCodecPreferences`, or its fake microphone for `opus`); oxrtc
//!   answers with a connection that sends every packet back on a [`TrackLocal`] of that
//!   codec, as `examples/reflect.rs` does, and checks what it receives: each packet's
//!   payload type must be negotiated and name the chosen codec. Video is sent back from
//!   the first frame after the first keyframe, so the browser has to ask for a keyframe
//!   and oxrtc to pass the request on.
//! - `GET /media/offer`, `POST /media/answer`: oxrtc offers a receive-only video section
//!   and a data channel; once the browser's camera arrives, oxrtc sends PLIs and checks
//!   that each is followed by a keyframe.
//! - `POST /media/close?<codec>`: the page is done with a case; oxrtc closes it, so the
//!   encoders of finished cases do not compete with the next on a small machine.
//!
//! Progress is reported as events (`reflect-VP8:rtp>=30`, `recvonly:pli-answered-1`)
//! that the page waits for and [`Media::check`] requires at the end.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use oxrtc::rtp::codecs::{
    Av1Depayloader, Depayloader, H264Depayloader, Vp8Depayloader, Vp9Depayloader,
};
use oxrtc::rtp::RtpPacket;
use oxrtc::{
    DataChannelInit, Direction, MediaKind, PeerConnection, RtcDataChannel, RtcSessionDescription,
    RtpCodecCapability, TrackLocal, TrackRemote,
};
use serde_json::{json, Value};

use super::{connection, sdp_of, settle, Browser, Events};

/// The video codecs each browser is tested with. Firefox fetches its H.264 (OpenH264)
/// at run time, which cannot happen here.
pub(super) fn video_codecs(browser: Browser) -> &'static [&'static str] {
    match browser {
        Browser::Chromium => &["VP8", "VP9", "H264", "AV1"],
        Browser::Firefox => &["VP8", "VP9", "AV1"],
    }
}

/// The audio case's name, as the page and the events spell it.
const AUDIO: &str = "opus";

/// Packet counts reported as `<case>:rtp>=<n>` when reached.
const MILESTONES: &[u64] = &[1, 30, 50, 100, 500, 1000];

/// Packets oxrtc must have received in a video case: the page wants 30 decoded frames,
/// and every frame takes at least one packet.
const VIDEO_PACKETS: u64 = 30;

/// The same for audio: 50 packets of 20 ms, one second of sound.
const AUDIO_PACKETS: u64 = 50;

/// PLIs oxrtc sends in the receive-only case, each of which must bring a keyframe.
const PLI_ROUNDS: u32 = 2;

/// Before each PLI, this long without a keyframe, so that the next keyframe answers the
/// PLI rather than the encoder's start or its own schedule.
const QUIET_BEFORE_PLI: Duration = Duration::from_millis(700);

/// How long a PLI may take to bring a keyframe.
const PLI_ANSWER_LIMIT: Duration = Duration::from_secs(3);

fn capability(case: &str) -> Option<RtpCodecCapability> {
    Some(match case {
        "VP8" => RtpCodecCapability::vp8(),
        "VP9" => RtpCodecCapability::vp9(),
        "H264" => RtpCodecCapability::h264(),
        "AV1" => RtpCodecCapability::av1(),
        AUDIO => RtpCodecCapability::opus(),
        _ => return None,
    })
}

fn depayloader(mime_type: &str) -> Option<Box<dyn Depayloader + Send>> {
    let name = mime_type.split_once('/').map_or(mime_type, |(_, n)| n);
    Some(match name.to_ascii_uppercase().as_str() {
        "VP8" => Box::new(Vp8Depayloader::default()),
        "VP9" => Box::new(Vp9Depayloader::default()),
        "H264" => Box::new(H264Depayloader::default()),
        "AV1" => Box::new(Av1Depayloader::default()),
        _ => return None,
    })
}

/// Checks and counts what one remote track delivers: every payload type must be one
/// negotiated for the track, and (when `expected` is given) that of the chosen codec.
struct RtpCheck {
    name: String,
    events: Events,
    remote: TrackRemote,
    expected: Option<String>,
    packets: Arc<AtomicU64>,
    /// Payload types already reported, so each is reported (or blamed) once.
    seen: Vec<u8>,
}

impl RtpCheck {
    /// Parses `packet`; `None` (and an error event) for anything unexpected.
    fn packet<'a>(&mut self, packet: &'a [u8]) -> Option<RtpPacket<'a>> {
        let Ok(rtp) = RtpPacket::parse(packet) else {
            self.events
                .error(format!("{}: a packet that is not RTP", self.name));
            return None;
        };
        let count = self.packets.fetch_add(1, Ordering::Relaxed) + 1;
        let pt = rtp.payload_type();
        if !self.seen.contains(&pt) {
            self.seen.push(pt);
            let Some(codec) = self.remote.codec(pt) else {
                self.events.error(format!(
                    "{}: payload type {pt} is not negotiated (negotiated: {:?})",
                    self.name,
                    self.remote
                        .codecs()
                        .iter()
                        .map(|c| (c.payload_type, c.capability.mime_type.as_str()))
                        .collect::<Vec<_>>()
                ));
                return None;
            };
            let mime = &codec.capability.mime_type;
            self.events.push(format!(
                "{}:rtp:pt={pt},codec={mime},fmtp={}",
                self.name, codec.capability.sdp_fmtp_line
            ));
            if let Some(expected) = &self.expected {
                if !mime.eq_ignore_ascii_case(expected) {
                    self.events.error(format!(
                        "{}: payload type {pt} is {mime}, the page chose {expected}",
                        self.name
                    ));
                }
            }
        }
        if MILESTONES.contains(&count) {
            self.events.push(format!("{}:rtp>={count}", self.name));
        }
        Some(rtp)
    }
}

/// Where a video reflect case is in joining the browser's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    /// Nothing is forwarded until the first keyframe has gone by.
    BeforeKeyframe,
    /// Dropping the packets of the keyframe with this RTP timestamp.
    InKeyframe(u32),
    Forwarding,
}

/// Keyframes seen on the receive-only track, by arrival of their first packet.
#[derive(Default)]
struct Keyframes {
    arrivals: Vec<Instant>,
    /// RTP timestamp of the last keyframe: a keyframe's packets share it, and H.264's
    /// depayloader says "keyframe" for every packet of an IDR picture.
    last_timestamp: Option<u32>,
}

/// Every media connection of a run and its packet counters.
pub(super) struct Media {
    browser: Browser,
    connections: tokio::sync::Mutex<HashMap<String, PeerConnection>>,
    /// Kept so no channel is dropped while the page uses it.
    channels: Mutex<Vec<RtcDataChannel>>,
    /// Packets received per case, shown when the case closes.
    packets: Mutex<HashMap<String, Arc<AtomicU64>>>,
}

impl Media {
    pub(super) fn new(browser: Browser) -> Self {
        Self {
            browser,
            connections: tokio::sync::Mutex::new(HashMap::new()),
            channels: Mutex::new(Vec::new()),
            packets: Mutex::new(HashMap::new()),
        }
    }

    fn counter(&self, name: &str) -> Arc<AtomicU64> {
        self.packets
            .lock()
            .unwrap()
            .entry(name.to_string())
            .or_default()
            .clone()
    }

    /// A reflect case: answers the page's one-track offer and sends the track back.
    pub(super) async fn answer(
        &self,
        events: &Events,
        case: &str,
        body: &[u8],
    ) -> Result<Value, String> {
        let capability = capability(case).ok_or_else(|| format!("unknown case {case}"))?;
        let offer = sdp_of(body, "offer")?;
        let name = format!("reflect-{case}");
        let pc = connection(events, &name)?;
        // Added before the offer is applied, the track takes the offer's section of its
        // kind and our answer sends there.
        let reflected = TrackLocal::new(capability.clone(), "reflected", "reflect")
            .map_err(|e| format!("TrackLocal::new: {e}"))?;
        pc.add_track(&reflected)
            .map_err(|e| format!("add_track: {e}"))?;
        let on_track = events.clone();
        let packets = self.counter(&name);
        pc.on_track(move |remote: TrackRemote| {
            on_track.push(format!(
                "{name}:track:{:?}:mid={}",
                remote.kind(),
                remote.mid().unwrap_or("-")
            ));
            let source = remote.clone();
            let on_request = on_track.clone();
            let requester = name.clone();
            let mut requests = 0u64;
            // The browser asks us for keyframes of what we send; only its own encoder
            // can make one.
            reflected.on_keyframe_request(move || {
                requests += 1;
                on_request.push(format!("{requester}:keyframe-request#{requests}"));
                if let Err(e) = source.request_keyframe() {
                    on_request.error(format!("{requester}: keyframe request not passed: {e}"));
                }
            });
            // Video joins the stream as a late subscriber to an SFU would: the first
            // keyframe is dropped, so what the browser gets back starts with a delta
            // frame and decodes only once its keyframe request has gone through us to
            // its own encoder and the keyframe has come back.
            let mut join = match remote.kind() {
                MediaKind::Video => Join::BeforeKeyframe,
                MediaKind::Audio => Join::Forwarding,
            };
            let inspect = depayloader(&capability.mime_type);
            if join == Join::BeforeKeyframe && inspect.is_none() {
                on_track.error(format!("{name}: no depayloader to find keyframes with"));
            }
            let mut check = RtpCheck {
                name: name.clone(),
                events: on_track.clone(),
                remote: remote.clone(),
                expected: Some(capability.mime_type.clone()),
                packets: packets.clone(),
                seen: Vec::new(),
            };
            let sink = reflected.clone();
            let mut failed = false;
            remote.on_rtp(move |packet: Bytes| {
                let Some(rtp) = check.packet(&packet) else {
                    return;
                };
                match join {
                    Join::Forwarding => {}
                    Join::BeforeKeyframe => {
                        if inspect
                            .as_ref()
                            .is_some_and(|d| d.is_keyframe(rtp.payload()))
                        {
                            join = Join::InKeyframe(rtp.timestamp());
                            check.events.push(format!(
                                "{}:dropping-keyframe:seq={},ts={}",
                                check.name,
                                rtp.sequence_number(),
                                rtp.timestamp()
                            ));
                        }
                        return;
                    }
                    Join::InKeyframe(timestamp) if rtp.timestamp() == timestamp => return,
                    Join::InKeyframe(_) => {
                        join = Join::Forwarding;
                        check.events.push(format!(
                            "{}:forwarding-from:seq={},ts={},keyframe={}",
                            check.name,
                            rtp.sequence_number(),
                            rtp.timestamp(),
                            inspect
                                .as_ref()
                                .is_some_and(|d| d.is_keyframe(rtp.payload()))
                        ));
                    }
                }
                if let Err(e) = sink.write_rtp(&packet) {
                    if !failed {
                        failed = true;
                        check
                            .events
                            .error(format!("{}: write_rtp: {e}", check.name));
                    }
                }
            });
        });
        pc.set_remote_description(RtcSessionDescription::offer(offer))
            .await
            .map_err(|e| format!("set_remote_description(browser offer): {e}"))?;
        let answer = pc
            .create_answer()
            .await
            .map_err(|e| format!("create_answer: {e}"))?;
        let answer = settle(&pc, answer).await?;
        self.connections.lock().await.insert(case.to_string(), pc);
        Ok(json!({ "type": "answer", "sdp": answer.sdp }))
    }

    /// The receive-only case: oxrtc offers to receive video, with a data channel.
    pub(super) async fn offer(&self, events: &Events) -> Result<Value, String> {
        let name = "recvonly";
        let pc = connection(events, name)?;
        pc.add_transceiver(MediaKind::Video, Direction::RecvOnly)
            .map_err(|e| format!("add_transceiver: {e}"))?;
        let dc = pc
            .create_data_channel(name, DataChannelInit::default())
            .map_err(|e| format!("create_data_channel: {e}"))?;
        let on_open = events.clone();
        dc.on_open(move || on_open.push(format!("{name}:channel-open")));
        self.channels.lock().unwrap().push(dc);
        let on_track = events.clone();
        let packets = self.counter(name);
        pc.on_track(move |remote: TrackRemote| {
            on_track.push(format!(
                "{name}:track:{:?}:mid={}",
                remote.kind(),
                remote.mid().unwrap_or("-")
            ));
            let keyframes = Arc::new(Mutex::new(Keyframes::default()));
            let mut check = RtpCheck {
                name: name.to_string(),
                events: on_track.clone(),
                remote: remote.clone(),
                expected: None,
                packets: packets.clone(),
                seen: Vec::new(),
            };
            let mut inspect: Option<Option<Box<dyn Depayloader + Send>>> = None;
            let seen = keyframes.clone();
            remote.on_rtp(move |packet: Bytes| {
                let Some(rtp) = check.packet(&packet) else {
                    return;
                };
                let Some(codec) = check.remote.codec(rtp.payload_type()) else {
                    return;
                };
                // Chosen by the first packet's codec; `Some(None)`: none to tell keyframes.
                let inspect = inspect.get_or_insert_with(|| {
                    let found = depayloader(&codec.capability.mime_type);
                    if found.is_none() {
                        check.events.error(format!(
                            "{name}: no depayloader for {}",
                            codec.capability.mime_type
                        ));
                    }
                    found
                });
                let Some(inspect) = inspect else {
                    return;
                };
                if !inspect.is_keyframe(rtp.payload()) {
                    return;
                }
                let mut seen = seen.lock().unwrap();
                if seen.last_timestamp == Some(rtp.timestamp()) {
                    return;
                }
                seen.last_timestamp = Some(rtp.timestamp());
                seen.arrivals.push(Instant::now());
                let n = seen.arrivals.len();
                if n <= 20 {
                    check.events.push(format!(
                        "{name}:keyframe#{n}:seq={},ts={},bytes={}",
                        rtp.sequence_number(),
                        rtp.timestamp(),
                        rtp.payload().len()
                    ));
                }
            });
            tokio::spawn(request_keyframes(on_track.clone(), remote, keyframes));
        });
        let offer = pc
            .create_offer()
            .await
            .map_err(|e| format!("create_offer: {e}"))?;
        let offer = settle(&pc, offer).await?;
        self.connections.lock().await.insert(name.to_string(), pc);
        Ok(json!({ "type": "offer", "sdp": offer.sdp }))
    }

    pub(super) async fn take_answer(&self, body: &[u8]) -> Result<(), String> {
        let answer = sdp_of(body, "answer")?;
        let connections = self.connections.lock().await;
        let pc = connections
            .get("recvonly")
            .ok_or("an answer before oxrtc's offer")?;
        pc.set_remote_description(RtcSessionDescription::answer(answer))
            .await
            .map_err(|e| format!("set_remote_description(browser answer): {e}"))
    }

    /// The page is done with a case: close its connection, report what arrived.
    pub(super) async fn close(&self, events: &Events, case: &str) -> Result<(), String> {
        let pc = self
            .connections
            .lock()
            .await
            .remove(case)
            .ok_or_else(|| format!("no connection {case}"))?;
        pc.close().await;
        let name = if case == "recvonly" {
            case.to_string()
        } else {
            format!("reflect-{case}")
        };
        let packets = self.counter(&name).load(Ordering::Relaxed);
        events.push(format!("{name}:closed:packets={packets}"));
        Ok(())
    }

    /// What oxrtc itself must have seen, beyond the page's verdict.
    pub(super) fn check(&self, events: &[String]) {
        let mut needed = Vec::new();
        for case in video_codecs(self.browser).iter().chain([&AUDIO]) {
            let packets = if *case == AUDIO {
                AUDIO_PACKETS
            } else {
                VIDEO_PACKETS
            };
            needed.push(format!("reflect-{case}:state:Connected"));
            needed.push(format!("reflect-{case}:rtp>={packets}"));
            if *case != AUDIO {
                // The keyframe the late join withheld was asked for and passed upstream.
                needed.push(format!("reflect-{case}:keyframe-request#1"));
            }
        }
        needed.push("recvonly:state:Connected".into());
        needed.push("recvonly:channel-open".into());
        needed.push(format!("recvonly:rtp>={VIDEO_PACKETS}"));
        for round in 1..=PLI_ROUNDS {
            needed.push(format!("recvonly:pli-answered-{round}"));
        }
        for needed in needed {
            assert!(
                events.contains(&needed),
                "{:?}: oxrtc never reported `{needed}`",
                self.browser
            );
        }
    }
}

/// Sends [`PLI_ROUNDS`] PLIs on the receive-only track, each after a quiet stretch, and
/// reports `recvonly:pli-answered-<n>` when a keyframe follows (an error when none does).
async fn request_keyframes(events: Events, remote: TrackRemote, keyframes: Arc<Mutex<Keyframes>>) {
    let describe = |k: &Keyframes, since: Instant| -> String {
        let at: Vec<String> = k
            .arrivals
            .iter()
            .map(|t| format!("{} ms", t.saturating_duration_since(since).as_millis()))
            .collect();
        format!("keyframes so far at [{}]", at.join(", "))
    };
    let start = Instant::now();
    for round in 1..=PLI_ROUNDS {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let quiet = keyframes
                .lock()
                .unwrap()
                .arrivals
                .last()
                .is_some_and(|t| t.elapsed() >= QUIET_BEFORE_PLI);
            if quiet {
                break;
            }
            if Instant::now() > deadline {
                let k = keyframes.lock().unwrap();
                events.error(format!(
                    "recvonly: no keyframe and then {} ms without one before PLI #{round}; {}",
                    QUIET_BEFORE_PLI.as_millis(),
                    describe(&k, start)
                ));
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let before = keyframes.lock().unwrap().arrivals.len();
        let sent = Instant::now();
        if let Err(e) = remote.request_keyframe() {
            events.error(format!("recvonly: request_keyframe: {e}"));
            return;
        }
        events.push(format!("recvonly:pli-sent-{round}"));
        loop {
            let answered = keyframes.lock().unwrap().arrivals.get(before).copied();
            if let Some(at) = answered {
                events.push(format!(
                    "recvonly:pli-{round}-keyframe-after:{} ms",
                    at.saturating_duration_since(sent).as_millis()
                ));
                events.push(format!("recvonly:pli-answered-{round}"));
                break;
            }
            if sent.elapsed() > PLI_ANSWER_LIMIT {
                let k = keyframes.lock().unwrap();
                events.error(format!(
                    "recvonly: no keyframe within {} ms of PLI #{round} (sent at {} ms); {}",
                    PLI_ANSWER_LIMIT.as_millis(),
                    sent.saturating_duration_since(start).as_millis(),
                    describe(&k, start)
                ));
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
