//! A STUN binding server (RFC 8489 §6.3), sans-IO: answers Binding requests with the
//! source address seen, for tests and tools.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::{
    Attribute, AttributeType, AttributeTypes, Class, ErrorCode, Integrity, Key, Message,
    MessageRef, Method, StunError, Transmit,
};

/// What [`BindingServer::handle_receive`] did with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handled {
    /// A success response was queued.
    Answered,
    /// An error response was queued (e.g. 420 or 401).
    Rejected(u16),
    /// Not a Binding request; nothing to answer (indications, responses).
    Ignored,
}

/// Answers STUN Binding requests with XOR-MAPPED-ADDRESS (and MAPPED-ADDRESS for RFC
/// 3489-era clients when asked), SOFTWARE and FINGERPRINT. With a short-term key it
/// requires and checks MESSAGE-INTEGRITY, like an ICE agent answering checks.
///
/// ```
/// use oxrtc_ice::stun::{BindingServer, Class, Integrity, Message, MessageRef, Method, TransactionId};
///
/// let mut server = BindingServer::new();
/// let client = "192.0.2.7:4000".parse().unwrap();
/// let req = Message::new(Class::Request, Method::BINDING, TransactionId([3; 12]))
///     .to_bytes(Integrity::None, true)?;
/// server.handle_receive(client, &req)?;
/// let out = server.poll_transmit().unwrap();
/// assert_eq!(out.destination, client);
/// let resp = MessageRef::decode(&out.contents)?;
/// assert_eq!(resp.mapped_address(), Some(client));
/// # Ok::<(), oxrtc_ice::stun::StunError>(())
/// ```
#[derive(Debug, Default)]
pub struct BindingServer {
    key: Option<Key>,
    software: Option<String>,
    mapped_address_too: bool,
    transmits: VecDeque<Transmit>,
    max_queue: usize,
}

impl BindingServer {
    /// A server answering unauthenticated requests.
    pub fn new() -> Self {
        Self {
            max_queue: 1024,
            ..Self::default()
        }
    }

    /// Requires MESSAGE-INTEGRITY with this short-term key and signs responses with it.
    pub fn with_key(mut self, key: Key) -> Self {
        self.key = Some(key);
        self
    }

    /// Adds SOFTWARE to responses.
    pub fn with_software(mut self, software: impl Into<String>) -> Self {
        self.software = Some(software.into());
        self
    }

    /// Also adds the plain MAPPED-ADDRESS (for RFC 3489-era clients).
    pub fn with_mapped_address(mut self) -> Self {
        self.mapped_address_too = true;
        self
    }

    /// Handles one datagram from `from`. Errors mean the datagram was not valid STUN; a
    /// valid request always gets an answer queued (success or error response).
    pub fn handle_receive(&mut self, from: SocketAddr, data: &[u8]) -> Result<Handled, StunError> {
        let req = MessageRef::decode(data)?;
        if req.class() != Class::Request || req.method() != Method::BINDING {
            return Ok(Handled::Ignored);
        }
        if self.transmits.len() >= self.max_queue {
            // Bounded memory: the caller is not draining; drop the oldest answer.
            self.transmits.pop_front();
        }
        if req.has_unknown_required() {
            let unknown: Vec<AttributeType> = req.unknown_required().collect();
            let list = AttributeTypes::encode(&unknown);
            let mut m = Message::error_to(&req, ErrorCode::UNKNOWN_ATTRIBUTE);
            m.add(Attribute::UnknownAttributes(AttributeTypes::from_wire(
                &list,
            )?));
            self.queue(from, &m, None)?;
            return Ok(Handled::Rejected(420));
        }
        if let Some(key) = &self.key {
            // RFC 8489 §9.1.3: no integrity → 400; wrong integrity → 401.
            let code = match req.check_integrity(key) {
                Ok(()) => None,
                Err(StunError::IntegrityMissing) => Some(ErrorCode::BAD_REQUEST),
                Err(_) => Some(ErrorCode::UNAUTHENTICATED),
            };
            if let Some(code) = code {
                let m = Message::error_to(&req, code);
                self.queue(from, &m, None)?;
                return Ok(Handled::Rejected(code.code));
            }
        }
        let mut m = Message::success_to(&req);
        m.add(Attribute::XorMappedAddress(from));
        if self.mapped_address_too {
            m.add(Attribute::MappedAddress(from));
        }
        if let Some(s) = &self.software {
            m.add(Attribute::Software(s));
        }
        let key = self.key.clone();
        self.queue(from, &m, key.as_ref())?;
        Ok(Handled::Answered)
    }

    fn queue(&mut self, to: SocketAddr, m: &Message, key: Option<&Key>) -> Result<(), StunError> {
        let integrity = key.map_or(Integrity::None, Integrity::Sha1);
        let contents = m.to_bytes(integrity, true)?;
        self.transmits.push_back(Transmit {
            destination: to,
            contents,
        });
        Ok(())
    }

    /// The next response to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stun::TransactionId;

    #[test]
    fn answers_with_integrity_and_rejects_bad() {
        let key = Key::short_term("secret");
        let mut s = BindingServer::new()
            .with_key(key.clone())
            .with_software("oxrtc");
        let from: SocketAddr = "[2001:db8::9]:5000".parse().unwrap();
        let tid = TransactionId([4; 12]);
        let good = Message::new(Class::Request, Method::BINDING, tid)
            .with(Attribute::Username("a:b"))
            .to_bytes(Integrity::Sha1(&key), true)
            .unwrap();
        assert_eq!(s.handle_receive(from, &good), Ok(Handled::Answered));
        let out = s.poll_transmit().unwrap();
        let r = MessageRef::decode(&out.contents).unwrap();
        assert_eq!(r.class(), Class::Success);
        assert_eq!(r.transaction_id(), tid);
        assert_eq!(r.mapped_address(), Some(from));
        assert_eq!(r.software(), Some("oxrtc"));
        r.check_integrity(&key).unwrap();

        let bad = Message::new(Class::Request, Method::BINDING, tid)
            .to_bytes(Integrity::Sha1(&Key::short_term("x")), true)
            .unwrap();
        assert_eq!(s.handle_receive(from, &bad), Ok(Handled::Rejected(401)));
        let r = s.poll_transmit().unwrap();
        let r = MessageRef::decode(&r.contents).unwrap();
        assert_eq!(r.error_code().map(|e| e.code), Some(401));

        let none = Message::new(Class::Request, Method::BINDING, tid)
            .to_bytes(Integrity::None, true)
            .unwrap();
        assert_eq!(s.handle_receive(from, &none), Ok(Handled::Rejected(400)));
    }

    #[test]
    fn unknown_required_gets_420() {
        let mut s = BindingServer::new();
        let from: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let req = Message::new(Class::Request, Method::BINDING, TransactionId([5; 12]))
            .with(Attribute::Other(AttributeType(0x0777), b"x"))
            .to_bytes(Integrity::None, false)
            .unwrap();
        assert_eq!(s.handle_receive(from, &req), Ok(Handled::Rejected(420)));
        let out = s.poll_transmit().unwrap();
        let r = MessageRef::decode(&out.contents).unwrap();
        assert_eq!(r.error_code().map(|e| e.code), Some(420));
        match r.attribute(AttributeType::UNKNOWN_ATTRIBUTES) {
            Some(Ok(Attribute::UnknownAttributes(l))) => {
                assert_eq!(l.iter().collect::<Vec<_>>(), [AttributeType(0x0777)])
            }
            other => panic!("{other:?}"),
        }
        assert!(s.handle_receive(from, b"garbage").is_err());
        let ind = Message::new(Class::Indication, Method::BINDING, TransactionId([5; 12]))
            .to_bytes(Integrity::None, false)
            .unwrap();
        assert_eq!(s.handle_receive(from, &ind), Ok(Handled::Ignored));
    }
}
