//! Media sections (`m=` and the lines under it, RFC 8866 §5.14) and the JSEP helpers
//! that read them: codecs, candidates, direction, ICE credentials.

use std::fmt;

use crate::attributes::{Attribute, Direction, Fingerprint, Fmtp, RtcpFb, Rtpmap, Setup};
use crate::candidate::Candidate;
use crate::connection::{Bandwidth, Connection};
use crate::error::{FieldError, Problem};
use crate::util::{parse_num, ByteStr, Tokens};
use crate::write::{write_u64, WriteSdp};

/// Media type of an `m=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `audio`
    Audio,
    /// `video`
    Video,
    /// `application` (data channels)
    Application,
    /// `text`
    Text,
    /// `message`
    Message,
    /// Any other token, kept verbatim.
    Other(String),
}

impl MediaKind {
    /// The token as written.
    pub fn as_str(&self) -> &str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Application => "application",
            MediaKind::Text => "text",
            MediaKind::Message => "message",
            MediaKind::Other(s) => s,
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "audio" => MediaKind::Audio,
            "video" => MediaKind::Video,
            "application" => MediaKind::Application,
            "text" => MediaKind::Text,
            "message" => MediaKind::Message,
            other => MediaKind::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One media format of an `m=` line (or of an `fmtp`): an RTP payload type for RTP
/// profiles, any token otherwise (`webrtc-datachannel`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Format {
    /// A number 0–255 written without leading zeros.
    PayloadType(u8),
    /// Any other token, kept verbatim.
    Token(String),
}

impl Format {
    /// Parses one format token.
    pub fn parse(s: &str) -> Self {
        let bytes = s.as_bytes();
        let canonical = !bytes.is_empty()
            && bytes.len() <= 3
            && bytes.iter().all(u8::is_ascii_digit)
            && (bytes[0] != b'0' || bytes.len() == 1);
        if canonical {
            if let Ok(pt) = parse_num::<u8>(s, "fmt") {
                return Format::PayloadType(pt);
            }
        }
        Format::Token(s.to_owned())
    }

    /// The payload type, if the format is one.
    pub fn payload_type(&self) -> Option<u8> {
        match self {
            Format::PayloadType(pt) => Some(*pt),
            Format::Token(_) => None,
        }
    }
}

impl WriteSdp for Format {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        match self {
            Format::PayloadType(pt) => write_u64(w, u64::from(*pt)),
            Format::Token(s) => w.write_str(s),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_sdp(f)
    }
}

/// A codec of a media section: a payload type with its `rtpmap`, `fmtp` and `rtcp-fb`
/// lines joined (wildcard `rtcp-fb:*` lines included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec<'a> {
    /// The payload type.
    pub payload_type: u8,
    /// Its `rtpmap` (absent for static payload types that omit it).
    pub rtpmap: Option<&'a Rtpmap>,
    /// Its `fmtp`.
    pub fmtp: Option<&'a Fmtp>,
    /// Its feedback lines, in order.
    pub rtcp_fb: Vec<&'a RtcpFb>,
}

impl Codec<'_> {
    /// The encoding name (`opus`, `VP8`, `rtx`), when there is an `rtpmap`.
    pub fn name(&self) -> Option<&str> {
        self.rtpmap.map(|r| &*r.encoding_name)
    }

    /// The clock rate, when there is an `rtpmap`.
    pub fn clock_rate(&self) -> Option<u32> {
        self.rtpmap.map(|r| r.clock_rate)
    }

    /// For an RTX codec, the payload type it repairs (`apt=`).
    pub fn apt(&self) -> Option<u8> {
        self.fmtp.and_then(Fmtp::apt)
    }
}

/// A media section: the `m=` line and the `i c b k a` lines under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type.
    pub kind: MediaKind,
    /// Transport port (9 in JSEP offers without candidates; 0 rejects the section).
    pub port: u16,
    /// Number of ports (`m=video 49170/2 ...`).
    pub num_ports: Option<u16>,
    /// Transport protocol (`UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP`).
    pub protocol: String,
    /// Media formats, in preference order.
    pub formats: Vec<Format>,
    /// `i=` media title.
    pub title: Option<String>,
    /// `c=` lines.
    pub connections: Vec<Connection>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `k=` line (obsolete, kept verbatim).
    pub key: Option<String>,
    /// `a=` lines, in order.
    pub attributes: Vec<Attribute>,
}

impl MediaDescription {
    /// A section with no formats, connections or attributes.
    pub fn new(kind: MediaKind, port: u16, protocol: impl Into<String>) -> Self {
        MediaDescription {
            kind,
            port,
            num_ports: None,
            protocol: protocol.into(),
            formats: Vec::new(),
            title: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
        }
    }

    pub(crate) fn parse_m_line(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let kind = MediaKind::parse(t.expect("media")?);
        let port_field = t.expect("port")?;
        let (port, num_ports) = match port_field.split_once_b(b'/') {
            Some((p, n)) => (parse_num(p, "port")?, Some(parse_num(n, "integer")?)),
            None => (parse_num(port_field, "port")?, None),
        };
        let protocol = t.expect("proto")?.to_owned();
        let mut formats = Vec::new();
        while let Some(f) = t.next_token() {
            formats.push(Format::parse(f));
        }
        if formats.is_empty() {
            return Err(FieldError::new("fmt", Problem::Missing));
        }
        let mut media = MediaDescription::new(kind, port, protocol);
        media.num_ports = num_ports;
        media.formats = formats;
        Ok(media)
    }

    pub(crate) fn write_m_line<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(self.kind.as_str())?;
        w.write_char(' ')?;
        write_u64(w, u64::from(self.port))?;
        if let Some(n) = self.num_ports {
            w.write_char('/')?;
            write_u64(w, u64::from(n))?;
        }
        w.write_char(' ')?;
        w.write_str(&self.protocol)?;
        for f in &self.formats {
            w.write_char(' ')?;
            f.write_sdp(w)?;
        }
        Ok(())
    }

    /// The `a=mid` value.
    pub fn mid(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Mid(m) => Some(m.as_str()),
            _ => None,
        })
    }

    /// The direction attribute, if present (RFC 8866 §6.7: `sendrecv` when absent).
    pub fn direction(&self) -> Option<Direction> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Direction(d) => Some(*d),
            _ => None,
        })
    }

    /// Replaces the direction attribute (or adds one).
    pub fn set_direction(&mut self, direction: Direction) {
        match self
            .attributes
            .iter_mut()
            .find(|a| matches!(a, Attribute::Direction(_)))
        {
            Some(a) => *a = Attribute::Direction(direction),
            None => self.attributes.push(Attribute::Direction(direction)),
        }
    }

    /// True when the port is 0 and the section is not `bundle-only` (RFC 8829 §5.2.2:
    /// a rejected or stopped section).
    pub fn is_rejected(&self) -> bool {
        self.port == 0 && !self.attributes.contains(&Attribute::BundleOnly)
    }

    /// The payload types of the `m=` line, in order.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(Format::payload_type)
    }

    /// The codecs of this section in `m=` line order, each payload type joined with its
    /// `rtpmap`, `fmtp` and `rtcp-fb` lines (wildcard `*` feedback applies to all).
    pub fn codecs(&self) -> Vec<Codec<'_>> {
        self.payload_types().map(|pt| self.codec(pt)).collect()
    }

    /// The codec for one payload type (the `rtpmap`/`fmtp` may be absent).
    pub fn codec(&self, payload_type: u8) -> Codec<'_> {
        let mut codec = Codec {
            payload_type,
            rtpmap: None,
            fmtp: None,
            rtcp_fb: Vec::new(),
        };
        for a in &self.attributes {
            match a {
                Attribute::Rtpmap(r) if r.payload_type == payload_type => {
                    codec.rtpmap.get_or_insert(r);
                }
                Attribute::Fmtp(f) if f.format == Format::PayloadType(payload_type) => {
                    codec.fmtp.get_or_insert(f);
                }
                Attribute::RtcpFb(fb)
                    if fb.payload_type.is_none() || fb.payload_type == Some(payload_type) =>
                {
                    codec.rtcp_fb.push(fb);
                }
                _ => {}
            }
        }
        codec
    }

    /// Keeps only the payload types for which `keep` returns true: removes the others
    /// from the `m=` line and drops their `rtpmap`, `fmtp` and `rtcp-fb` lines.
    pub fn retain_payload_types(&mut self, mut keep: impl FnMut(u8) -> bool) {
        let mut removed = [false; 256];
        self.formats.retain(|f| match f {
            Format::PayloadType(pt) if !keep(*pt) => {
                removed[usize::from(*pt)] = true;
                false
            }
            _ => true,
        });
        self.attributes.retain(|a| {
            let pt = match a {
                Attribute::Rtpmap(r) => Some(r.payload_type),
                Attribute::Fmtp(f) => f.format.payload_type(),
                Attribute::RtcpFb(fb) => fb.payload_type,
                _ => None,
            };
            pt.is_none_or(|pt| !removed[usize::from(pt)])
        });
    }

    /// The `a=candidate` lines of this section.
    pub fn candidates(&self) -> impl Iterator<Item = &Candidate> + '_ {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Candidate(c) => Some(&**c),
            _ => None,
        })
    }

    /// True when the section says `a=end-of-candidates`.
    pub fn end_of_candidates(&self) -> bool {
        self.attributes.contains(&Attribute::EndOfCandidates)
    }

    /// The media-level `a=ice-ufrag`.
    pub fn ice_ufrag(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::IceUfrag(u) => Some(u.as_str()),
            _ => None,
        })
    }

    /// The media-level `a=ice-pwd`.
    pub fn ice_pwd(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::IcePwd(p) => Some(p.as_str()),
            _ => None,
        })
    }

    /// The media-level `a=fingerprint` lines.
    pub fn fingerprints(&self) -> impl Iterator<Item = &Fingerprint> + '_ {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Fingerprint(f) => Some(f),
            _ => None,
        })
    }

    /// The media-level `a=setup`.
    pub fn setup(&self) -> Option<Setup> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Setup(s) => Some(*s),
            _ => None,
        })
    }

    /// True when the section has the flag attribute `a=<name>` or any attribute of that
    /// name (see [`Attribute::name`]).
    pub fn has_attribute(&self, name: &str) -> bool {
        self.attributes.iter().any(|a| a.name() == name)
    }
}
