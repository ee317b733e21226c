//! Candidate gathering helpers, kept apart from the sans-IO agent.
//!
//! - [`local_addresses`] lists the machine's interface addresses (through the
//!   `if-addrs` crate) filtered by [`HostConfig`]: interface and IP filters, loopback
//!   and link-local only when asked, IPv4/IPv6.
//! - [`bind_udp`] binds a UDP socket on an address within a port range; the caller owns
//!   the socket, the agent only sees its address.
//! - [`host_candidates`] turns bound addresses into host candidates, applying a NAT 1:1
//!   mapping ([`NatMapping`]): advertise a public IP for a host.
//! - [`SrflxGatherer`] is the sans-IO server-reflexive step: STUN Binding requests from
//!   each base to each STUN server, retransmitted, answered mapped addresses turned
//!   into `srflx` candidates.

mod srflx;

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};

use crate::candidate::{Candidate, CandidateKind, Transport};

pub use srflx::{GatherEvent, SrflxConfig, SrflxGatherer};

/// A filter on interface names.
pub type InterfaceFilter = Box<dyn Fn(&str) -> bool + Send + Sync>;
/// A filter on IP addresses.
pub type IpFilter = Box<dyn Fn(IpAddr) -> bool + Send + Sync>;

/// Which interface addresses [`local_addresses`] returns.
pub struct HostConfig {
    /// Include IPv4 addresses.
    pub ipv4: bool,
    /// Include IPv6 addresses.
    pub ipv6: bool,
    /// Include loopback addresses (off by default: only tests and single-host setups
    /// want them).
    pub include_loopback: bool,
    /// Include IPv6 link-local (`fe80::/10`) and IPv4 link-local addresses.
    pub include_link_local: bool,
    /// Keep only interfaces for which this returns true (by name, e.g. `eth0`).
    pub interface_filter: Option<InterfaceFilter>,
    /// Keep only addresses for which this returns true.
    pub ip_filter: Option<IpFilter>,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            ipv4: true,
            ipv6: true,
            include_loopback: false,
            include_link_local: false,
            interface_filter: None,
            ip_filter: None,
        }
    }
}

impl std::fmt::Debug for HostConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostConfig")
            .field("ipv4", &self.ipv4)
            .field("ipv6", &self.ipv6)
            .field("include_loopback", &self.include_loopback)
            .field("include_link_local", &self.include_link_local)
            .finish_non_exhaustive()
    }
}

impl HostConfig {
    /// Whether an address of interface `name` passes the filters.
    pub fn accepts(&self, name: &str, ip: IpAddr) -> bool {
        let link_local = match ip {
            IpAddr::V4(v4) => v4.is_link_local(),
            IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
        };
        (if ip.is_ipv4() { self.ipv4 } else { self.ipv6 })
            && (self.include_loopback || !ip.is_loopback())
            && (self.include_link_local || !link_local)
            && !ip.is_unspecified()
            && !ip.is_multicast()
            && self.interface_filter.as_ref().is_none_or(|f| f(name))
            && self.ip_filter.as_ref().is_none_or(|f| f(ip))
    }
}

/// The machine's interface addresses that pass `config`, as (interface name, IP).
pub fn local_addresses(config: &HostConfig) -> io::Result<Vec<(String, IpAddr)>> {
    let mut out: Vec<(String, IpAddr)> = if_addrs::get_if_addrs()?
        .into_iter()
        .filter(|i| config.accepts(&i.name, i.ip()))
        .map(|i| {
            let ip = i.ip();
            (i.name, ip)
        })
        .collect();
    // One entry per IP (an address can be listed on several aliases).
    let mut seen = std::collections::HashSet::new();
    out.retain(|(_, ip)| seen.insert(*ip));
    Ok(out)
}

/// A range of local ports to bind in, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    /// Lowest port.
    pub min: u16,
    /// Highest port.
    pub max: u16,
}

/// Binds a UDP socket on `ip`, on the first free port of `range` (any port when `None`).
pub fn bind_udp(ip: IpAddr, range: Option<PortRange>) -> io::Result<UdpSocket> {
    let Some(range) = range else {
        return UdpSocket::bind(SocketAddr::new(ip, 0));
    };
    if range.min == 0 || range.min > range.max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "invalid port range",
        ));
    }
    let mut last = io::Error::new(io::ErrorKind::AddrInUse, "no free port in range");
    for port in range.min..=range.max {
        match UdpSocket::bind(SocketAddr::new(ip, port)) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// NAT 1:1 address mapping: a host behind a static NAT advertises its public IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatMapping {
    /// Advertise the public IP as the host candidate instead of the local one (the
    /// candidate's base stays the local socket).
    Host(Vec<(IpAddr, IpAddr)>),
    /// Keep the host candidate and add a server-reflexive one with the public IP.
    ServerReflexive(Vec<(IpAddr, IpAddr)>),
}

/// Host candidates for bound local addresses, with an optional NAT 1:1 mapping given
/// as (local IP, public IP) pairs. Each entry is (candidate, base): pass both to
/// [`Agent::add_local_candidate_with_base`](crate::Agent::add_local_candidate_with_base).
pub fn host_candidates(
    bound: &[SocketAddr],
    mapping: Option<&NatMapping>,
) -> Vec<(Candidate, SocketAddr)> {
    let mut out = Vec::new();
    for &base in bound {
        let public = |pairs: &Vec<(IpAddr, IpAddr)>| {
            pairs
                .iter()
                .find(|(l, _)| *l == base.ip())
                .map(|(_, p)| SocketAddr::new(*p, base.port()))
        };
        match mapping {
            Some(NatMapping::Host(pairs)) => {
                let addr = public(pairs).unwrap_or(base);
                out.push((Candidate::host(addr), base));
            }
            Some(NatMapping::ServerReflexive(pairs)) => {
                out.push((Candidate::host(base), base));
                if let Some(p) = public(pairs) {
                    out.push((
                        Candidate::new(
                            CandidateKind::ServerReflexive,
                            Transport::Udp,
                            p,
                            Some(base),
                            1,
                        ),
                        base,
                    ));
                }
            }
            None => out.push((Candidate::host(base), base)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let c = HostConfig::default();
        assert!(!c.accepts("lo", "127.0.0.1".parse().unwrap()));
        assert!(c.accepts("eth0", "192.0.2.1".parse().unwrap()));
        assert!(!c.accepts("eth0", "fe80::1".parse().unwrap()));
        let c = HostConfig {
            include_loopback: true,
            ipv6: false,
            interface_filter: Some(Box::new(|n| n == "lo")),
            ..HostConfig::default()
        };
        assert!(c.accepts("lo", "127.0.0.1".parse().unwrap()));
        assert!(!c.accepts("lo", "::1".parse().unwrap()));
        assert!(!c.accepts("eth0", "192.0.2.1".parse().unwrap()));
        let c = HostConfig {
            ip_filter: Some(Box::new(|ip| ip != "192.0.2.9".parse::<IpAddr>().unwrap())),
            ..HostConfig::default()
        };
        assert!(!c.accepts("eth0", "192.0.2.9".parse().unwrap()));
    }

    #[test]
    fn loopback_only_when_asked() {
        // Reads the real interface list; asserts only on what the filter promises.
        let none = local_addresses(&HostConfig::default()).unwrap();
        assert!(none.iter().all(|(_, ip)| !ip.is_loopback()));
        let lo = local_addresses(&HostConfig {
            include_loopback: true,
            ip_filter: Some(Box::new(|ip| ip.is_loopback())),
            ..HostConfig::default()
        })
        .unwrap();
        assert!(lo.iter().any(|(_, ip)| ip.is_loopback()));
    }

    #[test]
    fn binds_in_port_range_on_loopback() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let range = PortRange {
            min: 47000,
            max: 47100,
        };
        let a = bind_udp(ip, Some(range)).unwrap();
        let b = bind_udp(ip, Some(range)).unwrap();
        let (pa, pb) = (
            a.local_addr().unwrap().port(),
            b.local_addr().unwrap().port(),
        );
        assert!((47000..=47100).contains(&pa) && (47000..=47100).contains(&pb));
        assert_ne!(pa, pb);
        assert!(bind_udp(ip, Some(PortRange { min: 5, max: 4 })).is_err());
    }

    #[test]
    fn nat_one_to_one() {
        let base: SocketAddr = "10.0.0.5:4000".parse().unwrap();
        let public: IpAddr = "203.0.113.5".parse().unwrap();
        let pairs = vec![(base.ip(), public)];
        let h = host_candidates(&[base], Some(&NatMapping::Host(pairs.clone())));
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].0.addr(), Some(SocketAddr::new(public, 4000)));
        assert_eq!(h[0].1, base);
        let s = host_candidates(&[base], Some(&NatMapping::ServerReflexive(pairs)));
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].0.kind(), CandidateKind::ServerReflexive);
        assert_eq!(s[1].0.related_addr(), Some(base));
    }
}
