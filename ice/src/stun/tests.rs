//! RFC 5769 test vectors and codec tests.

use super::*;

/// RFC 5769 §2.1: sample request (short-term credentials, password below).
const REQUEST: [u8; 108] = [
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
];

/// RFC 5769 §2.2: sample IPv4 response.
const RESPONSE_V4: [u8; 80] = [
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
];

/// RFC 5769 §2.3: sample IPv6 response.
const RESPONSE_V6: [u8; 92] = [
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
];

/// RFC 5769 §2.4: sample request with long-term authentication.
const REQUEST_LONG_TERM: [u8; 116] = [
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0,
    0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83,
    0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00, 0x15, 0x00, 0x1c,
    0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34,
    0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b,
    0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14,
    0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2,
    0x8c, 0xa8, 0x96, 0x66,
];

const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
const TID: TransactionId = TransactionId([
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
]);

#[test]
fn rfc5769_request() {
    let m = MessageRef::decode(&REQUEST).unwrap();
    assert_eq!(m.class(), Class::Request);
    assert_eq!(m.method(), Method::BINDING);
    assert_eq!(m.transaction_id(), TID);
    assert!(m.has_fingerprint());
    assert_eq!(m.software(), Some("STUN test client"));
    assert_eq!(m.priority(), Some(0x6e0001ff));
    assert_eq!(m.ice_controlled(), Some(0x932ff9b151263b36));
    assert_eq!(m.username(), Some("evtj:h6vY"));
    assert!(!m.has_unknown_required());
    m.check_integrity(&Key::short_term(PASSWORD)).unwrap();
    assert_eq!(
        m.check_integrity(&Key::short_term("wrong")),
        Err(StunError::IntegrityMismatch)
    );
    let types: Vec<u16> = m.raw_attributes().map(|a| a.attr_type.0).collect();
    assert_eq!(types, [0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028]);
}

#[test]
fn rfc5769_request_reencoded_verifies() {
    // The vector pads USERNAME with spaces; ours pads with zeros, so re-encoding gives
    // different bytes but must still verify with the same key.
    let key = Key::short_term(PASSWORD);
    let m = MessageRef::decode(&REQUEST).unwrap().to_message();
    let wire = m.to_bytes(Integrity::Sha1(&key), true).unwrap();
    assert_eq!(wire.len(), REQUEST.len());
    assert_eq!(&wire[..60], &REQUEST[..60]);
    let back = MessageRef::decode(&wire).unwrap();
    back.check_integrity(&key).unwrap();
    assert_eq!(back.username(), Some("evtj:h6vY"));
}

#[test]
fn rfc5769_ipv4_response() {
    let m = MessageRef::decode(&RESPONSE_V4).unwrap();
    assert_eq!(m.class(), Class::Success);
    assert_eq!(m.software(), Some("test vector"));
    assert_eq!(m.mapped_address(), Some("192.0.2.1:32853".parse().unwrap()));
    m.check_integrity(&Key::short_term(PASSWORD)).unwrap();
}

#[test]
fn rfc5769_ipv6_response() {
    let m = MessageRef::decode(&RESPONSE_V6).unwrap();
    assert_eq!(
        m.mapped_address(),
        Some(
            "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
                .parse()
                .unwrap()
        )
    );
    m.check_integrity(&Key::short_term(PASSWORD)).unwrap();
}

#[test]
fn rfc5769_long_term_request_decodes_and_reencodes_exactly() {
    // Username "マトリックス", password "The<U+00AD>M<U+00AA>tr<U+2168>" which SASLprep
    // turns into "TheMatrIX" (RFC 5769 §2.4).
    let user = "\u{30de}\u{30c8}\u{30ea}\u{30c3}\u{30af}\u{30b9}";
    let m = MessageRef::decode(&REQUEST_LONG_TERM).unwrap();
    assert_eq!(m.username(), Some(user));
    assert_eq!(m.nonce(), Some("f//499k954d6OL34oL9FSTvy64sA"));
    assert_eq!(m.realm(), Some("example.org"));
    assert!(!m.has_fingerprint());
    let key = Key::long_term(user, "example.org", "TheMatrIX");
    m.check_integrity(&key).unwrap();
    assert!(m
        .check_integrity(&Key::long_term(user, "example.org", "TheMatrix"))
        .is_err());

    // This vector is zero-padded, so our encoder reproduces it byte for byte.
    let mut built = Message::new(Class::Request, Method::BINDING, m.transaction_id());
    built
        .add(Attribute::Username(user))
        .add(Attribute::Nonce("f//499k954d6OL34oL9FSTvy64sA"))
        .add(Attribute::Realm("example.org"));
    let wire = built.to_bytes(Integrity::Sha1(&key), false).unwrap();
    assert_eq!(wire, REQUEST_LONG_TERM);
}

#[test]
fn tampering_is_detected() {
    let key = Key::short_term(PASSWORD);
    // A flipped byte under the FINGERPRINT fails decoding.
    for i in 20..REQUEST.len() - 8 {
        let mut b = REQUEST;
        b[i] ^= 0x40;
        assert!(MessageRef::decode(&b).is_err(), "byte {i}");
    }
    // Without FINGERPRINT (long-term vector), a flipped covered byte fails integrity.
    for i in 20..REQUEST_LONG_TERM.len() {
        let mut b = REQUEST_LONG_TERM;
        b[i] ^= 0x01;
        if let Ok(m) = MessageRef::decode(&b) {
            let user = "\u{30de}\u{30c8}\u{30ea}\u{30c3}\u{30af}\u{30b9}";
            let k = Key::long_term(user, "example.org", "TheMatrIX");
            // Padding bytes too: the HMAC covers the raw bytes.
            assert!(m.check_integrity(&k).is_err(), "byte {i}");
        }
    }
    let m = MessageRef::decode(&RESPONSE_V4).unwrap();
    assert!(m.check_integrity(&key).is_ok());
}

#[test]
fn framing_errors() {
    assert!(matches!(
        MessageRef::decode(&REQUEST[..19]),
        Err(StunError::Truncated { .. })
    ));
    let mut b = REQUEST;
    b[0] = 0x40;
    assert_eq!(
        MessageRef::decode(&b).unwrap_err(),
        StunError::NotStun(0x40)
    );
    let mut b = REQUEST;
    b[5] = 0;
    assert!(matches!(
        MessageRef::decode(&b),
        Err(StunError::BadMagicCookie(_))
    ));
    let mut b = REQUEST;
    b[3] = 0x5c;
    assert!(matches!(
        MessageRef::decode(&b),
        Err(StunError::BadLength { .. })
    ));
    // An attribute length running past the end.
    let mut b = REQUEST;
    b[22] = 0x01;
    assert!(matches!(
        MessageRef::decode(&b),
        Err(StunError::AttributeOverrun { .. })
    ));
    let mut b = REQUEST;
    b[106] ^= 1;
    assert_eq!(
        MessageRef::decode(&b).unwrap_err(),
        StunError::FingerprintMismatch
    );
}

#[test]
fn message_type_packing() {
    for class in [
        Class::Request,
        Class::Indication,
        Class::Success,
        Class::Error,
    ] {
        for m in [0u16, 1, 0x3, 0x9, 0x7f, 0x80, 0xfff] {
            let t = join_type(class, Method(m));
            assert_eq!(t & 0xC000, 0);
            assert_eq!(split_type(t), (class, Method(m)));
        }
    }
    assert_eq!(join_type(Class::Success, Method::BINDING), 0x0101);
    assert_eq!(join_type(Class::Error, Method::BINDING), 0x0111);
    assert_eq!(join_type(Class::Indication, Method::SEND), 0x0016);
    assert_eq!(join_type(Class::Indication, Method::DATA), 0x0017);
}

#[test]
fn is_stun_and_message_len() {
    assert!(is_stun(&REQUEST));
    assert!(is_stun(&RESPONSE_V6));
    assert!(!is_stun(&REQUEST[..10]));
    let mut b = REQUEST;
    b[0] = 0x80; // RTP
    assert!(!is_stun(&b));
    let mut b = REQUEST;
    b[4] = 0;
    assert!(!is_stun(&b));
    assert_eq!(message_len(&REQUEST[..4]), Some(108));
    assert_eq!(message_len(&REQUEST[..3]), None);
}

#[test]
fn unknown_attributes_kept_and_required_reported() {
    let mut m = Message::new(Class::Request, Method::BINDING, TID);
    m.add_raw(AttributeType(0x7777), b"abc")
        .add_raw(AttributeType(0xC123), b"xyzw")
        .add(Attribute::Priority(5));
    let wire = m.to_bytes(Integrity::None, true).unwrap();
    let r = MessageRef::decode(&wire).unwrap();
    assert!(r.has_unknown_required());
    assert_eq!(
        r.unknown_required().collect::<Vec<_>>(),
        [AttributeType(0x7777)]
    );
    assert_eq!(r.get(AttributeType(0xC123)), Some(&b"xyzw"[..]));
    assert_eq!(r.get(AttributeType(0x7777)), Some(&b"abc"[..]));
    assert_eq!(r.priority(), Some(5));
    let all: Vec<_> = r.attributes().collect::<Result<_, _>>().unwrap();
    assert_eq!(all[1], Attribute::Other(AttributeType(0xC123), b"xyzw"));
}

#[test]
fn attributes_after_integrity_are_ignored() {
    let key = Key::short_term("k");
    let mut m = Message::new(Class::Request, Method::BINDING, TID);
    m.add(Attribute::Priority(1));
    let mut wire = m.to_bytes(Integrity::Sha1(&key), false).unwrap();
    // Append an attribute after MESSAGE-INTEGRITY and fix the length.
    wire.extend_from_slice(&[0x00, 0x06, 0x00, 0x04, b'e', b'v', b'i', b'l']);
    let len = (wire.len() - HEADER_LEN) as u16;
    wire[2..4].copy_from_slice(&len.to_be_bytes());
    let r = MessageRef::decode(&wire).unwrap();
    assert_eq!(r.username(), None);
    r.check_integrity(&key).unwrap();
}

#[test]
fn sha256_integrity_round_trip_and_both() {
    let key = Key::long_term_sha256("u", "r", "p");
    let m = Message::new(Class::Request, Method::ALLOCATE, TID)
        .with(Attribute::Username("u"))
        .with(Attribute::RequestedTransport(17));
    let wire = m.to_bytes(Integrity::Sha256(&key), true).unwrap();
    let r = MessageRef::decode(&wire).unwrap();
    r.check_integrity(&key).unwrap();
    assert!(r
        .check_integrity(&Key::long_term_sha256("u", "r", "x"))
        .is_err());
    assert_eq!(
        r.check_integrity_sha1(&key),
        Err(StunError::IntegrityMissing)
    );
    let empty = Message::new(Class::Request, Method::BINDING, TID)
        .to_bytes(Integrity::None, false)
        .unwrap();
    assert_eq!(empty.len(), 20);
    assert_eq!(
        MessageRef::decode(&empty).unwrap().check_integrity(&key),
        Err(StunError::IntegrityMissing)
    );
}

#[test]
fn too_long_is_an_error() {
    let big = vec![0u8; 70_000];
    let mut m = Message::new(Class::Indication, Method::SEND, TID);
    m.add(Attribute::Data(&big));
    assert_eq!(m.to_bytes(Integrity::None, false), Err(StunError::TooLong));
    let mut m = Message::new(Class::Indication, Method::SEND, TID);
    m.add(Attribute::Data(&big[..65_530]));
    assert_eq!(m.to_bytes(Integrity::None, true), Err(StunError::TooLong));
}

#[test]
fn builder_attributes_iterate() {
    let m = Message::new(Class::Success, Method::BINDING, TID)
        .with(Attribute::XorMappedAddress("1.2.3.4:5".parse().unwrap()))
        .with(Attribute::Software("x"));
    let v: Vec<_> = m.attributes().collect();
    assert_eq!(
        v,
        [
            Attribute::XorMappedAddress("1.2.3.4:5".parse().unwrap()),
            Attribute::Software("x")
        ]
    );
}

#[test]
fn fingerprint_checked_with_adjusted_length_when_not_last() {
    // Something after FINGERPRINT is ignored, and the CRC is checked against the length
    // the message had when FINGERPRINT was appended.
    let mut wire = REQUEST.to_vec();
    wire.extend_from_slice(&[0x80, 0x22, 0x00, 0x04, b'j', b'u', b'n', b'k']);
    let len = (wire.len() - HEADER_LEN) as u16;
    wire[2..4].copy_from_slice(&len.to_be_bytes());
    let m = MessageRef::decode(&wire).unwrap();
    assert!(m.has_fingerprint());
    assert_eq!(m.software(), Some("STUN test client"));
    m.check_integrity(&Key::short_term(PASSWORD)).unwrap();
    wire[30] ^= 1;
    assert_eq!(
        MessageRef::decode(&wire).unwrap_err(),
        StunError::FingerprintMismatch
    );
}
