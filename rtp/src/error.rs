//! Typed errors, one enum per family of operations.

use thiserror::Error;

/// Why an RTP packet could not be parsed or written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RtpError {
    /// The buffer ends before the structure it must hold.
    #[error("RTP packet too short: need {needed} bytes, have {have}")]
    TooShort {
        /// Bytes needed to continue.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// The version field is not 2.
    #[error("unsupported RTP version {0}")]
    BadVersion(u8),
    /// The padding count is zero or larger than the packet body.
    #[error("invalid RTP padding length {0}")]
    BadPadding(u8),
    /// A header extension element runs past the extension block.
    #[error("malformed header extension element at offset {offset}")]
    BadExtension {
        /// Offset of the element inside the packet.
        offset: usize,
    },
    /// An extension id or length cannot be represented in the chosen form.
    #[error("extension id {id} with {len} bytes does not fit the {form} form")]
    ExtensionNotRepresentable {
        /// Extension id.
        id: u8,
        /// Extension data length.
        len: usize,
        /// "one-byte" or "two-byte".
        form: &'static str,
    },
    /// More than 15 CSRCs, or an extension block larger than 65535 words.
    #[error("field out of range: {0}")]
    OutOfRange(&'static str),
    /// The caller's output buffer is too small.
    #[error("output buffer too small: need {needed} bytes, have {have}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// A header template has no extension element with this id.
    #[error("the header template has no extension with id {id}")]
    UnknownExtension {
        /// Extension id.
        id: u8,
    },
    /// A header template's extension value was given a length other than the one its
    /// layout was built with.
    #[error("extension id {id} was built with {reserved} bytes, given {given}")]
    ExtensionLengthChanged {
        /// Extension id.
        id: u8,
        /// Length in the template.
        reserved: usize,
        /// Length given.
        given: usize,
    },
}

/// Why an RTCP packet could not be parsed or written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RtcpError {
    /// The buffer ends before the structure it must hold.
    #[error("RTCP {what} too short: need {needed} bytes, have {have}")]
    TooShort {
        /// Which structure.
        what: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// The version field is not 2.
    #[error("unsupported RTCP version {0}")]
    BadVersion(u8),
    /// The padding bit is set on a packet that is not the last of a compound, or the count is bad.
    #[error("invalid RTCP padding")]
    BadPadding,
    /// A field holds a value the format does not allow.
    #[error("invalid RTCP {what}: {reason}")]
    Invalid {
        /// Which packet type.
        what: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A compound packet does not start with SR or RR (RFC 3550 §6.1) where that is required.
    #[error("compound RTCP packet does not start with SR or RR")]
    CompoundNotReport,
    /// A count field exceeds what the format can carry.
    #[error("RTCP {what}: too many items ({count}, max {max})")]
    TooMany {
        /// Which packet type.
        what: &'static str,
        /// Items given.
        count: usize,
        /// The format's limit.
        max: usize,
    },
    /// The caller's output buffer is too small.
    #[error("output buffer too small: need {needed} bytes, have {have}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
}

/// Why a payload could not be packetized or depacketized.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The payload is shorter than its payload header.
    #[error("{codec} payload too short")]
    TooShort {
        /// Codec name.
        codec: &'static str,
    },
    /// The payload header or an aggregated unit is malformed.
    #[error("{codec}: {reason}")]
    Malformed {
        /// Codec name.
        codec: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A fragment arrived without its start, or a fragmented unit was interrupted.
    #[error("{codec}: fragment out of order")]
    FragmentOrder {
        /// Codec name.
        codec: &'static str,
    },
    /// The MTU is too small for the payload header plus one byte.
    #[error("MTU {mtu} too small")]
    MtuTooSmall {
        /// The MTU given.
        mtu: usize,
    },
    /// A reassembled frame would exceed the configured bound.
    #[error("frame larger than {limit} bytes")]
    FrameTooLarge {
        /// The bound.
        limit: usize,
    },
    /// Packetization mode 0 cannot carry a NAL unit larger than the MTU.
    #[error("NAL unit of {len} bytes exceeds MTU {mtu} in single-NAL mode")]
    NalTooLarge {
        /// NAL unit size.
        len: usize,
        /// MTU.
        mtu: usize,
    },
}

/// Why a typed header extension could not be parsed or written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// The element's data has the wrong size.
    #[error("{name}: bad length {len}")]
    BadLength {
        /// Extension name.
        name: &'static str,
        /// Length found.
        len: usize,
    },
    /// A field holds a value the format does not allow.
    #[error("{name}: {reason}")]
    Invalid {
        /// Extension name.
        name: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// The caller's output buffer is too small.
    #[error("output buffer too small: need {needed} bytes, have {have}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
}

/// Why a media file could not be read or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MediaError {
    /// I/O failure of the underlying reader or writer.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The file header is not what the format requires.
    #[error("bad {format} header: {reason}")]
    BadHeader {
        /// File format.
        format: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A frame, page or unit is malformed or truncated.
    #[error("malformed {format} data: {reason}")]
    Malformed {
        /// File format.
        format: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A declared size exceeds the reader's bound.
    #[error("{format}: size {size} exceeds limit {limit}")]
    TooLarge {
        /// File format.
        format: &'static str,
        /// Declared size.
        size: usize,
        /// The bound.
        limit: usize,
    },
}
