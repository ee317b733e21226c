//! STUN attributes: type codes and typed values (RFC 8489 §14, RFC 8445 §16, RFC 8656 §18,
//! RFC 6062 §6.2).
//!
//! [`Attribute`] borrows from the message it was decoded from, so decoding allocates
//! nothing; the same enum is handed to [`Message::add`](super::Message::add) to build.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::{StunError, TransactionId, MAGIC_COOKIE};

/// A STUN attribute type (16 bits). Values below 0x8000 are comprehension-required.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributeType(pub u16);

impl AttributeType {
    /// RFC 8489 §14.1.
    pub const MAPPED_ADDRESS: Self = Self(0x0001);
    /// RFC 8489 §14.3.
    pub const USERNAME: Self = Self(0x0006);
    /// RFC 8489 §14.5.
    pub const MESSAGE_INTEGRITY: Self = Self(0x0008);
    /// RFC 8489 §14.8.
    pub const ERROR_CODE: Self = Self(0x0009);
    /// RFC 8489 §14.9.
    pub const UNKNOWN_ATTRIBUTES: Self = Self(0x000A);
    /// RFC 8656 §18.1.
    pub const CHANNEL_NUMBER: Self = Self(0x000C);
    /// RFC 8656 §18.2.
    pub const LIFETIME: Self = Self(0x000D);
    /// RFC 8656 §18.3.
    pub const XOR_PEER_ADDRESS: Self = Self(0x0012);
    /// RFC 8656 §18.4.
    pub const DATA: Self = Self(0x0013);
    /// RFC 8489 §14.9.
    pub const REALM: Self = Self(0x0014);
    /// RFC 8489 §14.10.
    pub const NONCE: Self = Self(0x0015);
    /// RFC 8656 §18.5.
    pub const XOR_RELAYED_ADDRESS: Self = Self(0x0016);
    /// RFC 8656 §18.6.
    pub const REQUESTED_ADDRESS_FAMILY: Self = Self(0x0017);
    /// RFC 8656 §18.7.
    pub const EVEN_PORT: Self = Self(0x0018);
    /// RFC 8656 §18.8.
    pub const REQUESTED_TRANSPORT: Self = Self(0x0019);
    /// RFC 8656 §18.9.
    pub const DONT_FRAGMENT: Self = Self(0x001A);
    /// RFC 8489 §14.6.
    pub const MESSAGE_INTEGRITY_SHA256: Self = Self(0x001C);
    /// RFC 8489 §14.12.
    pub const PASSWORD_ALGORITHM: Self = Self(0x001D);
    /// RFC 8489 §14.4.
    pub const USERHASH: Self = Self(0x001E);
    /// RFC 8489 §14.2.
    pub const XOR_MAPPED_ADDRESS: Self = Self(0x0020);
    /// RFC 8656 §18.10.
    pub const RESERVATION_TOKEN: Self = Self(0x0022);
    /// RFC 8445 §16.1.
    pub const PRIORITY: Self = Self(0x0024);
    /// RFC 8445 §16.1.
    pub const USE_CANDIDATE: Self = Self(0x0025);
    /// RFC 6062 §6.2.1.
    pub const CONNECTION_ID: Self = Self(0x002A);
    /// RFC 8489 §14.11.
    pub const PASSWORD_ALGORITHMS: Self = Self(0x8002);
    /// RFC 8489 §14.16.
    pub const ALTERNATE_DOMAIN: Self = Self(0x8003);
    /// RFC 8656 §18.11.
    pub const ADDITIONAL_ADDRESS_FAMILY: Self = Self(0x8000);
    /// RFC 8656 §18.12.
    pub const ADDRESS_ERROR_CODE: Self = Self(0x8001);
    /// RFC 8656 §18.13.
    pub const ICMP: Self = Self(0x8004);
    /// RFC 8489 §14.14.
    pub const SOFTWARE: Self = Self(0x8022);
    /// RFC 8489 §14.15.
    pub const ALTERNATE_SERVER: Self = Self(0x8023);
    /// RFC 8489 §14.7.
    pub const FINGERPRINT: Self = Self(0x8028);
    /// RFC 8445 §16.1.
    pub const ICE_CONTROLLED: Self = Self(0x8029);
    /// RFC 8445 §16.1.
    pub const ICE_CONTROLLING: Self = Self(0x802A);

    /// RFC 8489 §14: types 0x0000-0x7FFF must be understood by the receiver.
    pub const fn is_comprehension_required(self) -> bool {
        self.0 < 0x8000
    }

    /// Whether this crate decodes the type into a typed [`Attribute`] variant.
    pub const fn is_known(self) -> bool {
        matches!(
            self.0,
            0x0001
                | 0x0006
                | 0x0008
                | 0x0009
                | 0x000A
                | 0x000C
                | 0x000D
                | 0x0012
                | 0x0013
                | 0x0014
                | 0x0015
                | 0x0016
                | 0x0017
                | 0x0018
                | 0x0019
                | 0x001A
                | 0x001C
                | 0x001D
                | 0x001E
                | 0x0020
                | 0x0022
                | 0x0024
                | 0x0025
                | 0x002A
                | 0x8000
                | 0x8001
                | 0x8002
                | 0x8003
                | 0x8004
                | 0x8022
                | 0x8023
                | 0x8028
                | 0x8029
                | 0x802A
        )
    }
}

impl fmt::Debug for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AttributeType({:#06x})", self.0)
    }
}

/// IP address family as STUN encodes it (RFC 8489 §14.1, RFC 8656 §18.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressFamily {
    /// 0x01.
    V4,
    /// 0x02.
    V6,
}

impl AddressFamily {
    /// The wire code.
    pub const fn code(self) -> u8 {
        match self {
            Self::V4 => 0x01,
            Self::V6 => 0x02,
        }
    }

    /// From the wire code.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0x01 => Some(Self::V4),
            0x02 => Some(Self::V6),
            _ => None,
        }
    }

    /// The family of an address.
    pub const fn of(addr: &SocketAddr) -> Self {
        match addr {
            SocketAddr::V4(_) => Self::V4,
            SocketAddr::V6(_) => Self::V6,
        }
    }
}

/// An ERROR-CODE value (RFC 8489 §14.8): a code 300..=699 and a reason phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode<'a> {
    /// The numeric code (class * 100 + number).
    pub code: u16,
    /// The UTF-8 reason phrase.
    pub reason: &'a str,
}

impl ErrorCode<'static> {
    /// 300 Try Alternate.
    pub const TRY_ALTERNATE: Self = Self::new(300, "Try Alternate");
    /// 400 Bad Request.
    pub const BAD_REQUEST: Self = Self::new(400, "Bad Request");
    /// 401 Unauthenticated.
    pub const UNAUTHENTICATED: Self = Self::new(401, "Unauthenticated");
    /// 403 Forbidden.
    pub const FORBIDDEN: Self = Self::new(403, "Forbidden");
    /// 420 Unknown Attribute.
    pub const UNKNOWN_ATTRIBUTE: Self = Self::new(420, "Unknown Attribute");
    /// 437 Allocation Mismatch (RFC 8656).
    pub const ALLOCATION_MISMATCH: Self = Self::new(437, "Allocation Mismatch");
    /// 438 Stale Nonce.
    pub const STALE_NONCE: Self = Self::new(438, "Stale Nonce");
    /// 440 Address Family not Supported (RFC 8656).
    pub const ADDRESS_FAMILY_NOT_SUPPORTED: Self = Self::new(440, "Address Family not Supported");
    /// 441 Wrong Credentials (RFC 8656).
    pub const WRONG_CREDENTIALS: Self = Self::new(441, "Wrong Credentials");
    /// 442 Unsupported Transport Protocol (RFC 8656).
    pub const UNSUPPORTED_TRANSPORT: Self = Self::new(442, "Unsupported Transport Protocol");
    /// 443 Peer Address Family Mismatch (RFC 8656).
    pub const PEER_ADDRESS_FAMILY_MISMATCH: Self = Self::new(443, "Peer Address Family Mismatch");
    /// 486 Allocation Quota Reached (RFC 8656).
    pub const ALLOCATION_QUOTA_REACHED: Self = Self::new(486, "Allocation Quota Reached");
    /// 487 Role Conflict (RFC 8445).
    pub const ROLE_CONFLICT: Self = Self::new(487, "Role Conflict");
    /// 500 Server Error.
    pub const SERVER_ERROR: Self = Self::new(500, "Server Error");
    /// 508 Insufficient Capacity (RFC 8656).
    pub const INSUFFICIENT_CAPACITY: Self = Self::new(508, "Insufficient Capacity");
}

impl<'a> ErrorCode<'a> {
    /// A code with a reason phrase.
    pub const fn new(code: u16, reason: &'a str) -> Self {
        Self { code, reason }
    }
}

/// A list of 16-bit attribute types as carried by UNKNOWN-ATTRIBUTES (RFC 8489 §14.9),
/// borrowed from the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AttributeTypes<'a>(&'a [u8]);

impl<'a> AttributeTypes<'a> {
    /// Wraps big-endian 16-bit values; fails on an odd length.
    pub fn from_wire(bytes: &'a [u8]) -> Result<Self, StunError> {
        if !bytes.len().is_multiple_of(2) {
            return Err(StunError::BadAttribute {
                attr_type: AttributeType::UNKNOWN_ATTRIBUTES.0,
                reason: "odd length",
            });
        }
        Ok(Self(bytes))
    }

    /// The wire bytes.
    pub fn as_wire(&self) -> &'a [u8] {
        self.0
    }

    /// The types, in order.
    pub fn iter(&self) -> impl Iterator<Item = AttributeType> + 'a {
        self.0
            .chunks_exact(2)
            .map(|c| AttributeType(u16::from_be_bytes([c[0], c[1]])))
    }

    /// Encodes `types` into wire bytes for [`Attribute::UnknownAttributes`].
    pub fn encode(types: &[AttributeType]) -> Vec<u8> {
        types.iter().flat_map(|t| t.0.to_be_bytes()).collect()
    }
}

impl fmt::Debug for AttributeTypes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Password algorithm numbers (RFC 8489 §18.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordAlgorithm(pub u16);

impl PasswordAlgorithm {
    /// MD5 (0x0001): key = MD5(username ":" realm ":" password).
    pub const MD5: Self = Self(0x0001);
    /// SHA-256 (0x0002): key = SHA-256(username ":" realm ":" password).
    pub const SHA256: Self = Self(0x0002);
}

/// PASSWORD-ALGORITHMS (RFC 8489 §14.11): a list of (algorithm, parameters), borrowed
/// from the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PasswordAlgorithms<'a>(&'a [u8]);

impl<'a> PasswordAlgorithms<'a> {
    /// Validates the wire layout (each entry: algorithm u16, length u16, padded parameters).
    pub fn from_wire(bytes: &'a [u8]) -> Result<Self, StunError> {
        let mut rest = bytes;
        while !rest.is_empty() {
            if rest.len() < 4 {
                return Err(bad(AttributeType::PASSWORD_ALGORITHMS, "truncated entry"));
            }
            let plen = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
            let padded = 4 + pad4(plen);
            if rest.len() < padded {
                return Err(bad(
                    AttributeType::PASSWORD_ALGORITHMS,
                    "truncated parameters",
                ));
            }
            rest = &rest[padded..];
        }
        Ok(Self(bytes))
    }

    /// The wire bytes.
    pub fn as_wire(&self) -> &'a [u8] {
        self.0
    }

    /// The algorithms with their parameters.
    pub fn iter(&self) -> impl Iterator<Item = (PasswordAlgorithm, &'a [u8])> + 'a {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            if rest.len() < 4 {
                return None;
            }
            let alg = u16::from_be_bytes([rest[0], rest[1]]);
            let plen = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
            let params = rest.get(4..4 + plen)?;
            rest = rest.get(4 + pad4(plen)..).unwrap_or(&[]);
            Some((PasswordAlgorithm(alg), params))
        })
    }

    /// Encodes algorithms without parameters (MD5 and SHA-256 take none).
    pub fn encode(algorithms: &[PasswordAlgorithm]) -> Vec<u8> {
        let mut out = Vec::with_capacity(algorithms.len() * 4);
        for a in algorithms {
            out.extend_from_slice(&a.0.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
        }
        out
    }
}

impl fmt::Debug for PasswordAlgorithms<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A decoded STUN attribute, borrowing strings and byte values from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute<'a> {
    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    MappedAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
    XorMappedAddress(SocketAddr),
    /// USERNAME (RFC 8489 §14.3), at most 513 bytes.
    Username(&'a str),
    /// USERHASH (RFC 8489 §14.4), 32 bytes.
    UserHash(&'a [u8; 32]),
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5): the 20-byte HMAC-SHA1 as received. Produced by
    /// [`Message::encode`](super::Message::encode), never added by hand.
    MessageIntegrity(&'a [u8; 20]),
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6): 16 to 32 bytes as received.
    MessageIntegritySha256(&'a [u8]),
    /// FINGERPRINT (RFC 8489 §14.7) as received.
    Fingerprint(u32),
    /// ERROR-CODE (RFC 8489 §14.8).
    ErrorCode(ErrorCode<'a>),
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.9).
    UnknownAttributes(AttributeTypes<'a>),
    /// REALM (RFC 8489 §14.9).
    Realm(&'a str),
    /// NONCE (RFC 8489 §14.10).
    Nonce(&'a str),
    /// PASSWORD-ALGORITHMS (RFC 8489 §14.11).
    PasswordAlgorithms(PasswordAlgorithms<'a>),
    /// PASSWORD-ALGORITHM (RFC 8489 §14.12): algorithm and parameters.
    PasswordAlgorithm(PasswordAlgorithm, &'a [u8]),
    /// SOFTWARE (RFC 8489 §14.14).
    Software(&'a str),
    /// ALTERNATE-SERVER (RFC 8489 §14.15).
    AlternateServer(SocketAddr),
    /// ALTERNATE-DOMAIN (RFC 8489 §14.16).
    AlternateDomain(&'a str),
    /// PRIORITY (RFC 8445 §16.1).
    Priority(u32),
    /// USE-CANDIDATE (RFC 8445 §16.1), empty.
    UseCandidate,
    /// ICE-CONTROLLED with its tie-breaker (RFC 8445 §16.1).
    IceControlled(u64),
    /// ICE-CONTROLLING with its tie-breaker (RFC 8445 §16.1).
    IceControlling(u64),
    /// CHANNEL-NUMBER (RFC 8656 §18.1): the channel, 0x4000..=0x4FFF when valid.
    ChannelNumber(u16),
    /// LIFETIME in seconds (RFC 8656 §18.2).
    Lifetime(u32),
    /// XOR-PEER-ADDRESS (RFC 8656 §18.3).
    XorPeerAddress(SocketAddr),
    /// DATA (RFC 8656 §18.4).
    Data(&'a [u8]),
    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
    XorRelayedAddress(SocketAddr),
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6).
    RequestedAddressFamily(AddressFamily),
    /// EVEN-PORT with its R (reserve next port) bit (RFC 8656 §18.7).
    EvenPort(bool),
    /// REQUESTED-TRANSPORT protocol number, 17 = UDP, 6 = TCP (RFC 8656 §18.8).
    RequestedTransport(u8),
    /// DONT-FRAGMENT (RFC 8656 §18.9), empty.
    DontFragment,
    /// RESERVATION-TOKEN (RFC 8656 §18.10).
    ReservationToken(&'a [u8; 8]),
    /// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11).
    AdditionalAddressFamily(AddressFamily),
    /// ADDRESS-ERROR-CODE (RFC 8656 §18.12): family and error.
    AddressErrorCode(AddressFamily, ErrorCode<'a>),
    /// ICMP (RFC 8656 §18.13): type, code and error data.
    Icmp {
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        icmp_code: u8,
        /// Error data (e.g. the MTU for "fragmentation needed").
        data: u32,
    },
    /// CONNECTION-ID (RFC 6062 §6.2.1).
    ConnectionId(u32),
    /// Any other attribute, kept as raw bytes.
    Other(AttributeType, &'a [u8]),
}

/// RFC 8489 §14.3: "MUST contain a UTF-8-encoded sequence of fewer than 509 bytes"; 513
/// is the RFC 5389 limit some peers still use.
const MAX_USERNAME: usize = 513;
/// RFC 8489 §14.9/§14.10/§14.14: fewer than 128 characters, at most 763 bytes.
const MAX_TEXT: usize = 763;

pub(crate) const fn pad4(len: usize) -> usize {
    (len + 3) & !3
}

fn bad(t: AttributeType, reason: &'static str) -> StunError {
    StunError::BadAttribute {
        attr_type: t.0,
        reason,
    }
}

fn text(t: AttributeType, v: &[u8], max: usize) -> Result<&str, StunError> {
    if v.len() > max {
        return Err(bad(t, "too long"));
    }
    std::str::from_utf8(v).map_err(|_| bad(t, "not UTF-8"))
}

fn fixed<const N: usize>(t: AttributeType, v: &[u8]) -> Result<&[u8; N], StunError> {
    v.try_into().map_err(|_| bad(t, "wrong length"))
}

fn parse_address(t: AttributeType, v: &[u8]) -> Result<SocketAddr, StunError> {
    if v.len() < 4 {
        return Err(bad(t, "truncated address"));
    }
    let port = u16::from_be_bytes([v[2], v[3]]);
    match (AddressFamily::from_code(v[1]), v.len()) {
        (Some(AddressFamily::V4), 8) => {
            let ip: [u8; 4] = v[4..8].try_into().map_err(|_| bad(t, "bad IPv4"))?;
            Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port))
        }
        (Some(AddressFamily::V6), 20) => {
            let ip: [u8; 16] = v[4..20].try_into().map_err(|_| bad(t, "bad IPv6"))?;
            Ok(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port))
        }
        (None, _) => Err(bad(t, "unknown address family")),
        _ => Err(bad(t, "address length does not match family")),
    }
}

/// The 16-byte XOR pad of RFC 8489 §14.2: magic cookie then transaction id.
fn xor_pad(tid: &TransactionId) -> [u8; 16] {
    let mut pad = [0u8; 16];
    pad[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    pad[4..].copy_from_slice(&tid.0);
    pad
}

fn unxor(addr: SocketAddr, tid: &TransactionId) -> SocketAddr {
    let pad = xor_pad(tid);
    let port = addr.port() ^ (MAGIC_COOKIE >> 16) as u16;
    match addr.ip() {
        IpAddr::V4(ip) => {
            let mut o = ip.octets();
            o.iter_mut().zip(&pad[..4]).for_each(|(b, p)| *b ^= p);
            SocketAddr::new(IpAddr::V4(Ipv4Addr::from(o)), port)
        }
        IpAddr::V6(ip) => {
            let mut o = ip.octets();
            o.iter_mut().zip(&pad).for_each(|(b, p)| *b ^= p);
            SocketAddr::new(IpAddr::V6(Ipv6Addr::from(o)), port)
        }
    }
}

fn parse_error_code(t: AttributeType, v: &[u8]) -> Result<ErrorCode<'_>, StunError> {
    if v.len() < 4 {
        return Err(bad(t, "truncated error code"));
    }
    let class = u16::from(v[2] & 0x07);
    let number = u16::from(v[3]);
    if !(3..=6).contains(&class) || number > 99 {
        return Err(bad(t, "error code out of range"));
    }
    let reason = text(t, &v[4..], MAX_TEXT)?;
    Ok(ErrorCode {
        code: class * 100 + number,
        reason,
    })
}

impl<'a> Attribute<'a> {
    /// Decodes the value `v` of an attribute of type `t` from a message with transaction
    /// id `tid` (needed to un-XOR addresses). Unknown types become [`Attribute::Other`].
    pub fn decode(
        t: AttributeType,
        v: &'a [u8],
        tid: &TransactionId,
    ) -> Result<Attribute<'a>, StunError> {
        use Attribute as A;
        use AttributeType as T;
        Ok(match t {
            T::MAPPED_ADDRESS => A::MappedAddress(parse_address(t, v)?),
            T::XOR_MAPPED_ADDRESS => A::XorMappedAddress(unxor(parse_address(t, v)?, tid)),
            T::XOR_PEER_ADDRESS => A::XorPeerAddress(unxor(parse_address(t, v)?, tid)),
            T::XOR_RELAYED_ADDRESS => A::XorRelayedAddress(unxor(parse_address(t, v)?, tid)),
            T::ALTERNATE_SERVER => A::AlternateServer(parse_address(t, v)?),
            T::USERNAME => A::Username(text(t, v, MAX_USERNAME)?),
            T::USERHASH => A::UserHash(fixed::<32>(t, v)?),
            T::MESSAGE_INTEGRITY => A::MessageIntegrity(fixed::<20>(t, v)?),
            T::MESSAGE_INTEGRITY_SHA256 => {
                if v.len() < 16 || v.len() > 32 || !v.len().is_multiple_of(4) {
                    return Err(bad(t, "wrong length"));
                }
                A::MessageIntegritySha256(v)
            }
            T::FINGERPRINT => A::Fingerprint(u32::from_be_bytes(*fixed::<4>(t, v)?)),
            T::ERROR_CODE => A::ErrorCode(parse_error_code(t, v)?),
            T::UNKNOWN_ATTRIBUTES => A::UnknownAttributes(AttributeTypes::from_wire(v)?),
            T::REALM => A::Realm(text(t, v, MAX_TEXT)?),
            T::NONCE => A::Nonce(text(t, v, MAX_TEXT)?),
            T::SOFTWARE => A::Software(text(t, v, MAX_TEXT)?),
            T::ALTERNATE_DOMAIN => A::AlternateDomain(text(t, v, 255)?),
            T::PASSWORD_ALGORITHMS => A::PasswordAlgorithms(PasswordAlgorithms::from_wire(v)?),
            T::PASSWORD_ALGORITHM => {
                if v.len() < 4 {
                    return Err(bad(t, "truncated"));
                }
                let alg = u16::from_be_bytes([v[0], v[1]]);
                let plen = usize::from(u16::from_be_bytes([v[2], v[3]]));
                let params = v.get(4..4 + plen).ok_or(bad(t, "truncated parameters"))?;
                A::PasswordAlgorithm(PasswordAlgorithm(alg), params)
            }
            T::PRIORITY => A::Priority(u32::from_be_bytes(*fixed::<4>(t, v)?)),
            T::USE_CANDIDATE => {
                fixed::<0>(t, v)?;
                A::UseCandidate
            }
            T::ICE_CONTROLLED => A::IceControlled(u64::from_be_bytes(*fixed::<8>(t, v)?)),
            T::ICE_CONTROLLING => A::IceControlling(u64::from_be_bytes(*fixed::<8>(t, v)?)),
            T::CHANNEL_NUMBER => {
                let b = fixed::<4>(t, v)?;
                A::ChannelNumber(u16::from_be_bytes([b[0], b[1]]))
            }
            T::LIFETIME => A::Lifetime(u32::from_be_bytes(*fixed::<4>(t, v)?)),
            T::DATA => A::Data(v),
            T::REQUESTED_ADDRESS_FAMILY | T::ADDITIONAL_ADDRESS_FAMILY => {
                let b = fixed::<4>(t, v)?;
                let fam = AddressFamily::from_code(b[0]).ok_or(bad(t, "unknown family"))?;
                if t == T::REQUESTED_ADDRESS_FAMILY {
                    A::RequestedAddressFamily(fam)
                } else {
                    A::AdditionalAddressFamily(fam)
                }
            }
            T::EVEN_PORT => A::EvenPort(fixed::<1>(t, v)?[0] & 0x80 != 0),
            T::REQUESTED_TRANSPORT => A::RequestedTransport(fixed::<4>(t, v)?[0]),
            T::DONT_FRAGMENT => {
                fixed::<0>(t, v)?;
                A::DontFragment
            }
            T::RESERVATION_TOKEN => A::ReservationToken(fixed::<8>(t, v)?),
            T::ADDRESS_ERROR_CODE => {
                if v.len() < 4 {
                    return Err(bad(t, "truncated"));
                }
                let fam = AddressFamily::from_code(v[0]).ok_or(bad(t, "unknown family"))?;
                A::AddressErrorCode(fam, parse_error_code(t, v)?)
            }
            T::ICMP => {
                let b = fixed::<8>(t, v)?;
                A::Icmp {
                    icmp_type: b[2] & 0x7f,
                    icmp_code: b[3],
                    data: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
                }
            }
            T::CONNECTION_ID => A::ConnectionId(u32::from_be_bytes(*fixed::<4>(t, v)?)),
            _ => A::Other(t, v),
        })
    }

    /// The attribute's type code.
    pub fn attribute_type(&self) -> AttributeType {
        use Attribute as A;
        use AttributeType as T;
        match self {
            A::MappedAddress(_) => T::MAPPED_ADDRESS,
            A::XorMappedAddress(_) => T::XOR_MAPPED_ADDRESS,
            A::Username(_) => T::USERNAME,
            A::UserHash(_) => T::USERHASH,
            A::MessageIntegrity(_) => T::MESSAGE_INTEGRITY,
            A::MessageIntegritySha256(_) => T::MESSAGE_INTEGRITY_SHA256,
            A::Fingerprint(_) => T::FINGERPRINT,
            A::ErrorCode(_) => T::ERROR_CODE,
            A::UnknownAttributes(_) => T::UNKNOWN_ATTRIBUTES,
            A::Realm(_) => T::REALM,
            A::Nonce(_) => T::NONCE,
            A::PasswordAlgorithms(_) => T::PASSWORD_ALGORITHMS,
            A::PasswordAlgorithm(..) => T::PASSWORD_ALGORITHM,
            A::Software(_) => T::SOFTWARE,
            A::AlternateServer(_) => T::ALTERNATE_SERVER,
            A::AlternateDomain(_) => T::ALTERNATE_DOMAIN,
            A::Priority(_) => T::PRIORITY,
            A::UseCandidate => T::USE_CANDIDATE,
            A::IceControlled(_) => T::ICE_CONTROLLED,
            A::IceControlling(_) => T::ICE_CONTROLLING,
            A::ChannelNumber(_) => T::CHANNEL_NUMBER,
            A::Lifetime(_) => T::LIFETIME,
            A::XorPeerAddress(_) => T::XOR_PEER_ADDRESS,
            A::Data(_) => T::DATA,
            A::XorRelayedAddress(_) => T::XOR_RELAYED_ADDRESS,
            A::RequestedAddressFamily(_) => T::REQUESTED_ADDRESS_FAMILY,
            A::EvenPort(_) => T::EVEN_PORT,
            A::RequestedTransport(_) => T::REQUESTED_TRANSPORT,
            A::DontFragment => T::DONT_FRAGMENT,
            A::ReservationToken(_) => T::RESERVATION_TOKEN,
            A::AdditionalAddressFamily(_) => T::ADDITIONAL_ADDRESS_FAMILY,
            A::AddressErrorCode(..) => T::ADDRESS_ERROR_CODE,
            A::Icmp { .. } => T::ICMP,
            A::ConnectionId(_) => T::CONNECTION_ID,
            A::Other(t, _) => *t,
        }
    }

    /// Appends the attribute's value (without header or padding) to `out`, XOR-ing
    /// addresses with `tid`.
    pub(crate) fn encode_value(&self, tid: &TransactionId, out: &mut Vec<u8>) {
        use Attribute as A;
        match *self {
            A::MappedAddress(a) | A::AlternateServer(a) => put_address(a, out),
            A::XorMappedAddress(a) | A::XorPeerAddress(a) | A::XorRelayedAddress(a) => {
                put_address(unxor(a, tid), out)
            }
            A::Username(s) | A::Realm(s) | A::Nonce(s) | A::Software(s) | A::AlternateDomain(s) => {
                out.extend_from_slice(s.as_bytes())
            }
            A::UserHash(h) => out.extend_from_slice(h),
            A::MessageIntegrity(h) => out.extend_from_slice(h),
            A::MessageIntegritySha256(h) | A::Data(h) | A::Other(_, h) => out.extend_from_slice(h),
            A::Fingerprint(v) | A::Priority(v) | A::Lifetime(v) | A::ConnectionId(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            A::ErrorCode(e) => put_error(e, out),
            A::UnknownAttributes(l) => out.extend_from_slice(l.as_wire()),
            A::PasswordAlgorithms(l) => out.extend_from_slice(l.as_wire()),
            A::PasswordAlgorithm(alg, params) => {
                out.extend_from_slice(&alg.0.to_be_bytes());
                let plen = u16::try_from(params.len()).unwrap_or(u16::MAX);
                out.extend_from_slice(&plen.to_be_bytes());
                out.extend_from_slice(&params[..usize::from(plen)]);
                out.resize(out.len() + pad4(params.len()) - params.len(), 0);
            }
            A::UseCandidate | A::DontFragment => {}
            A::IceControlled(v) | A::IceControlling(v) => out.extend_from_slice(&v.to_be_bytes()),
            A::ChannelNumber(c) => {
                out.extend_from_slice(&c.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            A::RequestedAddressFamily(f) | A::AdditionalAddressFamily(f) => {
                out.extend_from_slice(&[f.code(), 0, 0, 0])
            }
            A::EvenPort(r) => out.push(if r { 0x80 } else { 0 }),
            A::RequestedTransport(p) => out.extend_from_slice(&[p, 0, 0, 0]),
            A::ReservationToken(t) => out.extend_from_slice(t),
            A::AddressErrorCode(f, e) => {
                let start = out.len();
                put_error(e, out);
                out[start] = f.code();
            }
            A::Icmp {
                icmp_type,
                icmp_code,
                data,
            } => {
                out.extend_from_slice(&[0, 0, icmp_type & 0x7f, icmp_code]);
                out.extend_from_slice(&data.to_be_bytes());
            }
        }
    }
}

fn put_address(a: SocketAddr, out: &mut Vec<u8>) {
    out.push(0);
    out.push(AddressFamily::of(&a).code());
    out.extend_from_slice(&a.port().to_be_bytes());
    match a.ip() {
        IpAddr::V4(ip) => out.extend_from_slice(&ip.octets()),
        IpAddr::V6(ip) => out.extend_from_slice(&ip.octets()),
    }
}

fn put_error(e: ErrorCode<'_>, out: &mut Vec<u8>) {
    let code = e.code.min(699);
    out.extend_from_slice(&[0, 0, (code / 100) as u8, (code % 100) as u8]);
    out.extend_from_slice(e.reason.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_address_round_trip_v4_v6() {
        let tid = TransactionId([7; 12]);
        for addr in [
            "192.0.2.1:32853".parse::<SocketAddr>().unwrap(),
            "[2001:db8::1]:9".parse().unwrap(),
        ] {
            let mut v = Vec::new();
            Attribute::XorMappedAddress(addr).encode_value(&tid, &mut v);
            let back = Attribute::decode(AttributeType::XOR_MAPPED_ADDRESS, &v, &tid).unwrap();
            assert_eq!(back, Attribute::XorMappedAddress(addr));
        }
    }

    #[test]
    fn error_code_round_trip_and_range() {
        let tid = TransactionId([0; 12]);
        let mut v = Vec::new();
        Attribute::ErrorCode(ErrorCode::STALE_NONCE).encode_value(&tid, &mut v);
        assert_eq!(&v[..4], &[0, 0, 4, 38]);
        let back = Attribute::decode(AttributeType::ERROR_CODE, &v, &tid).unwrap();
        assert_eq!(back, Attribute::ErrorCode(ErrorCode::STALE_NONCE));
        assert!(Attribute::decode(AttributeType::ERROR_CODE, &[0, 0, 7, 0], &tid).is_err());
        assert!(Attribute::decode(AttributeType::ERROR_CODE, &[0, 0, 4], &tid).is_err());
    }

    #[test]
    fn malformed_values_are_errors() {
        let tid = TransactionId([0; 12]);
        let cases: &[(AttributeType, &[u8])] = &[
            (AttributeType::XOR_MAPPED_ADDRESS, &[0, 1, 0]),
            (AttributeType::XOR_MAPPED_ADDRESS, &[0, 2, 0, 0, 1, 2, 3, 4]),
            (AttributeType::MAPPED_ADDRESS, &[0, 9, 0, 0, 1, 2, 3, 4]),
            (AttributeType::PRIORITY, &[1, 2, 3]),
            (AttributeType::USE_CANDIDATE, &[1]),
            (AttributeType::USERNAME, &[0xff, 0xfe]),
            (AttributeType::UNKNOWN_ATTRIBUTES, &[1, 2, 3]),
            (AttributeType::PASSWORD_ALGORITHMS, &[0, 1, 0, 8, 0]),
            (AttributeType::MESSAGE_INTEGRITY_SHA256, &[0; 12]),
            (AttributeType::REQUESTED_ADDRESS_FAMILY, &[3, 0, 0, 0]),
        ];
        for (t, v) in cases {
            assert!(Attribute::decode(*t, v, &tid).is_err(), "{t:?} {v:?}");
        }
    }

    #[test]
    fn typed_values_round_trip() {
        let tid = TransactionId([3; 12]);
        let unknown = AttributeTypes::encode(&[AttributeType(0x0033), AttributeType(0x7000)]);
        let algs = PasswordAlgorithms::encode(&[PasswordAlgorithm::SHA256, PasswordAlgorithm::MD5]);
        let attrs = [
            Attribute::Priority(0x6e0001ff),
            Attribute::IceControlled(0x932ff9b151263b36),
            Attribute::IceControlling(1),
            Attribute::UseCandidate,
            Attribute::ChannelNumber(0x4001),
            Attribute::Lifetime(600),
            Attribute::RequestedTransport(17),
            Attribute::RequestedAddressFamily(AddressFamily::V6),
            Attribute::AdditionalAddressFamily(AddressFamily::V6),
            Attribute::EvenPort(true),
            Attribute::DontFragment,
            Attribute::ReservationToken(&[1, 2, 3, 4, 5, 6, 7, 8]),
            Attribute::AddressErrorCode(AddressFamily::V6, ErrorCode::new(440, "no")),
            Attribute::Icmp {
                icmp_type: 3,
                icmp_code: 4,
                data: 1400,
            },
            Attribute::ConnectionId(99),
            Attribute::UnknownAttributes(AttributeTypes::from_wire(&unknown).unwrap()),
            Attribute::PasswordAlgorithms(PasswordAlgorithms::from_wire(&algs).unwrap()),
            Attribute::PasswordAlgorithm(PasswordAlgorithm::SHA256, &[]),
            Attribute::XorPeerAddress("10.0.0.1:5".parse().unwrap()),
            Attribute::XorRelayedAddress("[::1]:5".parse().unwrap()),
            Attribute::AlternateServer("10.0.0.1:3478".parse().unwrap()),
            Attribute::Other(AttributeType(0xC001), b"xyz"),
        ];
        for a in attrs {
            let mut v = Vec::new();
            a.encode_value(&tid, &mut v);
            let back = Attribute::decode(a.attribute_type(), &v, &tid).unwrap();
            assert_eq!(back, a);
        }
        let l = AttributeTypes::from_wire(&unknown).unwrap();
        assert_eq!(l.iter().map(|t| t.0).collect::<Vec<_>>(), [0x33, 0x7000]);
        let p = PasswordAlgorithms::from_wire(&algs).unwrap();
        assert_eq!(p.iter().next(), Some((PasswordAlgorithm::SHA256, &[][..])));
    }
}
