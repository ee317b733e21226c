//! Errors of the STUN codec.

/// Why a STUN message could not be decoded, encoded or authenticated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StunError {
    /// Fewer bytes than the 20-byte header, or than the header's length field announces.
    #[error("STUN message truncated: need {needed} bytes, have {len}")]
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        len: usize,
    },
    /// The two top bits of the first byte are not zero (RFC 8489 §5).
    #[error("not a STUN message: first byte {0:#04x}")]
    NotStun(u8),
    /// The magic cookie is not 0x2112A442.
    #[error("bad STUN magic cookie {0:#010x}")]
    BadMagicCookie(u32),
    /// The header's length field is not a multiple of 4 or does not match the datagram.
    #[error("STUN length field {header} does not fit a body of {body} bytes")]
    BadLength {
        /// Length announced by the header.
        header: usize,
        /// Bytes after the header.
        body: usize,
    },
    /// An attribute header at `offset` announces more bytes than the message has.
    #[error("STUN attribute {attr_type:#06x} at offset {offset} overruns the message")]
    AttributeOverrun {
        /// Attribute type.
        attr_type: u16,
        /// Offset of the attribute header in the message.
        offset: usize,
    },
    /// An attribute's value is malformed for its type.
    #[error("malformed STUN attribute {attr_type:#06x}: {reason}")]
    BadAttribute {
        /// Attribute type.
        attr_type: u16,
        /// What is wrong.
        reason: &'static str,
    },
    /// FINGERPRINT is present and its CRC does not match.
    #[error("STUN FINGERPRINT mismatch")]
    FingerprintMismatch,
    /// The message carries neither MESSAGE-INTEGRITY nor MESSAGE-INTEGRITY-SHA256.
    #[error("STUN message has no MESSAGE-INTEGRITY")]
    IntegrityMissing,
    /// The MESSAGE-INTEGRITY(-SHA256) HMAC does not match the key.
    #[error("STUN MESSAGE-INTEGRITY mismatch")]
    IntegrityMismatch,
    /// The encoded message would exceed the 16-bit length field, or a value exceeds
    /// 65535 bytes.
    #[error("STUN message too long to encode")]
    TooLong,
}
