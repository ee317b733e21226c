//! Audio and video transceivers: codecs we negotiate, the SDP of a media section, and
//! what we read from the peer's.

use oxrtc_sdp::{Attribute, Direction, MediaDescription, SessionDescription};

/// The MID header extension (RFC 8843 §15.2): how BUNDLE tells streams apart before
/// their SSRCs are known.
pub(crate) const MID_EXTENSION_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
/// The extension id we offer for it (browsers use small ids; any 1–14 works).
const MID_EXTENSION_ID: u8 = 9;

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `m=audio`.
    Audio,
    /// `m=video`.
    Video,
}

impl MediaKind {
    fn sdp_kind(self) -> oxrtc_sdp::MediaKind {
        match self {
            MediaKind::Audio => oxrtc_sdp::MediaKind::Audio,
            MediaKind::Video => oxrtc_sdp::MediaKind::Video,
        }
    }

    pub(crate) fn of(kind: &oxrtc_sdp::MediaKind) -> Option<Self> {
        match kind {
            oxrtc_sdp::MediaKind::Audio => Some(MediaKind::Audio),
            oxrtc_sdp::MediaKind::Video => Some(MediaKind::Video),
            _ => None,
        }
    }
}

/// A codec a track can carry (W3C `RTCRtpCodecCapability`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtpCodecCapability {
    /// `audio/opus`, `video/VP8`, `video/H264`, ...
    pub mime_type: String,
    /// RTP clock rate.
    pub clock_rate: u32,
    /// Audio channels (0 for video).
    pub channels: u16,
    /// The `a=fmtp` parameters we offer.
    pub sdp_fmtp_line: String,
    /// The `a=rtcp-fb` values we offer (`nack pli`, `ccm fir`: the keyframe requests we
    /// act on; no plain `nack`, since we do not retransmit).
    pub rtcp_feedback: Vec<String>,
}

impl RtpCodecCapability {
    fn new(mime_type: &str, clock_rate: u32, channels: u16, fmtp: &str, feedback: &[&str]) -> Self {
        Self {
            mime_type: mime_type.to_owned(),
            clock_rate,
            channels,
            sdp_fmtp_line: fmtp.to_owned(),
            rtcp_feedback: feedback.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    /// Opus, 48 kHz stereo, with in-band FEC.
    pub fn opus() -> Self {
        Self::new("audio/opus", 48_000, 2, "minptime=10;useinbandfec=1", &[])
    }

    /// VP8.
    pub fn vp8() -> Self {
        Self::new("video/VP8", 90_000, 0, "", &["nack pli", "ccm fir"])
    }

    /// VP9, profile 0.
    pub fn vp9() -> Self {
        Self::new(
            "video/VP9",
            90_000,
            0,
            "profile-id=0",
            &["nack pli", "ccm fir"],
        )
    }

    /// H.264 constrained baseline, packetization mode 1.
    pub fn h264() -> Self {
        Self::new(
            "video/H264",
            90_000,
            0,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
            &["nack pli", "ccm fir"],
        )
    }

    /// AV1.
    pub fn av1() -> Self {
        Self::new("video/AV1", 90_000, 0, "", &["nack pli", "ccm fir"])
    }

    /// The encoding name: the part of the MIME type after the slash.
    pub fn encoding_name(&self) -> &str {
        self.mime_type
            .split_once('/')
            .map_or(&*self.mime_type, |(_, n)| n)
    }

    /// Whether a codec of the peer's section is this one (name, clock rate, channels;
    /// for H.264 the packetization mode too, which changes the payload format).
    fn matches(&self, codec: &oxrtc_sdp::Codec<'_>) -> bool {
        let Some(rtpmap) = codec.rtpmap else {
            return false;
        };
        if !rtpmap
            .encoding_name
            .eq_ignore_ascii_case(self.encoding_name())
            || rtpmap.clock_rate != self.clock_rate
        {
            return false;
        }
        if self.channels > 0 && rtpmap.encoding_params.unwrap_or(1) != self.channels {
            return false;
        }
        if self.encoding_name().eq_ignore_ascii_case("H264") {
            let mode = |fmtp: Option<&str>| {
                fmtp.and_then(|line| {
                    line.split(';')
                        .find_map(|p| p.trim().strip_prefix("packetization-mode="))
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "0".to_owned())
            };
            let theirs = codec
                .fmtp
                .and_then(|f| f.param("packetization-mode"))
                .unwrap_or("0");
            return mode(Some(&self.sdp_fmtp_line)) == theirs;
        }
        true
    }
}

/// The codecs we offer for a kind, with the payload types we offer them under.
pub(crate) fn default_codecs(kind: MediaKind) -> Vec<RtpCodec> {
    let list = match kind {
        MediaKind::Audio => vec![(111, RtpCodecCapability::opus())],
        MediaKind::Video => vec![
            (96, RtpCodecCapability::vp8()),
            (98, RtpCodecCapability::vp9()),
            (102, RtpCodecCapability::h264()),
            (45, RtpCodecCapability::av1()),
        ],
    };
    list.into_iter()
        .map(|(payload_type, capability)| RtpCodec {
            payload_type,
            capability,
        })
        .collect()
}

/// What we offer on a transceiver: its track's codec first (under our payload type
/// for it), then the rest of that kind.
pub(crate) fn offered_codecs(t: &Transceiver) -> Vec<RtpCodec> {
    let mut codecs = default_codecs(t.kind);
    if let Some(wanted) = &t.send_codec {
        if let Some(i) = codecs
            .iter()
            .position(|c| same_codec(wanted, &c.capability))
        {
            let mut first = codecs.remove(i);
            first.capability = wanted.clone();
            codecs.insert(0, first);
        }
    }
    codecs
}

/// A negotiated codec: a capability and the payload type it goes under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtpCodec {
    /// RTP payload type.
    pub payload_type: u8,
    /// What it carries.
    pub capability: RtpCodecCapability,
}

/// A session's handle for one transceiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransceiverId(pub(crate) u32);

/// One `m=audio`/`m=video` section's sender and receiver.
#[derive(Debug, Clone)]
pub(crate) struct Transceiver {
    pub(crate) kind: MediaKind,
    pub(crate) mid: Option<String>,
    /// What the application wants (W3C `direction`).
    pub(crate) direction: Direction,
    /// What negotiation gave (W3C `currentDirection`).
    pub(crate) current: Option<Direction>,
    /// The codec the local track carries, if one was added.
    pub(crate) send_codec: Option<RtpCodecCapability>,
    /// Negotiated codecs, in the order of the answer.
    pub(crate) codecs: Vec<RtpCodec>,
    pub(crate) mid_extension: Option<u8>,
    pub(crate) ssrc: u32,
    pub(crate) sequence_number: u16,
    pub(crate) msid: (String, String),
    pub(crate) cname: String,
    pub(crate) remote_ssrcs: Vec<u32>,
    /// The SSRC of the peer's latest packet here: what a keyframe request names (a
    /// peer can switch SSRCs; one it no longer sends from ignores the request).
    pub(crate) last_remote_ssrc: Option<u32>,
    /// `Track` was reported for the peer's sending side.
    pub(crate) track_announced: bool,
}

impl Transceiver {
    /// Whether we may send now.
    pub(crate) fn sending(&self) -> bool {
        matches!(
            self.current,
            Some(Direction::SendRecv | Direction::SendOnly)
        )
    }

    /// Whether the peer sends to us.
    pub(crate) fn receiving(&self) -> bool {
        matches!(
            self.current,
            Some(Direction::SendRecv | Direction::RecvOnly)
        )
    }

    /// The payload type our track's codec goes under.
    pub(crate) fn send_payload_type(&self) -> Option<u8> {
        let wanted = self.send_codec.as_ref();
        self.codecs
            .iter()
            .find(|c| wanted.is_none_or(|w| same_codec(w, &c.capability)))
            .map(|c| c.payload_type)
    }

    /// The codec of a payload type the peer sends.
    pub(crate) fn codec(&self, payload_type: u8) -> Option<&RtpCodec> {
        self.codecs.iter().find(|c| c.payload_type == payload_type)
    }
}

fn same_codec(a: &RtpCodecCapability, b: &RtpCodecCapability) -> bool {
    a.encoding_name().eq_ignore_ascii_case(b.encoding_name()) && a.clock_rate == b.clock_rate
}

/// The direction that answers `offered` (RFC 8829 §5.3.1), given what we want.
pub(crate) fn answer_direction(offered: Direction, wanted: Direction) -> Direction {
    let we_send = matches!(wanted, Direction::SendRecv | Direction::SendOnly);
    let we_receive = matches!(wanted, Direction::SendRecv | Direction::RecvOnly);
    let they_send = matches!(offered, Direction::SendRecv | Direction::SendOnly);
    let they_receive = matches!(offered, Direction::SendRecv | Direction::RecvOnly);
    match (we_send && they_receive, we_receive && they_send) {
        (true, true) => Direction::SendRecv,
        (true, false) => Direction::SendOnly,
        (false, true) => Direction::RecvOnly,
        (false, false) => Direction::Inactive,
    }
}

/// Our direction from the peer's answer to our offer: the answer's, seen from our side.
pub(crate) fn reverse(direction: Direction) -> Direction {
    match direction {
        Direction::SendOnly => Direction::RecvOnly,
        Direction::RecvOnly => Direction::SendOnly,
        d => d,
    }
}

/// What we read from the peer's media section.
#[derive(Debug, Clone)]
pub(crate) struct RemoteMedia {
    pub(crate) kind: MediaKind,
    pub(crate) direction: Direction,
    /// Their codecs that we support, in their order, under their payload types.
    pub(crate) codecs: Vec<RtpCodec>,
    pub(crate) mid_extension: Option<u8>,
    pub(crate) ssrcs: Vec<u32>,
}

/// Reads a peer's audio/video section; `None` for other kinds.
pub(crate) fn remote_media(media: &MediaDescription) -> Option<RemoteMedia> {
    let kind = MediaKind::of(&media.kind)?;
    let ours = default_codecs(kind);
    let codecs = media
        .codecs()
        .iter()
        .filter_map(|theirs| {
            let cap = ours.iter().find(|o| o.capability.matches(theirs))?;
            let mut capability = cap.capability.clone();
            // Keep their parameters (H.264 profile, VP9 profile): we send what we
            // agreed to with exactly those.
            if let Some(fmtp) = theirs.fmtp {
                // The attribute's own text is "<pt> <params>": keep the params.
                let line = fmtp.to_string();
                capability.sdp_fmtp_line = line
                    .split_once(' ')
                    .map_or_else(String::new, |(_, params)| params.to_owned());
            }
            Some(RtpCodec {
                payload_type: theirs.payload_type,
                capability,
            })
        })
        .collect();
    let mid_extension = media.attributes.iter().find_map(|a| match a {
        Attribute::Extmap(e) if e.uri == MID_EXTENSION_URI => u8::try_from(e.id).ok(),
        _ => None,
    });
    let mut ssrcs: Vec<u32> = media
        .attributes
        .iter()
        .filter_map(|a| match a {
            Attribute::Ssrc(s) => Some(s.ssrc),
            _ => None,
        })
        .collect();
    ssrcs.dedup();
    // RFC 4588 §8.1, RFC 5956 §4.1: after the first, the SSRCs of an FID or FEC-FR group
    // carry repair packets. A keyframe request must name the stream the encoder sends
    // (RFC 4585 §6.3.1): Firefox ignores a PLI for its RTX SSRC, which it declares even
    // when no RTX is negotiated. Only media SSRCs are kept.
    let repair: Vec<u32> = media
        .attributes
        .iter()
        .filter_map(|a| match a {
            Attribute::SsrcGroup(g)
                if g.semantics.eq_ignore_ascii_case("FID")
                    || g.semantics.eq_ignore_ascii_case("FEC-FR") =>
            {
                Some(g.ssrcs.iter().skip(1).copied())
            }
            _ => None,
        })
        .flatten()
        .collect();
    ssrcs.retain(|s| !repair.contains(s));
    Some(RemoteMedia {
        kind,
        direction: media.direction().unwrap_or(Direction::SendRecv),
        codecs,
        mid_extension,
        ssrcs,
    })
}

/// Our section for a transceiver: codecs, direction, MID extension, our SSRC. The
/// transport lines (ICE, fingerprint, setup) are added by the caller.
pub(crate) fn media_section(
    t: &Transceiver,
    mid: &str,
    direction: Direction,
    codecs: &[RtpCodec],
) -> MediaDescription {
    let mut media = MediaDescription::new(t.kind.sdp_kind(), 9, "UDP/TLS/RTP/SAVPF");
    media.formats = codecs
        .iter()
        .map(|c| oxrtc_sdp::Format::parse(&c.payload_type.to_string()))
        .collect();
    let mut lines = vec![format!("mid:{mid}")];
    if let Some(id) = t.mid_extension {
        lines.push(format!("extmap:{id} {MID_EXTENSION_URI}"));
    }
    lines.push(direction.as_str().to_owned());
    let sending = matches!(direction, Direction::SendRecv | Direction::SendOnly);
    if sending {
        lines.push(format!("msid:{} {}", t.msid.0, t.msid.1));
    }
    lines.push("rtcp-mux".to_owned());
    lines.push("rtcp-rsize".to_owned());
    for c in codecs {
        let cap = &c.capability;
        let pt = c.payload_type;
        let params = if cap.channels > 0 {
            format!("/{}", cap.channels)
        } else {
            String::new()
        };
        lines.push(format!(
            "rtpmap:{pt} {}/{}{params}",
            cap.encoding_name(),
            cap.clock_rate
        ));
        for fb in &cap.rtcp_feedback {
            lines.push(format!("rtcp-fb:{pt} {fb}"));
        }
        if !cap.sdp_fmtp_line.is_empty() {
            lines.push(format!("fmtp:{pt} {}", cap.sdp_fmtp_line));
        }
    }
    if sending {
        lines.push(format!("ssrc:{} cname:{}", t.ssrc, t.cname));
        lines.push(format!("ssrc:{} msid:{} {}", t.ssrc, t.msid.0, t.msid.1));
    }
    media.attributes = lines
        .iter()
        .filter_map(|l| Attribute::parse(l).ok())
        .collect();
    media
}

/// The MID extension id we offer.
pub(crate) fn offered_mid_extension() -> u8 {
    MID_EXTENSION_ID
}

/// The peer's media sections by mid, for matching an answer to our offer.
pub(crate) fn remote_sections(
    desc: &SessionDescription,
) -> Vec<(String, Option<RemoteMedia>, bool)> {
    desc.media
        .iter()
        .map(|m| {
            (
                m.mid().unwrap_or_default().to_owned(),
                remote_media(m),
                m.is_rejected(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_answer_like_jsep() {
        use Direction::*;
        assert_eq!(answer_direction(SendRecv, SendRecv), SendRecv);
        assert_eq!(answer_direction(SendRecv, RecvOnly), RecvOnly);
        assert_eq!(answer_direction(SendOnly, SendRecv), RecvOnly);
        assert_eq!(answer_direction(RecvOnly, SendRecv), SendOnly);
        assert_eq!(answer_direction(RecvOnly, RecvOnly), Inactive);
        assert_eq!(answer_direction(Inactive, SendRecv), Inactive);
        assert_eq!(reverse(SendOnly), RecvOnly);
    }

    #[test]
    fn browser_codecs_are_matched_under_their_payload_types() {
        let section = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 100 101 127 35\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n\
            a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendonly\r\n\
            a=rtpmap:100 VP8/90000\r\na=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n\
            a=rtpmap:127 H264/90000\r\na=fmtp:127 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n\
            a=rtpmap:35 H264/90000\r\na=fmtp:35 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f\r\n\
            a=ssrc:1111 cname:x\r\na=ssrc:2222 cname:x\r\n";
        let desc: SessionDescription = section.parse().unwrap();
        let remote = remote_media(&desc.media[0]).unwrap();
        assert_eq!(remote.kind, MediaKind::Video);
        assert_eq!(remote.direction, Direction::SendOnly);
        assert_eq!(remote.mid_extension, Some(4));
        assert_eq!(remote.ssrcs, vec![1111, 2222]);
        let pts: Vec<u8> = remote.codecs.iter().map(|c| c.payload_type).collect();
        // VP8, and the packetization-mode=1 H.264 with its own profile; no RTX, no mode 0.
        assert_eq!(pts, vec![100, 35]);
        assert!(remote.codecs[1]
            .capability
            .sdp_fmtp_line
            .contains("profile-level-id=640c1f"));
    }

    /// Firefox 153's offer after `setCodecPreferences([VP8])`: no RTX payload type, but
    /// still its RTX SSRC in an FID group. A PLI for that SSRC is ignored, so only the
    /// media SSRC may be the track's.
    #[test]
    fn repair_ssrcs_are_not_media_ssrcs() {
        let section = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 120\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n\
            a=rtpmap:120 VP8/90000\r\n\
            a=ssrc:380301908 cname:{d535bbf6}\r\na=ssrc:595229267 cname:{d535bbf6}\r\n\
            a=ssrc-group:FID 380301908 595229267\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 120\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sendonly\r\n\
            a=rtpmap:120 VP8/90000\r\n\
            a=ssrc-group:FEC-FR 11 12\r\na=ssrc:11 cname:x\r\na=ssrc:12 cname:x\r\n\
            a=ssrc:13 cname:x\r\n";
        let desc: SessionDescription = section.parse().unwrap();
        assert_eq!(remote_media(&desc.media[0]).unwrap().ssrcs, vec![380301908]);
        assert_eq!(remote_media(&desc.media[1]).unwrap().ssrcs, vec![11, 13]);
    }
}
