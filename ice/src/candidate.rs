//! ICE candidates (RFC 8445 §5.1) and their SDP form (RFC 8839 §5.1, RFC 6544 §4.5).
//!
//! A [`Candidate`] is a plain value: the agent stores it, the peer crate writes it into
//! SDP with [`Candidate::to_sdp_string`] and reads a peer's with
//! [`Candidate::from_sdp_str`].

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// Longest candidate line accepted by [`Candidate::from_sdp_str`], in bytes. Browsers
/// write about 150; this bounds what a peer can make us store.
pub const MAX_CANDIDATE_LEN: usize = 1024;
/// Most extension pairs (`generation 0`, `network-id 1`, ...) kept per candidate.
pub const MAX_CANDIDATE_EXTENSIONS: usize = 16;
/// RFC 8839 §5.1: `foundation = 1*32ice-char`.
pub const MAX_FOUNDATION_LEN: usize = 32;

/// Why a candidate line or value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CandidateError {
    /// The line is longer than [`MAX_CANDIDATE_LEN`].
    #[error("candidate line of {len} bytes exceeds {max}")]
    TooLong {
        /// Length of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The line ended before a mandatory field.
    #[error("candidate line ends before the {field} field")]
    Missing {
        /// Name of the missing field.
        field: &'static str,
    },
    /// A field does not follow the RFC 8839 grammar.
    #[error("invalid {field} in candidate: {value:?}")]
    Invalid {
        /// Name of the field.
        field: &'static str,
        /// The offending text (truncated to 64 bytes).
        value: String,
    },
    /// A transport other than UDP or TCP.
    #[error("unsupported candidate transport {0:?}")]
    UnsupportedTransport(String),
    /// A candidate type other than host, srflx, prflx or relay.
    #[error("unknown candidate type {0:?}")]
    UnknownType(String),
    /// An extension name without a value, or too many extensions.
    #[error("malformed candidate extensions")]
    Extensions,
}

fn invalid(field: &'static str, value: &str) -> CandidateError {
    let mut end = value.len().min(64);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    CandidateError::Invalid {
        field,
        value: value[..end].to_owned(),
    }
}

/// RFC 8445 §5.1.1: how the candidate was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateKind {
    /// An address of a local interface (`typ host`).
    Host,
    /// Our address as a STUN server saw it (`typ srflx`).
    ServerReflexive,
    /// Learned from a connectivity check (`typ prflx`).
    PeerReflexive,
    /// An address allocated on a TURN server (`typ relay`).
    Relayed,
}

impl CandidateKind {
    /// The SDP token (`host`, `srflx`, `prflx`, `relay`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::ServerReflexive => "srflx",
            Self::PeerReflexive => "prflx",
            Self::Relayed => "relay",
        }
    }

    /// RFC 8445 §5.1.2.2 recommended type preference for UDP; for TCP the values
    /// libwebrtc uses, so UDP wins over TCP of the same type (RFC 6544 §4.2).
    pub fn type_preference(self, transport: Transport) -> u32 {
        match (self, transport) {
            (Self::Host, Transport::Udp) => 126,
            (Self::PeerReflexive, Transport::Udp) => 110,
            (Self::ServerReflexive, Transport::Udp) => 100,
            (Self::Host, Transport::Tcp(_)) => 90,
            (Self::PeerReflexive, Transport::Tcp(_)) => 80,
            (Self::ServerReflexive, Transport::Tcp(_)) => 65,
            (Self::Relayed, _) => 0,
        }
    }
}

impl fmt::Display for CandidateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RFC 6544 §4.5: the role of a TCP candidate in connection setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// Opens outgoing connections, never accepts.
    Active,
    /// Accepts incoming connections, never opens.
    Passive,
    /// Simultaneous open.
    SimultaneousOpen,
}

impl TcpType {
    /// The SDP token (`active`, `passive`, `so`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::SimultaneousOpen => "so",
        }
    }

    /// RFC 6544 §6.2: whether a local candidate of this type can pair with a remote one
    /// of type `remote` (active↔passive, so↔so).
    pub fn pairs_with(self, remote: TcpType) -> bool {
        matches!(
            (self, remote),
            (Self::Active, Self::Passive)
                | (Self::Passive, Self::Active)
                | (Self::SimultaneousOpen, Self::SimultaneousOpen)
        )
    }

    /// RFC 6544 §4.2 direction preference for host candidates (active 6, passive 4, so 2).
    pub fn direction_preference(self) -> u32 {
        match self {
            Self::Active => 6,
            Self::Passive => 4,
            Self::SimultaneousOpen => 2,
        }
    }
}

impl FromStr for TcpType {
    type Err = CandidateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            _ if s.eq_ignore_ascii_case("active") => Ok(Self::Active),
            _ if s.eq_ignore_ascii_case("passive") => Ok(Self::Passive),
            _ if s.eq_ignore_ascii_case("so") => Ok(Self::SimultaneousOpen),
            _ => Err(invalid("tcptype", s)),
        }
    }
}

/// The transport of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP (`udp`).
    Udp,
    /// TCP with its RFC 6544 role (`tcp ... tcptype passive`).
    Tcp(TcpType),
}

impl Transport {
    /// Whether this is TCP, whatever the role.
    pub fn is_tcp(self) -> bool {
        matches!(self, Self::Tcp(_))
    }

    /// Whether a local candidate with this transport can pair with a remote one.
    pub fn pairs_with(self, remote: Transport) -> bool {
        match (self, remote) {
            (Self::Udp, Self::Udp) => true,
            (Self::Tcp(l), Self::Tcp(r)) => l.pairs_with(r),
            _ => false,
        }
    }
}

/// The connection address of a candidate: an IP, or a hostname such as an mDNS
/// `<uuid>.local` name (RFC 8839 §5.1 allows an FQDN).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// A literal IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A hostname to resolve first; browsers use `<uuid-v4>.local` to hide host IPs.
    Hostname(String),
}

impl Address {
    /// The IP, when the address is literal.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Ip(ip) => Some(*ip),
            Self::Hostname(_) => None,
        }
    }

    /// Whether this is an mDNS name (ends in `.local`, case-insensitively).
    pub fn is_mdns(&self) -> bool {
        match self {
            Self::Ip(_) => false,
            Self::Hostname(h) => is_mdns_name(h),
        }
    }

    fn parse(s: &str, field: &'static str) -> Result<Self, CandidateError> {
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Self::Ip(ip));
        }
        // RFC 1123 hostname characters; bounded by MAX_CANDIDATE_LEN already.
        let valid = !s.is_empty()
            && s.len() <= 253
            && s.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if valid {
            Ok(Self::Hostname(s.to_owned()))
        } else {
            Err(invalid(field, s))
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => ip.fmt(f),
            Self::Hostname(h) => f.write_str(h),
        }
    }
}

/// Whether `name` is an mDNS `.local` name.
pub fn is_mdns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    name.len() > 6 && name[name.len() - 6..].eq_ignore_ascii_case(".local")
}

/// RFC 8445 §5.1.2.1: `priority = 2^24 * type pref + 2^8 * local pref + (256 - component)`.
///
/// `local_preference` is clamped to 65535 and `component` to 1..=256.
pub fn compute_priority(type_preference: u32, local_preference: u32, component: u16) -> u32 {
    let component = u32::from(component.clamp(1, 256));
    (type_preference.min(126) << 24) + (local_preference.min(65535) << 8) + (256 - component)
}

/// RFC 8445 §5.1.1.3: candidates share a foundation when they have the same type,
/// base IP, server IP and transport. We hash those into a short decimal string, like
/// browsers do.
pub fn compute_foundation(
    kind: CandidateKind,
    base_ip: IpAddr,
    server_ip: Option<IpAddr>,
    transport: Transport,
) -> String {
    let mut h = crc32fast::Hasher::new();
    h.update(kind.as_str().as_bytes());
    h.update(base_ip.to_string().as_bytes());
    if let Some(s) = server_ip {
        h.update(b"|");
        h.update(s.to_string().as_bytes());
    }
    h.update(if transport.is_tcp() { b"tcp" } else { b"udp" });
    h.finalize().to_string()
}

fn is_ice_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// An ICE candidate (RFC 8445 §5.1).
///
/// ```
/// use oxrtc_ice::{Candidate, CandidateKind};
///
/// let line = "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host generation 0";
/// let c = Candidate::from_sdp_str(line)?;
/// assert_eq!(c.kind(), CandidateKind::Host);
/// assert_eq!(c.addr(), Some("192.0.2.1:5000".parse()?));
/// assert_eq!(c.to_sdp_string(), line);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate {
    foundation: String,
    component: u16,
    transport: Transport,
    priority: u32,
    address: Address,
    port: u16,
    kind: CandidateKind,
    related: Option<(Address, u16)>,
    extensions: Vec<(String, String)>,
}

impl Candidate {
    /// Builds a candidate of `kind` at `addr` with the RFC 8445 recommended priority
    /// (local preference 65535 for UDP; RFC 6544 direction preference for TCP) and a
    /// computed foundation. `base` is the related address for srflx/relay candidates.
    pub fn new(
        kind: CandidateKind,
        transport: Transport,
        addr: SocketAddr,
        related: Option<SocketAddr>,
        component: u16,
    ) -> Self {
        let local_pref = match transport {
            Transport::Udp => 65535,
            // RFC 6544 §4.2: local pref = 2^13 * direction-pref + other-pref.
            Transport::Tcp(t) => (t.direction_preference() << 13) + 8191,
        };
        let priority = compute_priority(
            kind.type_preference(transport),
            local_pref,
            component.max(1),
        );
        let base_ip = match (kind, related) {
            (CandidateKind::ServerReflexive, Some(r)) => r.ip(),
            _ => addr.ip(),
        };
        let server_ip = match kind {
            CandidateKind::Relayed => related.map(|r| r.ip()),
            _ => None,
        };
        Self {
            foundation: compute_foundation(kind, base_ip, server_ip, transport),
            component: component.max(1),
            transport,
            priority,
            address: Address::Ip(addr.ip()),
            port: addr.port(),
            kind,
            related: related.map(|r| (Address::Ip(r.ip()), r.port())),
            extensions: Vec::new(),
        }
    }

    /// A UDP host candidate for component 1 at `addr`.
    pub fn host(addr: SocketAddr) -> Self {
        Self::new(CandidateKind::Host, Transport::Udp, addr, None, 1)
    }

    /// A UDP server-reflexive candidate for component 1: `mapped` as the STUN server
    /// saw it, sent from local socket `base`.
    pub fn server_reflexive(mapped: SocketAddr, base: SocketAddr) -> Self {
        Self::new(
            CandidateKind::ServerReflexive,
            Transport::Udp,
            mapped,
            Some(base),
            1,
        )
    }

    /// A UDP relayed candidate for component 1: `relayed` is the address allocated on a
    /// TURN server, `mapped` our address as that server saw it (the related address).
    pub fn relayed(relayed: SocketAddr, mapped: SocketAddr) -> Self {
        Self::new(
            CandidateKind::Relayed,
            Transport::Udp,
            relayed,
            Some(mapped),
            1,
        )
    }

    /// Replaces the priority.
    #[must_use]
    pub fn with_priority(mut self, priority: u32) -> Self {
        self.priority = priority;
        self
    }

    /// Replaces the priority's local preference (0..=65535), e.g. to prefer one
    /// interface or address family over another.
    #[must_use]
    pub fn with_local_preference(mut self, local_preference: u16) -> Self {
        self.priority = compute_priority(
            self.kind.type_preference(self.transport),
            u32::from(local_preference),
            self.component,
        );
        self
    }

    /// Replaces the foundation. Invalid foundations (empty, over 32 characters or not
    /// ice-char) are rejected.
    pub fn with_foundation(mut self, foundation: &str) -> Result<Self, CandidateError> {
        validate_foundation(foundation)?;
        self.foundation = foundation.to_owned();
        Ok(self)
    }

    /// Replaces the connection address with a hostname, e.g. the mDNS name that hides
    /// this host candidate's IP. Browsers then also write `raddr 0.0.0.0 rport 0`.
    pub fn with_hostname(mut self, name: &str) -> Result<Self, CandidateError> {
        self.address = match Address::parse(name, "connection-address")? {
            Address::Ip(_) => return Err(invalid("hostname", name)),
            a => a,
        };
        Ok(self)
    }

    /// Replaces a hostname connection address with the IP it resolved to, keeping every
    /// other field.
    #[must_use]
    pub fn with_resolved_ip(mut self, ip: IpAddr) -> Self {
        self.address = Address::Ip(ip);
        self
    }

    /// Replaces the related address (`raddr`/`rport`).
    #[must_use]
    pub fn with_related(mut self, related: Option<SocketAddr>) -> Self {
        self.related = related.map(|r| (Address::Ip(r.ip()), r.port()));
        self
    }

    /// Appends an extension pair such as `("generation", "0")`. Names and values must
    /// be non-empty tokens without spaces; at most [`MAX_CANDIDATE_EXTENSIONS`].
    pub fn with_extension(mut self, name: &str, value: &str) -> Result<Self, CandidateError> {
        let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
        if !ok(name) || !ok(value) || self.extensions.len() >= MAX_CANDIDATE_EXTENSIONS {
            return Err(CandidateError::Extensions);
        }
        self.extensions.push((name.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// The foundation.
    pub fn foundation(&self) -> &str {
        &self.foundation
    }
    /// The component ID (1 for RTP/everything under rtcp-mux and BUNDLE).
    pub fn component(&self) -> u16 {
        self.component
    }
    /// The transport.
    pub fn transport(&self) -> Transport {
        self.transport
    }
    /// The priority.
    pub fn priority(&self) -> u32 {
        self.priority
    }
    /// The connection address (IP or hostname).
    pub fn address(&self) -> &Address {
        &self.address
    }
    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
    /// The candidate type.
    pub fn kind(&self) -> CandidateKind {
        self.kind
    }
    /// The related address and port, if any.
    pub fn related(&self) -> Option<(&Address, u16)> {
        self.related.as_ref().map(|(a, p)| (a, *p))
    }
    /// The related address as a socket address, when it is a literal IP.
    pub fn related_addr(&self) -> Option<SocketAddr> {
        let (a, p) = self.related.as_ref()?;
        Some(SocketAddr::new(a.ip()?, *p))
    }
    /// The extension pairs, in order.
    pub fn extensions(&self) -> &[(String, String)] {
        &self.extensions
    }
    /// The value of extension `name`, if present.
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The transport address, when the connection address is a literal IP (not an
    /// unresolved `.local` name).
    pub fn addr(&self) -> Option<SocketAddr> {
        Some(SocketAddr::new(self.address.ip()?, self.port))
    }

    /// The candidate attribute as browsers write it in `RTCIceCandidate.candidate` and
    /// SDP `a=` lines, without the `a=` prefix:
    /// `candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host`.
    pub fn to_sdp_string(&self) -> String {
        self.to_string()
    }

    /// Parses a candidate attribute in the RFC 8839 grammar. Accepts the value with or
    /// without the `a=` and `candidate:` prefixes. IPv6 addresses, `.local` names,
    /// `raddr`/`rport`, `tcptype` and other extension pairs are understood.
    pub fn from_sdp_str(s: &str) -> Result<Self, CandidateError> {
        if s.len() > MAX_CANDIDATE_LEN {
            return Err(CandidateError::TooLong {
                len: s.len(),
                max: MAX_CANDIDATE_LEN,
            });
        }
        let s = s.trim();
        let s = s.strip_prefix("a=").unwrap_or(s);
        let s = match s.get(..10) {
            Some(p) if p.eq_ignore_ascii_case("candidate:") => &s[10..],
            _ => s,
        };
        let mut it = s.split_ascii_whitespace();
        let mut next = |field: &'static str| it.next().ok_or(CandidateError::Missing { field });

        let foundation = next("foundation")?;
        validate_foundation(foundation)?;
        let component_s = next("component")?;
        let component = parse_digits::<u16>(component_s, 3)
            .filter(|c| *c >= 1 && *c <= 256)
            .ok_or_else(|| invalid("component", component_s))?;
        let transport_s = next("transport")?;
        let is_tcp = if transport_s.eq_ignore_ascii_case("udp") {
            false
        } else if transport_s.eq_ignore_ascii_case("tcp") {
            true
        } else {
            return Err(CandidateError::UnsupportedTransport(
                transport_s.chars().take(32).collect(),
            ));
        };
        let priority_s = next("priority")?;
        let priority =
            parse_digits::<u32>(priority_s, 10).ok_or_else(|| invalid("priority", priority_s))?;
        let address = Address::parse(next("connection-address")?, "connection-address")?;
        let port_s = next("port")?;
        let port = parse_digits::<u16>(port_s, 5).ok_or_else(|| invalid("port", port_s))?;
        let typ = next("typ")?;
        // ABNF string literals are case-insensitive (RFC 5234 §2.3).
        if !typ.eq_ignore_ascii_case("typ") {
            return Err(invalid("typ", typ));
        }
        let kind_s = next("cand-type")?;
        let kind = match kind_s.to_ascii_lowercase().as_str() {
            "host" => CandidateKind::Host,
            "srflx" => CandidateKind::ServerReflexive,
            "prflx" => CandidateKind::PeerReflexive,
            "relay" => CandidateKind::Relayed,
            other => {
                return Err(CandidateError::UnknownType(
                    other.chars().take(32).collect(),
                ))
            }
        };

        let mut raddr = None;
        let mut rport = None;
        let mut tcptype = None;
        let mut extensions = Vec::new();
        while let Some(name) = it.next() {
            let value = it.next().ok_or(CandidateError::Extensions)?;
            match name.to_ascii_lowercase().as_str() {
                "raddr" if raddr.is_none() => raddr = Some(Address::parse(value, "raddr")?),
                "rport" if rport.is_none() => {
                    rport =
                        Some(parse_digits::<u16>(value, 5).ok_or_else(|| invalid("rport", value))?)
                }
                "tcptype" if is_tcp && tcptype.is_none() => tcptype = Some(value.parse()?),
                _ => {
                    if extensions.len() >= MAX_CANDIDATE_EXTENSIONS {
                        return Err(CandidateError::Extensions);
                    }
                    extensions.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        let transport = if is_tcp {
            // RFC 6544 §4.5: tcptype is mandatory on TCP candidates; guessing a role
            // would pair wrongly, so a line without it is rejected.
            Transport::Tcp(tcptype.ok_or(CandidateError::Missing { field: "tcptype" })?)
        } else {
            Transport::Udp
        };
        let related = match (raddr, rport) {
            (Some(a), Some(p)) => Some((a, p)),
            (None, None) => None,
            (Some(_), None) => return Err(CandidateError::Missing { field: "rport" }),
            (None, Some(_)) => return Err(CandidateError::Missing { field: "raddr" }),
        };
        Ok(Self {
            foundation: foundation.to_owned(),
            component,
            transport,
            priority,
            address,
            port,
            kind,
            related,
            extensions,
        })
    }

    /// A peer-reflexive candidate (RFC 8445 §7.2.5.3.1 / §7.3.1.3).
    pub(crate) fn peer_reflexive(
        addr: SocketAddr,
        priority: u32,
        transport: Transport,
        component: u16,
        foundation: String,
    ) -> Self {
        Self {
            foundation,
            component,
            transport,
            priority,
            address: Address::Ip(addr.ip()),
            port: addr.port(),
            kind: CandidateKind::PeerReflexive,
            related: None,
            extensions: Vec::new(),
        }
    }
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = if self.transport.is_tcp() {
            "tcp"
        } else {
            "udp"
        };
        write!(
            f,
            "candidate:{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            transport,
            self.priority,
            self.address,
            self.port,
            self.kind
        )?;
        if let Some((a, p)) = &self.related {
            write!(f, " raddr {a} rport {p}")?;
        }
        if let Transport::Tcp(t) = self.transport {
            write!(f, " tcptype {}", t.as_str())?;
        }
        for (n, v) in &self.extensions {
            write!(f, " {n} {v}")?;
        }
        Ok(())
    }
}

impl FromStr for Candidate {
    type Err = CandidateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_sdp_str(s)
    }
}

fn validate_foundation(f: &str) -> Result<(), CandidateError> {
    if f.is_empty() || f.len() > MAX_FOUNDATION_LEN || !f.bytes().all(is_ice_char) {
        return Err(invalid("foundation", f));
    }
    Ok(())
}

fn parse_digits<T: FromStr>(s: &str, max_digits: usize) -> Option<T> {
    if s.is_empty() || s.len() > max_digits || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_formula() {
        // RFC 8445 §5.1.2.1 with the recommended values: host, 65535, component 1.
        assert_eq!(compute_priority(126, 65535, 1), 2_130_706_431);
        assert_eq!(compute_priority(100, 65535, 1), 1_694_498_815);
        assert_eq!(compute_priority(0, 65535, 2), 16_777_214);
        let c = Candidate::host("192.0.2.1:5000".parse().unwrap());
        assert_eq!(c.priority(), 2_130_706_431);
    }

    #[test]
    fn parses_chrome_host_line() {
        let line = "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 10.0.0.2 rport 61665 generation 0 ufrag EsAw network-cost 999";
        let c = Candidate::from_sdp_str(line).unwrap();
        assert_eq!(c.foundation(), "842163049");
        assert_eq!(c.kind(), CandidateKind::ServerReflexive);
        assert_eq!(c.addr(), Some("203.0.113.7:61665".parse().unwrap()));
        assert_eq!(c.related_addr(), Some("10.0.0.2:61665".parse().unwrap()));
        assert_eq!(c.extension("ufrag"), Some("EsAw"));
        assert_eq!(c.to_sdp_string(), line);
    }

    #[test]
    fn parses_mdns_ipv6_and_tcp() {
        let mdns = "a=candidate:1 1 UDP 2122262783 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54321 typ host";
        let c = Candidate::from_sdp_str(mdns).unwrap();
        assert!(c.address().is_mdns());
        assert_eq!(c.addr(), None);
        let resolved = c.with_resolved_ip("127.0.0.1".parse().unwrap());
        assert_eq!(resolved.addr(), Some("127.0.0.1:54321".parse().unwrap()));

        let v6 = "candidate:2 1 udp 2122262783 2001:db8::1 9 typ host";
        assert_eq!(
            Candidate::from_sdp_str(v6).unwrap().addr(),
            Some("[2001:db8::1]:9".parse().unwrap())
        );

        let tcp = "candidate:3 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0";
        let c = Candidate::from_sdp_str(tcp).unwrap();
        assert_eq!(c.transport(), Transport::Tcp(TcpType::Active));
        assert_eq!(c.to_sdp_string(), tcp);
    }

    #[test]
    fn keywords_are_case_insensitive() {
        let c = Candidate::from_sdp_str(
            "CANDIDATE:1 1 TCP 1 192.0.2.1 9 TYP SRFLX RADDR 10.0.0.1 RPORT 9 TCPTYPE Active",
        )
        .unwrap();
        assert_eq!(c.kind(), CandidateKind::ServerReflexive);
        assert_eq!(c.transport(), Transport::Tcp(TcpType::Active));
        assert_eq!(c.related_addr(), Some("10.0.0.1:9".parse().unwrap()));
        assert!(c.extensions().is_empty());
    }

    #[test]
    fn round_trips_constructed() {
        let base: SocketAddr = "10.0.0.2:4000".parse().unwrap();
        let c = Candidate::server_reflexive("198.51.100.1:5000".parse().unwrap(), base)
            .with_extension("generation", "0")
            .unwrap();
        let back = Candidate::from_sdp_str(&c.to_sdp_string()).unwrap();
        assert_eq!(back, c);
        let t = Candidate::new(
            CandidateKind::Host,
            Transport::Tcp(TcpType::Passive),
            base,
            None,
            1,
        );
        assert_eq!(Candidate::from_sdp_str(&t.to_sdp_string()).unwrap(), t);
        let m = Candidate::host(base)
            .with_hostname("abc.local")
            .unwrap()
            .with_related(Some("0.0.0.0:0".parse().unwrap()));
        assert_eq!(Candidate::from_sdp_str(&m.to_sdp_string()).unwrap(), m);
    }

    #[test]
    fn foundations_group_by_type_base_and_transport() {
        let a = Candidate::host("10.0.0.1:1".parse().unwrap());
        let b = Candidate::host("10.0.0.1:2".parse().unwrap());
        let c = Candidate::host("10.0.0.2:1".parse().unwrap());
        assert_eq!(a.foundation(), b.foundation());
        assert_ne!(a.foundation(), c.foundation());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "candidate:",
            "candidate:1 1 udp",
            "candidate:1 0 udp 1 1.2.3.4 5 typ host",
            "candidate:1 1 udp 99999999999 1.2.3.4 5 typ host",
            "candidate:1 1 udp 1 1.2.3.4 70000 typ host",
            "candidate:1 1 udp 1 1.2.3.4 5 type host",
            "candidate:1 1 udp 1 1.2.3.4 5 typ foo",
            "candidate:1 1 sctp 1 1.2.3.4 5 typ host",
            "candidate:1 1 tcp 1 1.2.3.4 5 typ host",
            "candidate:1 1 udp 1 1.2.3.4 5 typ host raddr",
            "candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4",
            "candidate:1 1 udp 1 bad!host 5 typ host",
            "candidate:f\u{e9} 1 udp 1 1.2.3.4 5 typ host",
            "candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host",
        ] {
            assert!(Candidate::from_sdp_str(bad).is_err(), "{bad:?}");
        }
        let long = format!(
            "candidate:1 1 udp 1 1.2.3.4 5 typ host{}",
            " a b".repeat(400)
        );
        assert!(matches!(
            Candidate::from_sdp_str(&long),
            Err(CandidateError::TooLong { .. })
        ));
        let many = format!(
            "candidate:1 1 udp 1 1.2.3.4 5 typ host{}",
            " a b".repeat(17)
        );
        assert_eq!(
            Candidate::from_sdp_str(&many),
            Err(CandidateError::Extensions)
        );
    }

    #[test]
    fn tcp_types_pair() {
        assert!(Transport::Tcp(TcpType::Active).pairs_with(Transport::Tcp(TcpType::Passive)));
        assert!(!Transport::Tcp(TcpType::Active).pairs_with(Transport::Tcp(TcpType::Active)));
        assert!(!Transport::Udp.pairs_with(Transport::Tcp(TcpType::Passive)));
    }
}
