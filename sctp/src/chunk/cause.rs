//! Error causes carried by ERROR and ABORT chunks (RFC 9260 §3.3.10).

use bytes::{BufMut, Bytes};

use super::{pad4, read_u16, write_padding};
use crate::error::ParseError;

/// One error cause: a code and its opaque information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCause {
    /// Cause code (RFC 9260 §3.3.10.1–13, RFC 6525, ...).
    pub code: u16,
    /// Cause-specific information, without header or padding.
    pub info: Bytes,
}

impl ErrorCause {
    /// 1: Invalid Stream Identifier.
    pub const INVALID_STREAM_IDENTIFIER: u16 = 1;
    /// 3: Stale Cookie Error.
    pub const STALE_COOKIE: u16 = 3;
    /// 6: Unrecognized Chunk Type.
    pub const UNRECOGNIZED_CHUNK_TYPE: u16 = 6;
    /// 9: No User Data.
    pub const NO_USER_DATA: u16 = 9;
    /// 12: User-Initiated Abort.
    pub const USER_INITIATED_ABORT: u16 = 12;
    /// 13: Protocol Violation.
    pub const PROTOCOL_VIOLATION: u16 = 13;

    /// Invalid Stream Identifier for `stream_id`.
    pub fn invalid_stream_identifier(stream_id: u16) -> Self {
        let mut info = Vec::with_capacity(4);
        info.put_u16(stream_id);
        info.put_u16(0);
        Self {
            code: Self::INVALID_STREAM_IDENTIFIER,
            info: info.into(),
        }
    }

    /// User-Initiated Abort with an upper-layer reason.
    pub fn user_initiated_abort(reason: &[u8]) -> Self {
        Self {
            code: Self::USER_INITIATED_ABORT,
            info: Bytes::copy_from_slice(reason),
        }
    }

    /// Protocol Violation with additional information.
    pub fn protocol_violation(what: &str) -> Self {
        Self {
            code: Self::PROTOCOL_VIOLATION,
            info: Bytes::copy_from_slice(what.as_bytes()),
        }
    }

    /// Unrecognized Chunk Type carrying the offending chunk.
    pub fn unrecognized_chunk(chunk: Bytes) -> Self {
        Self {
            code: Self::UNRECOGNIZED_CHUNK_TYPE,
            info: chunk,
        }
    }

    pub(crate) fn parse_all(buf: &Bytes) -> Result<Vec<ErrorCause>, ParseError> {
        let mut causes = Vec::new();
        let mut rest = buf.clone();
        while !rest.is_empty() {
            let code = read_u16(&rest, 0, "error cause")?;
            let len = usize::from(read_u16(&rest, 2, "error cause")?);
            if len < 4 || len > rest.len() {
                return Err(ParseError::InvalidLength {
                    what: "error cause",
                    len,
                });
            }
            causes.push(ErrorCause {
                code,
                info: rest.slice(4..len),
            });
            let _ = rest.split_to(pad4(len).min(rest.len()));
        }
        Ok(causes)
    }

    pub(crate) fn padded_len(&self) -> usize {
        pad4(4 + self.info.len())
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let len = 4 + self.info.len();
        out.put_u16(self.code);
        out.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
        out.extend_from_slice(&self.info);
        write_padding(out, len);
    }
}
