//! The per-packet transforms: AES-CM + HMAC-SHA1 (RFC 3711 §4) and AES-GCM (RFC 7714).
//!
//! AES counter mode is `aes` + `ctr`, GCM is `ring`, HMAC-SHA1 is RustCrypto `hmac` + `sha1`
//! (SHA-NI when the CPU has it; ring's SHA-1 has no such path).
//!
//! Everything derivable from the master key is computed once when a context is built (AES
//! key schedules, HMAC inner/outer states, GCM keys), so a packet costs only its cipher work.
//! These functions see one packet laid out in a buffer and never allocate.

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use hmac::Mac;
use ring::aead;

use crate::kdf::{derive, Label};
use crate::{Error, ProtectionProfile};

/// Length of a GCM tag (RFC 7714 §12: 16 octets for both AEAD profiles).
pub(crate) const GCM_TAG_LEN: usize = 16;
type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// Length of a HMAC-SHA1 session authentication key (RFC 3711 §4.2.1 / §8.2: 160 bits).
const AUTH_KEY_LEN: usize = 20;

/// The keys of one stream kind (SRTP or SRTCP) in one direction.
// A context holds exactly two of these, inline so the packet path follows no pointer; the
// AES key schedules are what make the AES-CM variant large.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Transform {
    /// AES-128 counter mode with HMAC-SHA1, RFC 3711 §4.1.1 and §4.2.1.
    AesCm {
        aes: aes::Aes128Enc,
        salt: [u8; 14],
        auth: HmacSha1,
        tag_len: usize,
    },
    /// AES-GCM, RFC 7714.
    Gcm {
        key: aead::LessSafeKey,
        salt: [u8; 12],
    },
}

impl core::fmt::Debug for Transform {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        f.write_str(match self {
            Self::AesCm { .. } => "Transform::AesCm",
            Self::Gcm { .. } => "Transform::Gcm",
        })
    }
}

/// Whether the transform is for SRTP or SRTCP (selects the KDF labels and tag length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Rtp,
    Rtcp,
}

impl Transform {
    /// Derives the session keys of `kind` from a master key and salt whose lengths the caller
    /// checked against `profile`.
    pub(crate) fn new(
        profile: ProtectionProfile,
        master_key: &[u8],
        master_salt: &[u8],
        kind: Kind,
    ) -> Self {
        let (enc, auth, salt) = match kind {
            Kind::Rtp => (
                Label::RtpEncryption,
                Label::RtpAuthentication,
                Label::RtpSalt,
            ),
            Kind::Rtcp => (
                Label::RtcpEncryption,
                Label::RtcpAuthentication,
                Label::RtcpSalt,
            ),
        };
        match profile {
            ProtectionProfile::Aes128CmHmacSha1_80 | ProtectionProfile::Aes128CmHmacSha1_32 => {
                let mut session_key = [0u8; 16];
                derive(master_key, master_salt, enc, &mut session_key);
                let mut session_auth = [0u8; AUTH_KEY_LEN];
                derive(master_key, master_salt, auth, &mut session_auth);
                let mut session_salt = [0u8; 14];
                derive(master_key, master_salt, salt, &mut session_salt);
                let tag_len = match kind {
                    Kind::Rtp => profile.rtp_auth_tag_len(),
                    Kind::Rtcp => profile.rtcp_auth_tag_len(),
                };
                Self::AesCm {
                    aes: aes::Aes128Enc::new(&session_key.into()),
                    salt: session_salt,
                    // Invariant: HMAC takes keys of any length.
                    auth: <HmacSha1 as Mac>::new_from_slice(&session_auth).expect("HMAC key"),
                    tag_len,
                }
            }
            ProtectionProfile::AeadAes128Gcm | ProtectionProfile::AeadAes256Gcm => {
                let mut session_key = [0u8; 32];
                let session_key = &mut session_key[..profile.master_key_len()];
                derive(master_key, master_salt, enc, session_key);
                let mut session_salt = [0u8; 12];
                derive(master_key, master_salt, salt, &mut session_salt);
                Self::gcm(profile, session_key, session_salt)
            }
        }
    }

    /// A GCM transform from session keys directly (RFC 7714's vectors give those).
    pub(crate) fn gcm(profile: ProtectionProfile, session_key: &[u8], salt: [u8; 12]) -> Self {
        let algorithm = match profile {
            ProtectionProfile::AeadAes256Gcm => &aead::AES_256_GCM,
            _ => &aead::AES_128_GCM,
        };
        // Invariant: the key length is the profile's, which is the algorithm's.
        let key = aead::UnboundKey::new(algorithm, session_key).expect("GCM key length");
        Self::Gcm {
            key: aead::LessSafeKey::new(key),
            salt,
        }
    }

    /// Bytes the transform appends after the payload (tag), not counting MKI and the SRTCP
    /// index word.
    pub(crate) fn tag_len(&self) -> usize {
        match self {
            Self::AesCm { tag_len, .. } => *tag_len,
            Self::Gcm { .. } => GCM_TAG_LEN,
        }
    }

    /// Protects the RTP packet `buf[..len]` (header `buf[..header_len]`) with packet index
    /// `index`, writing `mki` and the tag after it. `buf` has room for
    /// `len + mki.len() + tag_len()` bytes. Returns the protected length.
    pub(crate) fn protect_rtp(
        &self,
        buf: &mut [u8],
        len: usize,
        header_len: usize,
        ssrc: u32,
        index: u64,
        mki: &[u8],
    ) -> usize {
        match self {
            Self::AesCm {
                aes,
                salt,
                auth,
                tag_len,
            } => {
                // RFC 3711 §3.1: header | encrypted payload | MKI | tag, and §4.2: the tag covers
                // header | encrypted payload | ROC, the MKI is not authenticated.
                aes_cm_apply(aes, salt, ssrc, index, &mut buf[header_len..len]);
                let end = len + mki.len();
                write_mki(&mut buf[len..end], mki);
                let tag = hmac_sha1(auth, &buf[..len], Some((index >> 16) as u32));
                buf[end..end + tag_len].copy_from_slice(&tag[..*tag_len]);
                end + tag_len
            }
            Self::Gcm { key, salt } => {
                // RFC 7714 §8.1 / §8.2: the header is the AAD, the tag follows the ciphertext,
                // the MKI follows the tag.
                let nonce = gcm_rtp_nonce(salt, ssrc, index);
                let (header, rest) = buf.split_at_mut(header_len);
                let payload_len = len - header_len;
                let tag = key
                    .seal_in_place_separate_tag(
                        nonce,
                        aead::Aad::from(&*header),
                        &mut rest[..payload_len],
                    )
                    // Invariant: ring refuses only inputs above 2^36 bytes, far beyond a packet.
                    .expect("GCM seal of a packet-sized input");
                let tag_end = len + GCM_TAG_LEN;
                buf[len..tag_end].copy_from_slice(tag.as_ref());
                write_mki(&mut buf[tag_end..tag_end + mki.len()], mki);
                tag_end + mki.len()
            }
        }
    }

    /// Authenticates and decrypts the SRTP packet `buf` whose tag and MKI occupy its last
    /// `tag_len() + mki_len` bytes, the MKI already checked. Returns the RTP length. On error
    /// the context state is untouched; with GCM the payload bytes may have been overwritten.
    pub(crate) fn unprotect_rtp(
        &self,
        buf: &mut [u8],
        header_len: usize,
        ssrc: u32,
        index: u64,
        mki_len: usize,
    ) -> Result<usize, Error> {
        match self {
            Self::AesCm {
                aes,
                salt,
                auth,
                tag_len,
            } => {
                let len = buf.len() - mki_len - tag_len;
                mac(auth, &buf[..len], Some((index >> 16) as u32))
                    .verify_truncated_left(&buf[len + mki_len..])
                    .map_err(|_| Error::AuthenticationFailed)?;
                aes_cm_apply(aes, salt, ssrc, index, &mut buf[header_len..len]);
                Ok(len)
            }
            Self::Gcm { key, salt } => {
                let tag_start = buf.len() - mki_len - GCM_TAG_LEN;
                let tag = aead::Tag::try_from(&buf[tag_start..tag_start + GCM_TAG_LEN])
                    .map_err(|_| Error::AuthenticationFailed)?;
                let nonce = gcm_rtp_nonce(salt, ssrc, index);
                let (header, rest) = buf.split_at_mut(header_len);
                key.open_in_place_separate_tag(
                    nonce,
                    aead::Aad::from(&*header),
                    tag,
                    &mut rest[..tag_start - header_len],
                    0..,
                )
                .map_err(|_| Error::AuthenticationFailed)?;
                Ok(tag_start)
            }
        }
    }

    /// Protects the RTCP packet `buf[..len]` with SRTCP index `index` (31 bits), encrypting
    /// when `encrypt` (the E flag). Returns the protected length.
    pub(crate) fn protect_rtcp(
        &self,
        buf: &mut [u8],
        len: usize,
        ssrc: u32,
        index: u32,
        encrypt: bool,
        mki: &[u8],
    ) -> usize {
        let word = srtcp_word(index, encrypt);
        const H: usize = crate::header::RTCP_HEADER_LEN;
        match self {
            Self::AesCm {
                aes,
                salt,
                auth,
                tag_len,
            } => {
                // RFC 3711 §3.4: header | encrypted portion | E || index | MKI | tag; the tag
                // covers everything before the MKI.
                if encrypt {
                    aes_cm_apply(aes, salt, ssrc, u64::from(index), &mut buf[H..len]);
                }
                buf[len..len + 4].copy_from_slice(&word);
                let end = len + 4 + mki.len();
                write_mki(&mut buf[len + 4..end], mki);
                let tag = hmac_sha1(auth, &buf[..len + 4], None);
                buf[end..end + tag_len].copy_from_slice(&tag[..*tag_len]);
                end + tag_len
            }
            Self::Gcm { key, salt } => {
                // RFC 7714 §9: header | ciphertext | tag | E || index | MKI. With E = 1 the AAD
                // is the 8-byte header and the index word (§17); with E = 0 everything is AAD
                // and the plaintext is empty (§9.2).
                let nonce = gcm_rtcp_nonce(salt, ssrc, index);
                let tag = if encrypt {
                    let mut aad = [0u8; H + 4];
                    aad[..H].copy_from_slice(&buf[..H]);
                    aad[H..].copy_from_slice(&word);
                    key.seal_in_place_separate_tag(nonce, aead::Aad::from(&aad), &mut buf[H..len])
                } else {
                    // Lay the index word right after the packet so the AAD is contiguous, then
                    // put the tag in front of it.
                    buf[len..len + 4].copy_from_slice(&word);
                    key.seal_in_place_separate_tag(nonce, aead::Aad::from(&buf[..len + 4]), &mut [])
                }
                // Invariant: ring refuses only inputs above 2^36 bytes, far beyond a packet.
                .expect("GCM seal of a packet-sized input");
                buf[len..len + GCM_TAG_LEN].copy_from_slice(tag.as_ref());
                let word_end = len + GCM_TAG_LEN + 4;
                buf[len + GCM_TAG_LEN..word_end].copy_from_slice(&word);
                write_mki(&mut buf[word_end..word_end + mki.len()], mki);
                word_end + mki.len()
            }
        }
    }

    /// Offset of the MKI in an SRTP packet of `len` bytes (at least MKI and tag long): before
    /// the tag for AES-CM (RFC 3711 §3.1), after it for GCM (RFC 7714 §8.1).
    pub(crate) fn rtp_mki_offset(&self, len: usize, mki_len: usize) -> usize {
        match self {
            Self::AesCm { tag_len, .. } => len - mki_len - tag_len,
            Self::Gcm { .. } => len - mki_len,
        }
    }

    /// Offset of the `E || SRTCP index` word in an SRTCP packet of `len` bytes, or `None`
    /// when the packet is too short to hold header, word, MKI and tag.
    pub(crate) fn srtcp_word_offset(&self, len: usize, mki_len: usize) -> Option<usize> {
        const H: usize = crate::header::RTCP_HEADER_LEN;
        let trailer = 4 + mki_len + self.tag_len();
        if len < H + trailer {
            return None;
        }
        Some(match self {
            Self::AesCm { tag_len, .. } => len - mki_len - tag_len - 4,
            Self::Gcm { .. } => len - mki_len - 4,
        })
    }

    /// Authenticates and decrypts the SRTCP packet `buf` (MKI checked, index word at
    /// `word_at`). Returns the RTCP length.
    pub(crate) fn unprotect_rtcp(
        &self,
        buf: &mut [u8],
        word_at: usize,
        ssrc: u32,
        index: u32,
        encrypted: bool,
    ) -> Result<usize, Error> {
        const H: usize = crate::header::RTCP_HEADER_LEN;
        match self {
            Self::AesCm {
                aes,
                salt,
                auth,
                tag_len,
            } => {
                let auth_end = word_at + 4;
                let tag_at = buf.len() - tag_len;
                mac(auth, &buf[..auth_end], None)
                    .verify_truncated_left(&buf[tag_at..])
                    .map_err(|_| Error::AuthenticationFailed)?;
                if encrypted {
                    aes_cm_apply(aes, salt, ssrc, u64::from(index), &mut buf[H..word_at]);
                }
                Ok(word_at)
            }
            Self::Gcm { key, salt } => {
                let tag_at = word_at - GCM_TAG_LEN;
                let tag = aead::Tag::try_from(&buf[tag_at..word_at])
                    .map_err(|_| Error::AuthenticationFailed)?;
                let nonce = gcm_rtcp_nonce(salt, ssrc, index);
                let mut word = [0u8; 4];
                word.copy_from_slice(&buf[word_at..word_at + 4]);
                if encrypted {
                    let mut aad = [0u8; H + 4];
                    aad[..H].copy_from_slice(&buf[..H]);
                    aad[H..].copy_from_slice(&word);
                    key.open_in_place_separate_tag(
                        nonce,
                        aead::Aad::from(&aad),
                        tag,
                        &mut buf[H..tag_at],
                        0..,
                    )
                    .map_err(|_| Error::AuthenticationFailed)?;
                    Ok(tag_at)
                } else {
                    // The AAD is header | payload | index word, but the tag sits between payload
                    // and word: swap them in place, check, and swap back on failure.
                    buf[tag_at..word_at + 4].rotate_right(4);
                    let result = key.open_in_place_separate_tag(
                        nonce,
                        aead::Aad::from(&buf[..tag_at + 4]),
                        tag,
                        &mut [],
                        0..,
                    );
                    match result {
                        Ok(_) => Ok(tag_at),
                        Err(_) => {
                            buf[tag_at..word_at + 4].rotate_left(4);
                            Err(Error::AuthenticationFailed)
                        }
                    }
                }
            }
        }
    }
}

/// Copies the MKI into its place; with no MKI (the WebRTC case) no copy call is made at all,
/// which measurably matters next to a ~200 ns packet.
#[inline(always)]
fn write_mki(dst: &mut [u8], mki: &[u8]) {
    if !mki.is_empty() {
        dst.copy_from_slice(mki);
    }
}

/// The `E || SRTCP index` word (RFC 3711 §3.4).
fn srtcp_word(index: u32, encrypt: bool) -> [u8; 4] {
    (index | if encrypt { 0x8000_0000 } else { 0 }).to_be_bytes()
}

/// XORs `data` with the AES-CM keystream of RFC 3711 §4.1.1:
/// `IV = (k_s · 2^16) XOR (SSRC · 2^64) XOR (i · 2^16)`.
fn aes_cm_apply(aes: &aes::Aes128Enc, salt: &[u8; 14], ssrc: u32, index: u64, data: &mut [u8]) {
    let mut iv = [0u8; 16];
    iv[..14].copy_from_slice(salt);
    for (b, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
        *b ^= s;
    }
    for (b, s) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
        *b ^= s;
    }
    let core = ctr::CtrCore::<aes::Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(
        aes.clone(),
        &iv.into(),
    );
    let mut ctr = ctr::Ctr128BE::from_core(core);
    ctr.apply_keystream(data);
}

/// The HMAC-SHA1 state after `data` followed by the ROC when given (RFC 3711 §4.2); the key's
/// inner and outer states were computed once, a packet only clones them.
fn mac(key: &HmacSha1, data: &[u8], roc: Option<u32>) -> HmacSha1 {
    let mut mac = key.clone();
    mac.update(data);
    if let Some(roc) = roc {
        mac.update(&roc.to_be_bytes());
    }
    mac
}

/// The full 20-byte HMAC-SHA1 tag of `data` (and the ROC).
fn hmac_sha1(key: &HmacSha1, data: &[u8], roc: Option<u32>) -> [u8; 20] {
    mac(key, data, roc).finalize().into_bytes().into()
}

/// RFC 7714 §8.1: `IV = (0x0000 || SSRC || ROC || SEQ) XOR salt`, where ROC || SEQ is the
/// 48-bit packet index.
fn gcm_rtp_nonce(salt: &[u8; 12], ssrc: u32, index: u64) -> aead::Nonce {
    let mut iv = *salt;
    for (b, s) in iv[2..6].iter_mut().zip(ssrc.to_be_bytes()) {
        *b ^= s;
    }
    for (b, s) in iv[6..12].iter_mut().zip(&index.to_be_bytes()[2..]) {
        *b ^= s;
    }
    aead::Nonce::assume_unique_for_key(iv)
}

/// RFC 7714 §9.1: `IV = (0x0000 || SSRC || 0x0000 || 0 || SRTCP index) XOR salt`.
fn gcm_rtcp_nonce(salt: &[u8; 12], ssrc: u32, index: u32) -> aead::Nonce {
    let mut iv = *salt;
    for (b, s) in iv[2..6].iter_mut().zip(ssrc.to_be_bytes()) {
        *b ^= s;
    }
    for (b, s) in iv[8..12].iter_mut().zip(index.to_be_bytes()) {
        *b ^= s;
    }
    aead::Nonce::assume_unique_for_key(iv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::hex;

    #[test]
    fn rfc3711_b2_aes_cm_keystream() {
        // Session salt F0F1..FCFD with SSRC 0 and index 0 gives the counter F0F1..FCFD0000.
        let aes = aes::Aes128Enc::new(
            &<[u8; 16]>::try_from(hex("2B7E151628AED2A6ABF7158809CF4F3C"))
                .unwrap()
                .into(),
        );
        let salt: [u8; 14] = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD").try_into().unwrap();
        // The segment spans counters 0x0000..=0xFF01 (65282 blocks).
        let mut keystream = vec![0u8; 65282 * 16];
        aes_cm_apply(&aes, &salt, 0, 0, &mut keystream);
        let block = |n: usize| &keystream[n * 16..n * 16 + 16];
        assert_eq!(block(0), hex("E03EAD0935C95E80E166B16DD92B4EB4"));
        assert_eq!(block(1), hex("D23513162B02D0F72A43A2FE4A5F97AB"));
        assert_eq!(block(2), hex("41E95B3BB0A2E8DD477901E4FCA894C0"));
        assert_eq!(block(0xfeff), hex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
        assert_eq!(block(0xff00), hex("362B7C3C6773516318A077D7FC5073AE"));
        assert_eq!(block(0xff01), hex("6A2CC3787889374FBEB4C81B17BA6C44"));
    }

    #[test]
    fn rfc7714_nonces() {
        // RFC 7714 §16.1 (SSRC 0x5501a0b2, ROC 0, SEQ 0xf17b) and §17.1 (SSRC "Mars", index
        // 0x5d4).
        let salt: [u8; 12] = hex("517569642070726f2071756f").try_into().unwrap();
        let rtp = gcm_rtp_nonce(&salt, 0x5501_a0b2, 0xf17b);
        assert_eq!(rtp.as_ref()[..], hex("51753c6580c2726f20718414")[..]);
        let rtcp = gcm_rtcp_nonce(&salt, 0x4d61_7273, 0x5d4);
        assert_eq!(rtcp.as_ref()[..], hex("517524055203726f207170bb")[..]);
    }
}
