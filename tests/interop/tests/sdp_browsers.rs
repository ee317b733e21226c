//! Live check of `oxrtc-sdp` against the browsers of this machine: capture a fresh offer
//! from headless Chromium and from headless Firefox ESR (each in its own `unshare --net`
//! namespace, see `scripts/sdp_capture/capture.py`), parse it, and round-trip it.
//!
//! Each capture takes 4–12 s here; the 60 s limit only covers a cold browser start on a
//! loaded machine.

use std::path::Path;
use std::process::Command;

use oxrtc_interop::{interop_dir, interop_required, require_program};
use oxrtc_sdp::{Attribute, MediaKind, SessionDescription};

/// Runs the capture script for `browser` in quick mode (one offer) into a new temp dir
/// and returns the offer text, or `None` when a tool is missing and interop is optional.
fn capture_offer(browser: &str, program: &str) -> Option<String> {
    require_program(program)?;
    let unshare = require_program("unshare")?;
    // A private network namespace needs root (or user namespaces); without it the test
    // cannot keep the browser off the real network, so it does not run.
    let can_unshare = Command::new(unshare)
        .args(["--net", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !can_unshare {
        let why = "cannot create a network namespace (`unshare --net` needs root)";
        assert!(!interop_required(), "interop test cannot run: {why}");
        eprintln!("skipping interop test: {why}");
        return None;
    }
    let python = require_program("python3")?;
    let out = std::env::temp_dir().join(format!("oxrtc-sdp-{browser}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let script = interop_dir().join("scripts/sdp_capture/capture.py");
    let status = Command::new(python)
        .arg(&script)
        .args(["--browser", browser, "--quick", "--timeout", "60", "--out"])
        .arg(&out)
        .status()
        .expect("capture script starts");
    assert!(status.success(), "{browser} capture failed ({status})");
    let text = std::fs::read_to_string(Path::new(&out).join(format!("{browser}-offer-av-dc.sdp")))
        .expect("the capture wrote the offer");
    let _ = std::fs::remove_dir_all(&out);
    Some(text)
}

fn check_offer(browser: &str, text: &str) {
    let desc: SessionDescription = text
        .parse()
        .unwrap_or_else(|e| panic!("{browser} offer does not parse: {e}\n{text}"));
    let written = desc.to_string();
    let again: SessionDescription = written.parse().expect("written offer parses");
    assert_eq!(again, desc, "{browser}: round trip");

    let count = |s: &str| s.lines().filter(|l| l.starts_with("a=")).count();
    assert_eq!(
        count(text),
        count(&written),
        "{browser}: every attribute kept"
    );

    let kinds: Vec<_> = desc.media.iter().map(|m| m.kind.clone()).collect();
    assert_eq!(
        kinds,
        [MediaKind::Audio, MediaKind::Video, MediaKind::Application],
        "{browser}: audio + video + data channel"
    );
    assert_eq!(desc.bundle_groups().count(), 1, "{browser}: BUNDLE");
    for m in &desc.media {
        assert!(desc.ice_ufrag_of(m).is_some(), "{browser}: ice-ufrag");
        assert_eq!(desc.fingerprints_of(m).len(), 1, "{browser}: fingerprint");
        assert!(
            m.candidates().next().is_some(),
            "{browser}: gathered candidates"
        );
    }
    let video = &desc.media[1];
    assert!(
        video.codecs().iter().any(|c| c.name() == Some("VP8")),
        "{browser}: VP8 offered"
    );
    assert!(desc.media[2]
        .attributes
        .iter()
        .any(|a| matches!(a, Attribute::SctpPort(5000))));
}

#[test]
fn chromium_offer_parses_and_round_trips() {
    if let Some(offer) = capture_offer("chromium", "chromium") {
        check_offer("chromium", &offer);
    }
}

#[test]
fn firefox_offer_parses_and_round_trips() {
    if let Some(offer) = capture_offer("firefox", "firefox-esr") {
        check_offer("firefox", &offer);
    }
}
