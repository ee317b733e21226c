//! Two PeerConnections in one process over loopback UDP.

use std::time::Duration;

use oxrtc::{DataChannelInit, PeerConnection, PeerConnectionState, RtcConfiguration};
use tokio::time::timeout;

fn config() -> RtcConfiguration {
    RtcConfiguration {
        bind_addresses: vec!["127.0.0.1:0".parse().unwrap()],
        ..RtcConfiguration::default()
    }
}

const STEP: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_channel_between_two_connections() {
    let (alice, bob) = (
        PeerConnection::new(config()).unwrap(),
        PeerConnection::new(config()).unwrap(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    bob.on_data_channel(move |channel| {
        let tx = tx.clone();
        channel.on_message(move |m| drop(tx.send(m)));
    });
    let chat = alice
        .create_data_channel("chat", DataChannelInit::default())
        .unwrap();
    let (open_tx, mut open_rx) = tokio::sync::mpsc::unbounded_channel();
    chat.on_open(move || {
        let _ = open_tx.send(());
    });

    alice
        .set_local_description(alice.create_offer().await.unwrap())
        .await
        .unwrap();
    timeout(STEP, alice.gathering_complete())
        .await
        .expect("alice gathers");
    bob.set_remote_description(alice.local_description().unwrap())
        .await
        .unwrap();
    bob.set_local_description(bob.create_answer().await.unwrap())
        .await
        .unwrap();
    timeout(STEP, bob.gathering_complete())
        .await
        .expect("bob gathers");
    alice
        .set_remote_description(bob.local_description().unwrap())
        .await
        .unwrap();

    timeout(STEP, open_rx.recv()).await.expect("channel opens");
    chat.send_text("hello").unwrap();
    let m = timeout(STEP, rx.recv())
        .await
        .expect("message arrives")
        .unwrap();
    assert!(m.is_string);
    assert_eq!(&m.data[..], b"hello");
    assert_eq!(alice.connection_state(), PeerConnectionState::Connected);
    alice.close().await;
}

/// A VP8 track: frames written on one side come out of the other side's depayloader
/// byte for byte; a keyframe request travels back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn video_track_frames_arrive_intact() {
    use oxrtc::rtp::codecs::{Depayloader, Vp8Depayloader};
    use oxrtc::{RtpCodecCapability, TrackLocal};

    let (alice, bob) = (
        PeerConnection::new(config()).unwrap(),
        PeerConnection::new(config()).unwrap(),
    );
    let track = TrackLocal::new(RtpCodecCapability::vp8(), "camera", "stream").unwrap();
    alice.add_track(&track).unwrap();
    let (keyframe_tx, mut keyframe_rx) = tokio::sync::mpsc::unbounded_channel();
    track.on_keyframe_request(move || {
        let _ = keyframe_tx.send(());
    });
    let (frames_tx, mut frames_rx) = tokio::sync::mpsc::unbounded_channel();
    let (remote_tx, mut remote_rx) = tokio::sync::mpsc::unbounded_channel();
    bob.on_track(move |remote| {
        let _ = remote_tx.send(remote.clone());
        let frames_tx = frames_tx.clone();
        let mut depayloader = Vp8Depayloader::default();
        let mut frame = Vec::new();
        remote.on_rtp(move |packet| {
            let rtp = oxrtc::rtp::RtpPacket::parse(&packet).unwrap();
            if depayloader.depayload(rtp.payload(), &mut frame).is_ok() && rtp.marker() {
                let _ = frames_tx.send(std::mem::take(&mut frame));
            }
        });
    });
    negotiate(&alice, &bob).await;
    let remote = timeout(STEP, remote_rx.recv()).await.unwrap().unwrap();
    assert_eq!(remote.kind(), oxrtc::MediaKind::Video);
    while alice.connection_state() != PeerConnectionState::Connected {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Frames of several sizes, some larger than one packet; a VP8 keyframe header.
    let frames: Vec<Vec<u8>> = (0..20usize)
        .map(|i| {
            let mut f = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
            f.extend((0..i * 301).map(|b| (b * 7 + i) as u8));
            f
        })
        .collect();
    for f in &frames {
        track.write_sample(f, Duration::from_millis(33)).unwrap();
    }
    for f in &frames {
        let got = timeout(STEP, frames_rx.recv()).await.unwrap().unwrap();
        assert_eq!(&got, f);
    }
    remote.request_keyframe().unwrap();
    timeout(STEP, keyframe_rx.recv())
        .await
        .expect("PLI arrives");
    alice.close().await;
    bob.close().await;
}

/// Offer/answer without trickle: `offerer`'s description once gathered, then the answer.
async fn negotiate(offerer: &PeerConnection, answerer: &PeerConnection) {
    offerer
        .set_local_description(offerer.create_offer().await.unwrap())
        .await
        .unwrap();
    timeout(STEP, offerer.gathering_complete()).await.unwrap();
    answerer
        .set_remote_description(offerer.local_description().unwrap())
        .await
        .unwrap();
    answerer
        .set_local_description(answerer.create_answer().await.unwrap())
        .await
        .unwrap();
    timeout(STEP, answerer.gathering_complete()).await.unwrap();
    offerer
        .set_remote_description(answerer.local_description().unwrap())
        .await
        .unwrap();
}

/// Whole frames out of a remote track: reassembled by the sample builder, in order,
/// keyframes flagged, with the RTP timestamps the sender's durations gave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_track_delivers_whole_frames() {
    use oxrtc::{RtpCodecCapability, TrackLocal};

    let (alice, bob) = (
        PeerConnection::new(config()).unwrap(),
        PeerConnection::new(config()).unwrap(),
    );
    let track = TrackLocal::new(RtpCodecCapability::vp8(), "camera", "stream").unwrap();
    alice.add_track(&track).unwrap();
    let (samples_tx, mut samples_rx) = tokio::sync::mpsc::unbounded_channel();
    bob.on_track(move |remote| {
        let samples_tx = samples_tx.clone();
        remote.on_sample(move |sample| {
            let _ = samples_tx.send(sample);
        });
    });
    negotiate(&alice, &bob).await;
    while alice.connection_state() != PeerConnectionState::Connected {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A keyframe (VP8 P bit 0), then interframes (P bit 1), some over one packet.
    let frames: Vec<Vec<u8>> = (0..10usize)
        .map(|i| {
            let mut f = vec![if i == 0 { 0x10 } else { 0x11 }, 0x02, 0x00];
            f.extend((0..i * 499).map(|b| (b + i) as u8));
            f
        })
        .collect();
    for f in &frames {
        track.write_sample(f, Duration::from_millis(40)).unwrap();
    }
    let mut first_timestamp = None;
    for (i, f) in frames.iter().enumerate() {
        let sample = timeout(STEP, samples_rx.recv()).await.unwrap().unwrap();
        assert_eq!(&sample.data, f, "frame {i}");
        assert_eq!(sample.keyframe, i == 0, "frame {i}");
        let first = *first_timestamp.get_or_insert(sample.timestamp);
        // 40 ms at 90 kHz per frame.
        assert_eq!(sample.timestamp.wrapping_sub(first), 3600 * i as u32);
    }
    alice.close().await;
    bob.close().await;
}

/// A STUN server in `ice_servers` is asked from the connection's socket before
/// gathering completes (on loopback the mapped address is the host's own, so no
/// `srflx` candidate results, as in a browser without NAT).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stun_server_is_asked_before_gathering_completes() {
    use oxrtc::RtcIceServer;
    use oxrtc_ice::stun::BindingServer;

    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = socket.local_addr().unwrap().port();
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    tokio::spawn(async move {
        let mut server = BindingServer::new();
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            if server.handle_receive(from, &buf[..n]).is_ok() {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            while let Some(t) = server.poll_transmit() {
                let _ = socket.send_to(&t.contents, t.destination).await;
            }
        }
    });
    let pc = PeerConnection::new(RtcConfiguration {
        ice_servers: vec![RtcIceServer {
            urls: vec![format!("stun:127.0.0.1:{port}")],
        }],
        ..config()
    })
    .unwrap();
    pc.create_data_channel("x", DataChannelInit::default())
        .unwrap();
    pc.set_local_description(pc.create_offer().await.unwrap())
        .await
        .unwrap();
    timeout(STEP, pc.gathering_complete())
        .await
        .expect("gathering completes");
    assert!(asked.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    let sdp = pc.local_description().unwrap().sdp;
    assert!(
        sdp.contains("typ host") && !sdp.contains("typ srflx"),
        "{sdp}"
    );
    pc.close().await;
}
