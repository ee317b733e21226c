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
        let s = self.rest.trim_start_matches(' ');
        if s.is_empty() {
            self.rest = s;
            return None;
        }
        match s.find(' ') {
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
        self.rest.trim_start_matches(' ')
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
