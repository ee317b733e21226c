//! `oxrtc-sctp`: SCTP over DTLS (RFC 8261) and WebRTC data channels (RFC 8832), sans-IO.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod chunk;
mod error;
pub mod packet;

// The public interface.
pub use error::{OpenChannelError, ParseError, ReceiveError, SendError};
