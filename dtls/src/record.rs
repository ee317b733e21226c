//! The DTLS record layer framing (RFC 6347 §4.1) and the anti-replay window (§4.1.2.6).

use crate::codec::Reader;
use crate::error::Error;

/// Record header length: type, version, epoch, 48-bit sequence number, length.
pub const RECORD_HEADER_LEN: usize = 13;
/// DTLS 1.2 on the wire ({254, 253}).
pub const DTLS_1_2: u16 = 0xfefd;
/// DTLS 1.0 on the wire ({254, 255}); OpenSSL puts it on the first ClientHello's record.
pub const DTLS_1_0: u16 = 0xfeff;
/// RFC 6347 §4.1: "The sequence number ... 48 bits".
pub const MAX_SEQUENCE: u64 = (1 << 48) - 1;
/// RFC 6347 §4.1.1: plaintext records carry at most 2^14 bytes; ciphertext adds at most 2048.
pub const MAX_RECORD_PAYLOAD: usize = (1 << 14) + 2048;

/// TLS content types (RFC 5246 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// change_cipher_spec (20).
    ChangeCipherSpec,
    /// alert (21).
    Alert,
    /// handshake (22).
    Handshake,
    /// application_data (23).
    ApplicationData,
}

impl ContentType {
    /// The wire value.
    pub fn code(self) -> u8 {
        match self {
            ContentType::ChangeCipherSpec => 20,
            ContentType::Alert => 21,
            ContentType::Handshake => 22,
            ContentType::ApplicationData => 23,
        }
    }

    /// Parses the wire value.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            20 => Some(ContentType::ChangeCipherSpec),
            21 => Some(ContentType::Alert),
            22 => Some(ContentType::Handshake),
            23 => Some(ContentType::ApplicationData),
            _ => None,
        }
    }
}

/// One record as it sits in a datagram (payload still protected when epoch > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Content type.
    pub content_type: ContentType,
    /// Record version.
    pub version: u16,
    /// Epoch (incremented by each ChangeCipherSpec).
    pub epoch: u16,
    /// 48-bit sequence number within the epoch.
    pub sequence: u64,
    /// The (possibly encrypted) fragment.
    pub payload: &'a [u8],
}

impl<'a> Record<'a> {
    /// Parses the first record of `datagram`, returning it and the rest of the datagram.
    pub fn parse(datagram: &'a [u8]) -> Result<(Record<'a>, &'a [u8]), Error> {
        let mut r = Reader::new(datagram, "record");
        let content_type = ContentType::from_code(r.u8()?).ok_or(Error::decode("record type"))?;
        let version = r.u16()?;
        if version != DTLS_1_2 && version != DTLS_1_0 {
            return Err(Error::ProtocolVersion { version });
        }
        let epoch = r.u16()?;
        let sequence = r.u48()?;
        let payload = r.vec16()?;
        if payload.len() > MAX_RECORD_PAYLOAD {
            return Err(Error::decode("record length"));
        }
        Ok((
            Record {
                content_type,
                version,
                epoch,
                sequence,
                payload,
            },
            r.rest(),
        ))
    }

    /// Iterates over the records of a datagram; stops at the first malformed one
    /// (RFC 6347 §4.1.2.7: invalid records are silently discarded).
    pub fn iter(datagram: &'a [u8]) -> impl Iterator<Item = Record<'a>> + 'a {
        let mut rest = datagram;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            match Record::parse(rest) {
                Ok((record, tail)) => {
                    rest = tail;
                    Some(record)
                }
                Err(_) => {
                    rest = &[];
                    None
                }
            }
        })
    }
}

/// Writes a record header with `len` payload bytes to follow.
pub(crate) fn write_header(
    out: &mut Vec<u8>,
    content_type: ContentType,
    epoch: u16,
    sequence: u64,
    len: usize,
) {
    let mut h = [0u8; RECORD_HEADER_LEN];
    h[0] = content_type.code();
    h[1..3].copy_from_slice(&DTLS_1_2.to_be_bytes());
    // epoch (16 bits) and sequence (48 bits) share one big-endian u64.
    let epoch_seq = (u64::from(epoch) << 48) | (sequence & MAX_SEQUENCE);
    h[3..11].copy_from_slice(&epoch_seq.to_be_bytes());
    h[11..13].copy_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&h);
}

/// RFC 6347 §4.1.2.6 sliding anti-replay window of 64 records.
#[derive(Debug, Clone, Default)]
pub struct ReplayWindow {
    /// Highest sequence number accepted so far, if any.
    top: Option<u64>,
    /// Bit i set: `top - i` was received.
    bits: u64,
}

impl ReplayWindow {
    /// Window width in records.
    pub const WIDTH: u64 = 64;

    /// True if `seq` is new and inside (or ahead of) the window. Call [`Self::accept`]
    /// only after the record authenticated.
    pub fn check(&self, seq: u64) -> bool {
        match self.top {
            None => true,
            Some(top) if seq > top => true,
            Some(top) => {
                let behind = top - seq;
                behind < Self::WIDTH && self.bits & (1 << behind) == 0
            }
        }
    }

    /// Marks `seq` as received.
    pub fn accept(&mut self, seq: u64) {
        match self.top {
            None => {
                self.top = Some(seq);
                self.bits = 1;
            }
            Some(top) if seq > top => {
                let shift = seq - top;
                self.bits = if shift >= Self::WIDTH {
                    0
                } else {
                    self.bits << shift
                };
                self.bits |= 1;
                self.top = Some(seq);
            }
            Some(top) => {
                let behind = top - seq;
                if behind < Self::WIDTH {
                    self.bits |= 1 << behind;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_and_rejects_truncation() {
        let mut buf = vec![];
        write_header(&mut buf, ContentType::Handshake, 1, 0x0102_0304_0506, 3);
        buf.extend_from_slice(&[9, 9, 9]);
        buf.extend_from_slice(&[23, 0xfe, 0xfd]);
        let (rec, rest) = Record::parse(&buf).unwrap();
        assert_eq!(rec.content_type, ContentType::Handshake);
        assert_eq!(rec.epoch, 1);
        assert_eq!(rec.sequence, 0x0102_0304_0506);
        assert_eq!(rec.payload, &[9, 9, 9]);
        assert!(Record::parse(rest).is_err());
        assert_eq!(Record::iter(&buf).count(), 1);
        assert!(Record::parse(&buf[..15]).is_err());
    }

    #[test]
    fn rejects_unknown_version_and_type() {
        let mut buf = vec![];
        write_header(&mut buf, ContentType::Alert, 0, 0, 0);
        buf[1] = 3;
        assert!(Record::parse(&buf).is_err());
        buf[1] = 0xfe;
        buf[0] = 99;
        assert!(Record::parse(&buf).is_err());
    }

    #[test]
    fn replay_window() {
        let mut w = ReplayWindow::default();
        assert!(w.check(5));
        w.accept(5);
        assert!(!w.check(5));
        assert!(w.check(4));
        w.accept(4);
        assert!(!w.check(4));
        w.accept(100);
        assert!(!w.check(5), "fell out of the window");
        assert!(w.check(37));
        assert!(!w.check(36), "exactly 64 behind is outside");
        w.accept(99);
        assert!(!w.check(99));
        assert!(w.check(98));
        w.accept(1000);
        assert!(w.check(999));
        assert!(!w.check(1000));
    }
}
