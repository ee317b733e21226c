//! oxrtc's PeerConnection against headless Chromium and Firefox ESR: data channels and
//! media.
//!
//! Each browser runs with this test in a private network namespace (`unshare --net
//! --pid`): the outer test re-executes this binary there with only `lo` up (plus a veth
//! pair that never leaves the namespace, for Firefox), and the inner test serves
//! `scripts/peer_browsers/page.html` over a small HTTP server on 127.0.0.1, plays the
//! other peer with [`PeerConnection`] on 127.0.0.1, starts the browser on the page and
//! waits for its verdict. Signaling is non-trickle: each side sends its description once
//! gathering is complete. Each browser is started twice, once per [`Suite`]: data
//! channels (`*_data_channels`, the cases in page.html) and media (`*_media`, the cases
//! in `media.js`, with oxrtc's side in `peer_browsers/media.rs`).
//!
//! The data channel page runs, in order:
//!
//! - an in-page check (two RTCPeerConnections of the page), so that a browser that
//!   cannot connect at all in the namespace is not blamed on oxrtc;
//! - case 1: the page offers a channel, oxrtc answers and echoes: text (with
//!   non-ASCII), binary, empty text, empty binary, 64 KiB binary and text, then 50
//!   messages in one burst, all compared byte for byte, kind and order included;
//! - case 3: on that connection, a channel the page opens later, an unordered channel
//!   with maxRetransmits 0 (oxrtc checks the DCEP parameters it received) and a channel
//!   oxrtc opens, on which oxrtc sends as soon as it is open and checks the echoes;
//! - case 4: the page closes a channel (oxrtc's `on_close` fires and the page's channel
//!   closes), oxrtc closes one (the page sees `close`);
//! - case 2: oxrtc offers with a channel of its own and sends on open; the page answers
//!   and echoes; oxrtc checks the echoes and must reach `Connected`;
//! - case 4: oxrtc closes the first connection: the page's channel and DTLS transport
//!   close and its `connectionState` leaves "connected".
//!
//! The media page runs the same in-page check, then these cases, each with its own time
//! limits and each even when one before it failed:
//!
//! - reflect, per video codec (Chromium: VP8, VP9, H.264, AV1; Firefox: VP8, VP9, AV1):
//!   the page sends its fake camera with only that codec left by `setCodecPreferences`;
//!   oxrtc answers with a `TrackLocal` of the codec added before the offer is applied
//!   (`examples/reflect.rs`), checks every packet's payload type against the answer and
//!   the chosen codec, and sends the stream back, joining it as a late SFU subscriber
//!   would: everything up to the end of the first keyframe is dropped. The page's
//!   receiver must then ask for a keyframe, oxrtc pass the request to the page's sender,
//!   and the returned track reach 30 decoded frames with a width within 10 s, under the
//!   chosen codec's `mimeType`, with `pliCount` + `firCount` ≥ 1;
//! - reflect-opus: the fake microphone, sent back from the first packet; the page plays
//!   the returned track (muted) and wants 50 packets and decoded samples within 10 s;
//! - recvonly: oxrtc offers a receive-only video section and a data channel; the page
//!   answers with its camera; oxrtc checks the payload type, sends a PLI after 700 ms
//!   without a keyframe, twice, and wants a keyframe (VP8: S bit, partition 0, P bit 0,
//!   by `Depayloader::is_keyframe`) within 3 s of each; the page's sender must count
//!   both PLIs.
//!
//! Any failure on either side fails the test with the step, the page's log, oxrtc's
//! events with times, and the browser's output; a hang fails after [`PAGE_BUDGET`]
//! ([`MEDIA_PAGE_BUDGET`] for media). The media facts include each case's offer and
//! answer SDP and `getStats()` of both directions with their codecs.
//! `OXRTC_PEER_BROWSERS_SELFCHECK=1` runs only the in-page check; `MOZ_LOG=DataChannel:5` (set
//! for the test run) puts Firefox's data channel log into the failure report.
//!
//! What the browsers do, as measured here (Chromium 156, Firefox ESR 153, 2 cores):
//! - Offers: one `m=application 9 UDP/DTLS/SCTP webrtc-datachannel` with BUNDLE,
//!   `a=setup:actpass`, `a=sctp-port:5000`; `a=max-message-size` is 262144 in Chromium,
//!   1073741823 in Firefox (which also writes `a=sendrecv`). Candidates: Chromium
//!   `127.0.0.1 typ host` (UDP, plus a TCP active one on port 9); Firefox only
//!   `10.99.0.1 typ host` (it never gathers loopback) and still connects from there to
//!   oxrtc on 127.0.0.1, so oxrtc binds only 127.0.0.1 for both.
//! - Answers to oxrtc's offer: both `a=setup:active`, so the browser is the DTLS client
//!   and oxrtc the server; Firefox's ClientHello, which carries an X25519MLKEM768 key
//!   share and is larger than one record (shared/INTEROP.md), is accepted by oxrtc in
//!   every run. To the browsers' offers oxrtc
//!   answers `a=setup:active` and is the client, so its own channels get even stream ids.
//! - SCTP: oxrtc sends INIT whatever its DTLS role; Firefox also connects from both ends
//!   (its log: "DTLS connect() succeeded! Entering connected mode" on each side), so the
//!   INITs collide in every Firefox run, and the association comes up regardless.
//! - Timing: the page's channel opens 5–18 ms after `setRemoteDescription`; the page is
//!   loaded 0.4–6 s after Chromium starts and 1.4–3.5 s after Firefox starts. A whole run
//!   takes 7–13 s for Chromium and 11–16 s for Firefox, mostly the last case: after
//!   oxrtc's `close()` (SCTP ABORT, then DTLS close_notify) the page's channel closes
//!   and its RTCDtlsTransport turns "closed" within 3–30 ms, but `connectionState` stays
//!   "connected" until ICE consent runs out: "disconnected" after ~6.1 s in Chromium and
//!   8–11 s in Firefox. Neither reports "closed" or "failed".
//! - Firefox dispatches the messages that arrive with a new channel's DCEP OPEN before
//!   the promise continuations of the page's `datachannel` handler run: a page that
//!   attached `onmessage` after an `await` lost oxrtc's first messages in about half
//!   the runs (its log showed 'Firing "message" event #1..#5' before "onmessage event
//!   listener added"). The page attaches its echo inside the handler itself. Chromium
//!   delivered them either way.
//! - When oxrtc offers, it is the ICE controlling side, and it reports `Connected` only
//!   once its nomination completes. In one early run (peer at ea05685) oxrtc's channel
//!   opened, echoed and was closed by the page within ~30 ms while the connection still
//!   said `Connecting`; in every later run `Connected` came 3–15 ms after `Checking`,
//!   before the channel opened. The page waits for `Connected` before it closes that
//!   connection, so a state that never arrives fails the test. With Firefox (which sends
//!   end-of-candidates) oxrtc's ICE state reaches `Completed`, with Chromium `Connected`.
//!
//! What the browsers do with media, as measured here:
//! - Sources: Chromium's fake camera is 640x480 at 20 fps (the page's `frameRate: 30` is
//!   not met), Firefox's 640x480 at 30 fps; both microphones give Opus 48000/2.
//! - Offers with one codec left (payload types as offered): Chromium VP8 96; VP9 98
//!   (profile-id=0) and 100 (profile-id=2), its receive-only profiles 1 and 3 left out;
//!   H.264 102/104 (42001f, packetization-mode 1/0), 108/114 (42e01f), 116/39 (4d001f),
//!   its f4001f capability left out; AV1 45 (level-idx=5;profile=0;tier=0); Opus 111
//!   (minptime=10;useinbandfec=1). Firefox VP8 120 and VP9 121 (both
//!   max-fs=12288;max-fr=60, no profile-id), AV1 99 (no fmtp), Opus 109
//!   (maxplaybackrate=48000;stereo=1;useinbandfec=1); no H.264 (shared/INTEROP.md).
//!   oxrtc answers the mode-1 H.264 entries (102, 108, 116) and both VP9 profiles;
//!   Chromium sends on the first, 102 (Baseline 42001f).
//! - Firefox still writes `a=rtcp-fb` lines for payload types its m-line no longer
//!   lists, and declares an RTX SSRC (`a=ssrc-group:FID <media> <rtx>`) with no RTX
//!   negotiated; Chromium declares one SSRC once RTX is removed. oxrtc used to count the
//!   RTX SSRC as the track's, and its PLIs named whichever of the two SSRCs a hash map
//!   gave first: in the run that found it, the RTX one in all three video cases, whose 50
//!   PLIs each Firefox's sender ignored (outbound `pliCount` 0) while no frame decoded.
//!   `remote_media` now leaves repair SSRCs out, and one PLI brings the keyframe.
//! - Answers to oxrtc's receive-only offer (VP8 96, VP9 98, H.264 102, AV1 45): Chromium
//!   keeps all four, Firefox leaves out H.264 and answers VP9 with max-fs/max-fr instead
//!   of profile-id=0; both send VP8.
//! - Codecs at work (Chromium): libvpx both ways, OpenH264 to FFmpeg, libaom to dav1d.
//!   The reflection is lossless: the page's sender and receiver agree on packets and
//!   frames (e.g. 42/42 packets, 32/32 frames), with no loss, NACK or retransmission.
//! - Keyframes: each stream starts with one and neither encoder sends another by itself
//!   within a run; with the PLI left out, none came for 3 s. PLIs are answered in 13–47
//!   ms by Chromium (at most about a frame at 20 fps) and 12–35 ms by Firefox. At the
//!   late join Chromium's receiver sends one PLI at the first delta frame (for H.264
//!   often a second 40 ms later); Firefox's repeats it every 200 ms until a keyframe
//!   arrives.
//! - Chromium decodes received audio only while something plays it: without a player
//!   its inbound-rtp counts packets and `packetsDiscarded` but `totalSamplesReceived`
//!   stays 0. A muted `<audio>` element is enough.
//! - Timing: 30 frames decoded 1.6–1.7 s after the answer is applied in Chromium (at 20
//!   fps; H.264 2.1–2.2 s, OpenH264 starts later), 1.05–1.15 s in Firefox; 50 Opus
//!   packets back after 1.0–1.05 s. A whole media run takes 11.6–12.6 s for Chromium and
//!   7.3–9.0 s for Firefox, the four runs together 39–50 s.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use oxrtc::{
    DataChannelInit, DataChannelMessage, DataChannelState, IceConnectionState, PeerConnection,
    PeerConnectionState, RtcConfiguration, RtcDataChannel, RtcSessionDescription,
};
use oxrtc_interop::{interop_dir, interop_required, require_program};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

// In a directory of its own, so Cargo does not take it for a test crate.
#[path = "peer_browsers/media.rs"]
mod media;

/// oxrtc's only socket, for both browsers: Firefox reaches it from its 10.99.0.1 address.
const OXRTC_BIND: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// Marks the copy of this test binary that runs inside the private network namespace.
const INSIDE: &str = "OXRTC_PEER_BROWSERS_NS";

/// From the browser's start to the page's verdict, data channels: runs take up to 16 s
/// here, 11 s of it waiting for the browser's ICE consent timeout; the rest covers a slow
/// browser start on a loaded machine.
const PAGE_BUDGET: Duration = Duration::from_secs(40);

/// The same for the media suite. Runs take 7–13 s; the page starts no case after 35 s
/// and a failing case ends within ~25 s (gathering, decoding, waiting for oxrtc), so
/// even a run where every case fails reports its verdict.
const MEDIA_PAGE_BUDGET: Duration = Duration::from_secs(75);

/// Backstop for the whole namespace child (browser start, page, teardown), in case the
/// inner test hangs outside its own timeout.
const OUTER_LIMIT: Duration = Duration::from_secs(90);

/// How long a `/await` request is held before the server answers 504.
const AWAIT_LIMIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Browser {
    Chromium,
    Firefox,
}

impl Browser {
    fn name(self) -> &'static str {
        match self {
            Browser::Chromium => "chromium",
            Browser::Firefox => "firefox",
        }
    }

    fn program(self) -> &'static str {
        match self {
            Browser::Chromium => "chromium",
            Browser::Firefox => "firefox-esr",
        }
    }

    /// The `#[ignore]`d test that does the work of `suite` inside the namespace.
    fn inner_test(self, suite: Suite) -> &'static str {
        match (self, suite) {
            (Browser::Chromium, Suite::DataChannels) => "inner_chromium",
            (Browser::Firefox, Suite::DataChannels) => "inner_firefox",
            (Browser::Chromium, Suite::Media) => "inner_chromium_media",
            (Browser::Firefox, Suite::Media) => "inner_firefox_media",
        }
    }

    /// Shell commands that prepare the namespace before the test binary runs in it.
    fn namespace_setup(self) -> &'static str {
        match self {
            Browser::Chromium => "set -e; ip link set lo up",
            // Firefox does not gather loopback addresses: it needs an interface with an
            // address and a default route. Both veth ends stay inside the namespace.
            Browser::Firefox => {
                "set -e; ip link set lo up; \
                 ip link add veth0 type veth peer name veth1; \
                 ip addr add 10.99.0.1/24 dev veth0; ip link set veth0 up; ip link set veth1 up; \
                 ip route add default dev veth0"
            }
        }
    }
}

/// What a browser run covers: one page, one set of oxrtc endpoints, one budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suite {
    DataChannels,
    Media,
}

impl Suite {
    /// The page's `suite` parameter.
    fn name(self) -> &'static str {
        match self {
            Suite::DataChannels => "datachannels",
            Suite::Media => "media",
        }
    }

    fn page_budget(self) -> Duration {
        match self {
            Suite::DataChannels => PAGE_BUDGET,
            Suite::Media => MEDIA_PAGE_BUDGET,
        }
    }
}

const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    // Counts as media permission, without which Chromium does not gather 127.0.0.1.
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    // Raw addresses instead of `<uuid>.local` candidates: no mDNS on this network.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
];

const FIREFOX_PREFS: &[(&str, &str)] = &[
    ("media.peerconnection.ice.loopback", "true"),
    ("media.peerconnection.ice.obfuscate_host_addresses", "false"),
    ("media.peerconnection.ice.default_address_only", "false"),
    ("media.navigator.permission.disabled", "true"),
    ("media.navigator.streams.fake", "true"),
    ("browser.shell.checkDefaultBrowser", "false"),
    ("app.update.enabled", "false"),
    ("toolkit.telemetry.enabled", "false"),
    ("datareporting.policy.dataSubmissionEnabled", "false"),
    ("network.captive-portal-service.enabled", "false"),
    ("network.connectivity-service.enabled", "false"),
    // Push and telemetry would only try DNS names that fail inside the namespace; off,
    // they leave nothing but the test in the browser's network log.
    ("dom.push.enabled", "false"),
    ("dom.push.connection.enabled", "false"),
    ("datareporting.healthreport.uploadEnabled", "false"),
    ("datareporting.usage.uploadEnabled", "false"),
];

/// Two browsers at once on a small CI machine stretch every timing; run them one by one.
static ONE_BROWSER_AT_A_TIME: Mutex<()> = Mutex::new(());

// ---------------------------------------------------------------------------------------
// Outside: re-run this binary in a new network (and PID) namespace.

/// Runs `browser`'s inner test of `suite` in a private namespace and fails when it
/// fails. Returns without running when a tool is missing and interop is optional.
fn run_in_namespace(browser: Browser, suite: Suite) {
    if require_program(browser.program()).is_none() {
        return;
    }
    let Some(unshare) = require_program("unshare") else {
        return;
    };
    if require_program("ip").is_none() || require_program("bash").is_none() {
        return;
    }
    // A private network namespace needs root (or user namespaces); without it the test
    // cannot keep the browser off the real network, so it does not run.
    let can_unshare = Command::new(&unshare)
        .args(["--net", "--pid", "--fork", "--mount-proc", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !can_unshare {
        let why = "cannot create network and PID namespaces (`unshare --net --pid` needs root)";
        assert!(!interop_required(), "interop test cannot run: {why}");
        eprintln!("skipping interop test: {why}");
        return;
    }
    let _serial = ONE_BROWSER_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());

    let exe = std::env::current_exe().expect("path of the test executable");
    let started = Instant::now();
    // The PID namespace makes the test binary its init: when it exits, every browser
    // process left goes with it, and `--kill-child` ends it when `unshare` is killed.
    let mut child = Command::new(&unshare)
        .args([
            "--net",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "bash",
            "-c",
        ])
        .arg(format!("{}; exec \"$@\"", browser.namespace_setup()))
        .arg("peer-browsers")
        .arg(&exe)
        .args([
            "--exact",
            browser.inner_test(suite),
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INSIDE, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start unshare");
    let stdout = collect(child.stdout.take().expect("piped stdout"));
    let stderr = collect(child.stderr.take().expect("piped stderr"));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the namespace child") {
            break Some(status);
        }
        if started.elapsed() > OUTER_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    print!("{stdout}");
    eprint!("{stderr}");
    let elapsed = started.elapsed().as_secs_f64();
    match status {
        None => panic!(
            "{browser:?} {suite:?}: the namespace child hung for {elapsed:.0} s and was killed"
        ),
        Some(status) => {
            assert!(
                status.success(),
                "{browser:?} {suite:?}: the test inside the namespace failed ({status}) after \
                 {elapsed:.1} s"
            );
            // The inner harness prints "1 passed"; anything else means the name was wrong
            // and nothing ran.
            assert!(
                stdout.contains("1 passed"),
                "{browser:?}: the inner test {} did not run",
                browser.inner_test(suite)
            );
            eprintln!(
                "{browser:?} {suite:?}: passed in {elapsed:.1} s (namespace, browser and page)"
            );
        }
    }
}

fn collect(mut from: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = from.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    })
}

#[test]
fn chromium_data_channels() {
    run_in_namespace(Browser::Chromium, Suite::DataChannels);
}

#[test]
fn firefox_data_channels() {
    run_in_namespace(Browser::Firefox, Suite::DataChannels);
}

#[test]
fn chromium_media() {
    run_in_namespace(Browser::Chromium, Suite::Media);
}

#[test]
fn firefox_media() {
    run_in_namespace(Browser::Firefox, Suite::Media);
}

// ---------------------------------------------------------------------------------------
// Inside: HTTP signaling server, oxrtc peer, browser.

#[test]
#[ignore = "runs inside the namespace made by chromium_data_channels"]
fn inner_chromium() {
    run_inside(Browser::Chromium, Suite::DataChannels);
}

#[test]
#[ignore = "runs inside the namespace made by firefox_data_channels"]
fn inner_firefox() {
    run_inside(Browser::Firefox, Suite::DataChannels);
}

#[test]
#[ignore = "runs inside the namespace made by chromium_media"]
fn inner_chromium_media() {
    run_inside(Browser::Chromium, Suite::Media);
}

#[test]
#[ignore = "runs inside the namespace made by firefox_media"]
fn inner_firefox_media() {
    run_inside(Browser::Firefox, Suite::Media);
}

fn run_inside(browser: Browser, suite: Suite) {
    // Run by hand with `--ignored` outside a namespace, the browser would reach the real
    // network; only the copy started by `run_in_namespace` does anything.
    if std::env::var_os(INSIDE).is_none() {
        eprintln!(
            "{} only runs inside its namespace",
            browser.inner_test(suite)
        );
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(drive(browser, suite));
}

/// A browser process with its own profile directory; killed and cleaned up when dropped.
struct BrowserProcess {
    child: Child,
    profile: PathBuf,
}

impl BrowserProcess {
    fn start(browser: Browser, url: &str) -> Self {
        let profile = std::env::temp_dir().join(format!(
            "oxrtc-peer-{}-{}",
            browser.name(),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("create the browser profile");
        let mut command = match browser {
            Browser::Chromium => {
                let mut c = Command::new(browser.program());
                c.args(CHROMIUM_FLAGS)
                    .arg(format!("--user-data-dir={}", profile.display()))
                    .arg(url);
                c
            }
            Browser::Firefox => {
                let prefs: String = FIREFOX_PREFS
                    .iter()
                    .map(|(key, value)| format!("user_pref(\"{key}\", {value});\n"))
                    .collect();
                std::fs::write(profile.join("user.js"), prefs).expect("write user.js");
                let mut c = Command::new(browser.program());
                c.args(["--headless", "--no-remote", "--profile"])
                    .arg(&profile)
                    .arg(url)
                    .env("MOZ_HEADLESS", "1");
                c
            }
        };
        let log = std::fs::File::create(profile.join("browser.log")).expect("browser log");
        let child = command
            .env("HOME", &profile)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("browser log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", browser.program()));
        Self { child, profile }
    }

    /// Everything the browser printed: a few lines, unless `MOZ_LOG` asked for more.
    fn log(&self) -> String {
        std::fs::read_to_string(self.profile.join("browser.log")).unwrap_or_default()
    }
}

impl Drop for BrowserProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// What oxrtc and the page reported, shared by the HTTP handlers and the oxrtc callbacks.
#[derive(Clone)]
struct Events {
    start: Instant,
    /// Each event with the time since `start`.
    log: Arc<watch::Sender<Vec<(Duration, String)>>>,
}

impl Events {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            log: Arc::new(watch::channel(Vec::new()).0),
        }
    }

    /// Called from oxrtc callbacks too: never blocks.
    fn push(&self, event: impl Into<String>) {
        let entry = (self.start.elapsed(), event.into());
        self.log.send_modify(|log| log.push(entry));
    }

    fn error(&self, what: impl std::fmt::Display) {
        self.push(format!("error:{what}"));
    }

    fn all(&self) -> Vec<String> {
        self.log.borrow().iter().map(|(_, e)| e.clone()).collect()
    }

    /// Every event with its time, one a line, for the report.
    fn timeline(&self) -> String {
        self.log
            .borrow()
            .iter()
            .map(|(at, e)| format!("{:>6} ms {e}\n", at.as_millis()))
            .collect()
    }

    /// Waits until `event` is reported; fails early on the first error, so the page can
    /// show what went wrong instead of a timeout.
    async fn wait_for(&self, event: &str, limit: Duration) -> Result<(), String> {
        let mut rx = self.log.subscribe();
        let seen = rx.wait_for(|log| {
            log.iter()
                .any(|(_, e)| e == event || e.starts_with("error:"))
        });
        let outcome = match tokio::time::timeout(limit, seen).await {
            Ok(Ok(log)) => match log.iter().find(|(_, e)| e.starts_with("error:")) {
                Some((_, error)) => Err(format!("oxrtc reported {error}")),
                None => Ok(()),
            },
            _ => Err(format!(
                "oxrtc did not report `{event}` in {} s",
                limit.as_secs()
            )),
        };
        outcome
    }
}

struct Server {
    page: Vec<u8>,
    /// The media cases' script, which the page loads beside it.
    media_script: Vec<u8>,
    events: Events,
    step: Mutex<String>,
    verdict: watch::Sender<Option<Value>>,
    peer: Peer,
    media: media::Media,
}

async fn drive(browser: Browser, suite: Suite) {
    let page = std::fs::read(page_path("page.html")).expect("read page.html");
    let media_script = std::fs::read(page_path("media.js")).expect("read media.js");
    let (verdict, mut verdict_rx) = watch::channel(None);
    let server = Arc::new(Server {
        page,
        media_script,
        events: Events::new(),
        step: Mutex::new("browser start".into()),
        verdict,
        peer: Peer::new(browser),
        media: media::Media::new(browser),
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind HTTP");
    let port = listener.local_addr().expect("HTTP address").port();
    tokio::spawn(serve(listener, server.clone()));

    let mut url = format!(
        "http://127.0.0.1:{port}/?browser={}&suite={}",
        browser.name(),
        suite.name()
    );
    if suite == Suite::Media {
        url.push_str(&format!(
            "&codecs={}",
            media::video_codecs(browser).join(",")
        ));
    }
    if std::env::var_os("OXRTC_PEER_BROWSERS_SELFCHECK").is_some() {
        url.push_str("&selfcheck=1");
    }
    let started = Instant::now();
    let process = BrowserProcess::start(browser, &url);
    let waited =
        tokio::time::timeout(suite.page_budget(), verdict_rx.wait_for(Option::is_some)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let verdict = match waited {
        Ok(Ok(v)) => v.clone().expect("verdict present"),
        _ => {
            let step = server.step.lock().unwrap().clone();
            panic!(
                "{browser:?}: no verdict from the page after {elapsed:.1} s, at step `{step}`\n\
                 oxrtc events:\n{}browser log:\n{}",
                server.events.timeline(),
                process.log()
            );
        }
    };
    let browser_log = process.log();
    drop(process);
    println!("browser log:\n{browser_log}");
    report(browser, &verdict, &server.events, elapsed);
    match suite {
        Suite::DataChannels => server.peer.check(&server.events.all()),
        Suite::Media => server.media.check(&server.events.all()),
    }
}

fn page_path(file: &str) -> PathBuf {
    interop_dir().join("scripts/peer_browsers").join(file)
}

/// Prints what the page measured and fails on any failure from either side.
fn report(browser: Browser, verdict: &Value, events: &Events, elapsed: f64) {
    println!("== {browser:?}: verdict after {elapsed:.1} s");
    for line in verdict["log"].as_array().into_iter().flatten() {
        println!("page: {}", line.as_str().unwrap_or_default());
    }
    if let Some(facts) = verdict["facts"].as_object() {
        for (key, value) in facts {
            match value.as_str() {
                Some(text) if text.contains('\n') => println!("fact {key}:\n{text}"),
                _ => println!("fact {key}: {value}"),
            }
        }
    }
    print!(
        "oxrtc events (ms since the server started):\n{}",
        events.timeline()
    );
    let events = events.all();
    let errors: Vec<&String> = events.iter().filter(|e| e.starts_with("error:")).collect();
    assert!(
        verdict["ok"] == json!(true) && errors.is_empty(),
        "{browser:?}: page failures {}, oxrtc errors {errors:?}",
        verdict["failures"]
    );
}

// ---------------------------------------------------------------------------------------
// A small HTTP/1.1 server: one request per connection, enough for `fetch`.

async fn serve(listener: TcpListener, server: Arc<Server>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let server = server.clone();
        tokio::spawn(async move {
            // A broken request only matters if the page then misses its answer, and the
            // page reports that itself.
            if let Err(e) = handle(stream, &server).await {
                server.events.push(format!("http-io:{e}"));
            }
        });
    }
}

struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            content_type,
            body: body.into(),
        }
    }

    fn status(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "text/plain",
            body: body.into().into_bytes(),
        }
    }
}

async fn handle(mut stream: TcpStream, server: &Server) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buf.len() > 64 * 1024 {
            return Err(std::io::Error::other("request head too long"));
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            // The browser opened a spare connection and closed it unused.
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_string();
    let target = request_line.next().unwrap_or_default().to_string();
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("request body cut short"));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = percent_decode(query);
    server.events.push(format!("http:{method} {path}?{query}"));
    let response = route(server, &method, path, &query, &body).await;
    let reason = match response.status {
        200 => "OK",
        404 => "Not Found",
        504 => "Gateway Timeout",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        response.status,
        response.content_type,
        response.body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&response.body).await?;
    stream.shutdown().await
}

/// Enough of percent-decoding for the page's `encodeURIComponent` of ASCII event names.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn route(server: &Server, method: &str, path: &str, query: &str, body: &[u8]) -> Response {
    match (method, path) {
        ("GET", "/") => Response::ok("text/html; charset=utf-8", server.page.clone()),
        ("GET", "/media.js") => Response::ok("text/javascript", server.media_script.clone()),
        ("POST", "/progress") => {
            *server.step.lock().unwrap() = String::from_utf8_lossy(body).into_owned();
            Response::ok("text/plain", "")
        }
        ("POST", "/result") => match serde_json::from_slice::<Value>(body) {
            Ok(verdict) => {
                server.verdict.send_replace(Some(verdict));
                Response::ok("text/plain", "")
            }
            Err(e) => {
                server.events.error(format!("verdict is not JSON: {e}"));
                Response::status(400, "bad verdict")
            }
        },
        ("POST", "/await") => match server.events.wait_for(query, AWAIT_LIMIT).await {
            Ok(()) => Response::ok("text/plain", ""),
            Err(why) => Response::status(504, why),
        },
        ("POST", "/offer")
        | ("GET", "/offer")
        | ("POST", "/answer")
        | ("POST", "/command")
        | ("POST", "/media/offer")
        | ("GET", "/media/offer")
        | ("POST", "/media/answer")
        | ("POST", "/media/close") => {
            let result = match (method, path) {
                ("POST", "/media/offer") => server.media.answer(&server.events, query, body).await,
                ("GET", "/media/offer") => server.media.offer(&server.events).await,
                ("POST", "/media/answer") => {
                    server.media.take_answer(body).await.map(|()| json!({}))
                }
                ("POST", "/media/close") => server
                    .media
                    .close(&server.events, query)
                    .await
                    .map(|()| json!({})),
                ("POST", "/offer") => server.peer.answer(&server.events, body).await,
                ("GET", "/offer") => server.peer.offer(&server.events).await,
                ("POST", "/answer") => server.peer.take_answer(body).await.map(|()| json!({})),
                _ => server
                    .peer
                    .command(&server.events, query)
                    .await
                    .map(|()| json!({})),
            };
            match result {
                Ok(value) => Response::ok("application/json", value.to_string()),
                Err(e) => {
                    server.events.error(format!("{method} {path}?{query}: {e}"));
                    Response::status(500, e)
                }
            }
        }
        _ => Response::status(404, "not found"),
    }
}

// ---------------------------------------------------------------------------------------
// The oxrtc side.

/// The messages oxrtc sends on a channel it opened, and expects back in order: text with
/// non-ASCII, small binary, both kinds of empty message and one that spans many packets.
fn greetings() -> Vec<(bool, Bytes)> {
    vec![
        (true, Bytes::from("hello from oxrtc \u{2713}")),
        (false, Bytes::from_static(&[0, 1, 2, 3, 255])),
        (true, Bytes::new()),
        (false, Bytes::new()),
        (false, (0..40_000u32).map(|i| (i * 7) as u8).collect()),
    ]
}

fn describe(is_string: bool, data: &[u8]) -> String {
    let kind = if is_string { "text" } else { "binary" };
    format!("{kind} of {} bytes", data.len())
}

/// Echoes every message of a channel the browser opened, keeping its kind.
fn echo(events: &Events, dc: &RtcDataChannel) {
    let label = dc.label().to_string();
    events.push(format!("open:{label}"));
    events.push(format!(
        "props:{label}:ordered={},max_retransmits={:?},max_packet_life_time={:?}",
        dc.ordered(),
        dc.max_retransmits(),
        dc.max_packet_life_time()
    ));
    if dc.ready_state() != DataChannelState::Open {
        events.error(format!(
            "{label}: announced by on_data_channel in state {:?}",
            dc.ready_state()
        ));
    }
    let sender = dc.clone();
    let on_message = events.clone();
    let name = label.clone();
    dc.on_message(move |m: DataChannelMessage| {
        let sent = if m.is_string {
            match std::str::from_utf8(&m.data) {
                Ok(text) => sender.send_text(text),
                Err(_) => {
                    on_message.error(format!("{name}: text message is not UTF-8"));
                    return;
                }
            }
        } else {
            sender.send(m.data)
        };
        if let Err(e) = sent {
            on_message.error(format!("{name}: echo failed: {e}"));
        }
    });
    let on_close = events.clone();
    dc.on_close(move || on_close.push(format!("close:{label}")));
}

/// On a channel oxrtc opened: sends [`greetings`] once open, checks the page's echoes and
/// reports `echoed:<label>` when all came back intact and in order.
fn greet(events: &Events, dc: &RtcDataChannel) {
    let label = dc.label().to_string();
    let sender = dc.clone();
    let on_open = events.clone();
    let name = label.clone();
    dc.on_open(move || {
        on_open.push(format!("open:{name}"));
        for (is_string, data) in greetings() {
            let sent = if is_string {
                sender.send_text(std::str::from_utf8(&data).expect("UTF-8 greeting"))
            } else {
                sender.send(data)
            };
            if let Err(e) = sent {
                on_open.error(format!("{name}: send failed: {e}"));
            }
        }
    });
    let expected = greetings();
    let mut next = 0;
    let on_message = events.clone();
    let name = label.clone();
    dc.on_message(move |m: DataChannelMessage| match expected.get(next) {
        Some((is_string, data)) if *is_string == m.is_string && *data == m.data => {
            next += 1;
            if next == expected.len() {
                on_message.push(format!("echoed:{name}"));
            }
        }
        Some((is_string, data)) => on_message.error(format!(
            "{name}: echo #{next} is {}, sent {}",
            describe(m.is_string, &m.data),
            describe(*is_string, data)
        )),
        None => on_message.error(format!(
            "{name}: unexpected extra {}",
            describe(m.is_string, &m.data)
        )),
    });
    let on_close = events.clone();
    dc.on_close(move || on_close.push(format!("close:{label}")));
}

/// The SDP of a `{"type": ..., "sdp": ...}` body from the page.
fn sdp_of(body: &[u8], kind: &str) -> Result<String, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("{kind} is not JSON: {e}"))?;
    if value["type"] != json!(kind) {
        return Err(format!("expected type {kind}, got {}", value["type"]));
    }
    value["sdp"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{kind} without sdp"))
}

/// A connection on [`OXRTC_BIND`] that reports its states as `<role>:state:` and
/// `<role>:ice:` events.
fn connection(events: &Events, role: &str) -> Result<PeerConnection, String> {
    let pc = PeerConnection::new(RtcConfiguration {
        bind_addresses: vec![OXRTC_BIND],
        ..Default::default()
    })
    .map_err(|e| format!("PeerConnection::new: {e}"))?;
    let on_state = events.clone();
    let name = role.to_string();
    pc.on_connection_state_change(move |s: PeerConnectionState| {
        on_state.push(format!("{name}:state:{s:?}"));
    });
    let on_ice = events.clone();
    let name = role.to_string();
    pc.on_ice_connection_state_change(move |s: IceConnectionState| {
        on_ice.push(format!("{name}:ice:{s:?}"));
    });
    Ok(pc)
}

/// Non-trickle: the description once every candidate is in it.
async fn settle(
    pc: &PeerConnection,
    desc: RtcSessionDescription,
) -> Result<RtcSessionDescription, String> {
    pc.set_local_description(desc)
        .await
        .map_err(|e| format!("set_local_description: {e}"))?;
    tokio::time::timeout(Duration::from_secs(10), pc.gathering_complete())
        .await
        .map_err(|_| "gathering did not complete in 10 s".to_string())?;
    pc.local_description()
        .ok_or_else(|| "no local description after gathering".to_string())
}

/// The two oxrtc connections of a run and the channels they hold.
struct Peer {
    browser: Browser,
    /// Case 1, 3 and 4: the browser offered, oxrtc answered.
    answerer: tokio::sync::Mutex<Option<PeerConnection>>,
    /// Case 2: oxrtc offered.
    offerer: tokio::sync::Mutex<Option<PeerConnection>>,
    /// Every channel by label, so none is dropped while the page still uses it.
    channels: Arc<Mutex<HashMap<String, RtcDataChannel>>>,
}

impl Peer {
    fn new(browser: Browser) -> Self {
        Self {
            browser,
            answerer: tokio::sync::Mutex::new(None),
            offerer: tokio::sync::Mutex::new(None),
            channels: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Case 1: answers the page's offer; echoes on every channel the page opens.
    async fn answer(&self, events: &Events, body: &[u8]) -> Result<Value, String> {
        let offer = sdp_of(body, "offer")?;
        let pc = connection(events, "answerer")?;
        let on_channel = events.clone();
        let channels = self.channels.clone();
        pc.on_data_channel(move |dc: RtcDataChannel| {
            echo(&on_channel, &dc);
            channels.lock().unwrap().insert(dc.label().to_string(), dc);
        });
        pc.set_remote_description(RtcSessionDescription::offer(offer))
            .await
            .map_err(|e| format!("set_remote_description(browser offer): {e}"))?;
        let answer = pc
            .create_answer()
            .await
            .map_err(|e| format!("create_answer: {e}"))?;
        let answer = settle(&pc, answer).await?;
        *self.answerer.lock().await = Some(pc);
        Ok(json!({ "type": "answer", "sdp": answer.sdp }))
    }

    /// Case 2: offers with a channel of oxrtc's own.
    async fn offer(&self, events: &Events) -> Result<Value, String> {
        let pc = connection(events, "offerer")?;
        let dc = pc
            .create_data_channel("oxrtc-offer", DataChannelInit::default())
            .map_err(|e| format!("create_data_channel: {e}"))?;
        greet(events, &dc);
        self.channels
            .lock()
            .unwrap()
            .insert("oxrtc-offer".into(), dc);
        let offer = pc
            .create_offer()
            .await
            .map_err(|e| format!("create_offer: {e}"))?;
        let offer = settle(&pc, offer).await?;
        *self.offerer.lock().await = Some(pc);
        Ok(json!({ "type": "offer", "sdp": offer.sdp }))
    }

    async fn take_answer(&self, body: &[u8]) -> Result<(), String> {
        let answer = sdp_of(body, "answer")?;
        let offerer = self.offerer.lock().await;
        let pc = offerer.as_ref().ok_or("an answer before any offer")?;
        pc.set_remote_description(RtcSessionDescription::answer(answer))
            .await
            .map_err(|e| format!("set_remote_description(browser answer): {e}"))
    }

    /// Cases 3 and 4: what the page asks oxrtc to do on the answering connection.
    async fn command(&self, events: &Events, what: &str) -> Result<(), String> {
        let mut answerer = self.answerer.lock().await;
        let pc = answerer.as_ref().ok_or("no connection yet")?;
        match what {
            "open-channel" => {
                let dc = pc
                    .create_data_channel("oxrtc-late", DataChannelInit::default())
                    .map_err(|e| format!("create_data_channel: {e}"))?;
                greet(events, &dc);
                self.channels
                    .lock()
                    .unwrap()
                    .insert("oxrtc-late".into(), dc);
            }
            "close-channel" => {
                let channels = self.channels.lock().unwrap();
                let dc = channels.get("oxrtc-late").ok_or("no channel oxrtc-late")?;
                dc.close();
            }
            "close-pc" => {
                let pc = answerer.take().expect("checked above");
                pc.close().await;
                events.push("answerer:closed");
            }
            _ => return Err(format!("unknown command {what}")),
        }
        Ok(())
    }

    /// What oxrtc itself must have seen, beyond the page's verdict.
    fn check(&self, events: &[String]) {
        for needed in [
            "answerer:state:Connected",
            "offerer:state:Connected",
            "open:echo",
            "open:late",
            "open:unordered",
            "close:late",
            "echoed:oxrtc-late",
            "echoed:oxrtc-offer",
            // DCEP's channel type and reliability parameter, as the page set them.
            "props:echo:ordered=true,max_retransmits=None,max_packet_life_time=None",
            "props:unordered:ordered=false,max_retransmits=Some(0),max_packet_life_time=None",
        ] {
            assert!(
                events.iter().any(|e| e == needed),
                "{:?}: oxrtc never reported `{needed}`",
                self.browser
            );
        }
    }
}
