//! DATA chunk (RFC 9260 §3.3.1). The same struct carries I-DATA (see `idata.rs`).

use bytes::{BufMut, Bytes};

use super::{need, read_u16, read_u32, CHUNK_HEADER_LEN};
use crate::error::ParseError;

/// DATA header size including the chunk header.
pub(crate) const DATA_HEADER_LEN: usize = 16;

pub(crate) const FLAG_END: u8 = 0x01;
pub(crate) const FLAG_BEGIN: u8 = 0x02;
pub(crate) const FLAG_UNORDERED: u8 = 0x04;
pub(crate) const FLAG_IMMEDIATE: u8 = 0x08;

/// A user-data fragment: DATA (RFC 9260) or I-DATA (RFC 8260).
///
/// For DATA, `mid` holds the 16-bit Stream Sequence Number and `fsn` is unused (0). For
/// I-DATA, `mid` is the Message Identifier and `fsn` the Fragment Sequence Number; the
/// PPID travels only in the first fragment (`beginning`), later ones report `ppid == 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChunk {
    /// Transmission Sequence Number.
    pub tsn: u32,
    /// Stream identifier.
    pub stream_id: u16,
    /// Stream Sequence Number (DATA, 16 bits) or Message Identifier (I-DATA).
    pub mid: u32,
    /// Fragment Sequence Number (I-DATA only).
    pub fsn: u32,
    /// Payload Protocol Identifier.
    pub ppid: u32,
    /// U bit: unordered delivery.
    pub unordered: bool,
    /// B bit: first fragment of a message.
    pub beginning: bool,
    /// E bit: last fragment of a message.
    pub ending: bool,
    /// I bit (RFC 7053): the receiver should SACK without delay.
    pub immediate: bool,
    /// User data.
    pub payload: Bytes,
}

impl DataChunk {
    pub(crate) fn flags(&self) -> u8 {
        (if self.ending { FLAG_END } else { 0 })
            | (if self.beginning { FLAG_BEGIN } else { 0 })
            | (if self.unordered { FLAG_UNORDERED } else { 0 })
            | (if self.immediate { FLAG_IMMEDIATE } else { 0 })
    }

    pub(crate) fn apply_flags(&mut self, flags: u8) {
        self.ending = flags & FLAG_END != 0;
        self.beginning = flags & FLAG_BEGIN != 0;
        self.unordered = flags & FLAG_UNORDERED != 0;
        self.immediate = flags & FLAG_IMMEDIATE != 0;
    }

    pub(crate) fn parse_data(flags: u8, value: &Bytes) -> Result<Self, ParseError> {
        let header = DATA_HEADER_LEN - CHUNK_HEADER_LEN;
        need(value, header, "DATA")?;
        // RFC 9260 §6.2: a DATA chunk with no user data is a protocol error.
        if value.len() == header {
            return Err(ParseError::InvalidValue {
                what: "DATA without user data",
            });
        }
        let mut chunk = DataChunk {
            tsn: read_u32(value, 0, "DATA")?,
            stream_id: read_u16(value, 4, "DATA")?,
            mid: u32::from(read_u16(value, 6, "DATA")?),
            fsn: 0,
            ppid: read_u32(value, 8, "DATA")?,
            unordered: false,
            beginning: false,
            ending: false,
            immediate: false,
            payload: value.slice(header..),
        };
        chunk.apply_flags(flags);
        Ok(chunk)
    }

    /// Appends the chunk as DATA or I-DATA, padded, without building a [`super::Chunk`].
    pub(crate) fn write_chunk(&self, idata: bool, out: &mut Vec<u8>) {
        let header = if idata {
            super::idata::IDATA_HEADER_LEN
        } else {
            DATA_HEADER_LEN
        };
        let len = header + self.payload.len();
        out.put_u8(if idata {
            super::kind::I_DATA
        } else {
            super::kind::DATA
        });
        out.put_u8(self.flags());
        out.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
        if idata {
            self.write_idata_value(out);
        } else {
            self.write_data_value(out);
        }
        super::write_padding(out, len);
    }

    pub(crate) fn write_data_value(&self, out: &mut Vec<u8>) {
        out.put_u32(self.tsn);
        out.put_u16(self.stream_id);
        out.put_u16(self.mid as u16);
        out.put_u32(self.ppid);
        out.extend_from_slice(&self.payload);
    }
}

#[cfg(test)]
mod tests {
    use super::super::Chunk;
    use super::*;

    #[test]
    fn parses_a_wire_data_chunk() {
        // type 0, flags B|E, length 20, TSN 1, SID 2, SSN 3, PPID 51, "abcd"
        let wire = [
            0u8, 3, 0, 20, 0, 0, 0, 1, 0, 2, 0, 3, 0, 0, 0, 51, b'a', b'b', b'c', b'd',
        ];
        let (chunk, used) = Chunk::parse(&Bytes::copy_from_slice(&wire)).unwrap();
        assert_eq!(used, 20);
        let Chunk::Data(d) = chunk else {
            panic!("not DATA")
        };
        assert_eq!((d.tsn, d.stream_id, d.mid, d.ppid), (1, 2, 3, 51));
        assert!(d.beginning && d.ending && !d.unordered);
        assert_eq!(&d.payload[..], b"abcd");
    }

    #[test]
    fn empty_data_is_rejected() {
        let wire = [0u8, 3, 0, 16, 0, 0, 0, 1, 0, 2, 0, 3, 0, 0, 0, 51];
        assert!(Chunk::parse(&Bytes::copy_from_slice(&wire)).is_err());
    }
}
