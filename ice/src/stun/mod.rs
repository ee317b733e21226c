//! STUN (RFC 8489, RFC 5389): message codec, credentials, client transactions and a
//! binding server.
//!
//! - [`MessageRef`] decodes a received message without copying: header fields, attribute
//!   offsets, FINGERPRINT verified; [`MessageRef::check_integrity`] verifies
//!   MESSAGE-INTEGRITY(-SHA256) over the raw bytes once the caller knows the [`Key`].
//! - [`Message`] builds one; [`Message::encode`] appends the integrity attribute and
//!   FINGERPRINT.
//! - [`Attribute`] is the typed value of every attribute ICE and TURN use; unknown ones
//!   are kept as [`Attribute::Other`], and unknown comprehension-required ones are listed
//!   by [`MessageRef::unknown_required`] so a server can answer 420.
//! - [`Key`] holds short-term (ICE) or long-term (TURN, MD5 or SHA-256) credentials.
//! - [`is_stun`] is the cheap demultiplexing test of RFC 7983.
//!
//! ```
//! use oxrtc_ice::stun::{is_stun, Attribute, Class, Integrity, Key, Message, MessageRef, Method, TransactionId};
//!
//! let key = Key::long_term("user", "realm", "pass");
//! let mut m = Message::new(Class::Request, Method::ALLOCATE, TransactionId([5; 12]));
//! m.add(Attribute::RequestedTransport(17))
//!     .add(Attribute::Username("user"))
//!     .add(Attribute::Realm("realm"))
//!     .add(Attribute::Nonce("abc"));
//! let wire = m.to_bytes(Integrity::Sha1(&key), true)?;
//! assert!(is_stun(&wire));
//!
//! let got = MessageRef::decode(&wire)?;
//! assert_eq!(got.method(), Method::ALLOCATE);
//! let key = Key::long_term(got.username().unwrap(), got.realm().unwrap(), "pass");
//! got.check_integrity(&key)?;
//! # Ok::<(), oxrtc_ice::stun::StunError>(())
//! ```

mod attr;
mod error;
mod integrity;
mod message;
mod server;
mod transaction;

use std::fmt;

pub use attr::{
    AddressFamily, Attribute, AttributeType, AttributeTypes, ErrorCode, PasswordAlgorithm,
    PasswordAlgorithms,
};
pub use error::StunError;
pub use integrity::{userhash, Key, FINGERPRINT_XOR};
pub use message::{Integrity, Message, MessageRef, RawAttribute, RawAttributes};
pub use server::{BindingServer, Handled};
pub use transaction::{TransactionConfig, TransactionError, TransactionTable, Transmit};

/// RFC 8489 §5: the fixed magic cookie.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;

/// RFC 8489 §5: the header is 20 bytes.
pub const HEADER_LEN: usize = 20;

/// The class of a STUN message (RFC 8489 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Request (C1 C0 = 0b00).
    Request,
    /// Indication (0b01).
    Indication,
    /// Success response (0b10).
    Success,
    /// Error response (0b11).
    Error,
}

impl Class {
    const fn bits(self) -> u16 {
        match self {
            Class::Request => 0b00,
            Class::Indication => 0b01,
            Class::Success => 0b10,
            Class::Error => 0b11,
        }
    }

    /// Whether this is a success or error response.
    pub const fn is_response(self) -> bool {
        matches!(self, Class::Success | Class::Error)
    }
}

/// A 12-bit STUN method.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Method(pub u16);

impl Method {
    /// Binding (RFC 8489).
    pub const BINDING: Self = Self(0x001);
    /// Allocate (RFC 8656).
    pub const ALLOCATE: Self = Self(0x003);
    /// Refresh (RFC 8656).
    pub const REFRESH: Self = Self(0x004);
    /// Send (RFC 8656), indication only.
    pub const SEND: Self = Self(0x006);
    /// Data (RFC 8656), indication only.
    pub const DATA: Self = Self(0x007);
    /// CreatePermission (RFC 8656).
    pub const CREATE_PERMISSION: Self = Self(0x008);
    /// ChannelBind (RFC 8656).
    pub const CHANNEL_BIND: Self = Self(0x009);
    /// Connect (RFC 6062).
    pub const CONNECT: Self = Self(0x00A);
    /// ConnectionBind (RFC 6062).
    pub const CONNECTION_BIND: Self = Self(0x00B);
    /// ConnectionAttempt (RFC 6062), indication only.
    pub const CONNECTION_ATTEMPT: Self = Self(0x00C);
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Self::BINDING => "Binding",
            Self::ALLOCATE => "Allocate",
            Self::REFRESH => "Refresh",
            Self::SEND => "Send",
            Self::DATA => "Data",
            Self::CREATE_PERMISSION => "CreatePermission",
            Self::CHANNEL_BIND => "ChannelBind",
            Self::CONNECT => "Connect",
            Self::CONNECTION_BIND => "ConnectionBind",
            Self::CONNECTION_ATTEMPT => "ConnectionAttempt",
            _ => return write!(f, "Method({:#05x})", self.0),
        };
        f.write_str(name)
    }
}

/// The 96-bit transaction id of a STUN message.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(pub [u8; 12]);

impl TransactionId {
    /// A random transaction id (RFC 8489 §6: "uniformly and randomly chosen").
    pub fn random<R: rand_core::RngCore + ?Sized>(rng: &mut R) -> Self {
        let mut id = [0u8; 12];
        rng.fill_bytes(&mut id);
        Self(id)
    }
}

impl fmt::Debug for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransactionId(")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// Packs class and method into the 14-bit message type (RFC 8489 §5, figure 3).
pub(crate) const fn join_type(class: Class, method: Method) -> u16 {
    let m = method.0 & 0x0fff;
    let c = class.bits();
    (m & 0x000f) | ((m & 0x0070) << 1) | ((m & 0x0f80) << 2) | ((c & 1) << 4) | ((c & 2) << 7)
}

/// Splits the 14-bit message type into class and method.
pub(crate) const fn split_type(ty: u16) -> (Class, Method) {
    let c = ((ty >> 4) & 1) | ((ty >> 7) & 2);
    let m = (ty & 0x000f) | ((ty >> 1) & 0x0070) | ((ty >> 2) & 0x0f80);
    let class = match c {
        0 => Class::Request,
        1 => Class::Indication,
        2 => Class::Success,
        _ => Class::Error,
    };
    (class, Method(m))
}

/// Cheap test whether a datagram is STUN: at least a header, first byte 0..=3
/// (RFC 7983 §7) and the magic cookie (RFC 8489 §5). It does not validate the rest;
/// [`MessageRef::decode`] does.
pub fn is_stun(data: &[u8]) -> bool {
    data.len() >= HEADER_LEN
        && data[0] < 4
        && data[4..8] == MAGIC_COOKIE.to_be_bytes()
        && data[3].is_multiple_of(4)
}

/// The total length (header + body) of the STUN message starting at `header`, when at
/// least its first 4 bytes are there: for cutting messages out of a stream (TCP, RFC 6544
/// and RFC 8656 §6.2 framing). `None` when fewer than 4 bytes are given or the first byte
/// cannot start a STUN message.
pub fn message_len(header: &[u8]) -> Option<usize> {
    if header.len() < 4 || header[0] & 0xC0 != 0 {
        return None;
    }
    Some(HEADER_LEN + usize::from(u16::from_be_bytes([header[2], header[3]])))
}

#[cfg(test)]
mod tests;
