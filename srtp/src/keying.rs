//! Master keys, and the session pair built from DTLS-SRTP keying material.

use crate::{Config, Context, Error, KeyInput, ProtectionProfile};

/// A master key and master salt of one protection profile.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    profile: ProtectionProfile,
    key: [u8; 32],
    salt: [u8; 14],
}

impl core::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        f.debug_struct("MasterKey")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A master key and salt, checked against the lengths of `profile`.
    pub fn new(profile: ProtectionProfile, key: &[u8], salt: &[u8]) -> Result<Self, Error> {
        check_len(KeyInput::MasterKey, profile.master_key_len(), key.len())?;
        check_len(KeyInput::MasterSalt, profile.master_salt_len(), salt.len())?;
        let mut master = Self {
            profile,
            key: [0; 32],
            salt: [0; 14],
        };
        master.key[..key.len()].copy_from_slice(key);
        master.salt[..salt.len()].copy_from_slice(salt);
        Ok(master)
    }

    /// The protection profile the key is for.
    pub fn profile(&self) -> ProtectionProfile {
        self.profile
    }

    /// The master key bytes.
    pub fn key(&self) -> &[u8] {
        &self.key[..self.profile.master_key_len()]
    }

    /// The master salt bytes.
    pub fn salt(&self) -> &[u8] {
        &self.salt[..self.profile.master_salt_len()]
    }
}

/// The two master keys of a DTLS-SRTP session, split into ours and the peer's.
///
/// RFC 5764 §4.2: the DTLS exporter (label `EXTRACTOR-dtls_srtp`) yields
/// `client_write_key | server_write_key | client_write_salt | server_write_salt`; each side
/// protects with its own write key and unprotects with the other's.
///
/// ```
/// use oxrtc_srtp::{Config, ProtectionProfile, SessionKeys};
///
/// let profile = ProtectionProfile::AeadAes128Gcm;
/// let material = vec![7u8; profile.keying_material_len()]; // from the DTLS exporter
/// let client = SessionKeys::from_dtls_keying_material(profile, &material, true)?;
/// let server = SessionKeys::from_dtls_keying_material(profile, &material, false)?;
/// let (mut client_tx, _client_rx) = client.contexts(Config::default())?;
/// let (_server_tx, mut server_rx) = server.contexts(Config::default())?;
///
/// let mut packet = vec![0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0x12, 0x34, b'h', b'i'];
/// let rtp = packet.clone();
/// client_tx.protect_rtp(&mut packet)?;
/// server_rx.unprotect_rtp(&mut packet)?;
/// assert_eq!(packet, rtp);
/// # Ok::<(), oxrtc_srtp::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    local: MasterKey,
    remote: MasterKey,
}

impl core::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("profile", &self.local.profile)
            .finish_non_exhaustive()
    }
}

impl SessionKeys {
    /// Splits DTLS-SRTP keying material of `profile.keying_material_len()` bytes. The DTLS
    /// client's local key is the client write key; the server's is the server write key.
    pub fn from_dtls_keying_material(
        profile: ProtectionProfile,
        material: &[u8],
        is_client: bool,
    ) -> Result<Self, Error> {
        check_len(
            KeyInput::KeyingMaterial,
            profile.keying_material_len(),
            material.len(),
        )?;
        let k = profile.master_key_len();
        let s = profile.master_salt_len();
        let client = MasterKey::new(profile, &material[..k], &material[2 * k..2 * k + s])?;
        let server = MasterKey::new(profile, &material[k..2 * k], &material[2 * k + s..])?;
        let (local, remote) = if is_client {
            (client, server)
        } else {
            (server, client)
        };
        Ok(Self { local, remote })
    }

    /// Builds a session pair from explicit master keys (SDES, tests).
    pub fn new(local: MasterKey, remote: MasterKey) -> Self {
        Self { local, remote }
    }

    /// The protection profile.
    pub fn profile(&self) -> ProtectionProfile {
        self.local.profile
    }

    /// The key this side protects with.
    pub fn local(&self) -> &MasterKey {
        &self.local
    }

    /// The key the peer protects with, which this side unprotects with.
    pub fn remote(&self) -> &MasterKey {
        &self.remote
    }

    /// The two contexts of the session: `(local, remote)`, the first to protect what this
    /// side sends, the second to unprotect what it receives.
    pub fn contexts(&self, config: Config) -> Result<(Context, Context), Error> {
        Ok((
            Context::from_master_key(&self.local, config.clone())?,
            Context::from_master_key(&self.remote, config)?,
        ))
    }
}

fn check_len(what: KeyInput, expected: usize, actual: usize) -> Result<(), Error> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::InvalidKeyLength {
            what,
            expected,
            actual,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keying_material_is_split_as_rfc5764_4_2_says() {
        for profile in ProtectionProfile::ALL {
            let material: Vec<u8> = (0..profile.keying_material_len() as u8).collect();
            let k = profile.master_key_len();
            let s = profile.master_salt_len();
            let client = SessionKeys::from_dtls_keying_material(profile, &material, true).unwrap();
            let server = SessionKeys::from_dtls_keying_material(profile, &material, false).unwrap();
            assert_eq!(client.local().key(), &material[..k]);
            assert_eq!(client.remote().key(), &material[k..2 * k]);
            assert_eq!(client.local().salt(), &material[2 * k..2 * k + s]);
            assert_eq!(client.remote().salt(), &material[2 * k + s..]);
            assert_eq!(client.local(), server.remote());
            assert_eq!(client.remote(), server.local());
        }
    }

    #[test]
    fn wrong_lengths_are_refused() {
        let profile = ProtectionProfile::Aes128CmHmacSha1_80;
        assert_eq!(
            SessionKeys::from_dtls_keying_material(profile, &[0; 59], true),
            Err(Error::InvalidKeyLength {
                what: KeyInput::KeyingMaterial,
                expected: 60,
                actual: 59
            })
        );
        assert!(matches!(
            MasterKey::new(profile, &[0; 32], &[0; 14]),
            Err(Error::InvalidKeyLength {
                what: KeyInput::MasterKey,
                ..
            })
        ));
        assert!(matches!(
            MasterKey::new(ProtectionProfile::AeadAes128Gcm, &[0; 16], &[0; 14]),
            Err(Error::InvalidKeyLength {
                what: KeyInput::MasterSalt,
                ..
            })
        ));
    }

    #[test]
    fn debug_does_not_print_keys() {
        let key =
            MasterKey::new(ProtectionProfile::AeadAes128Gcm, &[0xab; 16], &[0xcd; 12]).unwrap();
        let text = format!("{key:?}");
        assert!(!text.contains("171") && !text.contains("ab"), "{text}");
    }
}
