//! The SRTP protection profiles WebRTC negotiates over DTLS-SRTP.

/// An SRTP protection profile (RFC 5764 §4.1.2, RFC 7714 §14.2): the cipher, the key and
/// salt lengths and the tag lengths of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtectionProfile {
    /// `SRTP_AES128_CM_HMAC_SHA1_80` (0x0001): AES-128 counter mode, 80-bit HMAC-SHA1 tags.
    Aes128CmHmacSha1_80,
    /// `SRTP_AES128_CM_HMAC_SHA1_32` (0x0002): as above with 32-bit tags on SRTP; SRTCP keeps
    /// 80-bit tags (RFC 5764 §4.1.2).
    Aes128CmHmacSha1_32,
    /// `SRTP_AEAD_AES_128_GCM` (0x0007): AES-128-GCM with 128-bit tags (RFC 7714).
    AeadAes128Gcm,
    /// `SRTP_AEAD_AES_256_GCM` (0x0008): AES-256-GCM with 128-bit tags (RFC 7714).
    AeadAes256Gcm,
}

impl ProtectionProfile {
    /// Every profile, in the order of their DTLS-SRTP ids.
    pub const ALL: [Self; 4] = [
        Self::Aes128CmHmacSha1_80,
        Self::Aes128CmHmacSha1_32,
        Self::AeadAes128Gcm,
        Self::AeadAes256Gcm,
    ];

    /// The DTLS-SRTP protection profile id of the `use_srtp` extension (RFC 5764 §4.1.2,
    /// RFC 7714 §14.2).
    pub const fn id(self) -> u16 {
        match self {
            Self::Aes128CmHmacSha1_80 => 0x0001,
            Self::Aes128CmHmacSha1_32 => 0x0002,
            Self::AeadAes128Gcm => 0x0007,
            Self::AeadAes256Gcm => 0x0008,
        }
    }

    /// The profile with DTLS-SRTP id `id`, if this crate implements it.
    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(Self::Aes128CmHmacSha1_80),
            0x0002 => Some(Self::Aes128CmHmacSha1_32),
            0x0007 => Some(Self::AeadAes128Gcm),
            0x0008 => Some(Self::AeadAes256Gcm),
            _ => None,
        }
    }

    /// The profile's registered name, as in the DTLS-SRTP registry.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_HMAC_SHA1_80",
            Self::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_HMAC_SHA1_32",
            Self::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
            Self::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
        }
    }

    /// Length of the master key in bytes (also the session encryption key length).
    pub const fn master_key_len(self) -> usize {
        match self {
            Self::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Length of the master salt in bytes: 112 bits for AES-CM, 96 bits for GCM
    /// (RFC 7714 §12).
    pub const fn master_salt_len(self) -> usize {
        if self.is_aead() {
            12
        } else {
            14
        }
    }

    /// Length of the authentication tag appended to SRTP packets.
    pub const fn rtp_auth_tag_len(self) -> usize {
        match self {
            Self::Aes128CmHmacSha1_80 => 10,
            Self::Aes128CmHmacSha1_32 => 4,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
        }
    }

    /// Length of the authentication tag appended to SRTCP packets (80 bits for both
    /// AES-CM profiles, RFC 5764 §4.1.2).
    pub const fn rtcp_auth_tag_len(self) -> usize {
        match self {
            Self::Aes128CmHmacSha1_80 | Self::Aes128CmHmacSha1_32 => 10,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
        }
    }

    /// Length of the DTLS exporter output this profile needs: two master keys and two
    /// master salts (RFC 5764 §4.2).
    pub const fn keying_material_len(self) -> usize {
        2 * (self.master_key_len() + self.master_salt_len())
    }

    /// True for the AEAD (AES-GCM) profiles.
    pub const fn is_aead(self) -> bool {
        matches!(self, Self::AeadAes128Gcm | Self::AeadAes256Gcm)
    }
}

impl core::fmt::Display for ProtectionProfile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_are_refused() {
        for profile in ProtectionProfile::ALL {
            assert_eq!(ProtectionProfile::from_id(profile.id()), Some(profile));
        }
        assert_eq!(ProtectionProfile::from_id(0x0003), None);
        assert_eq!(ProtectionProfile::from_id(0x0000), None);
    }

    #[test]
    fn lengths_match_rfc_5764_and_7714() {
        use ProtectionProfile::*;
        assert_eq!(Aes128CmHmacSha1_80.keying_material_len(), 60);
        assert_eq!(Aes128CmHmacSha1_32.keying_material_len(), 60);
        assert_eq!(AeadAes128Gcm.keying_material_len(), 56);
        assert_eq!(AeadAes256Gcm.keying_material_len(), 88);
        assert_eq!(Aes128CmHmacSha1_32.rtp_auth_tag_len(), 4);
        assert_eq!(Aes128CmHmacSha1_32.rtcp_auth_tag_len(), 10);
    }
}
