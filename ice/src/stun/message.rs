//! STUN messages: a zero-copy decoded view ([`MessageRef`]) and an owned builder
//! ([`Message`]) (RFC 8489 §5, §14).

use std::net::SocketAddr;

use super::attr::{pad4, Attribute, AttributeType, ErrorCode};
use super::integrity::{ct_eq, fingerprint_adjusted, hmac_adjusted, hmac_sha1_adjusted, Key};
use super::{Class, Method, StunError, TransactionId, HEADER_LEN, MAGIC_COOKIE};

/// How many unknown comprehension-required attribute types a [`MessageRef`] remembers
/// (enough for a 420 answer; more are dropped from the list, not from the verdict).
const MAX_UNKNOWN: usize = 8;

/// Which message-integrity attribute [`Message::encode`] appends.
#[derive(Debug, Clone, Copy)]
pub enum Integrity<'k> {
    /// No integrity attribute.
    None,
    /// MESSAGE-INTEGRITY (HMAC-SHA1), the one ICE and RFC 5389 TURN use.
    Sha1(&'k Key),
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
    Sha256(&'k Key),
}

/// Where we are in a message, for RFC 8489 §14.5-14.7: after MESSAGE-INTEGRITY only
/// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count; after MESSAGE-INTEGRITY-SHA256 only
/// FINGERPRINT; nothing after FINGERPRINT.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Body,
    AfterIntegrity,
    AfterIntegritySha256,
    AfterFingerprint,
}

impl Phase {
    /// Whether an attribute of type `t` seen in this phase counts, and the next phase.
    fn step(self, t: AttributeType) -> (bool, Phase) {
        match (self, t) {
            (Phase::AfterFingerprint, _) => (false, self),
            (_, AttributeType::FINGERPRINT) => (true, Phase::AfterFingerprint),
            (Phase::Body | Phase::AfterIntegrity, AttributeType::MESSAGE_INTEGRITY_SHA256) => {
                (true, Phase::AfterIntegritySha256)
            }
            (Phase::Body, AttributeType::MESSAGE_INTEGRITY) => (true, Phase::AfterIntegrity),
            (Phase::Body, _) => (true, self),
            _ => (false, self),
        }
    }
}

/// A raw attribute: type and value (without padding), borrowed from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// Attribute type.
    pub attr_type: AttributeType,
    /// Value bytes, without padding.
    pub value: &'a [u8],
    /// Offset of the attribute header in the message.
    pub offset: usize,
}

/// Iterator over the attributes of a [`MessageRef`] that count (RFC 8489 §14.5-14.7:
/// those after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256/FINGERPRINT are
/// skipped).
#[derive(Debug, Clone)]
pub struct RawAttributes<'a> {
    raw: &'a [u8],
    offset: usize,
    phase: Phase,
}

impl std::fmt::Debug for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Phase::Body => "Body",
            Phase::AfterIntegrity => "AfterIntegrity",
            Phase::AfterIntegritySha256 => "AfterIntegritySha256",
            Phase::AfterFingerprint => "AfterFingerprint",
        };
        f.write_str(s)
    }
}

impl<'a> RawAttributes<'a> {
    fn new(raw: &'a [u8]) -> Self {
        Self {
            raw,
            offset: HEADER_LEN,
            phase: Phase::Body,
        }
    }

    /// Next TLV regardless of phase; `None` at the end or on a framing error.
    fn next_tlv(&mut self) -> Option<RawAttribute<'a>> {
        let off = self.offset;
        let h = self.raw.get(off..off + 4)?;
        let t = AttributeType(u16::from_be_bytes([h[0], h[1]]));
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let value = self.raw.get(off + 4..off + 4 + len)?;
        self.offset = off + 4 + pad4(len);
        Some(RawAttribute {
            attr_type: t,
            value,
            offset: off,
        })
    }
}

impl<'a> Iterator for RawAttributes<'a> {
    type Item = RawAttribute<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let a = self.next_tlv()?;
            let (counts, next) = self.phase.step(a.attr_type);
            self.phase = next;
            if counts {
                return Some(a);
            }
        }
    }
}

/// A decoded STUN message borrowing the datagram: header fields and attribute offsets,
/// nothing copied or allocated.
///
/// [`MessageRef::decode`] checks the framing of every attribute and, when a FINGERPRINT
/// is present, its CRC. Message integrity is checked separately with
/// [`MessageRef::check_integrity`] once the caller knows the key (for long-term
/// credentials the key depends on USERNAME and REALM read from the message).
///
/// ```
/// use oxrtc_ice::stun::{Class, Integrity, Key, Message, MessageRef, Method, TransactionId, Attribute};
///
/// let key = Key::short_term("pass");
/// let mut req = Message::new(Class::Request, Method::BINDING, TransactionId([1; 12]));
/// req.add(Attribute::Username("rfrag:lfrag")).add(Attribute::Priority(100));
/// let bytes = req.to_bytes(Integrity::Sha1(&key), true)?;
///
/// let msg = MessageRef::decode(&bytes)?;
/// assert_eq!(msg.class(), Class::Request);
/// assert_eq!(msg.username(), Some("rfrag:lfrag"));
/// msg.check_integrity(&key)?;
/// # Ok::<(), oxrtc_ice::stun::StunError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MessageRef<'a> {
    raw: &'a [u8],
    class: Class,
    method: Method,
    transaction_id: TransactionId,
    integrity: Option<usize>,
    integrity_sha256: Option<(usize, usize)>,
    fingerprint: Option<usize>,
    unknown: [u16; MAX_UNKNOWN],
    unknown_len: u8,
    has_unknown_required: bool,
}

impl<'a> MessageRef<'a> {
    /// Decodes one STUN message that fills `raw` exactly (a UDP datagram, or a frame cut
    /// with [`message_len`](super::message_len)).
    pub fn decode(raw: &'a [u8]) -> Result<Self, StunError> {
        if raw.len() < HEADER_LEN {
            return Err(StunError::Truncated {
                needed: HEADER_LEN,
                len: raw.len(),
            });
        }
        if raw[0] & 0xC0 != 0 {
            return Err(StunError::NotStun(raw[0]));
        }
        let cookie = u32::from_be_bytes([raw[4], raw[5], raw[6], raw[7]]);
        if cookie != MAGIC_COOKIE {
            return Err(StunError::BadMagicCookie(cookie));
        }
        let length = usize::from(u16::from_be_bytes([raw[2], raw[3]]));
        let body = raw.len() - HEADER_LEN;
        if length % 4 != 0 || length != body {
            return Err(StunError::BadLength {
                header: length,
                body,
            });
        }
        let ty = u16::from_be_bytes([raw[0], raw[1]]);
        let (class, method) = super::split_type(ty);
        let mut tid = [0u8; 12];
        tid.copy_from_slice(&raw[8..20]);

        let mut msg = MessageRef {
            raw,
            class,
            method,
            transaction_id: TransactionId(tid),
            integrity: None,
            integrity_sha256: None,
            fingerprint: None,
            unknown: [0; MAX_UNKNOWN],
            unknown_len: 0,
            has_unknown_required: false,
        };

        let mut off = HEADER_LEN;
        let mut phase = Phase::Body;
        while off < raw.len() {
            if raw.len() - off < 4 {
                return Err(StunError::AttributeOverrun {
                    attr_type: 0,
                    offset: off,
                });
            }
            let t = AttributeType(u16::from_be_bytes([raw[off], raw[off + 1]]));
            let len = usize::from(u16::from_be_bytes([raw[off + 2], raw[off + 3]]));
            // `raw.len() - off` is a multiple of 4, so a value that fits has room for its
            // padding too.
            if raw.len() - off - 4 < len {
                return Err(StunError::AttributeOverrun {
                    attr_type: t.0,
                    offset: off,
                });
            }
            let (counts, next) = phase.step(t);
            phase = next;
            if counts {
                match t {
                    AttributeType::MESSAGE_INTEGRITY => {
                        if len != 20 {
                            return Err(StunError::BadAttribute {
                                attr_type: t.0,
                                reason: "wrong length",
                            });
                        }
                        msg.integrity = Some(off);
                    }
                    AttributeType::MESSAGE_INTEGRITY_SHA256 => {
                        if !(16..=32).contains(&len) || len % 4 != 0 {
                            return Err(StunError::BadAttribute {
                                attr_type: t.0,
                                reason: "wrong length",
                            });
                        }
                        msg.integrity_sha256 = Some((off, len));
                    }
                    AttributeType::FINGERPRINT => {
                        if len != 4 {
                            return Err(StunError::BadAttribute {
                                attr_type: t.0,
                                reason: "wrong length",
                            });
                        }
                        msg.fingerprint = Some(off);
                    }
                    _ if t.is_comprehension_required() && !t.is_known() => {
                        msg.has_unknown_required = true;
                        if usize::from(msg.unknown_len) < MAX_UNKNOWN {
                            msg.unknown[usize::from(msg.unknown_len)] = t.0;
                            msg.unknown_len += 1;
                        }
                    }
                    _ => {}
                }
            }
            off += 4 + pad4(len);
        }

        if let Some(fp) = msg.fingerprint {
            let got = u32::from_be_bytes([raw[fp + 4], raw[fp + 5], raw[fp + 6], raw[fp + 7]]);
            // Usually FINGERPRINT is last, so the length field needs no adjusting and one
            // pass over the bytes does.
            let want = if fp + 8 == raw.len() {
                crc32fast::hash(&raw[..fp]) ^ super::FINGERPRINT_XOR
            } else {
                fingerprint_adjusted(raw, fp, (fp + 8 - HEADER_LEN) as u16)
            };
            if got != want {
                return Err(StunError::FingerprintMismatch);
            }
        }
        Ok(msg)
    }

    /// The whole message as received.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// The message class.
    pub fn class(&self) -> Class {
        self.class
    }

    /// The message method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The 96-bit transaction id.
    pub fn transaction_id(&self) -> TransactionId {
        self.transaction_id
    }

    /// Whether a FINGERPRINT was present (and, since decoding succeeded, correct).
    pub fn has_fingerprint(&self) -> bool {
        self.fingerprint.is_some()
    }

    /// Whether MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 is present.
    pub fn has_integrity(&self) -> bool {
        self.integrity.is_some() || self.integrity_sha256.is_some()
    }

    /// Unknown comprehension-required attribute types (RFC 8489 §6.3.1: a server answers a
    /// request carrying any with 420 and lists them in UNKNOWN-ATTRIBUTES). At most 8 are
    /// listed; [`has_unknown_required`](Self::has_unknown_required) tells whether any
    /// was seen.
    pub fn unknown_required(&self) -> impl Iterator<Item = AttributeType> + '_ {
        self.unknown[..usize::from(self.unknown_len)]
            .iter()
            .map(|&t| AttributeType(t))
    }

    /// Whether the message carries an unknown comprehension-required attribute.
    pub fn has_unknown_required(&self) -> bool {
        self.has_unknown_required
    }

    /// Checks MESSAGE-INTEGRITY-SHA256 when present, otherwise MESSAGE-INTEGRITY, over the
    /// exact bytes before the attribute with the length field adjusted as the sender had
    /// it (RFC 8489 §14.5, §14.6).
    pub fn check_integrity(&self, key: &Key) -> Result<(), StunError> {
        if let Some((off, len)) = self.integrity_sha256 {
            let adjusted = (off + 4 + len - HEADER_LEN) as u16;
            let tag = hmac_adjusted(key.sha256(), self.raw, off, adjusted);
            let got = &self.raw[off + 4..off + 4 + len];
            return if ct_eq(&tag.as_ref()[..len], got) {
                Ok(())
            } else {
                Err(StunError::IntegrityMismatch)
            };
        }
        self.check_integrity_sha1(key)
    }

    /// Checks MESSAGE-INTEGRITY (HMAC-SHA1) only.
    pub fn check_integrity_sha1(&self, key: &Key) -> Result<(), StunError> {
        let off = self.integrity.ok_or(StunError::IntegrityMissing)?;
        let adjusted = (off + 24 - HEADER_LEN) as u16;
        let tag = hmac_sha1_adjusted(key.sha1(), self.raw, off, adjusted);
        if ct_eq(&tag, &self.raw[off + 4..off + 24]) {
            Ok(())
        } else {
            Err(StunError::IntegrityMismatch)
        }
    }

    /// The attributes that count, raw.
    pub fn raw_attributes(&self) -> RawAttributes<'a> {
        RawAttributes::new(self.raw)
    }

    /// The attributes that count, decoded. A malformed value yields an error item; the
    /// iteration goes on with the next attribute.
    pub fn attributes(&self) -> impl Iterator<Item = Result<Attribute<'a>, StunError>> + 'a {
        let tid = self.transaction_id;
        self.raw_attributes()
            .map(move |a| Attribute::decode(a.attr_type, a.value, &tid))
    }

    /// The raw value of the first attribute of type `t` that counts.
    pub fn get(&self, t: AttributeType) -> Option<&'a [u8]> {
        self.raw_attributes()
            .find(|a| a.attr_type == t)
            .map(|a| a.value)
    }

    /// The first attribute of type `t`, decoded.
    pub fn attribute(&self, t: AttributeType) -> Option<Result<Attribute<'a>, StunError>> {
        self.get(t)
            .map(|v| Attribute::decode(t, v, &self.transaction_id))
    }

    fn typed<T>(&self, t: AttributeType, f: impl FnOnce(Attribute<'a>) -> Option<T>) -> Option<T> {
        self.attribute(t)?.ok().and_then(f)
    }

    /// USERNAME, if present and well-formed.
    pub fn username(&self) -> Option<&'a str> {
        self.typed(AttributeType::USERNAME, |a| match a {
            Attribute::Username(s) => Some(s),
            _ => None,
        })
    }

    /// REALM, if present and well-formed.
    pub fn realm(&self) -> Option<&'a str> {
        self.typed(AttributeType::REALM, |a| match a {
            Attribute::Realm(s) => Some(s),
            _ => None,
        })
    }

    /// NONCE, if present and well-formed.
    pub fn nonce(&self) -> Option<&'a str> {
        self.typed(AttributeType::NONCE, |a| match a {
            Attribute::Nonce(s) => Some(s),
            _ => None,
        })
    }

    /// SOFTWARE, if present and well-formed.
    pub fn software(&self) -> Option<&'a str> {
        self.typed(AttributeType::SOFTWARE, |a| match a {
            Attribute::Software(s) => Some(s),
            _ => None,
        })
    }

    /// ERROR-CODE, if present and well-formed.
    pub fn error_code(&self) -> Option<ErrorCode<'a>> {
        self.typed(AttributeType::ERROR_CODE, |a| match a {
            Attribute::ErrorCode(e) => Some(e),
            _ => None,
        })
    }

    /// XOR-MAPPED-ADDRESS, or else MAPPED-ADDRESS (RFC 5780 servers and old ones).
    pub fn mapped_address(&self) -> Option<SocketAddr> {
        self.typed(AttributeType::XOR_MAPPED_ADDRESS, |a| match a {
            Attribute::XorMappedAddress(s) => Some(s),
            _ => None,
        })
        .or_else(|| {
            self.typed(AttributeType::MAPPED_ADDRESS, |a| match a {
                Attribute::MappedAddress(s) => Some(s),
                _ => None,
            })
        })
    }

    /// XOR-PEER-ADDRESS (TURN), the first one.
    pub fn xor_peer_address(&self) -> Option<SocketAddr> {
        self.typed(AttributeType::XOR_PEER_ADDRESS, |a| match a {
            Attribute::XorPeerAddress(s) => Some(s),
            _ => None,
        })
    }

    /// XOR-RELAYED-ADDRESS (TURN), the first one.
    pub fn xor_relayed_address(&self) -> Option<SocketAddr> {
        self.typed(AttributeType::XOR_RELAYED_ADDRESS, |a| match a {
            Attribute::XorRelayedAddress(s) => Some(s),
            _ => None,
        })
    }

    /// PRIORITY (ICE).
    pub fn priority(&self) -> Option<u32> {
        self.typed(AttributeType::PRIORITY, |a| match a {
            Attribute::Priority(p) => Some(p),
            _ => None,
        })
    }

    /// Whether USE-CANDIDATE is present (ICE).
    pub fn use_candidate(&self) -> bool {
        self.get(AttributeType::USE_CANDIDATE).is_some()
    }

    /// ICE-CONTROLLING tie-breaker.
    pub fn ice_controlling(&self) -> Option<u64> {
        self.typed(AttributeType::ICE_CONTROLLING, |a| match a {
            Attribute::IceControlling(v) => Some(v),
            _ => None,
        })
    }

    /// ICE-CONTROLLED tie-breaker.
    pub fn ice_controlled(&self) -> Option<u64> {
        self.typed(AttributeType::ICE_CONTROLLED, |a| match a {
            Attribute::IceControlled(v) => Some(v),
            _ => None,
        })
    }

    /// LIFETIME in seconds (TURN).
    pub fn lifetime(&self) -> Option<u32> {
        self.typed(AttributeType::LIFETIME, |a| match a {
            Attribute::Lifetime(v) => Some(v),
            _ => None,
        })
    }

    /// DATA (TURN).
    pub fn data(&self) -> Option<&'a [u8]> {
        self.get(AttributeType::DATA)
    }

    /// CHANNEL-NUMBER (TURN).
    pub fn channel_number(&self) -> Option<u16> {
        self.typed(AttributeType::CHANNEL_NUMBER, |a| match a {
            Attribute::ChannelNumber(v) => Some(v),
            _ => None,
        })
    }

    /// An owned copy, without the integrity and fingerprint attributes (they are
    /// recomputed by [`Message::encode`]).
    pub fn to_message(&self) -> Message {
        let mut m = Message::new(self.class, self.method, self.transaction_id);
        for a in self.raw_attributes() {
            if !matches!(
                a.attr_type,
                AttributeType::MESSAGE_INTEGRITY
                    | AttributeType::MESSAGE_INTEGRITY_SHA256
                    | AttributeType::FINGERPRINT
            ) {
                m.add_raw(a.attr_type, a.value);
            }
        }
        m
    }
}

/// An owned STUN message being built: header fields and already-encoded attributes.
/// [`Message::encode`] appends MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT at the end.
///
/// ```
/// use oxrtc_ice::stun::{Attribute, Class, Integrity, Message, MessageRef, Method, TransactionId};
///
/// let tid = TransactionId([9; 12]);
/// let mut resp = Message::new(Class::Success, Method::BINDING, tid);
/// resp.add(Attribute::XorMappedAddress("192.0.2.1:32853".parse().unwrap()));
/// let bytes = resp.to_bytes(Integrity::None, true)?;
/// let back = MessageRef::decode(&bytes)?;
/// assert_eq!(back.mapped_address(), Some("192.0.2.1:32853".parse().unwrap()));
/// # Ok::<(), oxrtc_ice::stun::StunError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    class: Class,
    method: Method,
    transaction_id: TransactionId,
    body: Vec<u8>,
    too_long: bool,
}

impl Message {
    /// An empty message.
    pub fn new(class: Class, method: Method, transaction_id: TransactionId) -> Self {
        Self {
            class,
            method,
            transaction_id,
            body: Vec::new(),
            too_long: false,
        }
    }

    /// A success response to `request` (same method and transaction id).
    pub fn success_to(request: &MessageRef<'_>) -> Self {
        Self::new(Class::Success, request.method(), request.transaction_id())
    }

    /// An error response to `request` carrying `error`.
    pub fn error_to(request: &MessageRef<'_>, error: ErrorCode<'_>) -> Self {
        let mut m = Self::new(Class::Error, request.method(), request.transaction_id());
        m.add(Attribute::ErrorCode(error));
        m
    }

    /// The class.
    pub fn class(&self) -> Class {
        self.class
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> TransactionId {
        self.transaction_id
    }

    /// Appends an attribute. MESSAGE-INTEGRITY and FINGERPRINT are better left to
    /// [`encode`](Self::encode). A value longer than 65535 bytes makes `encode` fail
    /// with [`StunError::TooLong`].
    pub fn add(&mut self, attr: Attribute<'_>) -> &mut Self {
        let start = self.body.len();
        self.body
            .extend_from_slice(&attr.attribute_type().0.to_be_bytes());
        self.body.extend_from_slice(&[0, 0]);
        attr.encode_value(&self.transaction_id, &mut self.body);
        self.finish_attr(start);
        self
    }

    /// Appends an attribute from its type and raw value.
    pub fn add_raw(&mut self, t: AttributeType, value: &[u8]) -> &mut Self {
        let start = self.body.len();
        self.body.extend_from_slice(&t.0.to_be_bytes());
        self.body.extend_from_slice(&[0, 0]);
        self.body.extend_from_slice(value);
        self.finish_attr(start);
        self
    }

    fn finish_attr(&mut self, start: usize) {
        let len = self.body.len() - start - 4;
        match u16::try_from(len) {
            Ok(l) => self.body[start + 2..start + 4].copy_from_slice(&l.to_be_bytes()),
            Err(_) => self.too_long = true,
        }
        self.body.resize(start + 4 + pad4(len), 0);
    }

    /// Builder form of [`add`](Self::add).
    pub fn with(mut self, attr: Attribute<'_>) -> Self {
        self.add(attr);
        self
    }

    /// The attributes added so far, decoded (malformed raw ones are skipped).
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'_>> + '_ {
        let tid = self.transaction_id;
        let mut off = 0;
        std::iter::from_fn(move || loop {
            let h = self.body.get(off..off + 4)?;
            let t = AttributeType(u16::from_be_bytes([h[0], h[1]]));
            let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
            let v = self.body.get(off + 4..off + 4 + len)?;
            off += 4 + pad4(len);
            if let Ok(a) = Attribute::decode(t, v, &tid) {
                return Some(a);
            }
        })
    }

    /// Appends the encoded message to `out`, followed by the chosen integrity attribute
    /// and, when `fingerprint`, a FINGERPRINT.
    pub fn encode(
        &self,
        integrity: Integrity<'_>,
        fingerprint: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), StunError> {
        let extra = match integrity {
            Integrity::None => 0,
            Integrity::Sha1(_) => 24,
            Integrity::Sha256(_) => 36,
        } + if fingerprint { 8 } else { 0 };
        let total = self.body.len() + extra;
        if self.too_long || total > usize::from(u16::MAX) {
            return Err(StunError::TooLong);
        }
        let start = out.len();
        out.reserve(HEADER_LEN + total);
        out.extend_from_slice(&super::join_type(self.class, self.method).to_be_bytes());
        out.extend_from_slice(&(self.body.len() as u16).to_be_bytes());
        out.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        out.extend_from_slice(&self.transaction_id.0);
        out.extend_from_slice(&self.body);
        let set_len = |out: &mut Vec<u8>, add: usize| {
            let len = (out.len() - start - HEADER_LEN + add) as u16;
            out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
            len
        };
        match integrity {
            Integrity::None => {}
            Integrity::Sha1(key) => {
                let len = set_len(out, 24);
                let end = out.len() - start;
                let tag = hmac_sha1_adjusted(key.sha1(), &out[start..], end, len);
                out.extend_from_slice(&AttributeType::MESSAGE_INTEGRITY.0.to_be_bytes());
                out.extend_from_slice(&20u16.to_be_bytes());
                out.extend_from_slice(&tag);
            }
            Integrity::Sha256(key) => {
                let len = set_len(out, 36);
                let end = out.len() - start;
                let tag = hmac_adjusted(key.sha256(), &out[start..], end, len);
                out.extend_from_slice(&AttributeType::MESSAGE_INTEGRITY_SHA256.0.to_be_bytes());
                out.extend_from_slice(&32u16.to_be_bytes());
                out.extend_from_slice(tag.as_ref());
            }
        }
        if fingerprint {
            let len = set_len(out, 8);
            let end = out.len() - start;
            let crc = fingerprint_adjusted(&out[start..], end, len);
            out.extend_from_slice(&AttributeType::FINGERPRINT.0.to_be_bytes());
            out.extend_from_slice(&4u16.to_be_bytes());
            out.extend_from_slice(&crc.to_be_bytes());
        }
        set_len(out, 0);
        Ok(())
    }

    /// [`encode`](Self::encode) into a new vector.
    pub fn to_bytes(
        &self,
        integrity: Integrity<'_>,
        fingerprint: bool,
    ) -> Result<Vec<u8>, StunError> {
        let mut out = Vec::new();
        self.encode(integrity, fingerprint, &mut out)?;
        Ok(out)
    }
}
