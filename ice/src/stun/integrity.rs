//! Credentials: the HMAC keys of MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256
//! (RFC 8489 §9), and the FINGERPRINT CRC.

use std::fmt;

use hmac::Mac;
use md5::{Digest, Md5};
use ring::hmac as ring_hmac;
use sha1::Sha1;

/// HMAC-SHA1 with its inner and outer states precomputed.
pub(crate) type HmacSha1 = hmac::Hmac<Sha1>;

/// RFC 8489 §14.7: the CRC-32 is XOR-ed with this so that FINGERPRINT differs from a CRC
/// an application protocol might carry.
pub const FINGERPRINT_XOR: u32 = 0x5354_554e;

/// An HMAC key for STUN message integrity: HMAC-SHA1 (MESSAGE-INTEGRITY) and
/// HMAC-SHA256 (MESSAGE-INTEGRITY-SHA256).
///
/// Building a key precomputes the HMAC-SHA1 state (the SHA-256 one on first use), so
/// build it once per credential and reuse it for every message.
///
/// Strings are used as given: callers that need RFC 8265 OpaqueString preparation
/// (non-ASCII passwords) must apply it first.
#[derive(Clone)]
pub struct Key {
    raw: Vec<u8>,
    sha1: HmacSha1,
    /// Built on first use: most keys only ever sign with SHA-1.
    sha256: std::sync::OnceLock<ring_hmac::Key>,
}

impl Key {
    /// A key made of raw bytes.
    pub fn from_bytes(raw: &[u8]) -> Self {
        Self {
            raw: raw.to_vec(),
            // Any key length is valid for HMAC; `new_from_slice` cannot fail.
            sha1: <HmacSha1 as Mac>::new_from_slice(raw).unwrap_or_else(|_| {
                <HmacSha1 as Mac>::new_from_slice(&[]).expect("empty HMAC key is valid")
            }),
            sha256: std::sync::OnceLock::new(),
        }
    }

    /// RFC 8489 §9.1.1: short-term credentials (ICE): key = the password.
    pub fn short_term(password: &str) -> Self {
        Self::from_bytes(password.as_bytes())
    }

    /// RFC 8489 §9.2.2, algorithm MD5 (and RFC 5389 §15.4):
    /// key = MD5(username ":" realm ":" password).
    pub fn long_term(username: &str, realm: &str, password: &str) -> Self {
        let mut h = Md5::new();
        h.update(username.as_bytes());
        h.update(b":");
        h.update(realm.as_bytes());
        h.update(b":");
        h.update(password.as_bytes());
        Self::from_bytes(&h.finalize())
    }

    /// RFC 8489 §9.2.2, algorithm SHA-256:
    /// key = SHA-256(username ":" realm ":" password).
    pub fn long_term_sha256(username: &str, realm: &str, password: &str) -> Self {
        let mut c = ring::digest::Context::new(&ring::digest::SHA256);
        c.update(username.as_bytes());
        c.update(b":");
        c.update(realm.as_bytes());
        c.update(b":");
        c.update(password.as_bytes());
        Self::from_bytes(c.finish().as_ref())
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    pub(crate) fn sha1(&self) -> &HmacSha1 {
        &self.sha1
    }

    pub(crate) fn sha256(&self) -> &ring_hmac::Key {
        self.sha256
            .get_or_init(|| ring_hmac::Key::new(ring_hmac::HMAC_SHA256, &self.raw))
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(..)")
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.raw, &other.raw)
    }
}

impl Eq for Key {}

/// RFC 8489 §9.2.2 USERHASH: SHA-256(username ":" realm).
pub fn userhash(username: &str, realm: &str) -> [u8; 32] {
    let mut c = ring::digest::Context::new(&ring::digest::SHA256);
    c.update(username.as_bytes());
    c.update(b":");
    c.update(realm.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(c.finish().as_ref());
    out
}

/// Constant-time comparison of two byte strings (lengths are not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// HMAC over `raw[..end]` with the header length field replaced by `len` (the message
/// as it was when the integrity attribute was appended).
pub(crate) fn hmac_adjusted(
    key: &ring_hmac::Key,
    raw: &[u8],
    end: usize,
    len: u16,
) -> ring_hmac::Tag {
    let mut ctx = ring_hmac::Context::with_key(key);
    ctx.update(&raw[..2]);
    ctx.update(&len.to_be_bytes());
    ctx.update(&raw[4..end]);
    ctx.sign()
}

/// HMAC-SHA1 over `raw[..end]` with the header length field replaced by `len`.
pub(crate) fn hmac_sha1_adjusted(key: &HmacSha1, raw: &[u8], end: usize, len: u16) -> [u8; 20] {
    let mut mac = key.clone();
    mac.update(&raw[..2]);
    mac.update(&len.to_be_bytes());
    mac.update(&raw[4..end]);
    mac.finalize().into_bytes().into()
}

/// FINGERPRINT value over `raw[..end]` with the header length field replaced by `len`.
pub(crate) fn fingerprint_adjusted(raw: &[u8], end: usize, len: u16) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&raw[..2]);
    h.update(&len.to_be_bytes());
    h.update(&raw[4..end]);
    h.finalize() ^ FINGERPRINT_XOR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_term_key_is_md5_of_user_realm_pass() {
        // MD5("user:realm:pass") computed independently (RFC 1321 reference).
        let k = Key::long_term("user", "realm", "pass");
        assert_eq!(k.as_bytes().len(), 16);
        let expected = {
            let mut h = Md5::new();
            h.update(b"user:realm:pass");
            h.finalize()
        };
        assert_eq!(k.as_bytes(), &expected[..]);
        // RFC 1321 test suite: MD5("abc").
        assert_eq!(
            &Md5::digest(b"abc")[..],
            &[
                0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0, 0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1,
                0x7f, 0x72
            ]
        );
        assert_eq!(Key::long_term_sha256("u", "r", "p").as_bytes().len(), 32);
        assert_ne!(Key::short_term("a"), Key::short_term("b"));
    }

    #[test]
    fn ct_eq_works() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
