//! The one error type of this crate.

/// Why an SRTP or SRTCP operation failed.
///
/// Every variant leaves the [`Context`](crate::Context) exactly as it was before the call: a
/// packet that fails never moves a rollover counter, an index or a replay window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The packet is shorter than its headers, trailer and tag require.
    #[error("packet of {len} bytes is truncated: at least {needed} bytes are needed")]
    Truncated {
        /// Length of the packet as given.
        len: usize,
        /// Length its own fields (header, extension, trailer, tag) say it must have at least.
        needed: usize,
    },
    /// The RTP/RTCP version field is not 2 (RFC 3550 §5.1).
    #[error("RTP/RTCP version {version} is not 2")]
    InvalidVersion {
        /// The version found in the first two bits.
        version: u8,
    },
    /// The authentication tag does not match: the packet was forged, damaged, or protected
    /// with other keys (RFC 3711 §3.3 step 5, RFC 7714 §7.2).
    #[error("authentication tag does not match")]
    AuthenticationFailed,
    /// The packet index was already received: a replayed or duplicated packet
    /// (RFC 3711 §3.3.2).
    #[error("packet {index} of SSRC {ssrc:#010x} was already received (replay)")]
    Replayed {
        /// SSRC of the stream.
        ssrc: u32,
        /// The SRTP packet index (ROC || SEQ) or the SRTCP index.
        index: u64,
    },
    /// The packet index is older than the replay window reaches, so it cannot be told apart
    /// from a replay and is dropped (RFC 3711 §3.3.2).
    #[error("packet {index} of SSRC {ssrc:#010x} is older than the replay window")]
    TooOld {
        /// SSRC of the stream.
        ssrc: u32,
        /// The SRTP packet index (ROC || SEQ) or the SRTCP index.
        index: u64,
    },
    /// The packet belongs to a new SSRC but the context already keeps state for as many
    /// SSRCs as [`Config::max_ssrcs`](crate::Config::max_ssrcs) allows.
    #[error("SSRC {ssrc:#010x} is new and the context already tracks the limit of {limit} SSRCs")]
    TooManySsrcs {
        /// The SSRC that was refused.
        ssrc: u32,
        /// The configured bound.
        limit: usize,
    },
    /// The packet carries an MKI other than the one of this context's master key
    /// (RFC 3711 §3.1, §8.1).
    #[error("the packet's MKI does not name this context's master key")]
    UnknownMki,
    /// The sender has used every packet index this master key allows: 2^48 SRTP packets or
    /// 2^31 SRTCP packets per SSRC (RFC 3711 §9.2). The master key must be changed.
    #[error("SSRC {ssrc:#010x} has exhausted the packet indices of this master key")]
    IndexExhausted {
        /// SSRC of the stream.
        ssrc: u32,
    },
    /// The caller's buffer has no room for the trailer protection appends.
    #[error("buffer of {capacity} bytes is too small: {needed} bytes are needed")]
    BufferTooSmall {
        /// Bytes the protected packet needs.
        needed: usize,
        /// Bytes the buffer has.
        capacity: usize,
    },
    /// A master key, master salt or keying-material block has the wrong length for the
    /// protection profile.
    #[error("{what} is {actual} bytes but the profile needs {expected}")]
    InvalidKeyLength {
        /// Which input was wrong.
        what: KeyInput,
        /// The length the profile needs.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A configuration value is outside what this implementation supports.
    #[error("invalid configuration: {what} must be in {min}..={max}, got {actual}")]
    InvalidConfig {
        /// Which setting was wrong.
        what: &'static str,
        /// Smallest accepted value.
        min: usize,
        /// Largest accepted value.
        max: usize,
        /// The value given.
        actual: usize,
    },
}

/// Names the key input an [`Error::InvalidKeyLength`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyInput {
    /// The master key.
    MasterKey,
    /// The master salt.
    MasterSalt,
    /// The DTLS-SRTP keying material block (RFC 5764 §4.2).
    KeyingMaterial,
}

impl core::fmt::Display for KeyInput {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::MasterKey => "master key",
            Self::MasterSalt => "master salt",
            Self::KeyingMaterial => "keying material",
        })
    }
}
