//! COOKIE ECHO chunk (RFC 9260 §3.3.11); COOKIE ACK has no value.

use bytes::Bytes;

/// COOKIE ECHO: returns the State Cookie from the INIT ACK unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieEchoChunk {
    /// The cookie.
    pub cookie: Bytes,
}
