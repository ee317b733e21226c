//! Sequence-number and timestamp arithmetic with wrap-around.
//!
//! RFC 3550 §A.1 keeps an "extended highest sequence number": the 16-bit wire value plus
//! a count of wrap-arounds. [`SeqUnwrapper`] and [`TimestampUnwrapper`] do that for any
//! arrival order (a late packet from before a wrap maps below the wrap, not 65536 ahead).

/// `true` when 16-bit sequence number `a` is newer than `b` (serial number arithmetic,
/// RFC 1982): the forward distance from `b` to `a` is below half the space.
#[inline]
pub fn seq_newer(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

/// Signed distance `a - b` between 16-bit sequence numbers, in `-32768..=32767`.
#[inline]
pub fn seq_diff(a: u16, b: u16) -> i16 {
    a.wrapping_sub(b) as i16
}

/// `true` when 32-bit RTP timestamp `a` is newer than `b`.
#[inline]
pub fn ts_newer(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000_0000
}

/// Signed distance `a - b` between 32-bit RTP timestamps.
#[inline]
pub fn ts_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

macro_rules! unwrapper {
    ($(#[$doc:meta])* $name:ident, $small:ty, $signed:ty, $bits:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name {
            last: Option<i64>,
        }

        impl $name {
            /// A fresh unwrapper; the first value maps to itself plus `2^bits`, so that a
            /// slightly older value arriving next does not go negative.
            pub const fn new() -> Self {
                Self { last: None }
            }

            /// Maps a wire value to its extended 64-bit value and remembers it when it is
            /// the newest so far.
            pub fn unwrap(&mut self, value: $small) -> u64 {
                let ext = self.peek(value);
                match self.last {
                    Some(last) if ext <= last => {}
                    _ => self.last = Some(ext),
                }
                ext as u64
            }

            /// Like [`Self::unwrap`] but without updating the state.
            pub fn peek(&self, value: $small) -> i64 {
                match self.last {
                    None => (1i64 << $bits) + value as i64,
                    Some(last) => {
                        let delta = (value.wrapping_sub(last as $small)) as $signed as i64;
                        // A value more than half the space behind would be negative only
                        // right at the start; clamp so the result stays usable.
                        (last + delta).max(0)
                    }
                }
            }

            /// The newest extended value seen, if any.
            pub fn last(&self) -> Option<u64> {
                self.last.map(|v| v as u64)
            }
        }
    };
}

unwrapper!(
    /// Extends 16-bit RTP sequence numbers to a monotonic 64-bit counter.
    ///
    /// ```
    /// use oxrtc_rtp::SeqUnwrapper;
    /// let mut u = SeqUnwrapper::new();
    /// let a = u.unwrap(65535);
    /// let b = u.unwrap(0); // wrapped
    /// assert_eq!(b, a + 1);
    /// assert_eq!(u.unwrap(65534), a - 1); // late packet from before the wrap
    /// ```
    SeqUnwrapper, u16, i16, 16
);

unwrapper!(
    /// Extends 32-bit RTP timestamps to a monotonic 64-bit counter.
    TimestampUnwrapper, u32, i32, 32
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_and_diff() {
        assert!(seq_newer(1, 0));
        assert!(seq_newer(0, 65535));
        assert!(!seq_newer(65535, 0));
        assert!(!seq_newer(5, 5));
        assert_eq!(seq_diff(2, 65534), 4);
        assert_eq!(seq_diff(65534, 2), -4);
        assert!(ts_newer(3, u32::MAX));
        assert_eq!(ts_diff(0, u32::MAX), 1);
    }

    #[test]
    fn seq_unwrap_many_wraps() {
        let mut u = SeqUnwrapper::new();
        let start = u.unwrap(60000);
        let mut expected = start;
        let mut s: u16 = 60000;
        for _ in 0..200_000 {
            s = s.wrapping_add(1);
            expected += 1;
            assert_eq!(u.unwrap(s), expected);
        }
        // a reordered old packet maps behind
        assert_eq!(u.unwrap(s.wrapping_sub(10)), expected - 10);
        assert_eq!(u.last(), Some(expected));
    }

    #[test]
    fn ts_unwrap_wrap() {
        let mut u = TimestampUnwrapper::new();
        let a = u.unwrap(u32::MAX - 10);
        let b = u.unwrap(5);
        assert_eq!(b - a, 16);
        assert_eq!(u.unwrap(u32::MAX), a + 10);
    }
}
