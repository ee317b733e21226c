//! SHUTDOWN (RFC 9260 §3.3.8) and SHUTDOWN COMPLETE (§3.3.13); SHUTDOWN ACK has no value.

use bytes::Bytes;

use super::read_u32;
use crate::error::ParseError;

/// SHUTDOWN: the sender has no more data and acknowledges up to a TSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownChunk {
    /// Cumulative TSN Ack.
    pub cumulative_tsn_ack: u32,
}

impl ShutdownChunk {
    pub(crate) fn parse(value: &Bytes) -> Result<Self, ParseError> {
        Ok(Self {
            cumulative_tsn_ack: read_u32(value, 0, "SHUTDOWN")?,
        })
    }
}

/// SHUTDOWN COMPLETE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownCompleteChunk {
    /// T bit: the packet carries the peer's tag (reflected).
    pub reflected_tag: bool,
}

impl ShutdownCompleteChunk {
    pub(crate) fn from_flags(flags: u8) -> Self {
        Self {
            reflected_tag: flags & 1 != 0,
        }
    }
}
