//! The TURN REST API's time-limited credentials (draft-uberti-behave-turn-rest-00, as
//! coturn's `--use-auth-secret` implements them): username = "expiry:user", password =
//! base64(HMAC-SHA1(secret, username)).

use ring::hmac;

/// The username for `user` valid until `expiry_unix` (seconds since the Unix epoch).
pub fn rest_username(expiry_unix: u64, user: &str) -> String {
    if user.is_empty() {
        expiry_unix.to_string()
    } else {
        format!("{expiry_unix}:{user}")
    }
}

/// The password for a REST username: base64(HMAC-SHA1(secret, username)).
pub fn rest_password(secret: &str, username: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
    base64_encode(hmac::sign(&key, username.as_bytes()).as_ref())
}

/// Standard base64 (RFC 4648 §4) with padding.
pub fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, c) in chars.iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[*c as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The expiry time of a REST username ("expiry" or "expiry:user"), if it has one.
pub(crate) fn rest_expiry(username: &str) -> Option<u64> {
    username.split(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_rfc4648_vectors() {
        // RFC 4648 §10.
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(i.as_bytes()), o);
        }
    }

    #[test]
    fn rest_credentials() {
        let u = rest_username(1_700_000_000, "alice");
        assert_eq!(u, "1700000000:alice");
        assert_eq!(rest_expiry(&u), Some(1_700_000_000));
        assert_eq!(rest_expiry("alice"), None);
        // HMAC-SHA1 of RFC 2202 test case 2: key "Jefe", data "what do ya want for
        // nothing?" = effcdf6ae5eb2fa2d27416d5f184df9c259a7c79.
        let p = rest_password("Jefe", "what do ya want for nothing?");
        let raw = [
            0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74, 0x16, 0xd5, 0xf1, 0x84,
            0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
        ];
        assert_eq!(p, base64_encode(&raw));
        assert_eq!(p.len(), 28);
    }
}
