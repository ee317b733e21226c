//! RFC 4571 framing for ICE-TCP (RFC 6544 §3): every STUN message or media packet on a
//! TCP connection is preceded by its 16-bit big-endian length.
//!
//! ```
//! use oxrtc_ice::tcp_framing::{frame, Deframer};
//!
//! let mut wire = Vec::new();
//! frame(b"hello", &mut wire)?;
//! frame(b"world!", &mut wire)?;
//! let mut d = Deframer::new();
//! // Bytes arrive in arbitrary pieces.
//! d.push(&wire[..3])?;
//! assert_eq!(d.next_frame(), None);
//! d.push(&wire[3..])?;
//! assert_eq!(d.next_frame().as_deref(), Some(&b"hello"[..]));
//! assert_eq!(d.next_frame().as_deref(), Some(&b"world!"[..]));
//! assert_eq!(d.next_frame(), None);
//! # Ok::<(), oxrtc_ice::tcp_framing::FramingError>(())
//! ```

/// Largest payload one frame carries.
pub const MAX_FRAME: usize = u16::MAX as usize;

/// Framing errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FramingError {
    /// The payload does not fit the 16-bit length.
    #[error("frame of {0} bytes exceeds 65535")]
    TooLong(usize),
    /// More unframed bytes are buffered than the limit allows.
    #[error("deframer buffer over {0} bytes")]
    BufferFull(usize),
}

/// Appends `payload` with its length prefix to `out`.
pub fn frame(payload: &[u8], out: &mut Vec<u8>) -> Result<(), FramingError> {
    let len = u16::try_from(payload.len()).map_err(|_| FramingError::TooLong(payload.len()))?;
    out.reserve(2 + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// Cuts a TCP byte stream into frames. Memory is bounded: at most one maximal frame
/// plus its header is buffered (by default).
#[derive(Debug)]
pub struct Deframer {
    buf: Vec<u8>,
    start: usize,
    limit: usize,
}

impl Default for Deframer {
    fn default() -> Self {
        Self::new()
    }
}

impl Deframer {
    /// A deframer buffering at most `2 + 65535` bytes.
    pub fn new() -> Self {
        Self::with_limit(2 + MAX_FRAME)
    }

    /// A deframer buffering at most `limit` bytes (frames larger than `limit - 2` can
    /// then never complete: the stream should be closed on [`FramingError::BufferFull`]).
    pub fn with_limit(limit: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            limit,
        }
    }

    /// Bytes buffered and not yet returned.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Appends received bytes. Fails, buffering nothing, when the limit would be
    /// exceeded; drain with [`Deframer::next_frame`] first.
    pub fn push(&mut self, data: &[u8]) -> Result<(), FramingError> {
        if self.buffered() + data.len() > self.limit {
            return Err(FramingError::BufferFull(self.limit));
        }
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > self.limit / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// The next complete frame's payload, if one is buffered.
    pub fn next_frame(&mut self) -> Option<Vec<u8>> {
        let rest = &self.buf[self.start..];
        if rest.len() < 2 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let payload = rest.get(2..2 + len)?.to_vec();
        self.start += 2 + len;
        Some(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_by_byte_and_limits() {
        let mut wire = Vec::new();
        for n in [0usize, 1, 100, 1500] {
            frame(&vec![n as u8; n], &mut wire).unwrap();
        }
        let mut d = Deframer::new();
        let mut got = Vec::new();
        for b in &wire {
            d.push(std::slice::from_ref(b)).unwrap();
            while let Some(f) = d.next_frame() {
                got.push(f.len());
            }
        }
        assert_eq!(got, vec![0, 1, 100, 1500]);
        assert_eq!(d.buffered(), 0);
        assert_eq!(
            frame(&vec![0; 65536], &mut Vec::new()),
            Err(FramingError::TooLong(65536))
        );
        let mut small = Deframer::with_limit(10);
        assert!(small.push(&[0, 20, 1, 2, 3, 4, 5, 6, 7, 8]).is_ok());
        assert_eq!(small.push(&[9]), Err(FramingError::BufferFull(10)));
        assert_eq!(small.next_frame(), None);
    }
}
