//! I-DATA chunk (RFC 8260 §2.1): DATA with a 32-bit Message Identifier and a Fragment
//! Sequence Number, so fragments of different messages can interleave.

use bytes::{BufMut, Bytes};

use super::data::DataChunk;
use super::{need, read_u16, read_u32, CHUNK_HEADER_LEN};
use crate::error::ParseError;

/// I-DATA header size including the chunk header.
pub(crate) const IDATA_HEADER_LEN: usize = 20;

impl DataChunk {
    pub(crate) fn parse_idata(flags: u8, value: &Bytes) -> Result<Self, ParseError> {
        let header = IDATA_HEADER_LEN - CHUNK_HEADER_LEN;
        need(value, header, "I-DATA")?;
        if value.len() == header {
            return Err(ParseError::InvalidValue {
                what: "I-DATA without user data",
            });
        }
        let mut chunk = DataChunk {
            tsn: read_u32(value, 0, "I-DATA")?,
            stream_id: read_u16(value, 4, "I-DATA")?,
            mid: read_u32(value, 8, "I-DATA")?,
            fsn: 0,
            ppid: 0,
            unordered: false,
            beginning: false,
            ending: false,
            immediate: false,
            payload: value.slice(header..),
        };
        chunk.apply_flags(flags);
        // RFC 8260 §2.1: the field is the PPID in the first fragment and the FSN in the
        // others; the first fragment's FSN is 0.
        let ppid_or_fsn = read_u32(value, 12, "I-DATA")?;
        if chunk.beginning {
            chunk.ppid = ppid_or_fsn;
        } else {
            chunk.fsn = ppid_or_fsn;
        }
        Ok(chunk)
    }

    pub(crate) fn write_idata_value(&self, out: &mut Vec<u8>) {
        out.put_u32(self.tsn);
        out.put_u16(self.stream_id);
        out.put_u16(0);
        out.put_u32(self.mid);
        out.put_u32(if self.beginning { self.ppid } else { self.fsn });
        out.extend_from_slice(&self.payload);
    }
}
