//! `oxrtc-srtp`: SRTP and SRTCP protect/unprotect in place (RFC 3711, RFC 7714).
//!
//! Encryption and authentication of every RTP and RTCP packet of a WebRTC session, with the
//! four protection profiles DTLS-SRTP negotiates (RFC 5764, RFC 7714):
//! `AES_CM_128_HMAC_SHA1_80`, `AES_CM_128_HMAC_SHA1_32`, `AEAD_AES_128_GCM` and
//! `AEAD_AES_256_GCM`.
//!
//! A session has two [`Context`]s: one keyed with this side's master key to protect what it
//! sends, one keyed with the peer's to unprotect what it receives. [`SessionKeys`] builds
//! both straight from the DTLS-SRTP keying material. A context derives the session keys once
//! (RFC 3711 §4.3, key derivation rate 0) and keeps, per SSRC, the rollover counter
//! (RFC 3711 §3.3.1), the SRTCP index and replay windows of configurable size
//! ([`Config`]); the number of SSRCs it tracks is bounded.
//!
//! Packets are transformed in place in the caller's buffer; nothing is allocated per
//! packet. The cipher work is `ring` (AES-GCM), `aes` + `ctr` (AES counter mode) and
//! RustCrypto `hmac` + `sha1` (HMAC-SHA1, with the CPU's SHA instructions when present). A packet that fails (wrong tag, truncated, replayed, too many SSRCs, ...) gets a
//! distinct [`Error`] and leaves the context as it was.
//!
//! ```
//! use oxrtc_srtp::{Config, Context, Error, ProtectionProfile};
//!
//! let profile = ProtectionProfile::Aes128CmHmacSha1_80;
//! let (key, salt) = ([1u8; 16], [2u8; 14]);
//! let mut sender = Context::new(profile, &key, &salt, Config::default())?;
//! let mut receiver = Context::new(profile, &key, &salt, Config::default())?;
//!
//! // V=2, PT=111, SEQ=7, TS=0, SSRC=0x1234, then the payload.
//! let rtp = [0x80, 111, 0, 7, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 1, 2, 3, 4];
//! let mut packet = Vec::with_capacity(rtp.len() + sender.rtp_overhead());
//! packet.extend_from_slice(&rtp);
//! sender.protect_rtp(&mut packet)?; // in place, no allocation: capacity was reserved
//! assert_eq!(packet.len(), rtp.len() + 10);
//!
//! let mut received = packet.clone();
//! receiver.unprotect_rtp(&mut received)?;
//! assert_eq!(received, rtp);
//!
//! // The same packet again is a replay, and the receiver's state is unchanged by it.
//! assert!(matches!(receiver.unprotect_rtp(&mut packet), Err(Error::Replayed { .. })));
//! # Ok::<(), Error>(())
//! ```
//!
//! On a forwarding path the packet usually sits in a receive buffer with room to spare; the
//! `_in` variants work on `&mut [u8]` and return the new length:
//!
//! ```
//! # use oxrtc_srtp::{Config, Context, ProtectionProfile};
//! # let profile = ProtectionProfile::AeadAes128Gcm;
//! # let mut sender = Context::new(profile, &[1; 16], &[2; 12], Config::default())?;
//! # let mut receiver = Context::new(profile, &[1; 16], &[2; 12], Config::default())?;
//! let mut datagram = [0u8; 1500];
//! let rtp = [0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0xaa, 0xbb];
//! datagram[..rtp.len()].copy_from_slice(&rtp);
//! let srtp_len = sender.protect_rtp_in(&mut datagram, rtp.len())?;
//! let rtp_len = receiver.unprotect_rtp_in(&mut datagram[..srtp_len])?;
//! assert_eq!(datagram[..rtp_len], rtp);
//! # Ok::<(), oxrtc_srtp::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod cipher;
mod config;
mod context;
mod error;
mod header;
mod kdf;
mod keying;
mod profile;
mod replay;

#[cfg(test)]
mod test_util;
#[cfg(test)]
mod tests;

// The public interface.
pub use config::{Config, MAX_MKI_LEN, MAX_REPLAY_WINDOW};
pub use context::Context;
pub use error::{Error, KeyInput};
pub use keying::{MasterKey, SessionKeys};
pub use profile::ProtectionProfile;
