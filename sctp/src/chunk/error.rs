//! ERROR chunk (RFC 9260 §3.3.10).

use bytes::Bytes;

use super::cause::ErrorCause;
use crate::error::ParseError;

/// ERROR: reports conditions that do not end the association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorChunk {
    /// The causes.
    pub causes: Vec<ErrorCause>,
}

impl ErrorChunk {
    pub(crate) fn parse(value: &Bytes) -> Result<Self, ParseError> {
        Ok(Self {
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
