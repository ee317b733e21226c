//! The negotiable parameters: cipher suites, ECDHE groups and SRTP protection profiles.

use std::fmt;

/// The DTLS 1.2 cipher suites we implement, all AEAD with ephemeral ECDH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CipherSuite {
    /// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (0xc02b), what every WebRTC stack prefers.
    EcdheEcdsaWithAes128GcmSha256,
    /// TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (0xc02c).
    EcdheEcdsaWithAes256GcmSha384,
    /// TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (0xcca9, RFC 7905).
    EcdheEcdsaWithChacha20Poly1305Sha256,
    /// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xc02f).
    EcdheRsaWithAes128GcmSha256,
    /// TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (0xc030).
    EcdheRsaWithAes256GcmSha384,
}

/// How the server authenticates in a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthKind {
    Ecdsa,
    Rsa,
}

/// The record protection a suite uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AeadKind {
    Aes128Gcm,
    Aes256Gcm,
    Chacha20Poly1305,
}

/// The PRF hash of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrfHash {
    Sha256,
    Sha384,
}

impl CipherSuite {
    /// All suites, in our default order of preference.
    pub const ALL: [CipherSuite; 5] = [
        CipherSuite::EcdheEcdsaWithAes128GcmSha256,
        CipherSuite::EcdheEcdsaWithAes256GcmSha384,
        CipherSuite::EcdheEcdsaWithChacha20Poly1305Sha256,
        CipherSuite::EcdheRsaWithAes128GcmSha256,
        CipherSuite::EcdheRsaWithAes256GcmSha384,
    ];

    /// The IANA code point.
    pub fn code(self) -> u16 {
        match self {
            CipherSuite::EcdheEcdsaWithAes128GcmSha256 => 0xc02b,
            CipherSuite::EcdheEcdsaWithAes256GcmSha384 => 0xc02c,
            CipherSuite::EcdheEcdsaWithChacha20Poly1305Sha256 => 0xcca9,
            CipherSuite::EcdheRsaWithAes128GcmSha256 => 0xc02f,
            CipherSuite::EcdheRsaWithAes256GcmSha384 => 0xc030,
        }
    }

    /// The suite with this code point, if we implement it.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The IANA name, e.g. `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`.
    pub fn name(self) -> &'static str {
        match self {
            CipherSuite::EcdheEcdsaWithAes128GcmSha256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            CipherSuite::EcdheEcdsaWithAes256GcmSha384 => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            CipherSuite::EcdheEcdsaWithChacha20Poly1305Sha256 => {
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
            }
            CipherSuite::EcdheRsaWithAes128GcmSha256 => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            CipherSuite::EcdheRsaWithAes256GcmSha384 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        }
    }

    pub(crate) fn auth(self) -> AuthKind {
        match self {
            CipherSuite::EcdheRsaWithAes128GcmSha256 | CipherSuite::EcdheRsaWithAes256GcmSha384 => {
                AuthKind::Rsa
            }
            _ => AuthKind::Ecdsa,
        }
    }

    pub(crate) fn aead(self) -> AeadKind {
        match self {
            CipherSuite::EcdheEcdsaWithAes128GcmSha256
            | CipherSuite::EcdheRsaWithAes128GcmSha256 => AeadKind::Aes128Gcm,
            CipherSuite::EcdheEcdsaWithAes256GcmSha384
            | CipherSuite::EcdheRsaWithAes256GcmSha384 => AeadKind::Aes256Gcm,
            CipherSuite::EcdheEcdsaWithChacha20Poly1305Sha256 => AeadKind::Chacha20Poly1305,
        }
    }

    pub(crate) fn prf_hash(self) -> PrfHash {
        match self {
            CipherSuite::EcdheEcdsaWithAes256GcmSha384
            | CipherSuite::EcdheRsaWithAes256GcmSha384 => PrfHash::Sha384,
            _ => PrfHash::Sha256,
        }
    }
}

impl fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// ECDHE groups (RFC 8422 §5.1.1, RFC 7748).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NamedGroup {
    /// x25519 (29).
    X25519,
    /// secp256r1 / P-256 (23).
    Secp256r1,
    /// secp384r1 / P-384 (24).
    Secp384r1,
}

impl NamedGroup {
    /// All groups, in our default order of preference.
    pub const ALL: [NamedGroup; 3] = [
        NamedGroup::X25519,
        NamedGroup::Secp256r1,
        NamedGroup::Secp384r1,
    ];

    /// The IANA code point.
    pub fn code(self) -> u16 {
        match self {
            NamedGroup::X25519 => 29,
            NamedGroup::Secp256r1 => 23,
            NamedGroup::Secp384r1 => 24,
        }
    }

    /// The group with this code point, if we implement it.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.code() == code)
    }
}

/// SRTP protection profiles negotiated by use_srtp (RFC 5764 §4.1.2, RFC 7714 §14.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SrtpProfile {
    /// SRTP_AES128_CM_HMAC_SHA1_80 (0x0001).
    Aes128CmHmacSha1_80,
    /// SRTP_AES128_CM_HMAC_SHA1_32 (0x0002).
    Aes128CmHmacSha1_32,
    /// SRTP_AEAD_AES_128_GCM (0x0007).
    AeadAes128Gcm,
    /// SRTP_AEAD_AES_256_GCM (0x0008).
    AeadAes256Gcm,
}

impl SrtpProfile {
    /// All profiles, in our default order of preference (AEAD first, as browsers do).
    pub const ALL: [SrtpProfile; 4] = [
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::AeadAes256Gcm,
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::Aes128CmHmacSha1_32,
    ];

    /// The IANA code point.
    pub fn code(self) -> u16 {
        match self {
            SrtpProfile::Aes128CmHmacSha1_80 => 0x0001,
            SrtpProfile::Aes128CmHmacSha1_32 => 0x0002,
            SrtpProfile::AeadAes128Gcm => 0x0007,
            SrtpProfile::AeadAes256Gcm => 0x0008,
        }
    }

    /// The profile with this code point, if we implement it.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The name OpenSSL uses (`SRTP_AES128_CM_SHA1_80`, `SRTP_AEAD_AES_128_GCM`, ...).
    pub fn openssl_name(self) -> &'static str {
        match self {
            SrtpProfile::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_SHA1_80",
            SrtpProfile::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_SHA1_32",
            SrtpProfile::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
            SrtpProfile::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
        }
    }

    /// Parses an OpenSSL profile name (also accepts the RFC spelling `..._HMAC_SHA1_..`).
    pub fn from_openssl_name(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL.into_iter().find(|p| {
            p.openssl_name().eq_ignore_ascii_case(name)
                || p.openssl_name()
                    .replace("_CM_SHA1", "_CM_HMAC_SHA1")
                    .eq_ignore_ascii_case(name)
        })
    }

    /// Master key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            SrtpProfile::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Master salt length in bytes.
    pub fn salt_len(self) -> usize {
        match self {
            SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm => 12,
            _ => 14,
        }
    }

    /// Length of the DTLS-SRTP keying material: two keys and two salts (RFC 5764 §4.2).
    pub fn keying_material_len(self) -> usize {
        2 * (self.key_len() + self.salt_len())
    }
}

impl fmt::Display for SrtpProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.openssl_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_points_round_trip() {
        for s in CipherSuite::ALL {
            assert_eq!(CipherSuite::from_code(s.code()), Some(s));
        }
        for g in NamedGroup::ALL {
            assert_eq!(NamedGroup::from_code(g.code()), Some(g));
        }
        for p in SrtpProfile::ALL {
            assert_eq!(SrtpProfile::from_code(p.code()), Some(p));
            assert_eq!(SrtpProfile::from_openssl_name(p.openssl_name()), Some(p));
        }
        assert_eq!(
            SrtpProfile::from_openssl_name("SRTP_AES128_CM_HMAC_SHA1_80"),
            Some(SrtpProfile::Aes128CmHmacSha1_80)
        );
        assert_eq!(SrtpProfile::AeadAes256Gcm.keying_material_len(), 88);
        assert_eq!(SrtpProfile::Aes128CmHmacSha1_80.keying_material_len(), 60);
    }
}
