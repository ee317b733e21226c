//! Many server-side connections on one UDP port, each reached by its own client.

use std::time::Duration;

use oxrtc::{DataChannelInit, PeerConnection, RtcConfiguration, UdpMux};
use tokio::sync::mpsc;
use tokio::time::timeout;

const CONNECTIONS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_connections_share_one_port() {
    let mux = UdpMux::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let certificate = oxrtc::dtls::Certificate::generate().unwrap();
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    let (echo_tx, mut echo_rx) = mpsc::unbounded_channel();
    for i in 0..CONNECTIONS {
        let server = PeerConnection::new(RtcConfiguration {
            udp_mux: Some(mux.clone()),
            certificate: Some(certificate.clone()),
            ..RtcConfiguration::default()
        })
        .unwrap();
        server.on_data_channel(move |channel| {
            let echo = channel.clone();
            channel.on_message(move |m| {
                let text = String::from_utf8_lossy(&m.data).into_owned();
                let _ = echo.send_text(format!("server {i} got {text}"));
            });
        });
        let client = PeerConnection::new(RtcConfiguration {
            bind_addresses: vec!["127.0.0.1:0".parse().unwrap()],
            ..RtcConfiguration::default()
        })
        .unwrap();
        let channel = client
            .create_data_channel("echo", DataChannelInit::default())
            .unwrap();
        let sender = channel.clone();
        channel.on_open(move || {
            let _ = sender.send_text(format!("client {i}"));
        });
        let tx = echo_tx.clone();
        channel.on_message(move |m| {
            let _ = tx.send((i, String::from_utf8_lossy(&m.data).into_owned()));
        });
        client
            .set_local_description(client.create_offer().await.unwrap())
            .await
            .unwrap();
        client.gathering_complete().await;
        server
            .set_remote_description(client.local_description().unwrap())
            .await
            .unwrap();
        server
            .set_local_description(server.create_answer().await.unwrap())
            .await
            .unwrap();
        server.gathering_complete().await;
        let answer = server.local_description().unwrap();
        // The mux's address is the server's one candidate.
        let port = format!(" {} typ host", mux.local_addr().port());
        assert_eq!(answer.sdp.matches("a=candidate").count(), 1);
        assert!(answer.sdp.contains(&port), "{}", answer.sdp);
        client.set_remote_description(answer).await.unwrap();
        servers.push(server);
        clients.push((client, channel));
    }
    assert_eq!(mux.connection_count(), CONNECTIONS);
    let mut seen = [false; CONNECTIONS];
    for _ in 0..CONNECTIONS {
        let (i, text) = timeout(Duration::from_secs(20), echo_rx.recv())
            .await
            .expect("every client gets its echo")
            .unwrap();
        // Each client's datagrams reached its own server session, and back.
        assert_eq!(text, format!("server {i} got client {i}"));
        assert!(
            !std::mem::replace(&mut seen[i], true),
            "one echo per client"
        );
    }
    for (client, _) in &clients {
        client.close().await;
    }
    for server in &servers {
        server.close().await;
    }
    drop(servers);
    timeout(Duration::from_secs(5), async {
        while mux.connection_count() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("closed connections leave the mux");
}
