//! Bad input gets a typed error naming the line and the field; nothing panics.

use oxrtc_sdp::{ParseLimits, Problem, SdpError, SessionDescription};

const HEAD: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
const CHROMIUM_OFFER: &str = include_str!("data/chromium-offer-av-dc.sdp");

fn parse(s: &str) -> Result<SessionDescription, SdpError> {
    s.parse()
}

/// HEAD + an audio section + `extra` (so `extra` is on line 7).
fn with_media_line(extra: &str) -> Result<SessionDescription, SdpError> {
    parse(&format!(
        "{HEAD}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n{extra}\r\n"
    ))
}

fn attr_err(
    line: usize,
    attribute: &'static str,
    field: &'static str,
    problem: Problem,
) -> SdpError {
    SdpError::Attribute {
        line,
        attribute,
        field,
        problem,
    }
}

#[test]
fn truncated_attribute_lines() {
    let cases = [
        ("a=rtpmap:111", "rtpmap", "encoding-name", Problem::Missing),
        (
            "a=rtpmap:111 opus",
            "rtpmap",
            "clock-rate",
            Problem::Missing,
        ),
        ("a=rtcp-fb:111", "rtcp-fb", "rtcp-fb-val", Problem::Missing),
        ("a=extmap:1", "extmap", "uri", Problem::Missing),
        (
            "a=candidate:1 1 udp",
            "candidate",
            "priority",
            Problem::Missing,
        ),
        (
            "a=candidate:1 1 udp 2122260223 127.0.0.1 5000 typ",
            "candidate",
            "candidate-types",
            Problem::Missing,
        ),
        (
            "a=candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host raddr",
            "candidate",
            "extension-att-value",
            Problem::Missing,
        ),
        (
            "a=fingerprint:sha-256",
            "fingerprint",
            "fingerprint",
            Problem::Missing,
        ),
        ("a=ssrc:1234", "ssrc", "attribute", Problem::Missing),
        ("a=rid:q", "rid", "rid-dir", Problem::Missing),
        (
            "a=simulcast:send",
            "simulcast",
            "sc-alt-list",
            Problem::Missing,
        ),
        ("a=mid", "mid", "value", Problem::Missing),
        ("a=mid:", "mid", "identification-tag", Problem::Missing),
        ("a=setup", "setup", "value", Problem::Missing),
        ("a=group:", "group", "semantics", Problem::Missing),
    ];
    for (line, attribute, field, problem) in cases {
        assert_eq!(
            with_media_line(line),
            Err(attr_err(7, attribute, field, problem)),
            "{line}"
        );
    }
}

#[test]
fn truncated_session_lines() {
    assert_eq!(
        parse("v=0\r\no=- 1 2 IN IP4\r\ns=-\r\n"),
        Err(SdpError::Field {
            line: 2,
            kind: 'o',
            field: "unicast-address",
            problem: Problem::Missing
        })
    );
    assert_eq!(
        parse(&format!("{HEAD}m=audio\r\n")),
        Err(SdpError::Field {
            line: 5,
            kind: 'm',
            field: "port",
            problem: Problem::Missing
        })
    );
    assert_eq!(
        parse(&format!("{HEAD}m=audio 9 RTP/AVP\r\n")),
        Err(SdpError::Field {
            line: 5,
            kind: 'm',
            field: "fmt",
            problem: Problem::Missing
        })
    );
    assert_eq!(
        parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0\r\n"),
        Err(SdpError::Field {
            line: 4,
            kind: 't',
            field: "stop-time",
            problem: Problem::Missing
        })
    );
    assert_eq!(
        parse("v=0\r\ns=-\r\n"),
        Err(SdpError::MissingLine { kind: 'o' })
    );
    assert_eq!(
        parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"),
        Err(SdpError::MissingLine { kind: 's' })
    );
    assert_eq!(parse(""), Err(SdpError::MissingLine { kind: 'v' }));
    assert_eq!(parse("v"), Err(SdpError::Malformed { line: 1 }));
    assert_eq!(parse("v=0\r\no"), Err(SdpError::Malformed { line: 2 }));
}

#[test]
fn every_prefix_of_a_real_offer_parses_or_fails_cleanly() {
    let lines = CHROMIUM_OFFER.lines().count();
    // Every cut in the session part, then every 7th byte (each cut parses the prefix).
    let cuts = (0..400).chain((400..=CHROMIUM_OFFER.len()).step_by(7));
    for cut in cuts {
        let Some(prefix) = CHROMIUM_OFFER.get(..cut) else {
            continue;
        };
        match parse(prefix) {
            Ok(desc) => assert_eq!(parse(&desc.to_string()), Ok(desc), "cut {cut}"),
            Err(e) => {
                if let Some(line) = e.line() {
                    assert!(line >= 1 && line <= lines, "cut {cut}: {e}");
                }
            }
        }
    }
}

#[test]
fn bad_numbers() {
    assert_eq!(
        with_media_line("a=rtpmap:abc opus/48000"),
        Err(attr_err(7, "rtpmap", "payload-type", Problem::NotANumber))
    );
    assert_eq!(
        with_media_line("a=rtpmap:300 opus/48000"),
        Err(attr_err(7, "rtpmap", "payload-type", Problem::OutOfRange))
    );
    assert_eq!(
        with_media_line("a=rtpmap:111 opus/4800x"),
        Err(attr_err(7, "rtpmap", "clock-rate", Problem::NotANumber))
    );
    assert_eq!(
        with_media_line("a=sctp-port:-1"),
        Err(attr_err(7, "sctp-port", "port", Problem::NotANumber))
    );
    assert_eq!(
        with_media_line("a=sctp-port:65536"),
        Err(attr_err(7, "sctp-port", "port", Problem::OutOfRange))
    );
    assert_eq!(
        with_media_line("a=max-message-size:99999999999999999999999"),
        Err(attr_err(7, "max-message-size", "size", Problem::OutOfRange))
    );
    assert_eq!(
        with_media_line("a=candidate:1 1 udp 4294967296 127.0.0.1 5000 typ host"),
        Err(attr_err(7, "candidate", "priority", Problem::OutOfRange))
    );
    assert_eq!(
        with_media_line("a=candidate:1 1 udp 1 127.0.0.1 5000 typ host rport x"),
        Err(attr_err(7, "candidate", "rel-port", Problem::NotANumber))
    );
    assert_eq!(
        with_media_line("a=ssrc-group:FID 1 two"),
        Err(attr_err(7, "ssrc-group", "ssrc-id", Problem::NotANumber))
    );
    assert_eq!(
        parse(&format!("{HEAD}m=audio 70000 RTP/AVP 0\r\n")),
        Err(SdpError::Field {
            line: 5,
            kind: 'm',
            field: "port",
            problem: Problem::OutOfRange
        })
    );
    assert_eq!(
        parse("v=0\r\no=- 99999999999999999999 1 IN IP4 127.0.0.1\r\ns=-\r\n"),
        Err(SdpError::Field {
            line: 2,
            kind: 'o',
            field: "sess-id",
            problem: Problem::OutOfRange
        })
    );
    assert_eq!(
        parse("v=1\r\n"),
        Err(SdpError::Field {
            line: 1,
            kind: 'v',
            field: "proto-version",
            problem: Problem::Invalid
        })
    );
}

#[test]
fn bad_values() {
    assert_eq!(
        with_media_line("a=fingerprint:sha-256 AB:CD:E"),
        Err(attr_err(7, "fingerprint", "fingerprint", Problem::Invalid))
    );
    assert_eq!(
        with_media_line("a=fingerprint:sha-256 AB:CG"),
        Err(attr_err(7, "fingerprint", "fingerprint", Problem::Invalid))
    );
    assert_eq!(
        with_media_line("a=setup:sideways"),
        Err(attr_err(7, "setup", "role", Problem::Invalid))
    );
    assert_eq!(
        with_media_line("a=rtcp-mux:yes"),
        Err(attr_err(7, "rtcp-mux", "value", Problem::UnexpectedValue))
    );
    assert_eq!(
        with_media_line("a=extmap:1/upward urn:x"),
        Err(attr_err(7, "extmap", "direction", Problem::Invalid))
    );
    assert_eq!(
        with_media_line("a=candidate:1 1 udp 1 127.0.0.1 5000 host"),
        Err(attr_err(7, "candidate", "cand-type", Problem::Invalid))
    );
    assert_eq!(
        with_media_line("a=candidate:1 1 tcp 1 127.0.0.1 9 typ host tcptype sideways"),
        Err(attr_err(7, "candidate", "tcp-type", Problem::Invalid))
    );
    assert_eq!(
        with_media_line("a=simulcast:send q recv"),
        Err(attr_err(7, "simulcast", "sc-alt-list", Problem::Missing))
    );
    assert_eq!(
        with_media_line("a=simulcast:send q send h"),
        Err(attr_err(7, "simulcast", "sc-dir", Problem::Invalid))
    );
    assert_eq!(
        with_media_line("a=rid:q sideways"),
        Err(attr_err(7, "rid", "rid-dir", Problem::Invalid))
    );
}

#[test]
fn structure_errors() {
    assert_eq!(
        parse("o=- 1 2 IN IP4 127.0.0.1\r\nv=0\r\n"),
        Err(SdpError::Misplaced { line: 1, kind: 'o' })
    );
    assert_eq!(
        parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nr=7d 1h 0\r\n"),
        Err(SdpError::Misplaced { line: 4, kind: 'r' })
    );
    assert_eq!(
        parse(&format!("{HEAD}m=audio 9 RTP/AVP 0\r\nt=0 0\r\n")),
        Err(SdpError::Misplaced { line: 6, kind: 't' })
    );
    assert_eq!(
        parse(&format!("{HEAD}o=- 1 2 IN IP4 127.0.0.1\r\n")),
        Err(SdpError::Duplicate { line: 5, kind: 'o' })
    );
    assert_eq!(
        parse(&format!("{HEAD}v=0\r\n")),
        Err(SdpError::Duplicate { line: 5, kind: 'v' })
    );
    assert_eq!(
        parse(&format!("{HEAD}x=1\r\n")),
        Err(SdpError::UnknownLineType { line: 5, kind: 'x' })
    );
    assert_eq!(
        parse(&format!("{HEAD}hello\r\n")),
        Err(SdpError::Malformed { line: 5 })
    );
    assert_eq!(
        parse(&format!("{HEAD}a=x\0y\r\n")),
        Err(SdpError::InvalidCharacter { line: 5 })
    );
    assert_eq!(
        parse(&format!("{HEAD}a=x\ry\r\n")),
        Err(SdpError::InvalidCharacter { line: 5 })
    );
    // Empty lines count for the line number but are otherwise skipped.
    assert_eq!(
        parse("v=0\n\n\no=- 1 2 IN IP4 127.0.0.1\ns=-\n\nq=1\n"),
        Err(SdpError::UnknownLineType { line: 7, kind: 'q' })
    );
    assert_eq!(
        SessionDescription::from_bytes(b"v=0\r\ns=\xff\r\n"),
        Err(SdpError::NotUtf8 { offset: 7 })
    );
}

#[test]
fn limits_against_hostile_input() {
    let huge_value = format!("{HEAD}a=x-huge:{}\r\n", "A".repeat(100_000));
    assert_eq!(
        parse(&huge_value),
        Err(SdpError::LineTooLong {
            line: 5,
            len: 100_009,
            limit: 65_536
        })
    );

    let too_large = format!("{HEAD}{}", "a=x\r\n".repeat(300_000));
    assert!(matches!(
        parse(&too_large),
        Err(SdpError::TooLarge {
            limit: 1_048_576,
            ..
        })
    ));

    let many_lines = format!("{HEAD}{}", "a=x\r\n".repeat(30_000));
    assert_eq!(
        parse(&many_lines),
        Err(SdpError::TooManyAttributes {
            line: 5_005,
            limit: 5_000
        })
    );
    let mut limits = ParseLimits::default();
    limits.max_lines = 100;
    assert_eq!(
        SessionDescription::parse_with(&many_lines, &limits),
        Err(SdpError::TooManyLines {
            line: 101,
            limit: 100
        })
    );

    let many_media = format!("{HEAD}{}", "m=audio 9 RTP/AVP 0\r\n".repeat(1_001));
    assert_eq!(
        parse(&many_media),
        Err(SdpError::TooManyMediaSections {
            line: 1_005,
            limit: 1_000
        })
    );
    limits = ParseLimits::default();
    limits.max_media = 2;
    assert_eq!(
        SessionDescription::parse_with(&many_media, &limits),
        Err(SdpError::TooManyMediaSections { line: 7, limit: 2 })
    );
    limits.max_size = 10;
    assert_eq!(
        SessionDescription::parse_with(HEAD, &limits),
        Err(SdpError::TooLarge {
            len: HEAD.len(),
            limit: 10
        })
    );
    // The defaults accept every real description.
    assert!(parse(CHROMIUM_OFFER).is_ok());
}

/// Seeded mutations of real SDPs: parse never panics, and whatever parses round-trips.
#[test]
fn mutated_corpus_never_panics_and_round_trips() {
    let seeds = [
        CHROMIUM_OFFER,
        include_str!("data/firefox-offer-simulcast.sdp"),
        include_str!("data/rfc8866-fields.sdp"),
        include_str!("data/rfc8829-offer-B2.sdp"),
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    const ALPHABET: &[u8] = b" :;/=,~*-0123456789\r\nabcdefmnopqrstvxyzAUDPI.";
    let mut parsed = 0;
    for round in 0..3_000 {
        let seed = seeds[round % seeds.len()];
        let mut bytes = seed.as_bytes().to_vec();
        for _ in 0..1 + next() % 4 {
            let at = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[at] = ALPHABET[(next() as usize) % ALPHABET.len()],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, ALPHABET[(next() as usize) % ALPHABET.len()]),
            }
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if let Ok(desc) = parse(&text) {
            parsed += 1;
            let written = desc.to_string();
            assert_eq!(
                parse(&written).as_ref(),
                Ok(&desc),
                "round {round}:\n{text}"
            );
        }
    }
    assert!(
        parsed > 100,
        "the mutations should not all be fatal ({parsed})"
    );
}
