//! The State Cookie (RFC 9260 §5.1.3): everything the TCB needs, signed with HMAC-SHA256
//! so the listener keeps no state until the cookie comes back.

use bytes::{BufMut, Bytes};
use ring::hmac;

/// Capability bits the peer announced in its INIT.
pub(crate) const CAP_ZERO_CHECKSUM: u8 = 1;
pub(crate) const CAP_FORWARD_TSN: u8 = 2;
pub(crate) const CAP_IDATA: u8 = 4;
pub(crate) const CAP_RECONFIG: u8 = 8;

const VERSION: u8 = 1;
const BODY_LEN: usize = 1 + 4 * 5 + 2 * 2 + 1 + 8;
const TAG_LEN: usize = 32;
/// Encoded cookie size.
pub(crate) const COOKIE_LEN: usize = BODY_LEN + TAG_LEN;

/// The contents of a cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StateCookie {
    pub(crate) my_tag: u32,
    pub(crate) peer_tag: u32,
    pub(crate) my_initial_tsn: u32,
    pub(crate) peer_initial_tsn: u32,
    pub(crate) peer_a_rwnd: u32,
    pub(crate) peer_outbound_streams: u16,
    pub(crate) peer_inbound_streams: u16,
    pub(crate) peer_caps: u8,
    /// Milliseconds since the association's epoch when the cookie was made.
    pub(crate) created_ms: u64,
}

impl StateCookie {
    pub(crate) fn seal(&self, key: &hmac::Key) -> Bytes {
        let mut out = Vec::with_capacity(COOKIE_LEN);
        out.put_u8(VERSION);
        out.put_u32(self.my_tag);
        out.put_u32(self.peer_tag);
        out.put_u32(self.my_initial_tsn);
        out.put_u32(self.peer_initial_tsn);
        out.put_u32(self.peer_a_rwnd);
        out.put_u16(self.peer_outbound_streams);
        out.put_u16(self.peer_inbound_streams);
        out.put_u8(self.peer_caps);
        out.put_u64(self.created_ms);
        let tag = hmac::sign(key, &out);
        out.extend_from_slice(tag.as_ref());
        out.into()
    }

    /// Verifies and decodes a cookie; `None` when it was not made with `key`.
    pub(crate) fn open(cookie: &[u8], key: &hmac::Key) -> Option<Self> {
        if cookie.len() != COOKIE_LEN || cookie[0] != VERSION {
            return None;
        }
        let (body, tag) = cookie.split_at(BODY_LEN);
        hmac::verify(key, body, tag).ok()?;
        let u32_at =
            |at: usize| u32::from_be_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
        let u16_at = |at: usize| u16::from_be_bytes([body[at], body[at + 1]]);
        let mut ms = [0u8; 8];
        ms.copy_from_slice(&body[26..34]);
        Some(Self {
            my_tag: u32_at(1),
            peer_tag: u32_at(5),
            my_initial_tsn: u32_at(9),
            peer_initial_tsn: u32_at(13),
            peer_a_rwnd: u32_at(17),
            peer_outbound_streams: u16_at(21),
            peer_inbound_streams: u16_at(23),
            peer_caps: body[25],
            created_ms: u64::from_be_bytes(ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"secret");
        let cookie = StateCookie {
            my_tag: 1,
            peer_tag: 2,
            my_initial_tsn: 3,
            peer_initial_tsn: 4,
            peer_a_rwnd: 5,
            peer_outbound_streams: 6,
            peer_inbound_streams: 7,
            peer_caps: CAP_IDATA | CAP_RECONFIG,
            created_ms: 99,
        };
        let sealed = cookie.seal(&key);
        assert_eq!(sealed.len(), COOKIE_LEN);
        assert_eq!(StateCookie::open(&sealed, &key), Some(cookie));
        let mut bad = sealed.to_vec();
        bad[3] ^= 1;
        assert_eq!(StateCookie::open(&bad, &key), None);
        let other = hmac::Key::new(hmac::HMAC_SHA256, b"other");
        assert_eq!(StateCookie::open(&sealed, &other), None);
        assert_eq!(StateCookie::open(&sealed[..10], &key), None);
    }
}
