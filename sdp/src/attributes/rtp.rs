//! RTP attributes: `rtpmap`, `fmtp`, `rtcp-fb`, `extmap`, `rtcp`, and the direction flags.

use std::borrow::Cow;
use std::fmt;

use crate::connection::{AddrType, Address, NetType};
use crate::error::{FieldError, Problem};
use crate::media::Format;
use crate::util::{intern, intern_value, non_empty, parse_num, ByteStr, Tokens};
use crate::write::{display_via_write_sdp, write_u64, WriteSdp};

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`
/// (RFC 8866 §6.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtpmap {
    /// RTP payload type.
    pub payload_type: u8,
    /// Encoding name as written (`opus`, `VP8`, `rtx`; compare case-insensitively).
    pub encoding_name: Cow<'static, str>,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters: the channel count for audio (`opus/48000/2`).
    pub encoding_params: Option<u16>,
}

impl Rtpmap {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let (pt, rest) = value
            .split_once_b(b' ')
            .ok_or(FieldError::new("encoding-name", Problem::Missing))?;
        let payload_type = parse_num(pt, "payload-type")?;
        let rest = rest.trim_start_sp();
        let mut parts = rest.split_b(b'/');
        let name = non_empty(parts.next().unwrap_or(""), "encoding-name")?;
        if name.find_b(b' ').is_some() {
            return Err(FieldError::new("encoding-name", Problem::Invalid));
        }
        let clock_rate = parse_num(
            parts
                .next()
                .ok_or(FieldError::new("clock-rate", Problem::Missing))?,
            "clock-rate",
        )?;
        let encoding_params = parts
            .next()
            .map(|p| parse_num(p, "encoding-params"))
            .transpose()?;
        if parts.next().is_some() {
            return Err(FieldError::new("encoding-params", Problem::Trailing));
        }
        Ok(Rtpmap {
            payload_type,
            encoding_name: intern(name, ENCODING_NAMES),
            clock_rate,
            encoding_params,
        })
    }
}

impl WriteSdp for Rtpmap {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        write_u64(w, u64::from(self.payload_type))?;
        w.write_char(' ')?;
        w.write_str(&self.encoding_name)?;
        w.write_char('/')?;
        write_u64(w, u64::from(self.clock_rate))?;
        if let Some(p) = self.encoding_params {
            w.write_char('/')?;
            write_u64(w, u64::from(p))?;
        }
        Ok(())
    }
}

/// One `name[=value]` parameter of an `fmtp` line (`apt=96`, `useinbandfec=1`, or a bare
/// `0-15` for telephone-event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FmtpParam {
    /// The parameter name (for a bare parameter, the whole text).
    pub name: Cow<'static, str>,
    /// The value after `=`, if there was one.
    pub value: Option<Cow<'static, str>>,
}

/// `a=fmtp:<format> <format specific parameters>` (RFC 8866 §6.15), with the parameters
/// split at `;` into `name=value` pairs, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp {
    /// The format (an RTP payload type in WebRTC).
    pub format: Format,
    /// The parameters, in order.
    pub params: Vec<FmtpParam>,
}

impl Fmtp {
    /// The value of parameter `name` (exact match), if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.as_deref())
    }

    /// The payload type an RTX format repairs (`apt=`, RFC 4588).
    pub fn apt(&self) -> Option<u8> {
        self.param("apt").and_then(|v| v.parse().ok())
    }

    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let (format, rest) = match value.split_once_b(b' ') {
            Some((f, rest)) => (f, rest),
            None => (value, ""),
        };
        let format = Format::parse(non_empty(format, "format")?);
        let mut params = Vec::new();
        for piece in rest.split_b(b';') {
            let piece = piece.trim_sp();
            if piece.is_empty() {
                continue;
            }
            params.push(match piece.split_once_b(b'=') {
                Some((name, value)) => FmtpParam {
                    name: intern(name.trim_sp(), FMTP_NAMES),
                    value: Some(intern_value(value.trim_sp(), FMTP_VALUES)),
                },
                None => FmtpParam {
                    name: Cow::Owned(piece.to_owned()),
                    value: None,
                },
            });
        }
        Ok(Fmtp { format, params })
    }
}

impl WriteSdp for Fmtp {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        self.format.write_sdp(w)?;
        for (i, p) in self.params.iter().enumerate() {
            w.write_char(if i == 0 { ' ' } else { ';' })?;
            w.write_str(&p.name)?;
            if let Some(v) = &p.value {
                w.write_char('=')?;
                w.write_str(v)?;
            }
        }
        Ok(())
    }
}

/// `a=rtcp-fb:<payload type or *> <type> [<parameter>]` (RFC 4585 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpFb {
    /// The payload type, `None` for the wildcard `*`.
    pub payload_type: Option<u8>,
    /// Feedback type: `nack`, `ccm`, `goog-remb`, `transport-cc`, ...
    pub feedback: Cow<'static, str>,
    /// Its parameter: `pli` in `nack pli`, `fir` in `ccm fir`.
    pub param: Option<Cow<'static, str>>,
}

impl RtcpFb {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let pt = t.expect("rtcp-fb-pt")?;
        let payload_type = if pt == "*" {
            None
        } else {
            Some(parse_num(pt, "rtcp-fb-pt")?)
        };
        let feedback = intern(t.expect("rtcp-fb-val")?, FEEDBACK_TYPES);
        let rest = t.rest();
        let param = if rest.is_empty() {
            None
        } else {
            Some(intern(rest.trim_sp(), FEEDBACK_PARAMS))
        };
        Ok(RtcpFb {
            payload_type,
            feedback,
            param,
        })
    }
}

impl WriteSdp for RtcpFb {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        match self.payload_type {
            Some(pt) => write_u64(w, u64::from(pt))?,
            None => w.write_char('*')?,
        }
        w.write_char(' ')?;
        w.write_str(&self.feedback)?;
        if let Some(p) = &self.param {
            w.write_char(' ')?;
            w.write_str(p)?;
        }
        Ok(())
    }
}

/// Media direction (RFC 8866 §6.7), also the optional direction of an `extmap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `sendrecv`
    SendRecv,
    /// `sendonly`
    SendOnly,
    /// `recvonly`
    RecvOnly,
    /// `inactive`
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// Parses a direction name.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }

    /// The direction seen from the other side (`sendonly` ↔ `recvonly`).
    pub fn reverse(self) -> Self {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            other => other,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=extmap:<id>[/<direction>] <URI> [<extension attributes>]` (RFC 8285 §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extmap {
    /// Local identifier (1–14 one-byte, up to 255 two-byte, 4096–4351 reserved).
    pub id: u16,
    /// Optional direction.
    pub direction: Option<Direction>,
    /// Extension URI.
    pub uri: Cow<'static, str>,
    /// Extension attributes, verbatim.
    pub attributes: Option<String>,
}

impl Extmap {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let head = t.expect("extmap-id")?;
        let (id, direction) = match head.split_once_b(b'/') {
            Some((id, dir)) => (
                id,
                Some(
                    Direction::from_name(dir)
                        .ok_or(FieldError::new("direction", Problem::Invalid))?,
                ),
            ),
            None => (head, None),
        };
        let id = parse_num(id, "extmap-id")?;
        let uri = intern(t.expect("uri")?, EXTMAP_URIS);
        let rest = t.rest().trim_sp();
        Ok(Extmap {
            id,
            direction,
            uri,
            attributes: (!rest.is_empty()).then(|| rest.to_owned()),
        })
    }
}

impl WriteSdp for Extmap {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        write_u64(w, u64::from(self.id))?;
        if let Some(d) = self.direction {
            w.write_char('/')?;
            w.write_str(d.as_str())?;
        }
        w.write_char(' ')?;
        w.write_str(&self.uri)?;
        if let Some(a) = &self.attributes {
            w.write_char(' ')?;
            w.write_str(a)?;
        }
        Ok(())
    }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <connection-address>]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    /// RTCP port.
    pub port: u16,
    /// Optional address: network type, address type, address.
    pub address: Option<(NetType, AddrType, Address)>,
}

impl Rtcp {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let port = parse_num(t.expect("port")?, "port")?;
        let address = match t.next_token() {
            None => None,
            Some(net) => {
                let net = NetType::parse(net);
                let addr_type = AddrType::parse(t.expect("addrtype")?);
                let addr = Address::parse(t.expect("connection-address")?);
                t.finish("connection-address")?;
                Some((net, addr_type, addr))
            }
        };
        Ok(Rtcp { port, address })
    }
}

impl WriteSdp for Rtcp {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        write_u64(w, u64::from(self.port))?;
        if let Some((net, addr_type, addr)) = &self.address {
            w.write_char(' ')?;
            w.write_str(net.as_str())?;
            w.write_char(' ')?;
            w.write_str(addr_type.as_str())?;
            w.write_char(' ')?;
            addr.write_sdp(w)?;
        }
        Ok(())
    }
}

display_via_write_sdp!(Rtpmap, Fmtp, RtcpFb, Extmap, Rtcp);

// Tokens browsers write in every offer; parsing them borrows these instead of allocating.

const ENCODING_NAMES: &[&str] = &[
    "opus",
    "red",
    "rtx",
    "VP8",
    "VP9",
    "H264",
    "H265",
    "AV1",
    "ulpfec",
    "flexfec-03",
    "G722",
    "PCMU",
    "PCMA",
    "CN",
    "telephone-event",
    "multiopus",
    "ILBC",
    "ISAC",
];

const FMTP_NAMES: &[&str] = &[
    "apt",
    "minptime",
    "useinbandfec",
    "usedtx",
    "stereo",
    "sprop-stereo",
    "maxplaybackrate",
    "sprop-maxcapturerate",
    "maxaveragebitrate",
    "ptime",
    "level-asymmetry-allowed",
    "packetization-mode",
    "profile-level-id",
    "profile-id",
    "level-idx",
    "profile",
    "tier",
    "max-fs",
    "max-fr",
    "x-google-start-bitrate",
    "x-google-min-bitrate",
    "x-google-max-bitrate",
    "repair-window",
    "rtx-time",
];

const FMTP_VALUES: &[&str] = &["42e01f", "42001f", "4d001f", "64001f", "0-15", "111/111"];

const FEEDBACK_TYPES: &[&str] = &["nack", "ccm", "ack", "trr-int", "goog-remb", "transport-cc"];

const FEEDBACK_PARAMS: &[&str] = &["pli", "fir", "sli", "rpsi", "tmmbr", "tstr", "vbcm"];

const EXTMAP_URIS: &[&str] = &[
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "urn:ietf:params:rtp-hdrext:csrc-audio-level",
    "urn:ietf:params:rtp-hdrext:sdes:mid",
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:toffset",
    "urn:3gpp:video-orientation",
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time",
    "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
    "http://www.webrtc.org/experiments/rtp-hdrext/video-content-type",
    "http://www.webrtc.org/experiments/rtp-hdrext/video-timing",
    "http://www.webrtc.org/experiments/rtp-hdrext/color-space",
    "http://www.webrtc.org/experiments/rtp-hdrext/video-layers-allocation00",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension",
];
