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
