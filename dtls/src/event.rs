//! What a connection reports.

use bytes::Bytes;

use crate::certificate::Fingerprint;
use crate::config::Role;
use crate::error::Error;
use crate::suites::{CipherSuite, NamedGroup, SrtpProfile};

/// Something that happened on a connection; drain with `poll_event` after each input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed: the peer is authenticated and application data can flow.
    Connected {
        /// The negotiated suite.
        cipher_suite: CipherSuite,
        /// The ECDHE group.
        group: NamedGroup,
        /// The SRTP profile negotiated with use_srtp, if any.
        srtp_profile: Option<SrtpProfile>,
        /// Keys and salts for SRTP (RFC 5764 §4.2), when a profile was negotiated.
        srtp_keying_material: Option<SrtpKeyingMaterial>,
        /// The srtp_mki negotiated (usually empty).
        srtp_mki: Vec<u8>,
        /// SHA-256 fingerprint of the peer's certificate.
        peer_fingerprint: Fingerprint,
        /// The peer's leaf certificate (DER).
        peer_certificate: Bytes,
    },
    /// Decrypted application data (one record).
    ApplicationData(Bytes),
    /// The connection ended; nothing more will be sent or received.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// Why a connection closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// We called `close()`.
    Local,
    /// The peer sent close_notify.
    PeerClosed,
    /// A fatal error: ours (an alert was sent) or the peer's (`Error::PeerAlert`).
    Error(Error),
}

/// The DTLS-SRTP keying material of RFC 5764 §4.2: `client_write_SRTP_master_key |
/// server_write_SRTP_master_key | client_write_SRTP_master_salt | server_write_SRTP_master_salt`,
/// exported with the label `EXTRACTOR-dtls_srtp`.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKeyingMaterial {
    /// The profile fixing the key and salt lengths.
    pub profile: SrtpProfile,
    /// Our role, which decides which half is "local".
    pub role: Role,
    material: Vec<u8>,
}

impl std::fmt::Debug for SrtpKeyingMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrtpKeyingMaterial")
            .field("profile", &self.profile)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl SrtpKeyingMaterial {
    pub(crate) fn new(profile: SrtpProfile, role: Role, material: Vec<u8>) -> Self {
        Self {
            profile,
            role,
            material,
        }
    }

    /// The whole exporter output in RFC 5764 order.
    pub fn as_bytes(&self) -> &[u8] {
        &self.material
    }

    fn part(&self, i: usize) -> &[u8] {
        let (k, s) = (self.profile.key_len(), self.profile.salt_len());
        let (start, len) = match i {
            0 => (0, k),
            1 => (k, k),
            2 => (2 * k, s),
            _ => (2 * k + s, s),
        };
        &self.material[start..start + len]
    }

    /// client_write_SRTP_master_key.
    pub fn client_key(&self) -> &[u8] {
        self.part(0)
    }

    /// server_write_SRTP_master_key.
    pub fn server_key(&self) -> &[u8] {
        self.part(1)
    }

    /// client_write_SRTP_master_salt.
    pub fn client_salt(&self) -> &[u8] {
        self.part(2)
    }

    /// server_write_SRTP_master_salt.
    pub fn server_salt(&self) -> &[u8] {
        self.part(3)
    }

    /// (key, salt) protecting what we send.
    pub fn local(&self) -> (&[u8], &[u8]) {
        match self.role {
            Role::Client => (self.client_key(), self.client_salt()),
            Role::Server => (self.server_key(), self.server_salt()),
        }
    }

    /// (key, salt) protecting what the peer sends.
    pub fn remote(&self) -> (&[u8], &[u8]) {
        match self.role {
            Role::Client => (self.server_key(), self.server_salt()),
            Role::Server => (self.client_key(), self.client_salt()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keying_material_layout() {
        let p = SrtpProfile::Aes128CmHmacSha1_80;
        let m: Vec<u8> = (0..60).collect();
        let km = SrtpKeyingMaterial::new(p, Role::Server, m);
        assert_eq!(km.client_key(), &(0..16).collect::<Vec<u8>>()[..]);
        assert_eq!(km.server_key(), &(16..32).collect::<Vec<u8>>()[..]);
        assert_eq!(km.client_salt(), &(32..46).collect::<Vec<u8>>()[..]);
        assert_eq!(km.server_salt(), &(46..60).collect::<Vec<u8>>()[..]);
        assert_eq!(km.local().0, km.server_key());
        assert_eq!(km.remote().1, km.client_salt());
    }
}
