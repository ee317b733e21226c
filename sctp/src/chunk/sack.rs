//! SACK chunk (RFC 9260 §3.3.4).

use bytes::{BufMut, Bytes};

use super::{need, read_u16, read_u32};
use crate::error::ParseError;

/// A Gap Ack Block: TSNs `cumulative_tsn_ack + start ..= cumulative_tsn_ack + end` arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GapAckBlock {
    /// Offset of the first TSN of the block from the cumulative TSN ack.
    pub start: u16,
    /// Offset of the last TSN of the block.
    pub end: u16,
}

/// Selective acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SackChunk {
    /// Cumulative TSN Ack.
    pub cumulative_tsn_ack: u32,
    /// Advertised Receiver Window Credit.
    pub a_rwnd: u32,
    /// Gap Ack Blocks.
    pub gap_ack_blocks: Vec<GapAckBlock>,
    /// Duplicate TSNs received since the last SACK.
    pub duplicate_tsns: Vec<u32>,
}

impl SackChunk {
    pub(crate) fn parse(value: &Bytes) -> Result<Self, ParseError> {
        need(value, 12, "SACK")?;
        let gaps = usize::from(read_u16(value, 8, "SACK")?);
        let dups = usize::from(read_u16(value, 10, "SACK")?);
        let expected = 12 + 4 * gaps + 4 * dups;
        if value.len() != expected {
            return Err(ParseError::InvalidLength {
                what: "SACK",
                len: value.len(),
            });
        }
        let mut gap_ack_blocks = Vec::with_capacity(gaps);
        for i in 0..gaps {
            let at = 12 + 4 * i;
            gap_ack_blocks.push(GapAckBlock {
                start: read_u16(value, at, "SACK gap")?,
                end: read_u16(value, at + 2, "SACK gap")?,
            });
        }
        let mut duplicate_tsns = Vec::with_capacity(dups);
        for i in 0..dups {
            duplicate_tsns.push(read_u32(value, 12 + 4 * gaps + 4 * i, "SACK dup")?);
        }
        Ok(SackChunk {
            cumulative_tsn_ack: read_u32(value, 0, "SACK")?,
            a_rwnd: read_u32(value, 4, "SACK")?,
            gap_ack_blocks,
            duplicate_tsns,
        })
    }

    pub(crate) fn value_len(&self) -> usize {
        12 + 4 * self.gap_ack_blocks.len() + 4 * self.duplicate_tsns.len()
    }

    pub(crate) fn write_value(&self, out: &mut Vec<u8>) {
        out.put_u32(self.cumulative_tsn_ack);
        out.put_u32(self.a_rwnd);
        out.put_u16(self.gap_ack_blocks.len() as u16);
        out.put_u16(self.duplicate_tsns.len() as u16);
        for g in &self.gap_ack_blocks {
            out.put_u16(g.start);
            out.put_u16(g.end);
        }
        for d in &self.duplicate_tsns {
            out.put_u32(*d);
        }
    }
}
