//! Every SDP in `tests/data/` (real browser captures and the RFC examples) parses,
//! round-trips, and keeps every line.

use std::fs;
use std::path::{Path, PathBuf};

use oxrtc_sdp::{
    Attribute, CandidateTransport, CandidateType, Direction, HashAlgorithm, MediaKind,
    RidDirection, SessionDescription, Setup,
};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn corpus() -> Vec<(String, String)> {
    let mut files: Vec<_> = fs::read_dir(data_dir())
        .expect("tests/data exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&p).expect("utf-8 file"))
        })
        .collect()
}

fn load(name: &str) -> SessionDescription {
    let text = fs::read_to_string(data_dir().join(name)).expect("corpus file");
    text.parse().unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn lines(text: &str) -> Vec<&str> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The only textual changes the writer makes: upper-case candidate transport (`udp` →
/// `UDP`), upper-case fingerprint hex, no space after `msid-semantic:`.
fn normalize(line: &str) -> String {
    let mut s = line.to_ascii_lowercase();
    if let Some(rest) = s.strip_prefix("a=msid-semantic: ") {
        s = format!("a=msid-semantic:{rest}");
    }
    s
}

#[test]
fn corpus_is_large_enough() {
    let files = corpus();
    let browser = files
        .iter()
        .filter(|(n, _)| n.starts_with("chromium") || n.starts_with("firefox"))
        .count();
    let rfc = files.iter().filter(|(n, _)| n.starts_with("rfc")).count();
    assert!(browser >= 20, "{browser} browser captures");
    assert!(rfc >= 10, "{rfc} RFC examples");
}

#[test]
fn every_file_parses_round_trips_and_keeps_every_line() {
    for (name, text) in corpus() {
        let desc: SessionDescription = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = desc.to_string();
        assert!(written.ends_with("\r\n"), "{name}: CRLF line ends");
        assert!(
            !written.replace("\r\n", "").contains('\n'),
            "{name}: only CRLF line ends"
        );
        let reparsed: SessionDescription = written
            .parse()
            .unwrap_or_else(|e| panic!("{name}: written form does not parse: {e}"));
        assert_eq!(reparsed, desc, "{name}: round trip changed the value");
        assert_eq!(desc.to_sdp_string(), written, "{name}: both writers agree");

        let before = lines(&text);
        let after = lines(&written);
        assert_eq!(before.len(), after.len(), "{name}: line count");
        let count_a = |ls: &[&str]| ls.iter().filter(|l| l.starts_with("a=")).count();
        assert_eq!(count_a(&before), count_a(&after), "{name}: a= line count");
        let mut changed = 0;
        for (b, a) in before.iter().zip(&after) {
            if b != a {
                changed += 1;
                assert_eq!(normalize(b), normalize(a), "{name}: line changed");
                assert!(
                    ["a=candidate:", "a=msid-semantic:", "a=fingerprint:"]
                        .iter()
                        .any(|p| b.starts_with(p)),
                    "{name}: unexpected rewrite of {b:?} to {a:?}"
                );
            }
        }
        // Browsers' own spelling survives except the documented normalizations.
        if name.starts_with("firefox") {
            assert_eq!(changed, 0, "{name}: Firefox SDP is rewritten byte for byte");
        }

        // LF-only input gives the same value.
        let lf: SessionDescription = text.replace("\r\n", "\n").parse().unwrap();
        assert_eq!(lf, desc, "{name}: LF input");
    }
}

#[test]
fn every_attribute_line_is_typed_unless_webrtc_does_not_need_it() {
    // Attributes this crate deliberately leaves verbatim.
    const VERBATIM: &[&str] = &["rtcp-xr", "maxptime", "imageattr"];
    for (name, text) in corpus() {
        let desc: SessionDescription = text.parse().unwrap();
        let all = desc
            .attributes
            .iter()
            .chain(desc.media.iter().flat_map(|m| m.attributes.iter()));
        for a in all {
            if let Attribute::Unknown { name: attr, .. } = a {
                assert!(
                    VERBATIM.contains(&attr.as_str()),
                    "{name}: a={attr} not typed"
                );
            }
        }
    }
}

#[test]
fn chromium_offer_reads_as_expected() {
    let d = load("chromium-offer-av-dc.sdp");
    assert_eq!(d.media.len(), 3);
    let bundle: Vec<_> = d.bundle_groups().collect();
    assert_eq!(bundle.len(), 1);
    assert_eq!(bundle[0].mids, ["0", "1", "2"]);
    assert!(d.attributes.contains(&Attribute::ExtmapAllowMixed));

    let audio = d.media_by_mid("0").unwrap();
    assert_eq!(audio.kind, MediaKind::Audio);
    assert_eq!(audio.protocol, "UDP/TLS/RTP/SAVPF");
    assert_eq!(audio.direction(), Some(Direction::SendRecv));
    let opus = audio.codec(111);
    assert_eq!(opus.name(), Some("opus"));
    assert_eq!(opus.clock_rate(), Some(48000));
    assert_eq!(opus.rtpmap.unwrap().encoding_params, Some(2));
    assert_eq!(opus.fmtp.unwrap().param("minptime"), Some("10"));
    assert_eq!(opus.rtcp_fb.len(), 1);
    assert_eq!(audio.setup(), Some(Setup::ActPass));
    let fp = audio.fingerprints().next().unwrap();
    assert_eq!(fp.algorithm, HashAlgorithm::Sha256);
    assert_eq!(fp.bytes.len(), 32);

    let video = d.media_by_mid("1").unwrap();
    let codecs = video.codecs();
    assert_eq!(codecs.len(), video.formats.len());
    assert_eq!(codecs[0].name(), Some("VP8"));
    assert_eq!(codecs[0].rtcp_fb.len(), 5);
    assert_eq!(codecs[1].name(), Some("rtx"));
    assert_eq!(codecs[1].apt(), Some(codecs[0].payload_type));
    let fid = video
        .attributes
        .iter()
        .find_map(|a| match a {
            Attribute::SsrcGroup(g) => Some(g),
            _ => None,
        })
        .unwrap();
    assert_eq!(fid.semantics, "FID");
    assert_eq!(fid.ssrcs.len(), 2);
    let extmap_ids: Vec<_> = video
        .attributes
        .iter()
        .filter_map(|a| match a {
            Attribute::Extmap(e) => Some(e.id),
            _ => None,
        })
        .collect();
    assert!(extmap_ids.len() >= 10);

    let data = d.media_by_mid("2").unwrap();
    assert_eq!(data.kind, MediaKind::Application);
    assert!(data.attributes.contains(&Attribute::SctpPort(5000)));
    assert!(data.attributes.contains(&Attribute::MaxMessageSize(262144)));

    for m in &d.media {
        let cands: Vec<_> = m.candidates().collect();
        assert_eq!(cands.len(), 4, "non-trickle offer carries its candidates");
        assert!(cands.iter().all(|c| c.typ == CandidateType::Host));
        let udp = cands
            .iter()
            .find(|c| c.transport == CandidateTransport::Udp)
            .unwrap();
        assert_eq!(udp.extension("generation"), Some("0"));
        assert!(cands.iter().any(|c| c.tcp_type.is_some()));
        assert_eq!(d.ice_ufrag_of(m), audio.ice_ufrag());
    }
}

#[test]
fn trickle_offers_have_no_candidates() {
    for name in [
        "chromium-offer-av-dc-trickle.sdp",
        "firefox-offer-av-dc-trickle.sdp",
    ] {
        let d = load(name);
        assert!(
            d.media.iter().all(|m| m.candidates().next().is_none()),
            "{name}"
        );
        assert!(d.media.iter().all(|m| !m.end_of_candidates()), "{name}");
    }
    // Firefox marks the end of gathering in the complete form.
    let d = load("firefox-offer-av-dc.sdp");
    assert!(d.media.iter().all(|m| m.end_of_candidates()));
}

#[test]
fn simulcast_offers_carry_rids() {
    for name in [
        "chromium-offer-simulcast.sdp",
        "firefox-offer-simulcast.sdp",
    ] {
        let d = load(name);
        let video = d.media.iter().find(|m| m.kind == MediaKind::Video).unwrap();
        let rids: Vec<_> = video
            .attributes
            .iter()
            .filter_map(|a| match a {
                Attribute::Rid(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(rids.len(), 3, "{name}");
        assert!(rids.iter().all(|r| r.direction == RidDirection::Send));
        let sim = video
            .attributes
            .iter()
            .find_map(|a| match a {
                Attribute::Simulcast(s) => Some(s),
                _ => None,
            })
            .unwrap();
        let send = sim.send().unwrap();
        let ids: Vec<_> = send.streams.iter().map(|alt| alt[0].id.as_str()).collect();
        assert_eq!(ids, ["q", "h", "f"], "{name}");
        assert!(sim.recv().is_none());
    }
}

#[test]
fn firefox_extmap_directions_and_ipv4_candidates() {
    let d = load("firefox-offer-av-dc.sdp");
    let audio = &d.media[0];
    let recvonly = audio
        .attributes
        .iter()
        .any(|a| matches!(a, Attribute::Extmap(e) if e.direction == Some(Direction::RecvOnly)));
    assert!(recvonly);
    let rtcp_components = audio.candidates().filter(|c| c.component == 2).count();
    assert!(rtcp_components > 0, "Firefox offers RTCP candidates");
}

#[test]
fn cross_browser_answer_matches_offer_mids() {
    let offer = load("chromium-offer-av-dc.sdp");
    let answer = load("firefox-answer-to-chromium.sdp");
    for m in &answer.media {
        let mid = m.mid().unwrap();
        let offered = offer.media_by_mid(mid).unwrap();
        assert_eq!(offered.kind, m.kind);
        assert_eq!(answer.setup_of(m), Some(Setup::Active));
    }
}

#[test]
fn rfc_examples_read_as_written() {
    let d = load("rfc8866-example.sdp");
    assert_eq!(d.origin.username, "jdoe");
    assert_eq!(d.session_name, "Call to John Smith");
    assert_eq!(d.media.len(), 3);
    assert_eq!(
        d.media[2].connections[0].addr_type,
        oxrtc_sdp::AddrType::Ip6
    );

    let f = load("rfc8866-fields.sdp");
    assert_eq!(f.timings.len(), 2);
    assert_eq!(f.timings[1].repeats[0].interval.as_seconds(), 7 * 86400);
    assert_eq!(f.time_zones[0].offset.as_seconds(), -3600);
    assert_eq!(f.connection.as_ref().unwrap().ttl, Some(127));
    assert_eq!(f.media[0].connections[0].num_addresses, Some(3));
    assert_eq!(f.media[1].num_ports, Some(2));
    assert_eq!(f.media[1].connections[0].num_addresses, Some(3));

    let b2 = load("rfc8829-offer-B2.sdp");
    let audio = b2.media_by_mid("a1").unwrap();
    let relay = audio
        .candidates()
        .find(|c| c.typ == CandidateType::Relay)
        .unwrap();
    assert_eq!(relay.related_port, Some(11200));
    assert!(audio.attributes.contains(&Attribute::RtcpMuxOnly));
    assert!(b2.media_by_mid("v1").unwrap().has_attribute("simulcast"));
    let b1 = load("rfc8829-offer-B1.sdp");
    assert!(b1
        .media_by_mid("d1")
        .unwrap()
        .attributes
        .contains(&Attribute::BundleOnly));
    assert!(!b1.media_by_mid("d1").unwrap().is_rejected());

    let v6 = load("rfc8839-offer-ipv6.sdp");
    let srflx = v6.media[0]
        .candidates()
        .find(|c| c.typ == CandidateType::Srflx)
        .unwrap();
    assert!(srflx.address.ip().unwrap().is_ipv6());
    assert!(srflx
        .related_address
        .as_ref()
        .unwrap()
        .ip()
        .unwrap()
        .is_ipv6());
}
