//! Error types, one per operation.

/// A chunk, parameter or packet could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer bytes than the structure needs.
    #[error("{what}: truncated (need {need} bytes, have {have})")]
    Truncated {
        /// The structure being parsed.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// A length field is inconsistent with its structure.
    #[error("{what}: invalid length {len}")]
    InvalidLength {
        /// The structure being parsed.
        what: &'static str,
        /// The length found.
        len: usize,
    },
    /// A field holds a value the RFC forbids.
    #[error("{what}: invalid value")]
    InvalidValue {
        /// The field.
        what: &'static str,
    },
    /// The CRC32c checksum does not match.
    #[error("bad checksum: expected {expected:#010x}, got {actual:#010x}")]
    BadChecksum {
        /// Checksum computed over the packet.
        expected: u32,
        /// Checksum in the packet.
        actual: u32,
    },
}

/// Why [`crate::Association::handle_receive`] rejected a packet. The association state is
/// unchanged by a rejected packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The packet or one of its chunks is malformed.
    #[error("malformed packet: {0}")]
    Parse(#[from] ParseError),
    /// The verification tag does not belong to this association.
    #[error("verification tag {tag:#010x} does not match")]
    WrongVerificationTag {
        /// The tag in the packet.
        tag: u32,
    },
    /// The packet is addressed to another SCTP port.
    #[error("packet for port {dst} (ours is {ours})")]
    WrongPort {
        /// Destination port in the packet.
        dst: u16,
        /// Our port.
        ours: u16,
    },
    /// The association is closed; the packet was ignored.
    #[error("association is closed")]
    Closed,
}

/// Why a message could not be queued by [`crate::Association::send`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The message is larger than the peer's maximum message size.
    #[error("message of {len} bytes exceeds the maximum message size {limit}")]
    MessageTooLarge {
        /// Message length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// No open channel has this id.
    #[error("no open channel {0}")]
    UnknownChannel(u16),
    /// The channel is closing or closed.
    #[error("channel {0} is closing")]
    ChannelClosing(u16),
    /// The send buffer is full; wait for [`crate::Event::BufferedAmountLow`].
    #[error("send buffer full ({buffered} bytes queued, limit {limit})")]
    BufferFull {
        /// Bytes queued on the association.
        buffered: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The association is shutting down, closed or lost.
    #[error("association is closed")]
    Closed,
}

/// Why [`crate::Association::open_channel`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenChannelError {
    /// The requested (negotiated) stream id is already in use.
    #[error("stream id {0} is in use")]
    IdInUse(u16),
    /// Every stream id of our parity is in use.
    #[error("no free stream id")]
    NoFreeId,
    /// The stream id is beyond the number of streams negotiated with the peer.
    #[error("stream id {id} exceeds the negotiated stream count {streams}")]
    IdOutOfRange {
        /// Requested id.
        id: u16,
        /// Streams available.
        streams: u16,
    },
    /// Label or protocol longer than 65535 bytes.
    #[error("label or protocol too long")]
    LabelTooLong,
    /// The association is shutting down, closed or lost.
    #[error("association is closed")]
    Closed,
}
