//! The STUN messages of ICE (RFC 8445 §7), on top of [`crate::stun`].

use std::net::SocketAddr;

use super::{AgentError, Role};
use crate::stun::{
    Attribute, Class, ErrorCode, Integrity, Key, Message, MessageRef, Method, TransactionId,
};

/// A Binding request, with the attributes ICE needs copied out.
pub(super) struct Request<'a> {
    pub(super) id: [u8; 12],
    pub(super) username: &'a str,
    pub(super) priority: Option<u32>,
    pub(super) use_candidate: bool,
    pub(super) controlling: Option<u64>,
    pub(super) controlled: Option<u64>,
}

/// A decoded STUN message, not yet authenticated.
pub(super) enum Incoming<'a> {
    Request(Request<'a>),
    Success {
        id: [u8; 12],
        mapped: Option<SocketAddr>,
    },
    Failure {
        id: [u8; 12],
        code: u16,
    },
    /// A Binding indication (keepalive): nothing to do.
    Indication,
    /// Not a Binding message (TURN and the like).
    Other,
}

/// Decodes `data` (FINGERPRINT, when present, is verified by the codec); the decoded
/// view is returned too, for [`verify`] once the key is known.
pub(super) fn decode(data: &[u8]) -> Result<(Incoming<'_>, MessageRef<'_>), AgentError> {
    let m = MessageRef::decode(data)?;
    if m.method() != Method::BINDING {
        return Ok((Incoming::Other, m));
    }
    let id = m.transaction_id().0;
    let incoming = match m.class() {
        Class::Request => {
            // RFC 8445 §7.3: an ICE check carries USERNAME and MESSAGE-INTEGRITY.
            let username = m.username().ok_or(AgentError::Unauthenticated)?;
            if !m.has_integrity() {
                return Err(AgentError::Unauthenticated);
            }
            Incoming::Request(Request {
                id,
                username,
                priority: m.priority(),
                use_candidate: m.use_candidate(),
                controlling: m.ice_controlling(),
                controlled: m.ice_controlled(),
            })
        }
        Class::Success => Incoming::Success {
            id,
            mapped: m.mapped_address(),
        },
        Class::Error => Incoming::Failure {
            id,
            code: m.error_code().map_or(0, |e| e.code),
        },
        Class::Indication => Incoming::Indication,
    };
    Ok((incoming, m))
}

/// Checks MESSAGE-INTEGRITY of a decoded message with a short-term key.
pub(super) fn verify(m: &MessageRef<'_>, key: &Key) -> Result<(), AgentError> {
    m.check_integrity_sha1(key)
        .map_err(|_| AgentError::Unauthenticated)
}

pub(super) struct RequestParams<'a> {
    pub(super) id: [u8; 12],
    pub(super) username: &'a str,
    pub(super) key: &'a Key,
    pub(super) priority: u32,
    pub(super) role: Role,
    pub(super) tie_breaker: u64,
    pub(super) use_candidate: bool,
}

fn finish(m: &Message, key: Option<&Key>) -> Vec<u8> {
    let integrity = key.map_or(Integrity::None, Integrity::Sha1);
    // Our messages are small (under 200 bytes): the codec's length limit cannot be hit.
    m.to_bytes(integrity, true)
        .expect("ICE check messages are far below the STUN size limit")
}

/// RFC 8445 §7.1: a connectivity check.
pub(super) fn request(p: &RequestParams<'_>) -> Vec<u8> {
    let mut m = Message::new(Class::Request, Method::BINDING, TransactionId(p.id));
    m.add(Attribute::Username(p.username))
        .add(Attribute::Priority(p.priority));
    match p.role {
        Role::Controlling => m.add(Attribute::IceControlling(p.tie_breaker)),
        Role::Controlled => m.add(Attribute::IceControlled(p.tie_breaker)),
    };
    if p.use_candidate {
        m.add(Attribute::UseCandidate);
    }
    finish(&m, Some(p.key))
}

/// RFC 8445 §7.3.1.2: the success response, reflecting the source address.
pub(super) fn success(id: [u8; 12], mapped: SocketAddr, key: &Key) -> Vec<u8> {
    let mut m = Message::new(Class::Success, Method::BINDING, TransactionId(id));
    m.add(Attribute::XorMappedAddress(mapped));
    finish(&m, Some(key))
}

/// RFC 8445 §7.3.1.1: 487 Role Conflict.
pub(super) fn role_conflict(id: [u8; 12], key: &Key) -> Vec<u8> {
    let mut m = Message::new(Class::Error, Method::BINDING, TransactionId(id));
    m.add(Attribute::ErrorCode(ErrorCode::ROLE_CONFLICT));
    finish(&m, Some(key))
}

/// RFC 8445 §11: a Binding indication as keepalive.
pub(super) fn indication(id: [u8; 12]) -> Vec<u8> {
    let m = Message::new(Class::Indication, Method::BINDING, TransactionId(id));
    finish(&m, None)
}
