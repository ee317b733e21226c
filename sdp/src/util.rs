//! Small scanning helpers shared by the parsers: decimal numbers, space-separated tokens.

use crate::error::{FieldError, Problem};

/// Parses a decimal number made only of ASCII digits (no sign, no spaces), rejecting
/// overflow of `u64`.
#[inline]
pub(crate) fn parse_u64(s: &str, field: &'static str) -> Result<u64, FieldError> {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return Err(FieldError::new(field, Problem::Missing));
    }
    let mut value: u64 = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return Err(FieldError::new(field, Problem::NotANumber));
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit)))
            .ok_or(FieldError::new(field, Problem::OutOfRange))?;
    }
    Ok(value)
}

/// [`parse_u64`] narrowed to a smaller unsigned type.
#[inline]
pub(crate) fn parse_num<T: TryFrom<u64>>(s: &str, field: &'static str) -> Result<T, FieldError> {
    let wide = parse_u64(s, field)?;
    T::try_from(wide).map_err(|_| FieldError::new(field, Problem::OutOfRange))
}

/// Splits a value into space-separated tokens; runs of spaces count as one separator.
#[derive(Clone)]
pub(crate) struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    #[inline]
    pub(crate) fn new(s: &'a str) -> Self {
        Self { rest: s }
    }

    /// The next token, or `None` at the end.
    #[inline]
    pub(crate) fn next_token(&mut self) -> Option<&'a str> {
        let s = self.rest.trim_start_sp();
        if s.is_empty() {
            self.rest = s;
            return None;
        }
        match s.find_b(b' ') {
            Some(i) => {
                self.rest = &s[i + 1..];
                Some(&s[..i])
            }
            None => {
                self.rest = "";
                Some(s)
            }
        }
    }

    /// The next token, or a `Missing` error naming `field`.
    #[inline]
    pub(crate) fn expect(&mut self, field: &'static str) -> Result<&'a str, FieldError> {
        self.next_token()
            .ok_or(FieldError::new(field, Problem::Missing))
    }

    /// Everything not consumed yet, without leading spaces.
    #[inline]
    pub(crate) fn rest(&self) -> &'a str {
        self.rest.trim_start_sp()
    }

    /// Fails with `Trailing` when tokens are left.
    #[inline]
    pub(crate) fn finish(&self, field: &'static str) -> Result<(), FieldError> {
        if self.rest().is_empty() {
            Ok(())
        } else {
            Err(FieldError::new(field, Problem::Trailing))
        }
    }
}

/// Requires a non-empty string, after the caller trimmed it.
#[inline]
pub(crate) fn non_empty<'a>(s: &'a str, field: &'static str) -> Result<&'a str, FieldError> {
    if s.is_empty() {
        Err(FieldError::new(field, Problem::Missing))
    } else {
        Ok(s)
    }
}

/// Byte-level searching for ASCII separators.
///
/// `str`'s `char` searchers call `memchr` and then `memcmp` to confirm every match, which
/// dominates on the short fields of SDP lines; a plain byte loop is several times faster.
/// Splitting at an ASCII byte always lands on a character boundary.
pub(crate) trait ByteStr {
    /// Position of the first `b`.
    fn find_b(&self, b: u8) -> Option<usize>;
    /// Splits at the first `b`.
    fn split_once_b(&self, b: u8) -> Option<(&str, &str)>;
    /// Splits at every `b`.
    fn split_b(&self, b: u8) -> SplitByte<'_>;
    /// Strips leading and trailing spaces (only `' '`).
    fn trim_sp(&self) -> &str;
    /// Strips leading spaces (only `' '`).
    fn trim_start_sp(&self) -> &str;
}

impl ByteStr for str {
    #[inline]
    fn find_b(&self, b: u8) -> Option<usize> {
        self.as_bytes().iter().position(|&c| c == b)
    }

    #[inline]
    fn split_once_b(&self, b: u8) -> Option<(&str, &str)> {
        let i = self.find_b(b)?;
        Some((&self[..i], &self[i + 1..]))
    }

    #[inline]
    fn split_b(&self, b: u8) -> SplitByte<'_> {
        SplitByte {
            rest: Some(self),
            sep: b,
        }
    }

    #[inline]
    fn trim_sp(&self) -> &str {
        let bytes = self.as_bytes();
        let start = bytes.iter().position(|&c| c != b' ').unwrap_or(bytes.len());
        let end = bytes
            .iter()
            .rposition(|&c| c != b' ')
            .map_or(start, |e| e + 1);
        &self[start..end]
    }

    #[inline]
    fn trim_start_sp(&self) -> &str {
        let bytes = self.as_bytes();
        let start = bytes.iter().position(|&c| c != b' ').unwrap_or(bytes.len());
        &self[start..]
    }
}

/// Iterator of [`ByteStr::split_b`].
pub(crate) struct SplitByte<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for SplitByte<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.find_b(self.sep) {
            Some(i) => {
                self.rest = Some(&rest[i + 1..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// Returns a borrowed `'static` copy of `s` when it is in `table` (common tokens of
/// browser SDP), so parsing them allocates nothing; otherwise an owned copy.
#[inline]
pub(crate) fn intern(s: &str, table: &'static [&'static str]) -> std::borrow::Cow<'static, str> {
    for known in table {
        if known.len() == s.len() && *known == s {
            return std::borrow::Cow::Borrowed(known);
        }
    }
    std::borrow::Cow::Owned(s.to_owned())
}

/// Scans one line: returns the index of the first `\n` (or the length) and whether a
/// NUL or a CR that does not end the line comes before it. Eight bytes at a time while
/// none of `\n`, `\r`, NUL is in sight.
#[inline]
pub(crate) fn scan_line(bytes: &[u8]) -> (usize, bool) {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    #[inline(always)]
    fn has_zero(v: u64) -> u64 {
        v.wrapping_sub(LO) & !v & HI
    }
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[i..i + 8]);
        let w = u64::from_le_bytes(word);
        if has_zero(w ^ (LO * u64::from(b'\n')))
            | has_zero(w ^ (LO * u64::from(b'\r')))
            | has_zero(w)
            != 0
        {
            break;
        }
        i += 8;
    }
    let mut bad = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => return (i, bad),
            0 => bad = true,
            b'\r' if bytes.get(i + 1).is_some_and(|&next| next != b'\n') => bad = true,
            _ => {}
        }
        i += 1;
    }
    (bytes.len(), bad)
}

/// `"0"` to `"255"`: small numbers are the commonest values in SDP (`apt=96`,
/// `generation 0`, `network-cost 50`); parsing them borrows these.
pub(crate) const SMALL_NUMBERS: &[&str] = &[
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
    "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32",
    "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47", "48",
    "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "63", "64",
    "65", "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76", "77", "78", "79", "80",
    "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "91", "92", "93", "94", "95", "96",
    "97", "98", "99", "100", "101", "102", "103", "104", "105", "106", "107", "108", "109", "110",
    "111", "112", "113", "114", "115", "116", "117", "118", "119", "120", "121", "122", "123",
    "124", "125", "126", "127", "128", "129", "130", "131", "132", "133", "134", "135", "136",
    "137", "138", "139", "140", "141", "142", "143", "144", "145", "146", "147", "148", "149",
    "150", "151", "152", "153", "154", "155", "156", "157", "158", "159", "160", "161", "162",
    "163", "164", "165", "166", "167", "168", "169", "170", "171", "172", "173", "174", "175",
    "176", "177", "178", "179", "180", "181", "182", "183", "184", "185", "186", "187", "188",
    "189", "190", "191", "192", "193", "194", "195", "196", "197", "198", "199", "200", "201",
    "202", "203", "204", "205", "206", "207", "208", "209", "210", "211", "212", "213", "214",
    "215", "216", "217", "218", "219", "220", "221", "222", "223", "224", "225", "226", "227",
    "228", "229", "230", "231", "232", "233", "234", "235", "236", "237", "238", "239", "240",
    "241", "242", "243", "244", "245", "246", "247", "248", "249", "250", "251", "252", "253",
    "254", "255",
];

/// Like [`intern`], for values: small decimal numbers and the strings in `table`.
#[inline]
pub(crate) fn intern_value(
    s: &str,
    table: &'static [&'static str],
) -> std::borrow::Cow<'static, str> {
    let b = s.as_bytes();
    if !b.is_empty()
        && b.len() <= 3
        && b.iter().all(u8::is_ascii_digit)
        && (b[0] != b'0' || b.len() == 1)
    {
        if let Ok(n) = parse_num::<u8>(s, "") {
            return std::borrow::Cow::Borrowed(SMALL_NUMBERS[usize::from(n)]);
        }
    }
    intern(s, table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_u64("0", "f"), Ok(0));
        assert_eq!(parse_u64("18446744073709551615", "f"), Ok(u64::MAX));
        assert_eq!(
            parse_u64("18446744073709551616", "f").unwrap_err().problem,
            Problem::OutOfRange
        );
        assert_eq!(
            parse_u64("+1", "f").unwrap_err().problem,
            Problem::NotANumber
        );
        assert_eq!(parse_u64("", "f").unwrap_err().problem, Problem::Missing);
        assert_eq!(
            parse_num::<u8>("256", "f").unwrap_err().problem,
            Problem::OutOfRange
        );
    }

    #[test]
    fn tokens_collapse_spaces() {
        let mut t = Tokens::new("  a  b c ");
        assert_eq!(t.next_token(), Some("a"));
        assert_eq!(t.rest(), "b c ");
        assert_eq!(t.next_token(), Some("b"));
        assert_eq!(t.next_token(), Some("c"));
        assert_eq!(t.next_token(), None);
    }

    #[test]
    fn line_scanner() {
        assert_eq!(scan_line(b"a=0123456789abcdef\r\nnext"), (19, false));
        assert_eq!(scan_line(b"no newline at all, long enough"), (30, false));
        assert_eq!(scan_line(b"a=01234567\r89\nx"), (13, true));
        assert_eq!(scan_line(b"a=0123456789\0\n"), (13, true));
        assert_eq!(scan_line(b"last line\r"), (10, false));
        assert_eq!(scan_line(b""), (0, false));
    }

    #[test]
    fn interning() {
        assert!(matches!(
            intern_value("96", &[]),
            std::borrow::Cow::Borrowed("96")
        ));
        assert!(matches!(
            intern_value("096", &[]),
            std::borrow::Cow::Owned(_)
        ));
        assert!(matches!(
            intern("nack", &["nack"]),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(SMALL_NUMBERS.len(), 256);
        assert!(SMALL_NUMBERS
            .iter()
            .enumerate()
            .all(|(i, s)| *s == i.to_string()));
    }
}
