//! Limits against hostile input.

/// Bounds the parser enforces before it allocates anything an attacker controls.
///
/// The defaults are far above any real browser SDP (a Chromium offer with three media
/// sections is about 7 KiB, 150 lines, 60 attributes per section) and still keep a
/// hostile description from taking more than a few MiB.
///
/// ```
/// use oxrtc_sdp::{ParseLimits, SessionDescription};
/// let mut limits = ParseLimits::default();
/// limits.max_lines = 3;
/// let err = SessionDescription::parse_with("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n", &limits);
/// assert!(err.is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseLimits {
    /// Largest accepted description, in bytes (default 1 MiB).
    pub max_size: usize,
    /// Most lines, empty ones included (default 20 000).
    pub max_lines: usize,
    /// Longest single line, in bytes (default 64 KiB).
    pub max_line_len: usize,
    /// Most `m=` sections (default 1 000).
    pub max_media: usize,
    /// Most `a=` lines in the session section or in one media section (default 5 000).
    pub max_attributes: usize,
}

impl ParseLimits {
    /// The default limits (see the field docs).
    pub const DEFAULT: ParseLimits = ParseLimits {
        max_size: 1 << 20,
        max_lines: 20_000,
        max_line_len: 64 << 10,
        max_media: 1_000,
        max_attributes: 5_000,
    };
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
