//! Media through oxrtc's PeerConnection, checked by aiortc's decoders: aiortc sends its
//! synthetic video (and Opus audio), an oxrtc connection sends every RTP packet back on
//! its own tracks (the `reflect` example's logic), and aiortc decodes what returns.
//!
//! The path covers SDP codec negotiation under aiortc's payload types, DTLS-SRTP keys,
//! SRTP both ways, demultiplexing by SSRC/MID, RTP rewriting (SSRC, payload type,
//! sequence numbers) and PLI/FIR passed upstream: a frame only decodes if all of it is
//! right. aiortc 1.16 offers VP8 and H.264 (packetization mode 1) video and Opus audio.

use std::net::SocketAddr;
use std::time::Duration;

use oxrtc::{
    MediaKind, PeerConnection, RtcConfiguration, RtcSessionDescription, RtpCodecCapability,
    TrackLocal,
};
use oxrtc_examples::http_signaling::{self, Request, Response};
use oxrtc_interop::{interop_dir, require_python_venv, PeerProcess};

/// Answers an offer with a connection that sends every received packet back.
async fn reflect(body: Vec<u8>, video_codec: RtpCodecCapability) -> Response {
    let Ok(offer) = serde_json::from_slice::<RtcSessionDescription>(&body) else {
        return Response::error(400, "not a description");
    };
    let pc = PeerConnection::new(RtcConfiguration {
        bind_addresses: vec!["127.0.0.1:0".parse().unwrap()],
        ..RtcConfiguration::default()
    })
    .unwrap();
    let video = TrackLocal::new(video_codec, "video-back", "reflect").unwrap();
    let audio = TrackLocal::new(RtpCodecCapability::opus(), "audio-back", "reflect").unwrap();
    pc.add_track(&video).unwrap();
    pc.add_track(&audio).unwrap();
    pc.on_track(move |remote| {
        let sink = match remote.kind() {
            MediaKind::Video => video.clone(),
            MediaKind::Audio => audio.clone(),
        };
        let source = remote.clone();
        sink.on_keyframe_request(move || drop(source.request_keyframe()));
        remote.on_rtp(move |packet| drop(sink.write_rtp(&packet)));
    });
    pc.set_remote_description(offer).await.unwrap();
    pc.set_local_description(pc.create_answer().await.unwrap())
        .await
        .unwrap();
    pc.gathering_complete().await;
    let answer = pc.local_description().unwrap();
    // The connection lives until the test's runtime ends.
    std::mem::forget(pc);
    Response::ok("application/json", serde_json::to_string(&answer).unwrap())
}

fn run(video_codec: &str, with_audio: bool) {
    let Some(python) = require_python_venv() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let capability = match video_codec {
        "VP8" => RtpCodecCapability::vp8(),
        _ => RtpCodecCapability::h264(),
    };
    let addr: SocketAddr = runtime.block_on(async move {
        let listener = http_signaling::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(http_signaling::serve(listener, move |request: Request| {
            let capability = capability.clone();
            async move { reflect(request.body, capability).await }
        }));
        addr
    });
    let script = interop_dir().join("scripts/peer_aiortc_media.py");
    let mut args = vec![
        script.display().to_string(),
        format!("http://{addr}/offer"),
        video_codec.to_owned(),
    ];
    if with_audio {
        args.push("--audio".to_owned());
    }
    let mut peer = PeerProcess::spawn(&python, &args);
    let video = peer.wait_for_n("video", 30, Duration::from_secs(40));
    assert!(
        video.iter().all(|size| size == "640x480"),
        "frames came back whole: {video:?}"
    );
    if with_audio {
        let audio = peer.wait_for_n("audio", 20, Duration::from_secs(20));
        assert!(audio.iter().all(|samples| samples == "960"), "{audio:?}");
    }
    assert_eq!(peer.wait_for("done", Duration::from_secs(20)), "ok");
    drop(runtime);
}

#[test]
fn vp8_and_opus_come_back_decodable() {
    run("VP8", true);
}

#[test]
fn h264_comes_back_decodable() {
    run("H264", false);
}
