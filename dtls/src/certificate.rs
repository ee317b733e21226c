//! Our certificate (self-signed, generated with `rcgen` or loaded from PEM), fingerprints for
//! SDP `a=fingerprint`, and the peer certificate's public key (parsed with `x509-parser`).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};

use crate::crypto::{scheme, PeerKey};
use crate::error::Error;
use crate::suites::AuthKind;

/// Hash functions for certificate fingerprints (RFC 8122 §5, the names SDP uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// `sha-1` (accepted from peers, never our default).
    Sha1,
    /// `sha-256`, what browsers send.
    Sha256,
    /// `sha-384`.
    Sha384,
    /// `sha-512`.
    Sha512,
}

impl HashAlgorithm {
    /// The SDP name (`sha-256`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "sha-1",
            HashAlgorithm::Sha256 => "sha-256",
            HashAlgorithm::Sha384 => "sha-384",
            HashAlgorithm::Sha512 => "sha-512",
        }
    }

    fn ring(self) -> &'static ring::digest::Algorithm {
        match self {
            HashAlgorithm::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashAlgorithm::Sha256 => &ring::digest::SHA256,
            HashAlgorithm::Sha384 => &ring::digest::SHA384,
            HashAlgorithm::Sha512 => &ring::digest::SHA512,
        }
    }
}

/// A certificate fingerprint as SDP carries it: `a=fingerprint:sha-256 AB:CD:...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The hash function.
    pub algorithm: HashAlgorithm,
    /// The digest of the certificate's DER encoding.
    pub value: Vec<u8>,
}

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of_der(algorithm: HashAlgorithm, der: &[u8]) -> Self {
        Self {
            algorithm,
            value: ring::digest::digest(algorithm.ring(), der)
                .as_ref()
                .to_vec(),
        }
    }

    /// The value as uppercase hex pairs separated by colons, as SDP writes it.
    pub fn value_string(&self) -> String {
        let mut s = String::with_capacity(self.value.len() * 3);
        for (i, b) in self.value.iter().enumerate() {
            if i > 0 {
                s.push(':');
            }
            s.push_str(&format!("{b:02X}"));
        }
        s
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.algorithm.name(), self.value_string())
    }
}

/// Why a fingerprint string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FingerprintParseError {
    /// Hash name other than sha-1/256/384/512.
    #[error("unknown fingerprint hash function {0:?}")]
    UnknownAlgorithm(String),
    /// The value is not colon-separated hex of the hash's length.
    #[error("malformed fingerprint value")]
    BadValue,
}

impl FromStr for Fingerprint {
    type Err = FingerprintParseError;

    /// Parses the SDP attribute value, e.g. `sha-256 AB:CD:...` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (name, value) = s.split_once(' ').ok_or(FingerprintParseError::BadValue)?;
        let algorithm = match name.to_ascii_lowercase().as_str() {
            "sha-1" => HashAlgorithm::Sha1,
            "sha-256" => HashAlgorithm::Sha256,
            "sha-384" => HashAlgorithm::Sha384,
            "sha-512" => HashAlgorithm::Sha512,
            _ => return Err(FingerprintParseError::UnknownAlgorithm(name.to_string())),
        };
        let value = value
            .trim()
            .split(':')
            .map(|pair| {
                if pair.len() == 2 {
                    u8::from_str_radix(pair, 16).map_err(|_| FingerprintParseError::BadValue)
                } else {
                    Err(FingerprintParseError::BadValue)
                }
            })
            .collect::<Result<Vec<u8>, _>>()?;
        if value.len() != algorithm.ring().output_len() {
            return Err(FingerprintParseError::BadValue);
        }
        Ok(Self { algorithm, value })
    }
}

enum SigningKey {
    EcdsaP256(EcdsaKeyPair),
    EcdsaP384(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

struct Inner {
    der: Vec<u8>,
    key: SigningKey,
    key_pkcs8: Vec<u8>,
    rng: SystemRandom,
}

/// Our certificate and its private key: cheap to clone, reusable across connections (as
/// `RTCCertificate` is in browsers). Generate one per process or per peer and put its
/// [`Certificate::fingerprint`] in SDP.
#[derive(Clone)]
pub struct Certificate {
    inner: Arc<Inner>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field(
                "fingerprint",
                &self.fingerprint(HashAlgorithm::Sha256).to_string(),
            )
            .finish()
    }
}

fn cert_error(e: impl fmt::Display) -> Error {
    Error::Certificate(e.to_string())
}

impl Certificate {
    /// A fresh self-signed ECDSA P-256 certificate (what browsers use for WebRTC).
    pub fn generate() -> Result<Self, Error> {
        Self::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
    }

    /// A fresh self-signed ECDSA P-384 certificate.
    pub fn generate_p384() -> Result<Self, Error> {
        Self::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)
    }

    fn generate_for(alg: &'static rcgen::SignatureAlgorithm) -> Result<Self, Error> {
        let key = rcgen::KeyPair::generate_for(alg).map_err(cert_error)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(cert_error)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "oxrtc");
        let cert = params.self_signed(&key).map_err(cert_error)?;
        Self::from_der(cert.der().to_vec(), key.serialize_der())
    }

    /// A certificate from DER and its PKCS#8 private key (ECDSA P-256/P-384 or RSA).
    pub fn from_der(cert_der: Vec<u8>, key_pkcs8: Vec<u8>) -> Result<Self, Error> {
        let rng = SystemRandom::new();
        let key = if let Ok(k) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &key_pkcs8, &rng)
        {
            SigningKey::EcdsaP256(k)
        } else if let Ok(k) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, &key_pkcs8, &rng)
        {
            SigningKey::EcdsaP384(k)
        } else if let Ok(k) = RsaKeyPair::from_pkcs8(&key_pkcs8) {
            SigningKey::Rsa(k)
        } else {
            return Err(Error::Certificate(
                "private key is not PKCS#8 ECDSA P-256/P-384 or RSA".into(),
            ));
        };
        // The certificate must carry the key's public half.
        let peer_key = peer_public_key(&cert_der).map_err(|e| Error::Certificate(e.to_string()))?;
        let matches = match (&key, &peer_key) {
            (SigningKey::EcdsaP256(k), PeerKey::EcdsaP256(p))
            | (SigningKey::EcdsaP384(k), PeerKey::EcdsaP384(p)) => {
                k.public_key().as_ref() == p.as_slice()
            }
            (SigningKey::Rsa(k), PeerKey::Rsa(p)) => k.public().as_ref() == p.as_slice(),
            _ => false,
        };
        if !matches {
            return Err(Error::Certificate(
                "private key does not match the certificate".into(),
            ));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                der: cert_der,
                key,
                key_pkcs8,
                rng,
            }),
        })
    }

    /// A certificate from PEM text (`CERTIFICATE`) and a PKCS#8 PEM key (`PRIVATE KEY`).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, Error> {
        let cert = pem_block(cert_pem, "CERTIFICATE")?;
        let key = pem_block(key_pem, "PRIVATE KEY")?;
        Self::from_der(cert, key)
    }

    /// The certificate (DER) and key (PKCS#8) as PEM text, to store and reload.
    pub fn to_pem(&self) -> (String, String) {
        (
            pem_encode("CERTIFICATE", &self.inner.der),
            pem_encode("PRIVATE KEY", &self.inner.key_pkcs8),
        )
    }

    /// The DER encoding of the certificate.
    pub fn der(&self) -> &[u8] {
        &self.inner.der
    }

    /// The certificate's fingerprint, for SDP `a=fingerprint`.
    pub fn fingerprint(&self, algorithm: HashAlgorithm) -> Fingerprint {
        Fingerprint::of_der(algorithm, &self.inner.der)
    }

    pub(crate) fn auth_kind(&self) -> AuthKind {
        match self.inner.key {
            SigningKey::Rsa(_) => AuthKind::Rsa,
            _ => AuthKind::Ecdsa,
        }
    }

    /// The signature scheme we would use given the peer's list, if any fits.
    pub(crate) fn choose_scheme(&self, peer_schemes: &[u16]) -> Option<u16> {
        let ours: &[u16] = match self.inner.key {
            SigningKey::EcdsaP256(_) => &[scheme::ECDSA_SECP256R1_SHA256],
            SigningKey::EcdsaP384(_) => &[scheme::ECDSA_SECP384R1_SHA384],
            SigningKey::Rsa(_) => &[
                scheme::RSA_PSS_RSAE_SHA256,
                scheme::RSA_PKCS1_SHA256,
                scheme::RSA_PSS_RSAE_SHA384,
                scheme::RSA_PKCS1_SHA384,
            ],
        };
        ours.iter().copied().find(|s| peer_schemes.contains(s))
    }

    pub(crate) fn sign(&self, scheme_id: u16, message: &[u8]) -> Result<Vec<u8>, Error> {
        let fail = |_| Error::Crypto { what: "sign" };
        match &self.inner.key {
            SigningKey::EcdsaP256(k) | SigningKey::EcdsaP384(k) => Ok(k
                .sign(&self.inner.rng, message)
                .map_err(fail)?
                .as_ref()
                .to_vec()),
            SigningKey::Rsa(k) => {
                let padding: &dyn signature::RsaEncoding = match scheme_id {
                    scheme::RSA_PSS_RSAE_SHA256 => &signature::RSA_PSS_SHA256,
                    scheme::RSA_PSS_RSAE_SHA384 => &signature::RSA_PSS_SHA384,
                    scheme::RSA_PKCS1_SHA384 => &signature::RSA_PKCS1_SHA384,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(padding, &self.inner.rng, message, &mut sig)
                    .map_err(fail)?;
                Ok(sig)
            }
        }
    }
}

fn pem_block(text: &str, label: &str) -> Result<Vec<u8>, Error> {
    for pem in x509_parser::pem::Pem::iter_from_buffer(text.as_bytes()) {
        let pem = pem.map_err(cert_error)?;
        if pem.label == label {
            return Ok(pem.contents);
        }
    }
    Err(Error::Certificate(format!(
        "no PEM block labelled {label:?} (keys must be PKCS#8: `openssl pkcs8 -topk8 -nocrypt`)"
    )))
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= n {
                b64.push(ALPHABET[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Extracts the public key of a peer's DER certificate.
pub(crate) fn peer_public_key(der: &[u8]) -> Result<PeerKey, Error> {
    use x509_parser::public_key::PublicKey;
    let (_, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|_| Error::BadCertificate {
            what: "not a DER X.509 certificate",
        })?;
    let spki = cert.public_key();
    let raw = spki.subject_public_key.data.to_vec();
    match spki.parsed() {
        Ok(PublicKey::EC(point)) => match point.key_size() {
            256 => Ok(PeerKey::EcdsaP256(raw)),
            384 => Ok(PeerKey::EcdsaP384(raw)),
            _ => Err(Error::BadCertificate {
                what: "unsupported elliptic curve",
            }),
        },
        Ok(PublicKey::RSA(_)) => Ok(PeerKey::Rsa(raw)),
        _ => Err(Error::BadCertificate {
            what: "unsupported public key type",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_round_trips_pem_and_signs() {
        let cert = Certificate::generate().unwrap();
        let (c, k) = cert.to_pem();
        let again = Certificate::from_pem(&c, &k).unwrap();
        assert_eq!(again.der(), cert.der());
        let fp = cert.fingerprint(HashAlgorithm::Sha256);
        assert_eq!(fp.value.len(), 32);
        let parsed: Fingerprint = fp.to_string().parse().unwrap();
        assert_eq!(parsed, fp);
        let lower: Fingerprint = fp.to_string().to_lowercase().parse().unwrap();
        assert_eq!(lower, fp);
        let key = peer_public_key(cert.der()).unwrap();
        let sig = cert.sign(scheme::ECDSA_SECP256R1_SHA256, b"msg").unwrap();
        assert!(key.verify(scheme::ECDSA_SECP256R1_SHA256, b"msg", &sig));
        assert!(!key.verify(scheme::ECDSA_SECP256R1_SHA256, b"msh", &sig));
        assert!(!key.verify(scheme::RSA_PKCS1_SHA256, b"msg", &sig));
    }

    #[test]
    fn fingerprint_parse_errors() {
        assert!("sha-256 AB:CD".parse::<Fingerprint>().is_err());
        assert!("md5 AB".parse::<Fingerprint>().is_err());
        assert!("nonsense".parse::<Fingerprint>().is_err());
        let sha1 = format!("sha-1 {}", vec!["0a"; 20].join(":"));
        assert_eq!(
            sha1.parse::<Fingerprint>().unwrap().algorithm,
            HashAlgorithm::Sha1
        );
    }

    #[test]
    fn mismatched_key_rejected() {
        let a = Certificate::generate().unwrap();
        let b = Certificate::generate().unwrap();
        let (ca, _) = a.to_pem();
        let (_, kb) = b.to_pem();
        assert!(Certificate::from_pem(&ca, &kb).is_err());
        assert!(Certificate::from_pem("junk", "junk").is_err());
        assert!(peer_public_key(b"junk").is_err());
    }
}
