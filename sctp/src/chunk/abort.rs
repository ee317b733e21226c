//! ABORT chunk (RFC 9260 §3.3.7).

use bytes::Bytes;

use super::cause::ErrorCause;
use crate::error::ParseError;

/// ABORT: closes the association at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbortChunk {
    /// T bit: the packet carries the peer's own tag (reflected), not ours.
    pub reflected_tag: bool,
    /// Why.
    pub causes: Vec<ErrorCause>,
}

impl AbortChunk {
    pub(crate) fn parse(flags: u8, value: &Bytes) -> Result<Self, ParseError> {
        Ok(Self {
            reflected_tag: flags & 1 != 0,
            causes: ErrorCause::parse_all(value)?,
        })
    }

    pub(crate) fn value_len(&self) -> usize {
        self.causes.iter().map(ErrorCause::padded_len).sum()
    }

    pub(crate) fn write_value(&self, out: &mut Vec<u8>) {
        self.causes.iter().for_each(|c| c.write(out));
    }
}
