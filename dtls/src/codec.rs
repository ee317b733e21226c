//! Bounds-checked readers and small writers for TLS wire encodings.

use crate::error::Error;

/// A cursor over untrusted bytes; every read checks the length.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], what: &'static str) -> Self {
        Self { buf, what }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.buf.len() < n {
            return Err(Error::decode(self.what));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Error> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u24(&mut self) -> Result<u32, Error> {
        let b = self.bytes(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub(crate) fn u48(&mut self) -> Result<u64, Error> {
        let b = self.bytes(6)?;
        Ok(u64::from_be_bytes([
            0, 0, b[0], b[1], b[2], b[3], b[4], b[5],
        ]))
    }

    /// A vector with a one-byte length prefix.
    pub(crate) fn vec8(&mut self) -> Result<&'a [u8], Error> {
        let n = self.u8()? as usize;
        self.bytes(n)
    }

    /// A vector with a two-byte length prefix.
    pub(crate) fn vec16(&mut self) -> Result<&'a [u8], Error> {
        let n = self.u16()? as usize;
        self.bytes(n)
    }

    /// A vector with a three-byte length prefix.
    pub(crate) fn vec24(&mut self) -> Result<&'a [u8], Error> {
        let n = self.u24()? as usize;
        self.bytes(n)
    }

    /// Fails unless everything was consumed.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(Error::decode(self.what))
        }
    }
}

pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_u24(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

/// Writes `f`'s output behind a length prefix of `width` bytes (1, 2 or 3).
pub(crate) fn with_len(out: &mut Vec<u8>, width: usize, f: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.resize(at + width, 0);
    f(out);
    let len = out.len() - at - width;
    let be = (len as u32).to_be_bytes();
    out[at..at + width].copy_from_slice(&be[4 - width..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_checks_lengths() {
        let mut r = Reader::new(&[0, 3, 1, 2], "test");
        assert!(r.vec16().is_err());
        let mut r = Reader::new(&[0, 2, 1, 2, 9], "test");
        assert_eq!(r.vec16().unwrap(), &[1, 2]);
        assert!(r.finish().is_err());
        assert_eq!(r.u8().unwrap(), 9);
        assert!(r.u8().is_err());
    }

    #[test]
    fn with_len_prefixes() {
        let mut out = vec![];
        with_len(&mut out, 3, |o| o.extend_from_slice(&[7; 5]));
        assert_eq!(out, [0, 0, 5, 7, 7, 7, 7, 7]);
    }
}
