//! Addresses and the `o=`/`c=`/`b=` building blocks (RFC 8866 §5.2, §5.7, §5.8).

use std::fmt;
use std::net::IpAddr;

use crate::error::{FieldError, Problem};
use crate::util::{parse_num, parse_u64, ByteStr, Tokens};
use crate::write::{display_via_write_sdp, write_u64, WriteSdp};

/// A unicast address as SDP carries it: an IP literal or a domain name (RFC 8866 §9:
/// `unicast-address = IP4-address / IP6-address / FQDN / extn-addr`), which is also how
/// ICE candidates carry mDNS names such as `1f4712db-ea17-4bcf-a596-105139dfd8bf.local`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// An IPv4 or IPv6 literal.
    Ip(IpAddr),
    /// Anything that is not an IP literal: a host name, an mDNS `.local` name.
    Fqdn(String),
}

impl Address {
    /// Parses one address token: an IP literal when it is one, otherwise a name.
    #[inline]
    pub fn parse(s: &str) -> Address {
        match s.parse::<IpAddr>() {
            Ok(ip) => Address::Ip(ip),
            Err(_) => Address::Fqdn(s.to_owned()),
        }
    }

    /// The IP address, if this is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Address::Ip(ip) => Some(*ip),
            Address::Fqdn(_) => None,
        }
    }

    /// True for an mDNS name (RFC 8828 §5.1: a UUID followed by `.local`).
    pub fn is_mdns(&self) -> bool {
        matches!(self, Address::Fqdn(name) if name.ends_with(".local"))
    }
}

impl From<IpAddr> for Address {
    fn from(ip: IpAddr) -> Self {
        Address::Ip(ip)
    }
}

impl WriteSdp for Address {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        match self {
            Address::Ip(ip) => write!(w, "{ip}"),
            Address::Fqdn(name) => w.write_str(name),
        }
    }
}

/// Network type (`nettype`); the Internet (`IN`) is the only one in use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NetType {
    /// `IN`
    In,
    /// Any other token, kept verbatim.
    Other(String),
}

impl NetType {
    #[inline]
    pub(crate) fn parse(s: &str) -> Self {
        if s == "IN" {
            NetType::In
        } else {
            NetType::Other(s.to_owned())
        }
    }

    /// The token as written.
    pub fn as_str(&self) -> &str {
        match self {
            NetType::In => "IN",
            NetType::Other(s) => s,
        }
    }
}

/// Address type (`addrtype`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddrType {
    /// `IP4`
    Ip4,
    /// `IP6`
    Ip6,
    /// Any other token, kept verbatim.
    Other(String),
}

impl AddrType {
    #[inline]
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "IP4" => AddrType::Ip4,
            "IP6" => AddrType::Ip6,
            _ => AddrType::Other(s.to_owned()),
        }
    }

    /// The token as written.
    pub fn as_str(&self) -> &str {
        match self {
            AddrType::Ip4 => "IP4",
            AddrType::Ip6 => "IP6",
            AddrType::Other(s) => s,
        }
    }

    /// The address type matching an IP address.
    pub fn of(ip: IpAddr) -> Self {
        if ip.is_ipv4() {
            AddrType::Ip4
        } else {
            AddrType::Ip6
        }
    }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The user's login, `-` when there is none (JSEP always writes `-`).
    pub username: String,
    /// Session id; JSEP: a random 62-bit number.
    pub session_id: u64,
    /// Session version, incremented on every change (RFC 8829 §5.2.2).
    pub session_version: u64,
    /// Network type.
    pub net_type: NetType,
    /// Address type.
    pub addr_type: AddrType,
    /// Address of the originating host.
    pub address: Address,
}

impl Origin {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let username = t.expect("username")?.to_owned();
        let session_id = parse_u64(t.expect("sess-id")?, "sess-id")?;
        let session_version = parse_u64(t.expect("sess-version")?, "sess-version")?;
        let net_type = NetType::parse(t.expect("nettype")?);
        let addr_type = AddrType::parse(t.expect("addrtype")?);
        let address = Address::parse(t.expect("unicast-address")?);
        t.finish("unicast-address")?;
        Ok(Origin {
            username,
            session_id,
            session_version,
            net_type,
            addr_type,
            address,
        })
    }
}

impl WriteSdp for Origin {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(&self.username)?;
        w.write_char(' ')?;
        write_u64(w, self.session_id)?;
        w.write_char(' ')?;
        write_u64(w, self.session_version)?;
        w.write_char(' ')?;
        w.write_str(self.net_type.as_str())?;
        w.write_char(' ')?;
        w.write_str(self.addr_type.as_str())?;
        w.write_char(' ')?;
        self.address.write_sdp(w)
    }
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Network type.
    pub net_type: NetType,
    /// Address type.
    pub addr_type: AddrType,
    /// The address (without the multicast suffixes).
    pub address: Address,
    /// IPv4 multicast TTL (`/127`).
    pub ttl: Option<u8>,
    /// Number of consecutive multicast addresses (`/3`).
    pub num_addresses: Option<u32>,
}

impl Connection {
    /// A unicast connection line for `ip` (`c=IN IP4 127.0.0.1`).
    pub fn new(ip: IpAddr) -> Self {
        Connection {
            net_type: NetType::In,
            addr_type: AddrType::of(ip),
            address: Address::Ip(ip),
            ttl: None,
            num_addresses: None,
        }
    }

    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let net_type = NetType::parse(t.expect("nettype")?);
        let addr_type = AddrType::parse(t.expect("addrtype")?);
        let full = t.expect("connection-address")?;
        t.finish("connection-address")?;
        let mut parts = full.split_b(b'/');
        // `split` always yields at least one item.
        let addr = parts.next().unwrap_or(full);
        if addr.is_empty() {
            return Err(FieldError::new("connection-address", Problem::Empty));
        }
        let first = parts.next();
        let second = parts.next();
        if parts.next().is_some() {
            return Err(FieldError::new("connection-address", Problem::Trailing));
        }
        // RFC 8866 §5.7: IPv4 multicast is `addr/ttl[/num]`, IPv6 multicast `addr[/num]`.
        let (ttl, num_addresses) = if addr_type == AddrType::Ip6 {
            if second.is_some() {
                return Err(FieldError::new("connection-address", Problem::Trailing));
            }
            (None, first.map(|n| parse_num(n, "numaddr")).transpose()?)
        } else {
            (
                first.map(|n| parse_num(n, "ttl")).transpose()?,
                second.map(|n| parse_num(n, "numaddr")).transpose()?,
            )
        };
        Ok(Connection {
            net_type,
            addr_type,
            address: Address::parse(addr),
            ttl,
            num_addresses,
        })
    }
}

impl WriteSdp for Connection {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(self.net_type.as_str())?;
        w.write_char(' ')?;
        w.write_str(self.addr_type.as_str())?;
        w.write_char(' ')?;
        self.address.write_sdp(w)?;
        if let Some(ttl) = self.ttl {
            w.write_char('/')?;
            write_u64(w, u64::from(ttl))?;
        }
        if let Some(num) = self.num_addresses {
            w.write_char('/')?;
            write_u64(w, u64::from(num))?;
        }
        Ok(())
    }
}

/// Bandwidth modifier of a `b=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BandwidthType {
    /// `CT`: conference total (RFC 8866).
    Ct,
    /// `AS`: application specific, kbit/s (RFC 8866).
    As,
    /// `TIAS`: transport independent, bit/s (RFC 3890).
    Tias,
    /// `RS`: RTCP bandwidth of senders (RFC 3556).
    Rs,
    /// `RR`: RTCP bandwidth of receivers (RFC 3556).
    Rr,
    /// Any other modifier, kept verbatim.
    Other(String),
}

impl BandwidthType {
    /// The modifier as written.
    pub fn as_str(&self) -> &str {
        match self {
            BandwidthType::Ct => "CT",
            BandwidthType::As => "AS",
            BandwidthType::Tias => "TIAS",
            BandwidthType::Rs => "RS",
            BandwidthType::Rr => "RR",
            BandwidthType::Other(s) => s,
        }
    }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    /// The modifier.
    pub kind: BandwidthType,
    /// The value, in the modifier's unit.
    pub value: u64,
}

impl Bandwidth {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let (kind, num) = value
            .split_once_b(b':')
            .ok_or(FieldError::new("bandwidth", Problem::Missing))?;
        if kind.is_empty() || kind.find_b(b' ').is_some() {
            return Err(FieldError::new("bwtype", Problem::Invalid));
        }
        let kind = match kind {
            "CT" => BandwidthType::Ct,
            "AS" => BandwidthType::As,
            "TIAS" => BandwidthType::Tias,
            "RS" => BandwidthType::Rs,
            "RR" => BandwidthType::Rr,
            other => BandwidthType::Other(other.to_owned()),
        };
        Ok(Bandwidth {
            kind,
            value: parse_u64(num, "bandwidth")?,
        })
    }
}

impl WriteSdp for Bandwidth {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(self.kind.as_str())?;
        w.write_char(':')?;
        write_u64(w, self.value)
    }
}

display_via_write_sdp!(Address, Origin, Connection, Bandwidth);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multicast_connection_forms() {
        let v4 = Connection::parse("IN IP4 233.252.0.1/127/3").unwrap();
        assert_eq!((v4.ttl, v4.num_addresses), (Some(127), Some(3)));
        assert_eq!(v4.to_string(), "IN IP4 233.252.0.1/127/3");
        let v6 = Connection::parse("IN IP6 ff00::db8:0:101/3").unwrap();
        assert_eq!((v6.ttl, v6.num_addresses), (None, Some(3)));
        assert_eq!(v6.to_string(), "IN IP6 ff00::db8:0:101/3");
        assert!(Connection::parse("IN IP6 ff00::1/3/4").is_err());
        assert!(Connection::parse("IN IP4 233.252.0.1/300").is_err());
        let named = Connection::parse("IN IP4 host.example.com").unwrap();
        assert_eq!(named.address, Address::Fqdn("host.example.com".into()));
    }

    #[test]
    fn bandwidth() {
        let b = Bandwidth::parse("TIAS:128000").unwrap();
        assert_eq!(b.kind, BandwidthType::Tias);
        assert_eq!(Bandwidth::parse("X-YZ:5").unwrap().to_string(), "X-YZ:5");
        assert!(Bandwidth::parse("AS").is_err());
        assert!(Bandwidth::parse("AS:x").is_err());
    }
}
