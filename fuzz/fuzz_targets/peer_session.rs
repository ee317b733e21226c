//! A PeerConnection session fed a hostile remote description, then hostile datagrams
//! and timer ticks. Input: the SDP text up to the first NUL byte, then datagrams, each
//! as a one-byte length and that many bytes.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use oxrtc::session::{Session, SessionConfig};
use oxrtc::{DataChannelInit, RtcSessionDescription, SdpType};

fuzz_target!(|data: &[u8]| {
    let (sdp, mut rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(sdp) = std::str::from_utf8(sdp) else {
        return;
    };
    let mut now = Instant::now();
    let mut session = Session::new(SessionConfig {
        rng_seed: Some([7; 32]),
        certificate: Some(certificate()),
        ..SessionConfig::default()
    })
    .expect("a session");
    let local = "127.0.0.1:4000".parse().unwrap();
    let remote = "127.0.0.1:5000".parse().unwrap();
    session.add_local_candidate(local).unwrap();
    session.end_of_local_candidates();
    // Both ways a remote description arrives: as an offer we answer, or as the answer
    // to our offer.
    let as_answer = sdp.len() % 2 == 1;
    if as_answer {
        let _ = session.create_data_channel(now, "fuzz", &DataChannelInit::default());
        let offer = session.create_offer().unwrap();
        session.set_local_description(now, offer).unwrap();
    }
    let description = RtcSessionDescription {
        sdp_type: if as_answer { SdpType::Answer } else { SdpType::Offer },
        sdp: sdp.to_owned(),
    };
    if session.set_remote_description(now, description).is_ok() && !as_answer {
        if let Ok(answer) = session.create_answer() {
            let _ = session.set_local_description(now, answer);
        }
    }
    let _ = session.local_description();
    while let Some((&len, tail)) = rest.split_first() {
        let take = usize::from(len).min(tail.len());
        session.handle_receive(now, local, remote, &tail[..take]);
        rest = &tail[take..];
        now += Duration::from_millis(u64::from(len) * 10);
        session.handle_timeout(now);
        while session.poll_transmit().is_some() {}
        while session.poll_event().is_some() {}
    }
});

/// One certificate for every run: generating costs more than the rest of a run.
fn certificate() -> oxrtc::dtls::Certificate {
    static CERT: std::sync::OnceLock<oxrtc::dtls::Certificate> = std::sync::OnceLock::new();
    CERT.get_or_init(|| oxrtc::dtls::Certificate::generate().expect("a certificate"))
        .clone()
}
