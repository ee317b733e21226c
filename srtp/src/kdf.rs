//! The SRTP key derivation function (RFC 3711 §4.3) with key derivation rate 0.

use aes::cipher::{KeyIvInit, StreamCipher};

/// RFC 3711 §4.3.2 labels (and RFC 3711 §4.3.2's SRTCP labels 0x03..0x05).
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
pub(crate) enum Label {
    RtpEncryption = 0x00,
    RtpAuthentication = 0x01,
    RtpSalt = 0x02,
    RtcpEncryption = 0x03,
    RtcpAuthentication = 0x04,
    RtcpSalt = 0x05,
}

/// Fills `out` with the session key for `label`.
///
/// RFC 3711 §4.3.1: `key_id = label || r` (with `r = 0` as the key derivation rate is 0),
/// `x = key_id XOR master_salt`, and the key is the AES-CM keystream of the master key under
/// the IV `x * 2^16`. `key_id` is 56 bits aligned to the low end of the 112-bit salt, so the
/// label lands on byte 7. The 96-bit salt of the GCM profiles takes the high 12 bytes and the
/// low two stay zero (RFC 7714 §11 runs this same PRF, as libsrtp does).
///
/// `master_key` is 16 or 32 bytes (AES-128 or AES-256 PRF, RFC 6188 §3); the caller has
/// checked the lengths against the profile.
pub(crate) fn derive(master_key: &[u8], master_salt: &[u8], label: Label, out: &mut [u8]) {
    let mut iv = [0u8; 16];
    iv[..master_salt.len()].copy_from_slice(master_salt);
    iv[7] ^= label as u8;
    out.fill(0);
    match master_key.len() {
        16 => {
            let mut prf = ctr::Ctr128BE::<aes::Aes128>::new(master_key.into(), &iv.into());
            prf.apply_keystream(out);
        }
        32 => {
            let mut prf = ctr::Ctr128BE::<aes::Aes256>::new(master_key.into(), &iv.into());
            prf.apply_keystream(out);
        }
        // Invariant: every profile's master key is 16 or 32 bytes and Context checks it.
        other => unreachable!("master key of {other} bytes reached the KDF"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::hex;

    // RFC 3711 Appendix B.3.
    const MASTER_KEY: &str = "E1F97A0D3E018BE0D64FA32C06DE4139";
    const MASTER_SALT: &str = "0EC675AD498AFEEBB6960B3AABE6";

    #[test]
    fn rfc3711_b3_session_encryption_key() {
        let mut key = [0u8; 16];
        derive(
            &hex(MASTER_KEY),
            &hex(MASTER_SALT),
            Label::RtpEncryption,
            &mut key,
        );
        assert_eq!(key[..], hex("C61E7A93744F39EE10734AFE3FF7A087")[..]);
    }

    #[test]
    fn rfc3711_b3_session_salt() {
        let mut salt = [0u8; 14];
        derive(
            &hex(MASTER_KEY),
            &hex(MASTER_SALT),
            Label::RtpSalt,
            &mut salt,
        );
        assert_eq!(salt[..], hex("30CBBC08863D8C85D49DB34A9AE1")[..]);
    }

    #[test]
    fn rfc3711_b3_session_authentication_key() {
        // B.3 derives 94 octets; the HMAC-SHA1 profiles use the first 20.
        let mut auth = [0u8; 94];
        derive(
            &hex(MASTER_KEY),
            &hex(MASTER_SALT),
            Label::RtpAuthentication,
            &mut auth,
        );
        let expected = hex(concat!(
            "CEBE321F6FF7716B6FD4AB49AF256A15",
            "6D38BAA48F0A0ACF3C34E2359E6CDBCE",
            "E049646C43D9327AD175578EF7227098",
            "6371C10C9A369AC2F94A8C5FBCDDDC25",
            "6D6E919A48B610EF17C2041E47403576",
            "6B68642C59BBFC2F34DB60DBDFB2",
        ));
        assert_eq!(auth[..], expected[..]);
    }

    #[test]
    fn labels_give_distinct_keys() {
        let key = hex(MASTER_KEY);
        let salt = hex(MASTER_SALT);
        let mut seen = Vec::new();
        for label in [
            Label::RtpEncryption,
            Label::RtpAuthentication,
            Label::RtpSalt,
            Label::RtcpEncryption,
            Label::RtcpAuthentication,
            Label::RtcpSalt,
        ] {
            let mut out = [0u8; 16];
            derive(&key, &salt, label, &mut out);
            assert!(!seen.contains(&out));
            seen.push(out);
        }
    }
}
