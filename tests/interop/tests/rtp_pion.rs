//! oxrtc-rtp against Pion's rtp, rtcp and codecs packages (pion/rtp 1.7, pion/rtcp 1.2
//! from Debian, driven by `tests/interop/pion/rtp`).
//!
//! - Packets Pion marshals (RTP with one-byte and two-byte header extensions, CSRCs,
//!   padding; RTCP compounds SR+SDES, RR+SDES, NACK, PLI, FIR, REMB, transport-wide
//!   feedback with run-length, 1-bit and 2-bit status-vector chunks) parse in oxrtc to the
//!   fields Pion built them from.
//! - oxrtc writes the same packets; Pion unmarshals them to the same fields, and for the
//!   encodings with only one correct form the bytes are Pion's bytes.
//! - Frames Pion's VP8/VP9/H.264/Opus payloaders cut up come back byte-identical from oxrtc's
//!   depayloaders, and frames oxrtc's payloaders cut up come back byte-identical from
//!   Pion's depacketizers.
//!
//! Fields are compared as one-line descriptions (`key=value ...`) that the Go program and
//! this file print in the same format.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use oxrtc_rtp::codecs::{
    Depayloader, H264Depayloader, H264Payloader, OpusDepayloader, OpusPayloader, PacketizationMode,
    Payloader, Vp8Depayloader, Vp8Payloader, Vp9Depayloader, Vp9Payloader,
};
use oxrtc_rtp::rtcp::{ReportBlock, RtcpPacket, SdesType, TwccStatus};
use oxrtc_rtp::{Extension, ExtensionForm, ExtensionFormChoice, RtpHeader, RtpPacket};

/// The payload MTU both sides' payloaders use (`mtu` in the Go program).
const MTU: usize = 1000;

fn pion_rtp() -> Option<PathBuf> {
    oxrtc_interop::require_pion_program(
        "rtp",
        &[
            ("github.com/pion/rtp", "golang-github-pion-rtp-dev"),
            ("github.com/pion/rtcp", "golang-github-pion-rtcp-dev"),
        ],
    )
}

/// What `pion-rtp marshal` printed.
#[derive(Debug, Default)]
struct Marshalled {
    /// Label → bytes, in print order.
    packets: Vec<(String, Vec<u8>)>,
    /// Label → Pion's description of the packet it marshalled.
    descriptions: BTreeMap<String, String>,
    /// Label → frame, in print order.
    frames: Vec<(String, Vec<u8>)>,
    /// Label → the payloads Pion's payloader made of the frame.
    payloads: BTreeMap<String, Vec<Vec<u8>>>,
}

/// Runs `pion-rtp marshal` once per test process.
fn marshalled() -> Option<&'static Marshalled> {
    static CELL: OnceLock<Option<Marshalled>> = OnceLock::new();
    CELL.get_or_init(|| {
        let binary = pion_rtp()?;
        let out = Command::new(binary)
            .arg("marshal")
            .output()
            .expect("run pion rtp");
        assert!(
            out.status.success(),
            "pion rtp marshal failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut m = Marshalled::default();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let (kind, rest) = line.split_once(' ').unwrap();
            let (label, value) = rest.split_once(' ').unwrap_or((rest, ""));
            let label = label.to_string();
            match kind {
                "packet" => m.packets.push((label, hex::decode(value).unwrap())),
                "describe" => {
                    m.descriptions.insert(label, value.to_string());
                }
                "frame" => m.frames.push((label, hex::decode(value).unwrap())),
                "payload" => m
                    .payloads
                    .entry(label)
                    .or_default()
                    .push(hex::decode(value).unwrap()),
                other => panic!("unexpected line kind {other:?}"),
            }
        }
        assert!(m.packets.len() >= 10 && m.frames.len() >= 5, "{m:?}");
        Some(m)
    })
    .as_ref()
}

/// Feeds `name: hex` lines to `pion-rtp decode`; returns its `describe`/`error`/`frame`
/// lines as label → (kind, value).
fn pion_decode(lines: &[(String, Vec<u8>)]) -> BTreeMap<String, (String, String)> {
    let binary = pion_rtp().expect("built when marshalled() was");
    let mut child = Command::new(binary)
        .arg("decode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pion rtp decode");
    let mut input = String::new();
    for (label, bytes) in lines {
        input.push_str(&format!("{label} {}\n", hex::encode(bytes)));
    }
    let mut stdin = child.stdin.take().unwrap();
    // The input is a few tens of kilobytes; Go reads it all before printing frames, and
    // prints descriptions as it goes, so write from a thread to avoid a pipe deadlock.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "pion rtp decode failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut answers = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let (kind, rest) = line.split_once(' ').unwrap();
        let (label, value) = rest.split_once(' ').unwrap_or((rest, ""));
        answers.insert(label.to_string(), (kind.to_string(), value.to_string()));
    }
    answers
}

fn join<T: std::fmt::Display>(items: impl IntoIterator<Item = T>, sep: &str) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(sep)
}

/// oxrtc's view of an RTP packet, in the Go program's `describeRTP` format.
fn describe_rtp(p: &RtpPacket<'_>) -> String {
    let mut s = format!(
        "rtp v={} m={} pt={} seq={} ts={} ssrc={} csrc=[{}]",
        p.version(),
        p.marker(),
        p.payload_type(),
        p.sequence_number(),
        p.timestamp(),
        p.ssrc(),
        join(p.csrcs(), ",")
    );
    if let Some(profile) = p.extension_profile() {
        let elements = p
            .extensions()
            .map(|e| format!("{}:{}", e.id, hex::encode(e.data)));
        s.push_str(&format!(" ext={profile:04x}[{}]", join(elements, ",")));
    }
    s.push_str(&format!(
        " pad={} payload={}",
        p.padding_len(),
        hex::encode(p.payload())
    ));
    s
}

fn describe_reports(reports: &[ReportBlock]) -> String {
    let blocks = reports.iter().map(|r| {
        format!(
            "{}/{}/{}/{}/{}/{}/{}",
            r.ssrc,
            r.fraction_lost,
            r.total_lost,
            r.extended_highest_seq,
            r.jitter,
            r.last_sr,
            r.delay_since_last_sr
        )
    });
    format!("[{}]", join(blocks, ";"))
}

fn sdes_type(t: SdesType) -> u8 {
    match t {
        SdesType::Cname => 1,
        SdesType::Name => 2,
        SdesType::Email => 3,
        SdesType::Phone => 4,
        SdesType::Loc => 5,
        SdesType::Tool => 6,
        SdesType::Note => 7,
        SdesType::Priv => 8,
        SdesType::Other(o) => o,
    }
}

/// oxrtc's view of an RTCP compound, in the Go program's `describeRTCP` format.
fn describe_rtcp(packets: &[RtcpPacket]) -> String {
    let parts = packets.iter().map(|p| match p {
        RtcpPacket::SenderReport(sr) => format!(
            "sr ssrc={} ntp={} rtp={} packets={} octets={} reports={}",
            sr.ssrc,
            sr.ntp_time,
            sr.rtp_time,
            sr.packet_count,
            sr.octet_count,
            describe_reports(&sr.reports)
        ),
        RtcpPacket::ReceiverReport(rr) => {
            format!(
                "rr ssrc={} reports={}",
                rr.ssrc,
                describe_reports(&rr.reports)
            )
        }
        RtcpPacket::Sdes(sdes) => {
            let chunks = sdes.chunks.iter().map(|c| {
                let items = c
                    .items
                    .iter()
                    .map(|i| format!("{}={}", sdes_type(i.kind), String::from_utf8_lossy(&i.text)));
                format!("{}:{}", c.source, join(items, ","))
            });
            format!("sdes [{}]", join(chunks, ";"))
        }
        RtcpPacket::Nack(n) => format!(
            "nack sender={} media={} pairs=[{}]",
            n.sender_ssrc,
            n.media_ssrc,
            join(
                n.pairs
                    .iter()
                    .map(|p| format!("{}/{}", p.packet_id, p.lost_bitmask)),
                ","
            )
        ),
        RtcpPacket::Pli(p) => format!("pli sender={} media={}", p.sender_ssrc, p.media_ssrc),
        RtcpPacket::Fir(f) => format!(
            "fir sender={} media={} entries=[{}]",
            f.sender_ssrc,
            f.media_ssrc,
            join(
                f.entries.iter().map(|e| format!("{}/{}", e.ssrc, e.seq_nr)),
                ","
            )
        ),
        RtcpPacket::Remb(r) => format!(
            "remb sender={} bitrate={} ssrcs=[{}]",
            r.sender_ssrc,
            r.bitrate,
            join(&r.ssrcs, ",")
        ),
        RtcpPacket::TransportFeedback(t) => {
            let statuses = t.statuses.iter().map(|s| match s {
                TwccStatus::NotReceived => "n".to_string(),
                TwccStatus::SmallDelta(d) => format!("s{d}"),
                TwccStatus::LargeDelta(d) => format!("l{d}"),
            });
            format!(
                "twcc sender={} media={} base={} ref={} fb={} statuses=[{}]",
                t.sender_ssrc,
                t.media_ssrc,
                t.base_sequence,
                t.reference_time,
                t.feedback_count,
                join(statuses, ",")
            )
        }
        other => format!("other {other:?}"),
    });
    join(parts, " | ")
}

/// Re-writes a parsed RTP packet with oxrtc's writer, in the same extension form.
fn rewrite_rtp(p: &RtpPacket<'_>) -> Vec<u8> {
    let csrcs: Vec<u32> = p.csrcs().collect();
    let extensions: Vec<Extension<'_>> = p.extensions().collect();
    let header = RtpHeader {
        marker: p.marker(),
        payload_type: p.payload_type(),
        sequence_number: p.sequence_number(),
        timestamp: p.timestamp(),
        ssrc: p.ssrc(),
        csrcs: &csrcs,
        extensions: &extensions,
        extension_form: match p.extension_form() {
            Some(ExtensionForm::TwoByte) => ExtensionFormChoice::TwoByte,
            _ => ExtensionFormChoice::OneByte,
        },
        padding: u8::try_from(p.padding_len()).unwrap(),
    };
    let mut buf = vec![0u8; 1500];
    let n = header.write_packet(p.payload(), &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn pion_description(m: &Marshalled, label: &str) -> String {
    m.descriptions
        .get(label)
        .unwrap_or_else(|| panic!("pion did not describe {label}"))
        .clone()
}

#[test]
fn pion_rtp_and_rtcp_parse_in_oxrtc_to_the_same_fields() {
    let Some(m) = marshalled() else {
        return;
    };
    for (label, bytes) in &m.packets {
        let ours = if label.starts_with("rtp-") {
            describe_rtp(&RtpPacket::parse(bytes).unwrap_or_else(|e| panic!("{label}: {e}")))
        } else {
            describe_rtcp(
                &RtcpPacket::parse_compound(bytes).unwrap_or_else(|e| panic!("{label}: {e}")),
            )
        };
        assert_eq!(ours, pion_description(m, label), "{label}");
    }
}

#[test]
fn oxrtc_rtp_and_rtcp_unmarshal_in_pion_to_the_same_fields() {
    let Some(m) = marshalled() else {
        return;
    };
    let mut written = Vec::new();
    for (label, bytes) in &m.packets {
        let ours = if label.starts_with("rtp-") {
            rewrite_rtp(&RtpPacket::parse(bytes).unwrap())
        } else {
            let packets = RtcpPacket::parse_compound(bytes).unwrap();
            let mut buf = vec![0u8; 1500];
            let n = RtcpPacket::write_compound(&packets, &mut buf).unwrap();
            buf.truncate(n);
            buf
        };
        // These have exactly one correct encoding of their fields; transport-wide
        // feedback may group statuses into chunks differently and still be equal.
        if !label.starts_with("rtcp-twcc") {
            assert_eq!(
                hex::encode(&ours),
                hex::encode(bytes),
                "{label}: bytes differ"
            );
        }
        written.push((label.clone(), ours));
    }
    let answers = pion_decode(&written);
    for (label, _) in &written {
        let (kind, value) = answers
            .get(label)
            .unwrap_or_else(|| panic!("pion did not answer for {label}"));
        assert_eq!(
            kind, "describe",
            "{label}: pion could not decode ours: {value}"
        );
        assert_eq!(*value, pion_description(m, label), "{label}");
    }
}

fn depayloader(label: &str) -> Box<dyn Depayloader> {
    match label.split('-').next() {
        Some("vp8") => Box::new(Vp8Depayloader::default()),
        Some("vp9") => Box::new(Vp9Depayloader::default()),
        Some("h264") => Box::new(H264Depayloader::default()),
        Some("opus") => Box::new(OpusDepayloader),
        _ => panic!("no depayloader for {label}"),
    }
}

fn payloader(label: &str) -> Box<dyn Payloader> {
    match label.split('-').next() {
        Some("vp8") => Box::new(Vp8Payloader::default()),
        // Non-flexible mode with a scalability structure on keyframes, which Pion parses.
        Some("vp9") => Box::new(Vp9Payloader::new(false, Some((320, 240)))),
        Some("h264") => Box::new(H264Payloader::new(PacketizationMode::NonInterleaved)),
        Some("opus") => Box::new(OpusPayloader),
        _ => panic!("no payloader for {label}"),
    }
}

#[test]
fn pion_payloads_depayload_in_oxrtc_to_the_original_frame() {
    let Some(m) = marshalled() else {
        return;
    };
    for (label, frame) in &m.frames {
        let payloads = &m.payloads[label];
        assert!(payloads.iter().all(|p| p.len() <= MTU), "{label}");
        let mut depayloader = depayloader(label);
        assert!(depayloader.is_frame_start(&payloads[0]), "{label}");
        let mut ours = Vec::new();
        for p in payloads {
            depayloader
                .depayload(p, &mut ours)
                .unwrap_or_else(|e| panic!("{label}: {e}"));
        }
        assert_eq!(hex::encode(&ours), hex::encode(frame), "{label}");
    }
    // The large frames really were split (FU-A for H.264, several VP8 packets).
    assert!(m.payloads["h264-idr"].len() > 3);
    assert!(m.payloads["vp8-keyframe"].len() > 2);
}

#[test]
fn oxrtc_payloads_depacketize_in_pion_to_the_original_frame() {
    let Some(m) = marshalled() else {
        return;
    };
    let mut lines = Vec::new();
    for (label, frame) in &m.frames {
        let payloads = payloader(label).packetize_to_vec(MTU, frame).unwrap();
        assert!(!payloads.is_empty(), "{label}");
        lines.extend(payloads.into_iter().map(|p| (label.clone(), p)));
    }
    let answers = pion_decode(&lines);
    for (label, frame) in &m.frames {
        let (kind, value) = answers
            .get(label)
            .unwrap_or_else(|| panic!("pion did not answer for {label}"));
        assert_eq!(
            kind, "frame",
            "{label}: pion could not depacketize: {value}"
        );
        assert_eq!(*value, hex::encode(frame), "{label}");
    }
}
