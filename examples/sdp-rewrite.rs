//! Parse a real browser offer, summarize it, rewrite it the way a signaling server or an
//! SFU does, and print the result.
//!
//! ```text
//! cargo run --release --example sdp-rewrite -- [FILE]
//! ```
//!
//! Without FILE it uses the Chromium offer captured in `sdp/tests/data/`. The rewrite
//! keeps only the first video codec (plus its RTX repair format) in every video section
//! and drops every candidate that is not on loopback, then proves the written text parses
//! back to the same value.

use std::process::ExitCode;

use oxrtc_sdp::{Address, Attribute, MediaDescription, MediaKind, SessionDescription};

/// The default input: a real Chromium 156 offer (audio + video + data channel).
const CHROMIUM_OFFER: &str = include_str!("../sdp/tests/data/chromium-offer-av-dc.sdp");

fn main() -> ExitCode {
    let (name, text) = match std::env::args().nth(1) {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => (path, text),
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => (
            "sdp/tests/data/chromium-offer-av-dc.sdp (built in)".to_owned(),
            CHROMIUM_OFFER.to_owned(),
        ),
    };
    let mut desc: SessionDescription = match text.parse() {
        Ok(desc) => desc,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::FAILURE;
        }
    };

    println!(
        "== {name}: {} bytes, {} lines",
        text.len(),
        text.lines().count()
    );
    summarize(&desc);

    println!("\n== rewrite: first video codec + its RTX only, loopback candidates only");
    for media in &mut desc.media {
        let label = media.mid().unwrap_or("?").to_owned();
        if media.kind == MediaKind::Video {
            let before = media.formats.len();
            keep_first_video_codec(media);
            println!(
                "  mid {label}: payload types {before} -> {} ({})",
                media.formats.len(),
                join(media.payload_types().map(|pt| pt.to_string()))
            );
        }
        let before = media.candidates().count();
        media.attributes.retain(|a| match a {
            Attribute::Candidate(c) => is_loopback(&c.address),
            _ => true,
        });
        println!(
            "  mid {label}: candidates {before} -> {}",
            media.candidates().count()
        );
    }
    // The description changed: RFC 8829 §5.2.2 asks for a higher session version.
    desc.origin.session_version += 1;

    let written = desc.to_string();
    match written.parse::<SessionDescription>() {
        Ok(again) if again == desc => {}
        Ok(_) => {
            eprintln!("the rewritten SDP does not parse back to the same value");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("the rewritten SDP does not parse: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!(
        "  {} bytes, {} lines; parses back to the same description",
        written.len(),
        written.lines().count()
    );
    println!("\n== rewritten SDP\n{}", written.replace("\r\n", "\n"));
    ExitCode::SUCCESS
}

fn summarize(desc: &SessionDescription) {
    println!(
        "origin: {} session {} version {}",
        desc.origin.address, desc.origin.session_id, desc.origin.session_version
    );
    for group in desc.groups() {
        println!("group {}: {}", group.semantics, group.mids.join(" "));
    }
    if desc.ice_lite() {
        println!("ice-lite");
    }
    for (i, m) in desc.media.iter().enumerate() {
        println!(
            "\nm[{i}] mid {} {} port {} {} direction {}",
            m.mid().unwrap_or("-"),
            m.kind,
            m.port,
            m.protocol,
            m.direction().map_or("(sendrecv)", |d| d.as_str())
        );
        println!(
            "  ice ufrag {} pwd {} chars, setup {}",
            desc.ice_ufrag_of(m).unwrap_or("-"),
            desc.ice_pwd_of(m).map_or(0, str::len),
            desc.setup_of(m).map_or("-", |s| s.as_str())
        );
        for fp in desc.fingerprints_of(m) {
            let hex: Vec<String> = fp.bytes.iter().map(|b| format!("{b:02X}")).collect();
            println!("  fingerprint {} {}", fp.algorithm.as_str(), hex.join(":"));
        }
        for codec in m.codecs() {
            let Some(rtpmap) = codec.rtpmap else {
                println!("  codec {} (static, no rtpmap)", codec.payload_type);
                continue;
            };
            let fmtp = codec.fmtp.map(|f| f.to_string()).unwrap_or_default();
            let fmtp = fmtp.split_once(' ').map_or("", |(_, params)| params);
            let feedback = join(codec.rtcp_fb.iter().map(|fb| match &fb.param {
                Some(p) => format!("{} {p}", fb.feedback),
                None => fb.feedback.to_string(),
            }));
            if feedback.is_empty() {
                println!("  codec {rtpmap} [{fmtp}]");
            } else {
                println!("  codec {rtpmap} [{fmtp}] feedback: {feedback}");
            }
        }
        for a in &m.attributes {
            match a {
                Attribute::Rid(rid) => println!("  rid {} {}", rid.id, rid.direction.as_str()),
                Attribute::Simulcast(s) => println!("  simulcast {s}"),
                Attribute::SsrcGroup(g) => println!("  ssrc-group {g}"),
                Attribute::SctpPort(p) => println!("  sctp-port {p}"),
                Attribute::MaxMessageSize(n) => println!("  max-message-size {n}"),
                _ => {}
            }
        }
        for c in m.candidates() {
            println!(
                "  candidate {} comp {} {} {} {} typ {}{}",
                c.foundation,
                c.component,
                c.transport.as_str(),
                c.address,
                c.port,
                c.typ.as_str(),
                c.tcp_type
                    .map_or(String::new(), |t| format!(" tcptype {}", t.as_str()))
            );
        }
        if m.end_of_candidates() {
            println!("  end-of-candidates");
        }
    }
}

/// Keeps the first real video codec (not a repair or redundancy format) and the RTX
/// format that repairs it.
fn keep_first_video_codec(media: &mut MediaDescription) {
    const NOT_PRIMARY: [&str; 4] = ["rtx", "red", "ulpfec", "flexfec-03"];
    let codecs = media.codecs();
    let Some(primary) = codecs.iter().find(|c| {
        c.name()
            .is_some_and(|n| !NOT_PRIMARY.iter().any(|x| n.eq_ignore_ascii_case(x)))
    }) else {
        return;
    };
    let primary = primary.payload_type;
    let keep: Vec<u8> = codecs
        .iter()
        .filter(|c| c.payload_type == primary || c.apt() == Some(primary))
        .map(|c| c.payload_type)
        .collect();
    media.retain_payload_types(|pt| keep.contains(&pt));
}

fn is_loopback(address: &Address) -> bool {
    address.ip().is_some_and(|ip| ip.is_loopback())
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}
