//! FORWARD TSN chunk (RFC 3758 §3.2). The same struct carries I-FORWARD-TSN
//! (`iforward_tsn.rs`).

use bytes::{BufMut, Bytes};

use super::{read_u16, read_u32};
use crate::error::ParseError;

/// A stream whose messages up to `mid` the receiver should skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedStream {
    /// Stream identifier.
    pub stream_id: u16,
    /// I-FORWARD-TSN only: the skipped message was unordered.
    pub unordered: bool,
    /// Stream Sequence Number (FORWARD TSN, 16 bits) or Message Identifier (I-FORWARD-TSN).
    pub mid: u32,
}

/// FORWARD TSN or I-FORWARD-TSN: move the receiver's cumulative TSN past abandoned data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardTsnChunk {
    /// New Cumulative TSN.
    pub new_cumulative_tsn: u32,
    /// Streams with skipped ordered messages.
    pub skipped: Vec<SkippedStream>,
}

impl ForwardTsnChunk {
    pub(crate) fn parse_forward_tsn(value: &Bytes) -> Result<Self, ParseError> {
        let new_cumulative_tsn = read_u32(value, 0, "FORWARD TSN")?;
        if !(value.len() - 4).is_multiple_of(4) {
            return Err(ParseError::InvalidLength {
                what: "FORWARD TSN",
                len: value.len(),
            });
        }
        let mut skipped = Vec::with_capacity((value.len() - 4) / 4);
        let mut at = 4;
        while at < value.len() {
            skipped.push(SkippedStream {
                stream_id: read_u16(value, at, "FORWARD TSN")?,
                unordered: false,
                mid: u32::from(read_u16(value, at + 2, "FORWARD TSN")?),
            });
            at += 4;
        }
        Ok(Self {
            new_cumulative_tsn,
            skipped,
        })
    }

    pub(crate) fn value_len_forward_tsn(&self) -> usize {
        4 + 4 * self.skipped.len()
    }

    pub(crate) fn write_forward_tsn_value(&self, out: &mut Vec<u8>) {
        out.put_u32(self.new_cumulative_tsn);
        for s in &self.skipped {
            out.put_u16(s.stream_id);
            out.put_u16(s.mid as u16);
        }
    }
}
