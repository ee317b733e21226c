//! Chunk codec (RFC 9260 §3.2 and the extensions WebRTC uses). One file per chunk type.
//!
//! Parsing borrows nothing and copies nothing: payloads and opaque values are `Bytes`
//! slices of the received packet.

mod abort;
mod cause;
mod cookie;
pub(crate) mod data;
mod error;
mod forward_tsn;
mod heartbeat;
pub(crate) mod idata;
mod iforward_tsn;
mod init;
mod param;
mod reconfig;
mod sack;
mod shutdown;

pub use abort::AbortChunk;
pub use cause::ErrorCause;
pub use cookie::CookieEchoChunk;
pub use data::DataChunk;
pub use error::ErrorChunk;
pub use forward_tsn::{ForwardTsnChunk, SkippedStream};
pub use heartbeat::HeartbeatChunk;
pub use init::InitChunk;
pub use param::{Parameter, ReconfigResult};
pub use reconfig::ReConfigChunk;
pub use sack::{GapAckBlock, SackChunk};
pub use shutdown::{ShutdownChunk, ShutdownCompleteChunk};

use bytes::{BufMut, Bytes};

use crate::error::ParseError;

/// Chunk type codes (RFC 9260 §3.2, RFC 3758, RFC 6525, RFC 8260).
pub(crate) mod kind {
    pub(crate) const DATA: u8 = 0;
    pub(crate) const INIT: u8 = 1;
    pub(crate) const INIT_ACK: u8 = 2;
    pub(crate) const SACK: u8 = 3;
    pub(crate) const HEARTBEAT: u8 = 4;
    pub(crate) const HEARTBEAT_ACK: u8 = 5;
    pub(crate) const ABORT: u8 = 6;
    pub(crate) const SHUTDOWN: u8 = 7;
    pub(crate) const SHUTDOWN_ACK: u8 = 8;
    pub(crate) const ERROR: u8 = 9;
    pub(crate) const COOKIE_ECHO: u8 = 10;
    pub(crate) const COOKIE_ACK: u8 = 11;
    pub(crate) const SHUTDOWN_COMPLETE: u8 = 14;
    pub(crate) const I_DATA: u8 = 64;
    pub(crate) const RE_CONFIG: u8 = 130;
    pub(crate) const FORWARD_TSN: u8 = 192;
    pub(crate) const I_FORWARD_TSN: u8 = 194;
}

/// Size of a chunk header: type, flags, length.
pub const CHUNK_HEADER_LEN: usize = 4;

/// One SCTP chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Chunk {
    /// DATA (RFC 9260 §3.3.1).
    Data(DataChunk),
    /// I-DATA (RFC 8260 §2.1); the same fields, MID and FSN instead of SSN.
    IData(DataChunk),
    /// INIT (RFC 9260 §3.3.2).
    Init(InitChunk),
    /// INIT ACK (RFC 9260 §3.3.3).
    InitAck(InitChunk),
    /// SACK (RFC 9260 §3.3.4).
    Sack(SackChunk),
    /// HEARTBEAT (RFC 9260 §3.3.5).
    Heartbeat(HeartbeatChunk),
    /// HEARTBEAT ACK (RFC 9260 §3.3.6).
    HeartbeatAck(HeartbeatChunk),
    /// ABORT (RFC 9260 §3.3.7).
    Abort(AbortChunk),
    /// SHUTDOWN (RFC 9260 §3.3.8).
    Shutdown(ShutdownChunk),
    /// SHUTDOWN ACK (RFC 9260 §3.3.9).
    ShutdownAck,
    /// ERROR (RFC 9260 §3.3.10).
    Error(ErrorChunk),
    /// COOKIE ECHO (RFC 9260 §3.3.11).
    CookieEcho(CookieEchoChunk),
    /// COOKIE ACK (RFC 9260 §3.3.12).
    CookieAck,
    /// SHUTDOWN COMPLETE (RFC 9260 §3.3.13).
    ShutdownComplete(ShutdownCompleteChunk),
    /// FORWARD TSN (RFC 3758 §3.2).
    ForwardTsn(ForwardTsnChunk),
    /// I-FORWARD-TSN (RFC 8260 §2.3); the same fields with per-message MIDs.
    IForwardTsn(ForwardTsnChunk),
    /// RE-CONFIG (RFC 6525 §3.1).
    ReConfig(ReConfigChunk),
    /// A chunk type we do not implement, kept so the caller can apply the RFC 9260
    /// §3.2 rules in the two high bits of its type.
    Unknown {
        /// Chunk type.
        kind: u8,
        /// Chunk flags.
        flags: u8,
        /// Chunk value (without header or padding).
        value: Bytes,
    },
}

impl Chunk {
    /// Parses one chunk from the start of `buf`; returns it and the number of bytes it
    /// occupied including padding.
    pub fn parse(buf: &Bytes) -> Result<(Chunk, usize), ParseError> {
        if buf.len() < CHUNK_HEADER_LEN {
            return Err(ParseError::Truncated {
                what: "chunk header",
                need: CHUNK_HEADER_LEN,
                have: buf.len(),
            });
        }
        let kind_code = buf[0];
        let flags = buf[1];
        let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if len < CHUNK_HEADER_LEN || len > buf.len() {
            return Err(ParseError::InvalidLength { what: "chunk", len });
        }
        // RFC 9260 §3.2: padding is not counted in the length; the last chunk of a
        // packet may omit it.
        let consumed = pad4(len).min(buf.len());
        let value = buf.slice(CHUNK_HEADER_LEN..len);
        let chunk = match kind_code {
            kind::DATA => Chunk::Data(DataChunk::parse_data(flags, &value)?),
            kind::I_DATA => Chunk::IData(DataChunk::parse_idata(flags, &value)?),
            kind::INIT => Chunk::Init(InitChunk::parse(&value)?),
            kind::INIT_ACK => Chunk::InitAck(InitChunk::parse(&value)?),
            kind::SACK => Chunk::Sack(SackChunk::parse(&value)?),
            kind::HEARTBEAT => Chunk::Heartbeat(HeartbeatChunk::parse(&value)?),
            kind::HEARTBEAT_ACK => Chunk::HeartbeatAck(HeartbeatChunk::parse(&value)?),
            kind::ABORT => Chunk::Abort(AbortChunk::parse(flags, &value)?),
            kind::SHUTDOWN => Chunk::Shutdown(ShutdownChunk::parse(&value)?),
            kind::SHUTDOWN_ACK => Chunk::ShutdownAck,
            kind::ERROR => Chunk::Error(ErrorChunk::parse(&value)?),
            kind::COOKIE_ECHO => Chunk::CookieEcho(CookieEchoChunk { cookie: value }),
            kind::COOKIE_ACK => Chunk::CookieAck,
            kind::SHUTDOWN_COMPLETE => {
                Chunk::ShutdownComplete(ShutdownCompleteChunk::from_flags(flags))
            }
            kind::FORWARD_TSN => Chunk::ForwardTsn(ForwardTsnChunk::parse_forward_tsn(&value)?),
            kind::I_FORWARD_TSN => Chunk::IForwardTsn(ForwardTsnChunk::parse_iforward_tsn(&value)?),
            kind::RE_CONFIG => Chunk::ReConfig(ReConfigChunk::parse(&value)?),
            _ => Chunk::Unknown {
                kind: kind_code,
                flags,
                value,
            },
        };
        Ok((chunk, consumed))
    }

    /// The chunk type code.
    pub fn kind(&self) -> u8 {
        match self {
            Chunk::Data(_) => kind::DATA,
            Chunk::IData(_) => kind::I_DATA,
            Chunk::Init(_) => kind::INIT,
            Chunk::InitAck(_) => kind::INIT_ACK,
            Chunk::Sack(_) => kind::SACK,
            Chunk::Heartbeat(_) => kind::HEARTBEAT,
            Chunk::HeartbeatAck(_) => kind::HEARTBEAT_ACK,
            Chunk::Abort(_) => kind::ABORT,
            Chunk::Shutdown(_) => kind::SHUTDOWN,
            Chunk::ShutdownAck => kind::SHUTDOWN_ACK,
            Chunk::Error(_) => kind::ERROR,
            Chunk::CookieEcho(_) => kind::COOKIE_ECHO,
            Chunk::CookieAck => kind::COOKIE_ACK,
            Chunk::ShutdownComplete(_) => kind::SHUTDOWN_COMPLETE,
            Chunk::ForwardTsn(_) => kind::FORWARD_TSN,
            Chunk::IForwardTsn(_) => kind::I_FORWARD_TSN,
            Chunk::ReConfig(_) => kind::RE_CONFIG,
            Chunk::Unknown { kind, .. } => *kind,
        }
    }

    fn flags(&self) -> u8 {
        match self {
            Chunk::Data(d) | Chunk::IData(d) => d.flags(),
            Chunk::Abort(a) => u8::from(a.reflected_tag),
            Chunk::ShutdownComplete(s) => u8::from(s.reflected_tag),
            Chunk::Unknown { flags, .. } => *flags,
            _ => 0,
        }
    }

    fn value_len(&self) -> usize {
        match self {
            Chunk::Data(d) => d.payload.len() + data::DATA_HEADER_LEN - CHUNK_HEADER_LEN,
            Chunk::IData(d) => d.payload.len() + idata::IDATA_HEADER_LEN - CHUNK_HEADER_LEN,
            Chunk::Init(i) | Chunk::InitAck(i) => i.value_len(),
            Chunk::Sack(s) => s.value_len(),
            Chunk::Heartbeat(h) | Chunk::HeartbeatAck(h) => h.value_len(),
            Chunk::Abort(a) => a.value_len(),
            Chunk::Shutdown(_) => 4,
            Chunk::ShutdownAck | Chunk::CookieAck | Chunk::ShutdownComplete(_) => 0,
            Chunk::Error(e) => e.value_len(),
            Chunk::CookieEcho(c) => c.cookie.len(),
            Chunk::ForwardTsn(f) => f.value_len_forward_tsn(),
            Chunk::IForwardTsn(f) => f.value_len_iforward_tsn(),
            Chunk::ReConfig(r) => r.value_len(),
            Chunk::Unknown { value, .. } => value.len(),
        }
    }

    /// Encoded size including the header, excluding trailing padding.
    pub fn encoded_len(&self) -> usize {
        CHUNK_HEADER_LEN + self.value_len()
    }

    /// Encoded size including the header and padding to a multiple of 4.
    pub fn padded_len(&self) -> usize {
        pad4(self.encoded_len())
    }

    /// Appends the chunk, padded to 4 bytes, to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let len = self.encoded_len();
        out.reserve(pad4(len));
        out.put_u8(self.kind());
        out.put_u8(self.flags());
        // Chunks are built by us within the MTU; a value above 65535 is a bug of ours.
        out.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
        match self {
            Chunk::Data(d) => d.write_data_value(out),
            Chunk::IData(d) => d.write_idata_value(out),
            Chunk::Init(i) | Chunk::InitAck(i) => i.write_value(out),
            Chunk::Sack(s) => s.write_value(out),
            Chunk::Heartbeat(h) | Chunk::HeartbeatAck(h) => h.write_value(out),
            Chunk::Abort(a) => a.write_value(out),
            Chunk::Shutdown(s) => out.put_u32(s.cumulative_tsn_ack),
            Chunk::ShutdownAck | Chunk::CookieAck | Chunk::ShutdownComplete(_) => {}
            Chunk::Error(e) => e.write_value(out),
            Chunk::CookieEcho(c) => out.extend_from_slice(&c.cookie),
            Chunk::ForwardTsn(f) => f.write_forward_tsn_value(out),
            Chunk::IForwardTsn(f) => f.write_iforward_tsn_value(out),
            Chunk::ReConfig(r) => r.write_value(out),
            Chunk::Unknown { value, .. } => out.extend_from_slice(value),
        }
        write_padding(out, len);
    }
}

/// Iterates over the chunks of a packet body.
#[derive(Debug, Clone)]
pub struct ChunkIter {
    rest: Bytes,
}

impl ChunkIter {
    /// Chunks in `body` (the packet after its 12-byte common header).
    pub fn new(body: Bytes) -> Self {
        Self { rest: body }
    }
}

impl Iterator for ChunkIter {
    type Item = Result<Chunk, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Chunk::parse(&self.rest) {
            Ok((chunk, used)) => {
                let _ = self.rest.split_to(used);
                Some(Ok(chunk))
            }
            Err(e) => {
                self.rest.clear();
                Some(Err(e))
            }
        }
    }
}

/// Rounds `n` up to a multiple of 4.
pub(crate) const fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// Appends the zero padding that brings a structure of `len` bytes to a multiple of 4.
pub(crate) fn write_padding(out: &mut Vec<u8>, len: usize) {
    for _ in len..pad4(len) {
        out.push(0);
    }
}

/// Bounds-checked big-endian reads.
pub(crate) fn read_u16(buf: &[u8], at: usize, what: &'static str) -> Result<u16, ParseError> {
    buf.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or(ParseError::Truncated {
            what,
            need: at + 2,
            have: buf.len(),
        })
}

pub(crate) fn read_u32(buf: &[u8], at: usize, what: &'static str) -> Result<u32, ParseError> {
    buf.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(ParseError::Truncated {
            what,
            need: at + 4,
            have: buf.len(),
        })
}

pub(crate) fn need(buf: &[u8], len: usize, what: &'static str) -> Result<(), ParseError> {
    if buf.len() < len {
        Err(ParseError::Truncated {
            what,
            need: len,
            have: buf.len(),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn roundtrip(chunk: Chunk) {
        let mut out = Vec::new();
        chunk.write(&mut out);
        assert_eq!(out.len(), chunk.padded_len());
        assert_eq!(out.len() % 4, 0);
        let (parsed, used) = Chunk::parse(&Bytes::from(out.clone())).unwrap();
        assert_eq!(used, out.len());
        assert_eq!(parsed, chunk);
    }

    #[test]
    fn every_chunk_roundtrips() {
        let data = DataChunk {
            tsn: 7,
            stream_id: 3,
            mid: 9,
            fsn: 0,
            ppid: 51,
            unordered: true,
            beginning: true,
            ending: false,
            immediate: true,
            payload: Bytes::from_static(b"hello"),
        };
        roundtrip(Chunk::Data(data.clone()));
        roundtrip(Chunk::IData(DataChunk {
            fsn: 0,
            mid: 70_000,
            ..data.clone()
        }));
        roundtrip(Chunk::IData(DataChunk {
            fsn: 4,
            beginning: false,
            ppid: 0,
            ..data
        }));
        roundtrip(Chunk::Init(InitChunk {
            initiate_tag: 0xdead_beef,
            a_rwnd: 1 << 20,
            outbound_streams: 1024,
            inbound_streams: 65535,
            initial_tsn: 42,
            params: vec![
                Parameter::ForwardTsnSupported,
                Parameter::SupportedExtensions(Bytes::from_static(&[130, 192, 64])),
                Parameter::ZeroChecksumAcceptable(1),
            ],
        }));
        roundtrip(Chunk::InitAck(InitChunk {
            initiate_tag: 1,
            a_rwnd: 2,
            outbound_streams: 3,
            inbound_streams: 4,
            initial_tsn: 5,
            params: vec![Parameter::StateCookie(Bytes::from_static(b"cookie!"))],
        }));
        roundtrip(Chunk::Sack(SackChunk {
            cumulative_tsn_ack: 100,
            a_rwnd: 5000,
            gap_ack_blocks: vec![GapAckBlock { start: 2, end: 3 }],
            duplicate_tsns: vec![99, 98],
        }));
        roundtrip(Chunk::Heartbeat(HeartbeatChunk {
            info: Bytes::from_static(b"info1234"),
        }));
        roundtrip(Chunk::HeartbeatAck(HeartbeatChunk {
            info: Bytes::from_static(b"abc"),
        }));
        roundtrip(Chunk::Abort(AbortChunk {
            reflected_tag: true,
            causes: vec![ErrorCause::user_initiated_abort(b"bye")],
        }));
        roundtrip(Chunk::Shutdown(ShutdownChunk {
            cumulative_tsn_ack: 77,
        }));
        roundtrip(Chunk::ShutdownAck);
        roundtrip(Chunk::Error(ErrorChunk {
            causes: vec![ErrorCause::invalid_stream_identifier(5)],
        }));
        roundtrip(Chunk::CookieEcho(CookieEchoChunk {
            cookie: Bytes::from_static(b"xyz"),
        }));
        roundtrip(Chunk::CookieAck);
        roundtrip(Chunk::ShutdownComplete(ShutdownCompleteChunk {
            reflected_tag: true,
        }));
        roundtrip(Chunk::ForwardTsn(ForwardTsnChunk {
            new_cumulative_tsn: 10,
            skipped: vec![SkippedStream {
                stream_id: 1,
                unordered: false,
                mid: 4,
            }],
        }));
        roundtrip(Chunk::IForwardTsn(ForwardTsnChunk {
            new_cumulative_tsn: 10,
            skipped: vec![SkippedStream {
                stream_id: 1,
                unordered: true,
                mid: 400_000,
            }],
        }));
        roundtrip(Chunk::ReConfig(ReConfigChunk {
            params: vec![
                Parameter::OutgoingResetRequest {
                    request_seq: 1,
                    response_seq: 2,
                    last_assigned_tsn: 3,
                    streams: vec![4, 5],
                },
                Parameter::IncomingResetRequest {
                    request_seq: 6,
                    streams: vec![7],
                },
            ],
        }));
        roundtrip(Chunk::ReConfig(ReConfigChunk {
            params: vec![Parameter::ReconfigResponse {
                response_seq: 1,
                result: ReconfigResult::Performed,
            }],
        }));
        roundtrip(Chunk::Unknown {
            kind: 0xc5,
            flags: 3,
            value: Bytes::from_static(b"?"),
        });
    }

    #[test]
    fn bad_lengths_are_errors() {
        for bytes in [
            &[0u8, 0, 0][..],
            &[0, 0, 0, 3],
            &[0, 0, 0, 9, 1, 2, 3, 4],
            &[3, 0, 0, 8, 0, 0, 0, 0],
            &[1, 0, 0, 8, 0, 0, 0, 0],
        ] {
            assert!(
                Chunk::parse(&Bytes::copy_from_slice(bytes)).is_err(),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn iterator_stops_after_an_error() {
        let mut body = Vec::new();
        Chunk::CookieAck.write(&mut body);
        body.extend_from_slice(&[0, 0, 0, 99]);
        let results: Vec<_> = ChunkIter::new(Bytes::from(body)).collect();
        assert_eq!(results.len(), 2);
        assert!(results[0].is_ok() && results[1].is_err());
    }
}
