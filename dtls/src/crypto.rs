//! The cryptography of DTLS 1.2, all primitives from `ring`: the TLS 1.2 PRF (RFC 5246 §5,
//! built from `ring::hmac`), AEAD record protection (RFC 5288, RFC 7905), ephemeral ECDH and
//! handshake signature verification.

use ring::{aead, agreement, digest, hmac, signature};

use crate::error::Error;
use crate::record::{write_header, ContentType, DTLS_1_2, RECORD_HEADER_LEN};
use crate::suites::{AeadKind, NamedGroup, PrfHash};

impl PrfHash {
    fn hmac(self) -> hmac::Algorithm {
        match self {
            PrfHash::Sha256 => hmac::HMAC_SHA256,
            PrfHash::Sha384 => hmac::HMAC_SHA384,
        }
    }

    pub(crate) fn digest(self, data: &[u8]) -> digest::Digest {
        match self {
            PrfHash::Sha256 => digest::digest(&digest::SHA256, data),
            PrfHash::Sha384 => digest::digest(&digest::SHA384, data),
        }
    }
}

/// RFC 5246 §5: `PRF(secret, label, seed) = P_<hash>(secret, label + seed)`, where
/// `P_hash` chains `A(i) = HMAC(secret, A(i-1))` and outputs `HMAC(secret, A(i) + seed)`.
pub(crate) fn prf(hash: PrfHash, secret: &[u8], label: &[u8], seeds: &[&[u8]], out: &mut [u8]) {
    let key = hmac::Key::new(hash.hmac(), secret);
    let with_seed = |ctx: &mut hmac::Context| {
        ctx.update(label);
        for s in seeds {
            ctx.update(s);
        }
    };
    // A(1) = HMAC(secret, label + seed)
    let mut ctx = hmac::Context::with_key(&key);
    with_seed(&mut ctx);
    let mut a = ctx.sign();
    let mut filled = 0;
    while filled < out.len() {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        with_seed(&mut ctx);
        let block = ctx.sign();
        let n = (out.len() - filled).min(block.as_ref().len());
        out[filled..filled + n].copy_from_slice(&block.as_ref()[..n]);
        filled += n;
        a = hmac::sign(&key, a.as_ref());
    }
}

/// Key and IV lengths of a suite's record protection.
pub(crate) fn key_lengths(kind: AeadKind) -> (usize, usize) {
    match kind {
        AeadKind::Aes128Gcm => (16, 4),
        AeadKind::Aes256Gcm => (32, 4),
        AeadKind::Chacha20Poly1305 => (32, 12),
    }
}

/// One direction of record protection for one epoch.
pub(crate) struct RecordCipher {
    key: aead::LessSafeKey,
    /// GCM: the 4-byte implicit salt (RFC 5288 §3) then zeros; ChaCha20: the 12-byte IV
    /// that is XORed with the sequence number (RFC 7905 §2).
    iv: [u8; 12],
    kind: AeadKind,
}

/// GCM explicit nonce length (RFC 5288 §3).
const EXPLICIT_NONCE_LEN: usize = 8;
const TAG_LEN: usize = 16;

impl RecordCipher {
    pub(crate) fn new(kind: AeadKind, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        let alg = match kind {
            AeadKind::Aes128Gcm => &aead::AES_128_GCM,
            AeadKind::Aes256Gcm => &aead::AES_256_GCM,
            AeadKind::Chacha20Poly1305 => &aead::CHACHA20_POLY1305,
        };
        let key =
            aead::UnboundKey::new(alg, key).map_err(|_| Error::Crypto { what: "aead key" })?;
        let mut fixed = [0u8; 12];
        if iv.len() > 12 {
            return Err(Error::Crypto { what: "aead iv" });
        }
        fixed[..iv.len()].copy_from_slice(iv);
        Ok(Self {
            key: aead::LessSafeKey::new(key),
            iv: fixed,
            kind,
        })
    }

    /// Bytes a protected record adds to its plaintext.
    pub(crate) fn overhead(&self) -> usize {
        match self.kind {
            AeadKind::Chacha20Poly1305 => TAG_LEN,
            _ => EXPLICIT_NONCE_LEN + TAG_LEN,
        }
    }

    fn nonce(&self, seq_num: u64) -> aead::Nonce {
        let mut nonce = self.iv;
        match self.kind {
            AeadKind::Chacha20Poly1305 => {
                for (n, s) in nonce[4..].iter_mut().zip(seq_num.to_be_bytes()) {
                    *n ^= s;
                }
            }
            _ => nonce[4..].copy_from_slice(&seq_num.to_be_bytes()),
        }
        aead::Nonce::assume_unique_for_key(nonce)
    }

    /// RFC 5246 §6.2.3.3 with RFC 6347 §4.1.2.1: `seq_num` is epoch || sequence.
    fn aad(seq_num: u64, content_type: ContentType, len: usize) -> [u8; 13] {
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&seq_num.to_be_bytes());
        aad[8] = content_type.code();
        aad[9..11].copy_from_slice(&DTLS_1_2.to_be_bytes());
        aad[11..13].copy_from_slice(&(len as u16).to_be_bytes());
        aad
    }

    /// Appends one protected record carrying `plaintext` to `out`.
    pub(crate) fn seal_record(
        &self,
        out: &mut Vec<u8>,
        content_type: ContentType,
        epoch: u16,
        sequence: u64,
        plaintext: &[u8],
    ) -> Result<(), Error> {
        let seq_num = (u64::from(epoch) << 48) | sequence;
        // one capacity check instead of one per piece appended
        out.reserve(RECORD_HEADER_LEN + plaintext.len() + self.overhead());
        write_header(
            out,
            content_type,
            epoch,
            sequence,
            plaintext.len() + self.overhead(),
        );
        if self.kind != AeadKind::Chacha20Poly1305 {
            out.extend_from_slice(&seq_num.to_be_bytes());
        }
        let start = out.len();
        out.extend_from_slice(plaintext);
        let aad = Self::aad(seq_num, content_type, plaintext.len());
        let tag = self
            .key
            .seal_in_place_separate_tag(
                self.nonce(seq_num),
                aead::Aad::from(aad),
                &mut out[start..],
            )
            .map_err(|_| Error::Crypto { what: "aead seal" })?;
        out.extend_from_slice(tag.as_ref());
        Ok(())
    }

    /// Authenticates and decrypts a record payload; `None` if it does not authenticate.
    pub(crate) fn open_record(
        &self,
        content_type: ContentType,
        epoch: u16,
        sequence: u64,
        payload: &[u8],
    ) -> Option<Vec<u8>> {
        let mut buf = payload.to_vec();
        let range = self.open_in_place(content_type, epoch, sequence, &mut buf)?;
        buf.truncate(range.end);
        buf.drain(..range.start);
        Some(buf)
    }

    /// Authenticates and decrypts a record payload in place; returns where the plaintext
    /// now sits inside `payload`.
    pub(crate) fn open_in_place(
        &self,
        content_type: ContentType,
        epoch: u16,
        sequence: u64,
        payload: &mut [u8],
    ) -> Option<std::ops::Range<usize>> {
        let seq_num = (u64::from(epoch) << 48) | sequence;
        let (nonce, skip) = match self.kind {
            AeadKind::Chacha20Poly1305 => (self.nonce(seq_num), 0),
            _ => {
                if payload.len() < EXPLICIT_NONCE_LEN {
                    return None;
                }
                let mut nonce = self.iv;
                nonce[4..].copy_from_slice(&payload[..EXPLICIT_NONCE_LEN]);
                (
                    aead::Nonce::assume_unique_for_key(nonce),
                    EXPLICIT_NONCE_LEN,
                )
            }
        };
        let ciphertext = &mut payload[skip..];
        if ciphertext.len() < TAG_LEN {
            return None;
        }
        let aad = Self::aad(seq_num, content_type, ciphertext.len() - TAG_LEN);
        let len = self
            .key
            .open_in_place(nonce, aead::Aad::from(aad), ciphertext)
            .ok()?
            .len();
        Some(skip..skip + len)
    }
}

/// Largest plaintext that fits one record of a datagram of `mtu` bytes.
pub(crate) fn max_plaintext(mtu: usize, overhead: usize) -> usize {
    mtu.saturating_sub(RECORD_HEADER_LEN + overhead)
}

/// An ephemeral ECDH key for one handshake. `ring` takes randomness only from its own
/// `SystemRandom` for ephemeral keys, so these are not reproducible from the config seed.
pub(crate) struct EcdhKey {
    group: NamedGroup,
    private: agreement::EphemeralPrivateKey,
    public: Vec<u8>,
}

fn agreement_alg(group: NamedGroup) -> &'static agreement::Algorithm {
    match group {
        NamedGroup::X25519 => &agreement::X25519,
        NamedGroup::Secp256r1 => &agreement::ECDH_P256,
        NamedGroup::Secp384r1 => &agreement::ECDH_P384,
    }
}

impl EcdhKey {
    pub(crate) fn generate(group: NamedGroup) -> Result<Self, Error> {
        let rng = ring::rand::SystemRandom::new();
        let private = agreement::EphemeralPrivateKey::generate(agreement_alg(group), &rng)
            .map_err(|_| Error::Crypto {
                what: "ecdh keygen",
            })?;
        let public = private
            .compute_public_key()
            .map_err(|_| Error::Crypto {
                what: "ecdh public key",
            })?
            .as_ref()
            .to_vec();
        Ok(Self {
            group,
            private,
            public,
        })
    }

    pub(crate) fn public(&self) -> &[u8] {
        &self.public
    }

    /// The premaster secret: the shared X coordinate / X25519 output (RFC 8422 §5.10).
    pub(crate) fn agree(self, peer_public: &[u8]) -> Result<Vec<u8>, Error> {
        let peer = agreement::UnparsedPublicKey::new(agreement_alg(self.group), peer_public);
        agreement::agree_ephemeral(self.private, &peer, |secret| secret.to_vec()).map_err(|_| {
            Error::IllegalParameter {
                what: "ECDH public key",
            }
        })
    }
}

/// TLS 1.2 SignatureAndHashAlgorithm values (RFC 5246 §7.4.1.4.1 with RFC 8446 names).
pub(crate) mod scheme {
    pub(crate) const RSA_PKCS1_SHA256: u16 = 0x0401;
    pub(crate) const RSA_PKCS1_SHA384: u16 = 0x0501;
    pub(crate) const RSA_PKCS1_SHA512: u16 = 0x0601;
    pub(crate) const ECDSA_SECP256R1_SHA256: u16 = 0x0403;
    pub(crate) const ECDSA_SECP384R1_SHA384: u16 = 0x0503;
    pub(crate) const RSA_PSS_RSAE_SHA256: u16 = 0x0804;
    pub(crate) const RSA_PSS_RSAE_SHA384: u16 = 0x0805;
    pub(crate) const RSA_PSS_RSAE_SHA512: u16 = 0x0806;

    /// What we can verify, offered in signature_algorithms and CertificateRequest.
    pub(crate) const VERIFY: [u16; 8] = [
        ECDSA_SECP256R1_SHA256,
        ECDSA_SECP384R1_SHA384,
        RSA_PSS_RSAE_SHA256,
        RSA_PSS_RSAE_SHA384,
        RSA_PSS_RSAE_SHA512,
        RSA_PKCS1_SHA256,
        RSA_PKCS1_SHA384,
        RSA_PKCS1_SHA512,
    ];
}

/// A peer's public key, taken from its certificate.
#[derive(Debug, Clone)]
pub(crate) enum PeerKey {
    /// Uncompressed point on P-256.
    EcdsaP256(Vec<u8>),
    /// Uncompressed point on P-384.
    EcdsaP384(Vec<u8>),
    /// DER RSAPublicKey.
    Rsa(Vec<u8>),
}

impl PeerKey {
    /// Verifies a handshake signature made with `scheme`.
    pub(crate) fn verify(&self, scheme: u16, message: &[u8], sig: &[u8]) -> bool {
        use signature as s;
        let (alg, key): (&dyn s::VerificationAlgorithm, &[u8]) = match (self, scheme) {
            (PeerKey::EcdsaP256(k), scheme::ECDSA_SECP256R1_SHA256) => {
                (&s::ECDSA_P256_SHA256_ASN1, k)
            }
            (PeerKey::EcdsaP256(k), scheme::ECDSA_SECP384R1_SHA384) => {
                (&s::ECDSA_P256_SHA384_ASN1, k)
            }
            (PeerKey::EcdsaP384(k), scheme::ECDSA_SECP256R1_SHA256) => {
                (&s::ECDSA_P384_SHA256_ASN1, k)
            }
            (PeerKey::EcdsaP384(k), scheme::ECDSA_SECP384R1_SHA384) => {
                (&s::ECDSA_P384_SHA384_ASN1, k)
            }
            (PeerKey::Rsa(k), scheme::RSA_PKCS1_SHA256) => (&s::RSA_PKCS1_2048_8192_SHA256, k),
            (PeerKey::Rsa(k), scheme::RSA_PKCS1_SHA384) => (&s::RSA_PKCS1_2048_8192_SHA384, k),
            (PeerKey::Rsa(k), scheme::RSA_PKCS1_SHA512) => (&s::RSA_PKCS1_2048_8192_SHA512, k),
            (PeerKey::Rsa(k), scheme::RSA_PSS_RSAE_SHA256) => (&s::RSA_PSS_2048_8192_SHA256, k),
            (PeerKey::Rsa(k), scheme::RSA_PSS_RSAE_SHA384) => (&s::RSA_PSS_2048_8192_SHA384, k),
            (PeerKey::Rsa(k), scheme::RSA_PSS_RSAE_SHA512) => (&s::RSA_PSS_2048_8192_SHA512, k),
            _ => return false,
        };
        s::UnparsedPublicKey::new(alg, key)
            .verify(message, sig)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn prf_sha256_vector() {
        // Generated with `openssl kdf -keylen 100 -kdfopt digest:SHA256
        // -kdfopt hexsecret:9bbe436ba940f017b17652849a71db35 -kdfopt seed:"test label"
        // -kdfopt hexseed:a0ba9f936cda311827a6f796ffd5198c TLS1-PRF`.
        let mut out = [0u8; 100];
        prf(
            PrfHash::Sha256,
            &unhex("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            &[&unhex("a0ba9f936cda311827a6f796ffd5198c")],
            &mut out,
        );
        assert_eq!(out.to_vec(), unhex(PRF_SHA256_EXPECTED));
    }

    #[test]
    fn prf_sha384_vector() {
        let mut out = [0u8; 148];
        prf(
            PrfHash::Sha384,
            &unhex("b80b733d6ceefcdc71566ea48e5567df"),
            b"test label",
            &[&unhex("cd665cf6a8447dd6ff8b27555edb7465")],
            &mut out,
        );
        assert_eq!(out.to_vec(), unhex(PRF_SHA384_EXPECTED));
    }

    const PRF_SHA256_EXPECTED: &str = "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66";
    const PRF_SHA384_EXPECTED: &str = "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f";

    #[test]
    fn gcm_and_chacha_round_trip_and_reject_tampering() {
        for (kind, key_len, iv_len) in [
            (AeadKind::Aes128Gcm, 16, 4),
            (AeadKind::Aes256Gcm, 32, 4),
            (AeadKind::Chacha20Poly1305, 32, 12),
        ] {
            let key = vec![7u8; key_len];
            let iv = vec![3u8; iv_len];
            let c = RecordCipher::new(kind, &key, &iv).unwrap();
            let mut out = vec![];
            c.seal_record(&mut out, ContentType::ApplicationData, 1, 42, b"hello")
                .unwrap();
            assert_eq!(out.len(), RECORD_HEADER_LEN + 5 + c.overhead());
            let (rec, _) = crate::record::Record::parse(&out).unwrap();
            let plain = c
                .open_record(rec.content_type, rec.epoch, rec.sequence, rec.payload)
                .unwrap();
            assert_eq!(plain, b"hello");
            assert!(c
                .open_record(rec.content_type, rec.epoch, rec.sequence + 1, rec.payload)
                .is_none());
            let mut bad = rec.payload.to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(c.open_record(rec.content_type, 1, 42, &bad).is_none());
            assert!(c.open_record(rec.content_type, 1, 42, &bad[..3]).is_none());
        }
    }

    #[test]
    fn ecdh_agrees() {
        for g in NamedGroup::ALL {
            let a = EcdhKey::generate(g).unwrap();
            let b = EcdhKey::generate(g).unwrap();
            let (pa, pb) = (a.public().to_vec(), b.public().to_vec());
            assert_eq!(a.agree(&pb).unwrap(), b.agree(&pa).unwrap());
        }
        let a = EcdhKey::generate(NamedGroup::Secp256r1).unwrap();
        assert!(a.agree(&[4; 65]).is_err());
    }
}
