//! I-FORWARD-TSN chunk (RFC 8260 §2.3.1): FORWARD TSN with 32-bit MIDs and a U flag
//! per skipped stream.

use bytes::{BufMut, Bytes};

use super::forward_tsn::{ForwardTsnChunk, SkippedStream};
use super::{read_u16, read_u32};
use crate::error::ParseError;

impl ForwardTsnChunk {
    pub(crate) fn parse_iforward_tsn(value: &Bytes) -> Result<Self, ParseError> {
        let new_cumulative_tsn = read_u32(value, 0, "I-FORWARD-TSN")?;
        if !(value.len() - 4).is_multiple_of(8) {
            return Err(ParseError::InvalidLength {
                what: "I-FORWARD-TSN",
                len: value.len(),
            });
        }
        let mut skipped = Vec::with_capacity((value.len() - 4) / 8);
        let mut at = 4;
        while at < value.len() {
            skipped.push(SkippedStream {
                stream_id: read_u16(value, at, "I-FORWARD-TSN")?,
                unordered: read_u16(value, at + 2, "I-FORWARD-TSN")? & 1 != 0,
                mid: read_u32(value, at + 4, "I-FORWARD-TSN")?,
            });
            at += 8;
        }
        Ok(Self {
            new_cumulative_tsn,
            skipped,
        })
    }

    pub(crate) fn value_len_iforward_tsn(&self) -> usize {
        4 + 8 * self.skipped.len()
    }

    pub(crate) fn write_iforward_tsn_value(&self, out: &mut Vec<u8>) {
        out.put_u32(self.new_cumulative_tsn);
        for s in &self.skipped {
            out.put_u16(s.stream_id);
            out.put_u16(u16::from(s.unordered));
            out.put_u32(s.mid);
        }
    }
}
