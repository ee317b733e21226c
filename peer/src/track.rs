//! Media tracks: [`TrackLocal`] sends frames or RTP packets we produce, [`TrackRemote`]
//! delivers the RTP the peer sends.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use oxrtc_rtp::codecs::{
    Av1Depayloader, Av1Payloader, Depayloader, H264Depayloader, H264Payloader, OpusDepayloader,
    OpusPayloader, PacketizationMode, Payloader, Vp8Depayloader, Vp8Payloader, Vp9Depayloader,
    Vp9Payloader,
};

use crate::callbacks::{lock, Callback, Mailbox};
use crate::error::Error;
use crate::peer_connection::Shared;
use crate::session::{MediaKind, RtpCodec, RtpCodecCapability, TransceiverId};

/// The largest RTP payload a track sends: 1200-byte datagrams (what browsers send,
/// safe on any path) less the RTP header with the MID extension and the SRTP tag.
const MAX_PAYLOAD: usize = 1200 - 12 - 8 - 16;

/// Packets kept for a remote track whose `on_rtp` is not set yet.
const MAX_UNCLAIMED_PACKETS: usize = 64;

fn payloader_for(codec: &RtpCodecCapability) -> Option<Box<dyn Payloader + Send>> {
    let name = codec.encoding_name().to_ascii_uppercase();
    Some(match name.as_str() {
        "OPUS" => Box::new(OpusPayloader),
        "VP8" => Box::new(Vp8Payloader::default()),
        "VP9" => Box::new(Vp9Payloader::new(true, None)),
        "H264" => Box::new(H264Payloader::new(PacketizationMode::NonInterleaved)),
        "AV1" => Box::new(Av1Payloader::default()),
        _ => return None,
    })
}

fn depayloader_for(codec: &RtpCodecCapability) -> Option<Box<dyn Depayloader + Send>> {
    let name = codec.encoding_name().to_ascii_uppercase();
    Some(match name.as_str() {
        "OPUS" => Box::new(OpusDepayloader),
        "VP8" => Box::new(Vp8Depayloader::default()),
        "VP9" => Box::new(Vp9Depayloader::default()),
        "H264" => Box::new(H264Depayloader::default()),
        "AV1" => Box::new(Av1Depayloader::default()),
        _ => return None,
    })
}

/// Keyframe requests a frame-delivering track sends after loss, at most this often.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(500);

fn kind_of(codec: &RtpCodecCapability) -> Option<MediaKind> {
    match codec
        .mime_type
        .split_once('/')?
        .0
        .to_ascii_lowercase()
        .as_str()
    {
        "audio" => Some(MediaKind::Audio),
        "video" => Some(MediaKind::Video),
        _ => None,
    }
}

/// Where a local track's packets go once it is added to a connection.
struct Binding {
    shared: Arc<Shared>,
    transceiver: TransceiverId,
}

struct LocalState {
    binding: Option<Binding>,
    payloader: Box<dyn Payloader + Send>,
    timestamp: u32,
}

/// A track we send (Pion's `TrackLocalStaticSample` and `TrackLocalStaticRTP` in one):
/// whole frames with [`TrackLocal::write_sample`], or RTP packets from elsewhere (a
/// relay, a reflector) with [`TrackLocal::write_rtp`]. Cheap to clone.
#[derive(Clone)]
pub struct TrackLocal {
    codec: RtpCodecCapability,
    kind: MediaKind,
    id: String,
    stream_id: String,
    state: Arc<Mutex<LocalState>>,
    pub(crate) keyframe_requested: Arc<Callback<()>>,
}

impl std::fmt::Debug for TrackLocal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackLocal")
            .field("id", &self.id)
            .field("codec", &self.codec.mime_type)
            .finish_non_exhaustive()
    }
}

impl TrackLocal {
    /// A track of `codec` (`RtpCodecCapability::vp8()`, `::opus()`, ...), named `id` in
    /// stream `stream_id` (the peer's `MediaStreamTrack.id` and `MediaStream.id`).
    pub fn new(codec: RtpCodecCapability, id: &str, stream_id: &str) -> Result<Self, Error> {
        let kind = kind_of(&codec).ok_or(Error::InvalidArgument(
            "codec MIME type is neither audio/* nor video/*",
        ))?;
        let payloader = payloader_for(&codec).ok_or(Error::InvalidArgument(
            "no payloader for this codec (Opus, VP8, VP9, H264, AV1)",
        ))?;
        Ok(Self {
            codec,
            kind,
            id: id.to_owned(),
            stream_id: stream_id.to_owned(),
            state: Arc::new(Mutex::new(LocalState {
                binding: None,
                payloader,
                timestamp: 0,
            })),
            keyframe_requested: Arc::default(),
        })
    }

    /// The codec.
    pub fn codec(&self) -> &RtpCodecCapability {
        &self.codec
    }

    /// Audio or video.
    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    /// The track id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The stream id.
    pub fn stream_id(&self) -> &str {
        &self.stream_id
    }

    pub(crate) fn bind(
        &self,
        shared: Arc<Shared>,
        transceiver: TransceiverId,
    ) -> Result<(), Error> {
        let mut state = lock(&self.state);
        if state.binding.is_some() {
            return Err(Error::InvalidAccess(
                "the track is already added to a connection".into(),
            ));
        }
        state.binding = Some(Binding {
            shared,
            transceiver,
        });
        Ok(())
    }

    /// Sends one frame (an Opus packet, a VP8/VP9/AV1 frame, H.264 access unit in
    /// Annex B) that lasts `duration`: split into RTP payloads, the marker on the last,
    /// the timestamp advanced by `duration` at the codec's clock rate. Frames written
    /// before the connection can send are dropped, as a camera's are.
    pub fn write_sample(&self, frame: &[u8], duration: Duration) -> Result<(), Error> {
        let mut state = lock(&self.state);
        let timestamp = state.timestamp;
        let ticks = duration.as_secs_f64() * f64::from(self.codec.clock_rate);
        state.timestamp = timestamp.wrapping_add(ticks.round() as u32);
        let state = &mut *state;
        let Some(binding) = &state.binding else {
            return Ok(());
        };
        let mut result = Ok(());
        let now = Instant::now();
        binding.shared.with_session(|s| {
            let sendable = s
                .transceiver(binding.transceiver)
                .is_some_and(|t| t.send_payload_type.is_some())
                && s.connection_state() == crate::PeerConnectionState::Connected;
            if !sendable {
                return;
            }
            let packetized = state
                .payloader
                .packetize(MAX_PAYLOAD, frame, &mut |payload, last| {
                    if result.is_ok() {
                        result = s.send_rtp(now, binding.transceiver, last, timestamp, payload);
                    }
                });
            if let Err(e) = packetized {
                result = Err(Error::InvalidArgument(codec_error(&e)));
            }
        });
        binding.shared.wake_driver();
        result
    }

    /// Sends an RTP packet produced elsewhere: its marker, timestamp and payload go out
    /// under this track's SSRC, payload type and sequence numbers.
    pub fn write_rtp(&self, packet: &[u8]) -> Result<(), Error> {
        let parsed = oxrtc_rtp::RtpPacket::parse(packet)
            .map_err(|_| Error::InvalidArgument("not an RTP packet"))?;
        let state = lock(&self.state);
        let Some(binding) = &state.binding else {
            return Ok(());
        };
        let result = binding.shared.with_session(|s| {
            if s.connection_state() != crate::PeerConnectionState::Connected {
                return Ok(());
            }
            s.send_rtp(
                Instant::now(),
                binding.transceiver,
                parsed.marker(),
                parsed.timestamp(),
                parsed.payload(),
            )
        });
        binding.shared.wake_driver();
        result
    }

    /// Runs `f` when the peer asks for a keyframe (PLI, FIR): encode one next.
    pub fn on_keyframe_request(&self, mut f: impl FnMut() + Send + 'static) {
        self.keyframe_requested.set(move |()| f());
    }
}

fn codec_error(e: &oxrtc_rtp::CodecError) -> &'static str {
    match e {
        oxrtc_rtp::CodecError::MtuTooSmall { .. } => "frame cannot be split at this size",
        _ => "frame does not fit the codec's payload format",
    }
}

/// The driver's side of a remote track: its `on_rtp`, with packets that arrived before
/// it was set.
pub(crate) struct TrackCallbacks {
    pub(crate) on_rtp: Mailbox<Bytes>,
}

impl Default for TrackCallbacks {
    fn default() -> Self {
        Self {
            on_rtp: Mailbox::new(MAX_UNCLAIMED_PACKETS),
        }
    }
}

/// A track the peer sends (`ontrack`'s `event.track` with its receiver): RTP packets
/// as they arrive, decrypted. Cheap to clone.
#[derive(Clone)]
pub struct TrackRemote {
    shared: Arc<Shared>,
    transceiver: TransceiverId,
    kind: MediaKind,
    mid: Option<String>,
    codecs: Vec<RtpCodec>,
    callbacks: Arc<TrackCallbacks>,
}

impl std::fmt::Debug for TrackRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackRemote")
            .field("kind", &self.kind)
            .field("mid", &self.mid)
            .finish_non_exhaustive()
    }
}

impl TrackRemote {
    pub(crate) fn new(
        shared: Arc<Shared>,
        transceiver: TransceiverId,
        kind: MediaKind,
        mid: Option<String>,
        codecs: Vec<RtpCodec>,
        callbacks: Arc<TrackCallbacks>,
    ) -> Self {
        Self {
            shared,
            transceiver,
            kind,
            mid,
            codecs,
            callbacks,
        }
    }

    /// Audio or video.
    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    /// The mid of its section.
    pub fn mid(&self) -> Option<&str> {
        self.mid.as_deref()
    }

    /// The codecs negotiated for it; an RTP packet's payload type says which one it
    /// carries.
    pub fn codecs(&self) -> &[RtpCodec] {
        &self.codecs
    }

    /// The codec of a payload type.
    pub fn codec(&self, payload_type: u8) -> Option<&RtpCodec> {
        self.codecs.iter().find(|c| c.payload_type == payload_type)
    }

    /// Runs `f` for every RTP packet (header and payload, decrypted). Packets that
    /// arrived before it was set come first.
    pub fn on_rtp(&self, f: impl FnMut(Bytes) + Send + 'static) {
        self.callbacks.on_rtp.set(f);
        self.shared.callback_set();
    }

    /// Runs `f` for every whole frame (`TrackRemote` through the codec's depayloader and
    /// a jitter buffer, `oxrtc_rtp::SampleBuilder`): reordered, reassembled, with its RTP
    /// timestamp, a keyframe flag and a flag for frames lost before it. When frames are
    /// lost, a keyframe is requested (at most every half second) so decoding can resume.
    /// Replaces an `on_rtp` callback.
    pub fn on_sample(&self, mut f: impl FnMut(oxrtc_rtp::Sample) + Send + 'static) {
        let track = self.clone();
        let mut builder: Option<(u8, oxrtc_rtp::SampleBuilder<Box<dyn Depayloader + Send>>)> = None;
        let mut last_request: Option<Instant> = None;
        self.on_rtp(move |packet| {
            let Ok(rtp) = oxrtc_rtp::RtpPacket::parse(&packet) else {
                return;
            };
            let payload_type = rtp.payload_type();
            // A new payload type is a new codec: start over with its depayloader.
            if builder.as_ref().is_none_or(|(pt, _)| *pt != payload_type) {
                let Some(depayloader) = track
                    .codec(payload_type)
                    .and_then(|c| depayloader_for(&c.capability))
                else {
                    return;
                };
                builder = Some((
                    payload_type,
                    oxrtc_rtp::SampleBuilder::new(depayloader, Default::default()),
                ));
            }
            let Some((_, samples)) = builder.as_mut() else {
                return;
            };
            if samples.push(packet).is_err() {
                return;
            }
            while let Some(sample) = samples.pop() {
                f(sample);
            }
            let due = last_request.is_none_or(|t| t.elapsed() >= KEYFRAME_REQUEST_INTERVAL);
            if samples.needs_keyframe() && due && track.kind == MediaKind::Video {
                last_request = Some(Instant::now());
                let _ = track.request_keyframe();
            }
        });
    }

    /// Asks the sender for a keyframe (RTCP PLI): after loss, or to start decoding.
    pub fn request_keyframe(&self) -> Result<(), Error> {
        let result = self
            .shared
            .with_session(|s| s.request_keyframe(Instant::now(), self.transceiver));
        self.shared.wake_driver();
        result
    }
}
