//! The errors of the PeerConnection API, named after the exceptions a browser throws.

use thiserror::Error;

/// Why a PeerConnection call failed. Each variant names the `DOMException` a browser
/// would throw in the same situation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The call is not allowed in the current state (`InvalidStateError`): an answer
    /// without a remote offer, sending on a channel that is not open, a closed
    /// connection.
    #[error("invalid state: {0}")]
    InvalidState(&'static str),
    /// A description or candidate was refused (`InvalidAccessError`): no ICE
    /// credentials, no fingerprint, an unsupported setup role.
    #[error("invalid access: {0}")]
    InvalidAccess(String),
    /// The SDP does not parse (`SyntaxError`).
    #[error("SDP syntax: {0}")]
    Syntax(#[from] oxrtc_sdp::SdpError),
    /// A description differs from the one the last `create_offer`/`create_answer`
    /// returned (`InvalidModificationError`).
    #[error("the local description was modified")]
    InvalidModification,
    /// A value is outside what the API accepts (`TypeError` / `RangeError`): a data
    /// channel label over 65535 bytes, both max retransmits and max packet lifetime.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// A message is larger than the peer accepts (`TypeError` for `send`).
    #[error("message of {size} bytes exceeds the peer's max-message-size of {max}")]
    MessageTooLarge {
        /// The message size.
        size: usize,
        /// The peer's limit.
        max: usize,
    },
    /// The layer below refused the operation (`OperationError`).
    #[error("operation failed: {0}")]
    Operation(String),
    /// A socket could not be opened or used.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}
