//! ICE candidates as SDP writes them (RFC 8839 §5.1).
//!
//! ```text
//! candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP
//!                       priority SP connection-address SP port SP cand-type
//!                       [SP rel-addr] [SP rel-port] *(SP cand-extension)
//! ```
//!
//! [`Candidate`] is a plain value with every field public, so the ICE crate can convert
//! its own candidates from and to it without this crate depending on ICE.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::connection::Address;
use crate::error::{FieldError, Problem, SdpError};
use crate::util::{intern, intern_value, parse_num, ByteStr, Tokens};
use crate::write::{display_via_write_sdp, write_u64, WriteSdp};

/// Transport protocol of a candidate (RFC 8839: `UDP`, or an extension such as `TCP`,
/// RFC 6544). Matched case-insensitively (Chromium writes `udp`), written upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CandidateTransport {
    /// `UDP`
    Udp,
    /// `TCP` (RFC 6544)
    Tcp,
    /// Any other token, kept verbatim.
    Other(String),
}

impl CandidateTransport {
    /// The token as written.
    pub fn as_str(&self) -> &str {
        match self {
            CandidateTransport::Udp => "UDP",
            CandidateTransport::Tcp => "TCP",
            CandidateTransport::Other(s) => s,
        }
    }

    fn parse(s: &str) -> Self {
        if s.eq_ignore_ascii_case("udp") {
            CandidateTransport::Udp
        } else if s.eq_ignore_ascii_case("tcp") {
            CandidateTransport::Tcp
        } else {
            CandidateTransport::Other(s.to_owned())
        }
    }
}

/// Candidate type (`typ`, RFC 8839 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CandidateType {
    /// `host`: a local interface address (or its mDNS name).
    Host,
    /// `srflx`: server reflexive, learned from STUN.
    Srflx,
    /// `prflx`: peer reflexive, learned from a connectivity check.
    Prflx,
    /// `relay`: allocated on a TURN server.
    Relay,
    /// Any other token, kept verbatim.
    Other(String),
}

impl CandidateType {
    /// The token as written.
    pub fn as_str(&self) -> &str {
        match self {
            CandidateType::Host => "host",
            CandidateType::Srflx => "srflx",
            CandidateType::Prflx => "prflx",
            CandidateType::Relay => "relay",
            CandidateType::Other(s) => s,
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "host" => CandidateType::Host,
            "srflx" => CandidateType::Srflx,
            "prflx" => CandidateType::Prflx,
            "relay" => CandidateType::Relay,
            other => CandidateType::Other(other.to_owned()),
        }
    }
}

/// TCP candidate type (`tcptype`, RFC 6544 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// `active`: opens outgoing connections (port 9).
    Active,
    /// `passive`: accepts incoming connections.
    Passive,
    /// `so`: simultaneous open.
    So,
}

impl TcpType {
    /// The token as written.
    pub fn as_str(self) -> &'static str {
        match self {
            TcpType::Active => "active",
            TcpType::Passive => "passive",
            TcpType::So => "so",
        }
    }
}

/// One `name value` extension pair after the fixed fields (`generation 0`, `ufrag x`,
/// `network-id 1`, `network-cost 50`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateExtension {
    /// Extension name.
    pub name: Cow<'static, str>,
    /// Extension value.
    pub value: Cow<'static, str>,
}

impl CandidateExtension {
    /// An extension pair (`CandidateExtension::new("generation", "0")`).
    pub fn new(name: impl Into<Cow<'static, str>>, value: impl Into<Cow<'static, str>>) -> Self {
        CandidateExtension {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// An ICE candidate (`a=candidate:` value, or the `candidate` string of a trickled
/// `RTCIceCandidate`).
///
/// ```
/// use oxrtc_sdp::{Candidate, CandidateType};
/// let c: Candidate = "candidate:3130091269 1 udp 2122260223 127.0.0.1 45018 typ host generation 0"
///     .parse()
///     .unwrap();
/// assert_eq!(c.port, 45018);
/// assert_eq!(c.typ, CandidateType::Host);
/// assert_eq!(c.extension("generation"), Some("0"));
/// assert_eq!(c.to_string(), "candidate:3130091269 1 UDP 2122260223 127.0.0.1 45018 typ host generation 0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Foundation (1–32 ice-chars).
    pub foundation: String,
    /// Component id: 1 for RTP, 2 for RTCP.
    pub component: u16,
    /// Transport protocol.
    pub transport: CandidateTransport,
    /// Priority (RFC 8445 §5.1.2).
    pub priority: u32,
    /// Address: IP literal, or an mDNS / host name.
    pub address: Address,
    /// Port.
    pub port: u16,
    /// Candidate type.
    pub typ: CandidateType,
    /// Related address (`raddr`).
    pub related_address: Option<Address>,
    /// Related port (`rport`).
    pub related_port: Option<u16>,
    /// TCP candidate type (`tcptype`), for TCP candidates.
    pub tcp_type: Option<TcpType>,
    /// Other extension pairs, in order.
    pub extensions: Vec<CandidateExtension>,
}

impl Candidate {
    /// The value of extension `name` (`generation`, `ufrag`, `network-id`, ...).
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|e| e.name == name)
            .map(|e| &*e.value)
    }

    /// Parses the attribute value (after `candidate:`).
    pub(crate) fn parse_value(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let foundation = t.expect("foundation")?;
        if foundation.len() > 32 {
            return Err(FieldError::new("foundation", Problem::OutOfRange));
        }
        let component = parse_num(t.expect("component-id")?, "component-id")?;
        let transport = CandidateTransport::parse(t.expect("transport")?);
        let priority = parse_num(t.expect("priority")?, "priority")?;
        let address = Address::parse(t.expect("connection-address")?);
        let port = parse_num(t.expect("port")?, "port")?;
        if t.expect("cand-type")? != "typ" {
            return Err(FieldError::new("cand-type", Problem::Invalid));
        }
        let typ = CandidateType::parse(t.expect("candidate-types")?);
        let mut candidate = Candidate {
            foundation: foundation.to_owned(),
            component,
            transport,
            priority,
            address,
            port,
            typ,
            related_address: None,
            related_port: None,
            tcp_type: None,
            extensions: Vec::new(),
        };
        while let Some(name) = t.next_token() {
            let value = t.expect("extension-att-value")?;
            match name {
                "raddr" if candidate.related_address.is_none() => {
                    candidate.related_address = Some(Address::parse(value));
                }
                "rport" if candidate.related_port.is_none() => {
                    candidate.related_port = Some(parse_num(value, "rel-port")?);
                }
                "tcptype" if candidate.tcp_type.is_none() => {
                    candidate.tcp_type = Some(match value {
                        "active" => TcpType::Active,
                        "passive" => TcpType::Passive,
                        "so" => TcpType::So,
                        _ => return Err(FieldError::new("tcp-type", Problem::Invalid)),
                    });
                }
                "raddr" | "rport" | "tcptype" => {
                    return Err(FieldError::new("extension-att-name", Problem::Invalid))
                }
                _ => candidate.extensions.push(CandidateExtension {
                    name: intern(name, EXTENSION_NAMES),
                    value: intern_value(value, &[]),
                }),
            }
        }
        Ok(candidate)
    }

    /// Writes the attribute value (after `candidate:`).
    pub(crate) fn write_value<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(&self.foundation)?;
        w.write_char(' ')?;
        write_u64(w, u64::from(self.component))?;
        w.write_char(' ')?;
        w.write_str(self.transport.as_str())?;
        w.write_char(' ')?;
        write_u64(w, u64::from(self.priority))?;
        w.write_char(' ')?;
        self.address.write_sdp(w)?;
        w.write_char(' ')?;
        write_u64(w, u64::from(self.port))?;
        w.write_str(" typ ")?;
        w.write_str(self.typ.as_str())?;
        if let Some(addr) = &self.related_address {
            w.write_str(" raddr ")?;
            addr.write_sdp(w)?;
        }
        if let Some(port) = self.related_port {
            w.write_str(" rport ")?;
            write_u64(w, u64::from(port))?;
        }
        if let Some(tcp) = self.tcp_type {
            w.write_str(" tcptype ")?;
            w.write_str(tcp.as_str())?;
        }
        for e in &self.extensions {
            w.write_char(' ')?;
            w.write_str(&e.name)?;
            w.write_char(' ')?;
            w.write_str(&e.value)?;
        }
        Ok(())
    }
}

/// Writes `candidate:<value>`, the form of `RTCIceCandidate.candidate`.
impl WriteSdp for Candidate {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str("candidate:")?;
        self.write_value(w)
    }
}

/// Parses `candidate:<value>`, also accepting a leading `a=` and a missing `candidate:`
/// prefix (trickle ICE, RFC 8840, carries the bare attribute).
impl FromStr for Candidate {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let s = s.trim_end_matches(['\r', '\n']);
        let s = s.strip_prefix("a=").unwrap_or(s);
        let s = s.strip_prefix("candidate:").unwrap_or(s);
        Candidate::parse_value(s.trim_sp()).map_err(|e| SdpError::Attribute {
            line: 1,
            attribute: "candidate",
            field: e.field,
            problem: e.problem,
        })
    }
}

display_via_write_sdp!(Candidate);

/// Extension names browsers write (libwebrtc: `generation`, `ufrag`, `network-id`,
/// `network-cost`).
const EXTENSION_NAMES: &[&str] = &["generation", "ufrag", "network-id", "network-cost"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mdns_host_candidate() {
        let c: Candidate = "candidate:2944151271 1 udp 2113937151 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54321 typ host generation 0 network-cost 999"
            .parse()
            .unwrap();
        assert!(c.address.is_mdns());
        assert_eq!(c.address.ip(), None);
        assert_eq!(c.transport, CandidateTransport::Udp);
        assert_eq!(c.extension("network-cost"), Some("999"));
    }

    #[test]
    fn ipv6_relay_with_related_address_and_ufrag() {
        let text = "a=candidate:3 1 UDP 41885439 2001:db8::10 3478 typ relay raddr 2001:db8::1 rport 50000 generation 0 ufrag EsAw network-id 2";
        let c: Candidate = text.parse().unwrap();
        assert_eq!(c.typ, CandidateType::Relay);
        assert_eq!(c.address, Address::Ip("2001:db8::10".parse().unwrap()));
        assert_eq!(
            c.related_address,
            Some(Address::Ip("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(c.related_port, Some(50000));
        let names: Vec<_> = c.extensions.iter().map(|e| &*e.name).collect();
        assert_eq!(names, ["generation", "ufrag", "network-id"]);
        assert_eq!(c.to_string(), text.strip_prefix("a=").unwrap());
    }

    #[test]
    fn tcp_passive_and_unknown_type_are_kept() {
        let c: Candidate = "candidate:7 1 TCP 1518280447 127.0.0.1 9001 typ host tcptype passive"
            .parse()
            .unwrap();
        assert_eq!(c.tcp_type, Some(TcpType::Passive));
        let odd: Candidate = "candidate:x 1 sctp 5 127.0.0.1 1 typ weird"
            .parse()
            .unwrap();
        assert_eq!(odd.transport, CandidateTransport::Other("sctp".into()));
        assert_eq!(odd.typ, CandidateType::Other("weird".into()));
        assert_eq!(
            odd.to_string(),
            "candidate:x 1 sctp 5 127.0.0.1 1 typ weird"
        );
    }

    #[test]
    fn built_from_fields_writes_and_parses_back() {
        let c = Candidate {
            foundation: "1".into(),
            component: 1,
            transport: CandidateTransport::Udp,
            priority: 2_130_706_431,
            address: Address::Ip("127.0.0.1".parse().unwrap()),
            port: 50_000,
            typ: CandidateType::Srflx,
            related_address: Some(Address::Ip("10.0.0.1".parse().unwrap())),
            related_port: Some(40_000),
            tcp_type: None,
            extensions: vec![CandidateExtension::new("generation", "0")],
        };
        let line = crate::Attribute::from(c.clone()).to_string();
        assert_eq!(
            line,
            "candidate:1 1 UDP 2130706431 127.0.0.1 50000 typ srflx raddr 10.0.0.1 rport 40000 generation 0"
        );
        assert_eq!(line.parse::<Candidate>().unwrap(), c);
    }

    #[test]
    fn bare_value_without_prefix() {
        let c: Candidate = "1 1 udp 1 127.0.0.1 5000 typ host".parse().unwrap();
        assert_eq!(c.foundation, "1");
    }

    #[test]
    fn rejects_bad_candidates() {
        for bad in [
            "candidate:",
            "candidate:1 1 udp 1 127.0.0.1 5000 typ host raddr 1.2.3.4 raddr 1.2.3.4",
            "candidate:123456789012345678901234567890123 1 udp 1 127.0.0.1 5000 typ host",
            "candidate:1 70000 udp 1 127.0.0.1 5000 typ host",
            "candidate:1 1 udp 1 127.0.0.1 5000 typ host generation",
        ] {
            assert!(bad.parse::<Candidate>().is_err(), "{bad}");
        }
    }
}
