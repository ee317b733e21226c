//! Typed `a=` attributes. Every attribute WebRTC uses has a variant; anything else is kept
//! verbatim as [`Attribute::Unknown`], in order, so a description round-trips.

mod rtp;
mod streams;
mod transport;

use std::fmt;

pub use rtp::{Direction, Extmap, Fmtp, FmtpParam, Rtcp, RtcpFb, Rtpmap};
pub use streams::{
    Group, Msid, MsidSemantic, Rid, RidDirection, RidParam, Simulcast, SimulcastList, SimulcastRid,
    Ssrc, SsrcGroup,
};
pub use transport::{Fingerprint, HashAlgorithm, Identity, Sctpmap, Setup};

use crate::candidate::Candidate;
use crate::error::{FieldError, Problem};
use crate::util::{non_empty, parse_num, ByteStr, Tokens};
use crate::write::{write_u64, WriteSdp, CRLF};

/// One `a=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute {
    /// `a=rtpmap` (RFC 8866 §6.6)
    Rtpmap(Rtpmap),
    /// `a=fmtp` (RFC 8866 §6.15)
    Fmtp(Fmtp),
    /// `a=rtcp-fb` (RFC 4585)
    RtcpFb(RtcpFb),
    /// `a=extmap` (RFC 8285)
    Extmap(Extmap),
    /// `a=extmap-allow-mixed` (RFC 8285 §6)
    ExtmapAllowMixed,
    /// `a=mid` (RFC 5888)
    Mid(String),
    /// `a=group` (RFC 5888)
    Group(Group),
    /// `a=msid` (RFC 8830)
    Msid(Msid),
    /// `a=msid-semantic` (WebRTC `WMS`)
    MsidSemantic(MsidSemantic),
    /// `a=ssrc` (RFC 5576)
    Ssrc(Ssrc),
    /// `a=ssrc-group` (RFC 5576)
    SsrcGroup(SsrcGroup),
    /// `a=rid` (RFC 8851)
    Rid(Box<Rid>),
    /// `a=simulcast` (RFC 8853)
    Simulcast(Box<Simulcast>),
    /// `a=candidate` (RFC 8839)
    Candidate(Box<Candidate>),
    /// `a=end-of-candidates` (RFC 8840)
    EndOfCandidates,
    /// `a=ice-ufrag` (RFC 8839)
    IceUfrag(String),
    /// `a=ice-pwd` (RFC 8839)
    IcePwd(String),
    /// `a=ice-options` (RFC 8839): `trickle`, `ice2`, ...
    IceOptions(Vec<String>),
    /// `a=ice-lite` (RFC 8839)
    IceLite,
    /// `a=ice-pacing` in milliseconds (RFC 8839)
    IcePacing(u32),
    /// `a=fingerprint` (RFC 8122)
    Fingerprint(Fingerprint),
    /// `a=setup` (RFC 4145)
    Setup(Setup),
    /// `a=tls-id` (RFC 8842)
    TlsId(String),
    /// `a=sctp-port` (RFC 8841)
    SctpPort(u16),
    /// `a=max-message-size` (RFC 8841)
    MaxMessageSize(u64),
    /// `a=sctpmap` (legacy draft of RFC 8841)
    Sctpmap(Sctpmap),
    /// `a=rtcp` (RFC 3605)
    Rtcp(Box<Rtcp>),
    /// `a=rtcp-mux` (RFC 5761)
    RtcpMux,
    /// `a=rtcp-mux-only` (RFC 8858)
    RtcpMuxOnly,
    /// `a=rtcp-rsize` (RFC 5506)
    RtcpRsize,
    /// `a=sendrecv` / `sendonly` / `recvonly` / `inactive` (RFC 8866 §6.7)
    Direction(Direction),
    /// `a=bundle-only` (RFC 9143)
    BundleOnly,
    /// `a=identity` (RFC 8827)
    Identity(Identity),
    /// Any other attribute, verbatim: `a=<name>` or `a=<name>:<value>`.
    Unknown {
        /// The name (before the first `:`).
        name: String,
        /// The value (after the first `:`), if there was a colon.
        value: Option<String>,
    },
}

impl Attribute {
    /// The attribute name as written after `a=`.
    pub fn name(&self) -> &str {
        match self {
            Attribute::Rtpmap(_) => "rtpmap",
            Attribute::Fmtp(_) => "fmtp",
            Attribute::RtcpFb(_) => "rtcp-fb",
            Attribute::Extmap(_) => "extmap",
            Attribute::ExtmapAllowMixed => "extmap-allow-mixed",
            Attribute::Mid(_) => "mid",
            Attribute::Group(_) => "group",
            Attribute::Msid(_) => "msid",
            Attribute::MsidSemantic(_) => "msid-semantic",
            Attribute::Ssrc(_) => "ssrc",
            Attribute::SsrcGroup(_) => "ssrc-group",
            Attribute::Rid(_) => "rid",
            Attribute::Simulcast(_) => "simulcast",
            Attribute::Candidate(_) => "candidate",
            Attribute::EndOfCandidates => "end-of-candidates",
            Attribute::IceUfrag(_) => "ice-ufrag",
            Attribute::IcePwd(_) => "ice-pwd",
            Attribute::IceOptions(_) => "ice-options",
            Attribute::IceLite => "ice-lite",
            Attribute::IcePacing(_) => "ice-pacing",
            Attribute::Fingerprint(_) => "fingerprint",
            Attribute::Setup(_) => "setup",
            Attribute::TlsId(_) => "tls-id",
            Attribute::SctpPort(_) => "sctp-port",
            Attribute::MaxMessageSize(_) => "max-message-size",
            Attribute::Sctpmap(_) => "sctpmap",
            Attribute::Rtcp(_) => "rtcp",
            Attribute::RtcpMux => "rtcp-mux",
            Attribute::RtcpMuxOnly => "rtcp-mux-only",
            Attribute::RtcpRsize => "rtcp-rsize",
            Attribute::Direction(d) => d.as_str(),
            Attribute::BundleOnly => "bundle-only",
            Attribute::Identity(_) => "identity",
            Attribute::Unknown { name, .. } => name,
        }
    }

    /// Parses the text after `a=` (`name` or `name:value`).
    ///
    /// ```
    /// use oxrtc_sdp::{Attribute, Setup};
    /// assert_eq!(Attribute::parse("setup:actpass").unwrap(), Attribute::Setup(Setup::ActPass));
    /// assert!(matches!(Attribute::parse("x-custom:1 2").unwrap(), Attribute::Unknown { .. }));
    /// ```
    pub fn parse(text: &str) -> Result<Attribute, crate::SdpError> {
        Self::parse_line(text).map_err(|(attribute, e)| crate::SdpError::Attribute {
            line: 1,
            attribute,
            field: e.field,
            problem: e.problem,
        })
    }

    /// Parses the text after `a=`; the error names the attribute.
    pub(crate) fn parse_line(text: &str) -> Result<Attribute, (&'static str, FieldError)> {
        let (name, value) = match text.split_once_b(b':') {
            Some((n, v)) => (n, Some(v)),
            None => (text, None),
        };
        Self::parse_known(name, value).unwrap_or_else(|| {
            Ok(Attribute::Unknown {
                name: name.to_owned(),
                value: value.map(str::to_owned),
            })
        })
    }

    /// `None` when the name is not one this crate types.
    fn parse_known(
        name: &str,
        value: Option<&str>,
    ) -> Option<Result<Attribute, (&'static str, FieldError)>> {
        // Flags: no value allowed.
        let flag = |attr: Attribute, label: &'static str| {
            Some(match value {
                None => Ok(attr),
                Some(_) => Err((label, FieldError::new("value", Problem::UnexpectedValue))),
            })
        };
        macro_rules! valued {
            ($label:literal, |$v:ident| $body:expr) => {{
                let result = match value {
                    None => Err(FieldError::new("value", Problem::Missing)),
                    Some(raw) => {
                        let $v = raw.trim_sp();
                        $body
                    }
                };
                Some(result.map_err(|e| ($label, e)))
            }};
        }
        match name.as_bytes() {
            b"candidate" => valued!("candidate", |v| Candidate::parse_value(v)
                .map(|c| Attribute::Candidate(Box::new(c)))),
            b"rtcp-fb" => valued!("rtcp-fb", |v| RtcpFb::parse(v).map(Attribute::RtcpFb)),
            b"rtpmap" => valued!("rtpmap", |v| Rtpmap::parse(v).map(Attribute::Rtpmap)),
            b"fmtp" => valued!("fmtp", |v| Fmtp::parse(v).map(Attribute::Fmtp)),
            b"extmap" => valued!("extmap", |v| Extmap::parse(v).map(Attribute::Extmap)),
            b"ssrc" => valued!("ssrc", |v| Ssrc::parse(v).map(Attribute::Ssrc)),
            b"mid" => valued!("mid", |v| token(v, "identification-tag")
                .map(|m| Attribute::Mid(m.to_owned()))),
            b"msid" => valued!("msid", |v| Msid::parse(v).map(Attribute::Msid)),
            b"ice-ufrag" => valued!("ice-ufrag", |v| token(v, "ufrag")
                .map(|u| Attribute::IceUfrag(u.to_owned()))),
            b"ice-pwd" => valued!("ice-pwd", |v| token(v, "password")
                .map(|p| Attribute::IcePwd(p.to_owned()))),
            b"ice-options" => valued!("ice-options", |v| {
                let mut t = Tokens::new(v);
                let mut options = Vec::new();
                while let Some(o) = t.next_token() {
                    options.push(o.to_owned());
                }
                if options.is_empty() {
                    Err(FieldError::new("ice-option-tag", Problem::Missing))
                } else {
                    Ok(Attribute::IceOptions(options))
                }
            }),
            b"ice-pacing" => valued!("ice-pacing", |v| parse_num(v, "pacing-value")
                .map(Attribute::IcePacing)),
            b"fingerprint" => valued!("fingerprint", |v| Fingerprint::parse(v)
                .map(Attribute::Fingerprint)),
            b"setup" => valued!("setup", |v| Setup::parse(v).map(Attribute::Setup)),
            b"tls-id" => valued!("tls-id", |v| token(v, "tls-id")
                .map(|t| Attribute::TlsId(t.to_owned()))),
            b"sctp-port" => valued!("sctp-port", |v| parse_num(v, "port")
                .map(Attribute::SctpPort)),
            b"max-message-size" => valued!("max-message-size", |v| parse_num(v, "size")
                .map(Attribute::MaxMessageSize)),
            b"sctpmap" => valued!("sctpmap", |v| Sctpmap::parse(v).map(Attribute::Sctpmap)),
            b"rtcp" => valued!("rtcp", |v| Rtcp::parse(v)
                .map(|c| Attribute::Rtcp(Box::new(c)))),
            b"group" => valued!("group", |v| Group::parse(v).map(Attribute::Group)),
            b"msid-semantic" => valued!("msid-semantic", |v| MsidSemantic::parse(v)
                .map(Attribute::MsidSemantic)),
            b"ssrc-group" => valued!("ssrc-group", |v| SsrcGroup::parse(v)
                .map(Attribute::SsrcGroup)),
            b"rid" => valued!("rid", |v| Rid::parse(v)
                .map(|c| Attribute::Rid(Box::new(c)))),
            b"simulcast" => valued!("simulcast", |v| Simulcast::parse(v)
                .map(|c| Attribute::Simulcast(Box::new(c)))),
            b"identity" => valued!("identity", |v| Identity::parse(v).map(Attribute::Identity)),
            b"extmap-allow-mixed" => flag(Attribute::ExtmapAllowMixed, "extmap-allow-mixed"),
            b"end-of-candidates" => flag(Attribute::EndOfCandidates, "end-of-candidates"),
            b"ice-lite" => flag(Attribute::IceLite, "ice-lite"),
            b"rtcp-mux" => flag(Attribute::RtcpMux, "rtcp-mux"),
            b"rtcp-mux-only" => flag(Attribute::RtcpMuxOnly, "rtcp-mux-only"),
            b"rtcp-rsize" => flag(Attribute::RtcpRsize, "rtcp-rsize"),
            b"bundle-only" => flag(Attribute::BundleOnly, "bundle-only"),
            b"sendrecv" => flag(Attribute::Direction(Direction::SendRecv), "sendrecv"),
            b"sendonly" => flag(Attribute::Direction(Direction::SendOnly), "sendonly"),
            b"recvonly" => flag(Attribute::Direction(Direction::RecvOnly), "recvonly"),
            b"inactive" => flag(Attribute::Direction(Direction::Inactive), "inactive"),
            _ => None,
        }
    }

    /// Writes the text after `a=`.
    pub(crate) fn write_value<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        // Every typed variant writes `name:value`; flags write only the name.
        macro_rules! with_value {
            ($body:expr) => {{
                w.write_str(self.name())?;
                w.write_char(':')?;
                $body
            }};
        }
        match self {
            Attribute::Rtpmap(x) => with_value!(x.write_sdp(w)),
            Attribute::Fmtp(x) => with_value!(x.write_sdp(w)),
            Attribute::RtcpFb(x) => with_value!(x.write_sdp(w)),
            Attribute::Extmap(x) => with_value!(x.write_sdp(w)),
            Attribute::Group(x) => with_value!(x.write_sdp(w)),
            Attribute::Msid(x) => with_value!(x.write_sdp(w)),
            Attribute::MsidSemantic(x) => with_value!(x.write_sdp(w)),
            Attribute::Ssrc(x) => with_value!(x.write_sdp(w)),
            Attribute::SsrcGroup(x) => with_value!(x.write_sdp(w)),
            Attribute::Rid(x) => with_value!(x.write_sdp(w)),
            Attribute::Simulcast(x) => with_value!(x.write_sdp(w)),
            Attribute::Candidate(x) => with_value!(x.write_value(w)),
            Attribute::Fingerprint(x) => with_value!(x.write_sdp(w)),
            Attribute::Sctpmap(x) => with_value!(x.write_sdp(w)),
            Attribute::Rtcp(x) => with_value!(x.write_sdp(w)),
            Attribute::Identity(x) => with_value!(x.write_sdp(w)),
            Attribute::Mid(s)
            | Attribute::IceUfrag(s)
            | Attribute::IcePwd(s)
            | Attribute::TlsId(s) => {
                with_value!(w.write_str(s))
            }
            Attribute::IceOptions(options) => with_value!({
                for (i, o) in options.iter().enumerate() {
                    if i > 0 {
                        w.write_char(' ')?;
                    }
                    w.write_str(o)?;
                }
                Ok(())
            }),
            Attribute::IcePacing(n) => with_value!(write_u64(w, u64::from(*n))),
            Attribute::Setup(s) => with_value!(w.write_str(s.as_str())),
            Attribute::SctpPort(p) => with_value!(write_u64(w, u64::from(*p))),
            Attribute::MaxMessageSize(n) => with_value!(write_u64(w, *n)),
            Attribute::ExtmapAllowMixed
            | Attribute::EndOfCandidates
            | Attribute::IceLite
            | Attribute::RtcpMux
            | Attribute::RtcpMuxOnly
            | Attribute::RtcpRsize
            | Attribute::Direction(_)
            | Attribute::BundleOnly => w.write_str(self.name()),
            Attribute::Unknown { name, value } => {
                w.write_str(name)?;
                if let Some(v) = value {
                    w.write_char(':')?;
                    w.write_str(v)?;
                }
                Ok(())
            }
        }
    }

    /// Writes the whole line `a=...\r\n`.
    pub(crate) fn write_line<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str("a=")?;
        self.write_value(w)?;
        w.write_str(CRLF)
    }
}

impl From<Candidate> for Attribute {
    fn from(candidate: Candidate) -> Self {
        Attribute::Candidate(Box::new(candidate))
    }
}

/// Writes the text after `a=` (`setup:actpass`).
impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_value(f)
    }
}

/// A single non-empty token (no spaces).
fn token<'a>(v: &'a str, field: &'static str) -> Result<&'a str, FieldError> {
    let v = non_empty(v, field)?;
    if v.find_b(b' ').is_some() {
        Err(FieldError::new(field, Problem::Trailing))
    } else {
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> Attribute {
        let a = Attribute::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(a.to_string(), text, "written form");
        a
    }

    #[test]
    fn typed_attributes_write_back_verbatim() {
        for text in [
            "rtpmap:111 opus/48000/2",
            "rtpmap:9 G722/8000/1",
            "fmtp:101 0-15",
            "fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
            "fmtp:webrtc-datachannel max-message-size=100000",
            "rtcp-fb:* nack",
            "rtcp-fb:96 ccm fir",
            "rtcp-fb:96 x-custom a b",
            "extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level",
            "extmap:9 urn:example:ext attr1 attr2",
            "group:LS a1 v1",
            "group:BUNDLE",
            "msid:- f83006c5-a0ff-4e0a-9ed9-d3e6747be7d9",
            "msid-semantic:WMS *",
            "ssrc:1399694169 foo:bar",
            "ssrc:1399694169 baz",
            "ssrc-group:SIM 1 2 3",
            "rid:1 send pt=96,97;max-width=1280;max-height=720",
            "rid:f recv max-fps=30",
            "simulcast:send 1;~2,3 recv 4",
            "ice-options:trickle ice2",
            "ice-pacing:50",
            "ice-lite",
            "tls-id:91bbf309c0990a6bec11e38ba2933cee",
            "setup:holdconn",
            "sctp-port:5000",
            "max-message-size:262144",
            "sctpmap:5000 webrtc-datachannel 1024",
            "rtcp:9 IN IP4 0.0.0.0",
            "rtcp:53020",
            "rtcp-mux-only",
            "bundle-only",
            "identity:ZXhhbXBsZSBhc3NlcnRpb24= a=b",
            "end-of-candidates",
            "inactive",
            "x-unknown:value with: colons",
            "x-flag",
            "x-empty:",
        ] {
            round_trip(text);
        }
    }

    #[test]
    fn typed_fields() {
        let Attribute::Rid(rid) = round_trip("rid:1 send pt=96,97;max-width=1280") else {
            panic!("rid");
        };
        assert_eq!(rid.payload_types, [96, 97]);
        assert_eq!(rid.params[0].name, "max-width");
        let Attribute::Simulcast(sim) = round_trip("simulcast:recv a,~b;c send d") else {
            panic!("simulcast");
        };
        let recv = sim.recv().unwrap();
        assert_eq!(recv.streams.len(), 2);
        assert!(recv.streams[0][1].paused);
        assert_eq!(sim.send().unwrap().streams[0][0].id, "d");
        let Attribute::Fmtp(fmtp) = round_trip("fmtp:97 apt=96") else {
            panic!("fmtp");
        };
        assert_eq!(fmtp.apt(), Some(96));
        let Attribute::Unknown { name, value } = round_trip("x-unknown:a:b") else {
            panic!("unknown");
        };
        assert_eq!(
            (name.as_str(), value.as_deref()),
            ("x-unknown", Some("a:b"))
        );
    }

    #[test]
    fn fingerprint_case_is_normalized() {
        let a = Attribute::parse("fingerprint:SHA-256 ab:CD:0f").unwrap();
        let Attribute::Fingerprint(fp) = &a else {
            panic!("fingerprint");
        };
        assert_eq!(fp.algorithm, HashAlgorithm::Sha256);
        assert_eq!(fp.bytes, [0xab, 0xcd, 0x0f]);
        assert_eq!(a.to_string(), "fingerprint:sha-256 AB:CD:0F");
    }

    #[test]
    fn chromium_msid_semantic_space_is_accepted() {
        let a = Attribute::parse("msid-semantic: WMS stream").unwrap();
        assert_eq!(a.to_string(), "msid-semantic:WMS stream");
    }
}
