//! The session description: session-level lines plus the media sections.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use crate::attributes::{Attribute, Fingerprint, Group, Setup};
use crate::connection::{AddrType, Address, Bandwidth, Connection, NetType, Origin};
use crate::error::SdpError;
use crate::limits::ParseLimits;
use crate::media::MediaDescription;
use crate::time::{write_time_zones, TimeZone, Timing};
use crate::write::{WriteSdp, CRLF};

/// A whole SDP (RFC 8866): session-level fields, session attributes, media sections.
///
/// Parse with [`str::parse`] (or [`SessionDescription::parse_with`] for custom limits),
/// write with [`ToString::to_string`] / `Display` (CRLF line ends). Parsing accepts CRLF
/// and bare LF, skips empty lines, and accepts the session-level lines in any order
/// (written back in RFC 8866 order); for every description it accepts,
/// `desc.to_string().parse() == Ok(desc)`.
///
/// The `v=` line has no field: RFC 8866 defines only version 0, which is all this parser
/// accepts and what it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=` line.
    pub origin: Origin,
    /// `s=` line (JSEP writes `-`).
    pub session_name: String,
    /// `i=` line.
    pub session_info: Option<String>,
    /// `u=` line.
    pub uri: Option<String>,
    /// `e=` lines.
    pub emails: Vec<String>,
    /// `p=` lines.
    pub phones: Vec<String>,
    /// Session-level `c=` line.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines, each with its `r=` lines (JSEP: one `t=0 0`).
    pub timings: Vec<Timing>,
    /// `z=` line.
    pub time_zones: Vec<TimeZone>,
    /// Session-level `k=` line (obsolete, kept verbatim).
    pub key: Option<String>,
    /// Session-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
    /// Media sections, in order.
    pub media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// An empty JSEP description (RFC 8829 §5.2.1): `o=- <id> <version> IN IP4 0.0.0.0`,
    /// `s=-`, `t=0 0`, no attributes, no media.
    pub fn new(session_id: u64, session_version: u64) -> Self {
        SessionDescription {
            origin: Origin {
                username: "-".to_owned(),
                session_id,
                session_version,
                net_type: NetType::In,
                addr_type: AddrType::Ip4,
                address: Address::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            },
            session_name: "-".to_owned(),
            session_info: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timings: vec![Timing::default()],
            time_zones: Vec::new(),
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    /// Parses with explicit limits.
    pub fn parse_with(sdp: &str, limits: &ParseLimits) -> Result<Self, SdpError> {
        crate::parse::parse(sdp, limits)
    }

    /// Parses UTF-8 bytes with the default limits.
    pub fn from_bytes(sdp: &[u8]) -> Result<Self, SdpError> {
        let limits = ParseLimits::default();
        if sdp.len() > limits.max_size {
            return Err(SdpError::TooLarge {
                len: sdp.len(),
                limit: limits.max_size,
            });
        }
        let text = std::str::from_utf8(sdp).map_err(|e| SdpError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        crate::parse::parse(text, &limits)
    }

    /// Writes the description into a new string sized for it up front.
    pub fn to_sdp_string(&self) -> String {
        let estimate = 256
            + self.attributes.len() * 48
            + self
                .media
                .iter()
                .map(|m| 64 + m.attributes.len() * 48)
                .sum::<usize>();
        let mut out = String::with_capacity(estimate);
        // Writing into a String cannot fail.
        let _ = self.write_sdp(&mut out);
        out
    }

    /// The media section whose `a=mid` is `mid`.
    pub fn media_by_mid(&self, mid: &str) -> Option<&MediaDescription> {
        self.media.iter().find(|m| m.mid() == Some(mid))
    }

    /// The media section whose `a=mid` is `mid`, mutably.
    pub fn media_by_mid_mut(&mut self, mid: &str) -> Option<&mut MediaDescription> {
        self.media.iter_mut().find(|m| m.mid() == Some(mid))
    }

    /// The session-level `a=group` lines.
    pub fn groups(&self) -> impl Iterator<Item = &Group> + '_ {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Group(g) => Some(g),
            _ => None,
        })
    }

    /// The `a=group:BUNDLE` groups.
    pub fn bundle_groups(&self) -> impl Iterator<Item = &Group> + '_ {
        self.groups().filter(|g| g.is_bundle())
    }

    /// True when the session has `a=ice-lite`.
    pub fn ice_lite(&self) -> bool {
        self.attributes.contains(&Attribute::IceLite)
    }

    /// The ICE username fragment of `media`: its own `a=ice-ufrag`, else the session's.
    pub fn ice_ufrag_of<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a str> {
        media.ice_ufrag().or_else(|| {
            self.attributes.iter().find_map(|a| match a {
                Attribute::IceUfrag(u) => Some(u.as_str()),
                _ => None,
            })
        })
    }

    /// The ICE password of `media`: its own `a=ice-pwd`, else the session's.
    pub fn ice_pwd_of<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a str> {
        media.ice_pwd().or_else(|| {
            self.attributes.iter().find_map(|a| match a {
                Attribute::IcePwd(p) => Some(p.as_str()),
                _ => None,
            })
        })
    }

    /// The DTLS fingerprints of `media`: its own, else the session's (RFC 8122 §5).
    pub fn fingerprints_of<'a>(&'a self, media: &'a MediaDescription) -> Vec<&'a Fingerprint> {
        let own: Vec<_> = media.fingerprints().collect();
        if !own.is_empty() {
            return own;
        }
        self.attributes
            .iter()
            .filter_map(|a| match a {
                Attribute::Fingerprint(f) => Some(f),
                _ => None,
            })
            .collect()
    }

    /// The DTLS role of `media`: its own `a=setup`, else the session's.
    pub fn setup_of(&self, media: &MediaDescription) -> Option<Setup> {
        media.setup().or_else(|| {
            self.attributes.iter().find_map(|a| match a {
                Attribute::Setup(s) => Some(*s),
                _ => None,
            })
        })
    }
}

fn line<W: fmt::Write>(w: &mut W, kind: &str, value: &str) -> fmt::Result {
    w.write_str(kind)?;
    w.write_str(value)?;
    w.write_str(CRLF)
}

fn value_line<W: fmt::Write, T: WriteSdp>(w: &mut W, kind: &str, value: &T) -> fmt::Result {
    w.write_str(kind)?;
    value.write_sdp(w)?;
    w.write_str(CRLF)
}

impl WriteSdp for SessionDescription {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str("v=0\r\n")?;
        value_line(w, "o=", &self.origin)?;
        line(w, "s=", &self.session_name)?;
        if let Some(i) = &self.session_info {
            line(w, "i=", i)?;
        }
        if let Some(u) = &self.uri {
            line(w, "u=", u)?;
        }
        for e in &self.emails {
            line(w, "e=", e)?;
        }
        for p in &self.phones {
            line(w, "p=", p)?;
        }
        if let Some(c) = &self.connection {
            value_line(w, "c=", c)?;
        }
        for b in &self.bandwidths {
            value_line(w, "b=", b)?;
        }
        for t in &self.timings {
            w.write_str("t=")?;
            crate::write::write_u64(w, t.start)?;
            w.write_char(' ')?;
            crate::write::write_u64(w, t.stop)?;
            w.write_str(CRLF)?;
            for r in &t.repeats {
                value_line(w, "r=", r)?;
            }
        }
        if !self.time_zones.is_empty() {
            w.write_str("z=")?;
            write_time_zones(w, &self.time_zones)?;
            w.write_str(CRLF)?;
        }
        if let Some(k) = &self.key {
            line(w, "k=", k)?;
        }
        for a in &self.attributes {
            a.write_line(w)?;
        }
        for m in &self.media {
            w.write_str("m=")?;
            m.write_m_line(w)?;
            w.write_str(CRLF)?;
            if let Some(i) = &m.title {
                line(w, "i=", i)?;
            }
            for c in &m.connections {
                value_line(w, "c=", c)?;
            }
            for b in &m.bandwidths {
                value_line(w, "b=", b)?;
            }
            if let Some(k) = &m.key {
                line(w, "k=", k)?;
            }
            for a in &m.attributes {
                a.write_line(w)?;
            }
        }
        Ok(())
    }
}

/// Writes the SDP text with CRLF line ends.
impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_sdp(f)
    }
}

/// Parses with the default [`ParseLimits`].
impl FromStr for SessionDescription {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        crate::parse::parse(s, &ParseLimits::DEFAULT)
    }
}
