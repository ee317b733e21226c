//! Writing: one generic writer over `fmt::Write`, so `Display` and the pre-sized
//! [`SessionDescription::to_sdp_string`](crate::SessionDescription::to_sdp_string) share it.
//! Numbers are formatted by hand into a stack buffer (no `format!`, no allocation).

use std::fmt;

/// Line terminator written everywhere (RFC 8866 §5: CRLF).
pub(crate) const CRLF: &str = "\r\n";

/// Something with an SDP text form.
pub(crate) trait WriteSdp {
    /// Writes the SDP text (without line type or line end unless the value is a whole line).
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result;
}

/// Writes `n` in decimal.
#[inline]
pub(crate) fn write_u64<W: fmt::Write>(w: &mut W, mut n: u64) -> fmt::Result {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written, so this cannot fail.
    w.write_str(std::str::from_utf8(&buf[i..]).map_err(|_| fmt::Error)?)
}

/// Writes a signed `n` in decimal.
#[inline]
pub(crate) fn write_i64<W: fmt::Write>(w: &mut W, n: i64) -> fmt::Result {
    if n < 0 {
        w.write_char('-')?;
    }
    write_u64(w, n.unsigned_abs())
}

/// Writes the items separated by `sep`.
#[inline]
pub(crate) fn write_joined<W: fmt::Write, T>(
    w: &mut W,
    items: &[T],
    sep: &str,
    mut each: impl FnMut(&mut W, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            w.write_str(sep)?;
        }
        each(w, item)?;
    }
    Ok(())
}

/// Implements `Display` through [`WriteSdp`].
macro_rules! display_via_write_sdp {
    ($($ty:ty),* $(,)?) => {$(
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                crate::write::WriteSdp::write_sdp(self, f)
            }
        }
    )*};
}
pub(crate) use display_via_write_sdp;
