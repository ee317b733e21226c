//! A server that answers a browser's offer over HTTP, echoes every data channel message
//! back and sends the browser's video (VP8) back to it: the shape of a handoff target,
//! an SFU's signaling, a WHIP endpoint.
//!
//! ```sh
//! cargo run --release --example reflect -- --listen 127.0.0.1:8080 --ice 127.0.0.1
//! # or with every connection on one UDP port:
//! cargo run --release --example reflect -- --listen 127.0.0.1:8080 --udp-port 3478
//! # then open http://127.0.0.1:8080/ in a browser on this machine, or:
//! curl -s -X POST --data-binary @offer.json http://127.0.0.1:8080/offer
//! ```
//!
//! `POST /offer` takes `{"type":"offer","sdp":"..."}` (what `JSON.stringify(pc.localDescription)`
//! gives) and answers with the same shape, candidates included (no trickle).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use oxrtc::{
    MediaKind, PeerConnection, PeerConnectionState, RtcConfiguration, RtcSessionDescription,
    RtpCodecCapability, TrackLocal, UdpMux,
};
use oxrtc_examples::http_signaling::{self, Request, Response};

const PAGE: &str = include_str!("web/reflect.html");

struct Args {
    listen: SocketAddr,
    ice: Vec<IpAddr>,
    udp_port: Option<u16>,
}

fn parse_args() -> Result<Args, String> {
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut ice = Vec::new();
    let mut udp_port = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--listen" => {
                listen = value("--listen")?
                    .parse()
                    .map_err(|e| format!("--listen: {e}"))?
            }
            "--ice" => ice.push(value("--ice")?.parse().map_err(|e| format!("--ice: {e}"))?),
            "--udp-port" => {
                udp_port = Some(
                    value("--udp-port")?
                        .parse()
                        .map_err(|e| format!("--udp-port: {e}"))?,
                )
            }
            "-h" | "--help" => return Err(
                "usage: reflect [--listen ADDR:PORT] [--ice IP]... [--udp-port PORT]\n  --ice: an \
                     address to take media on (repeatable); default: the --listen IP\n  \
                     --udp-port: every connection on this one UDP port of the first --ice IP"
                    .into(),
            ),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if ice.is_empty() {
        ice.push(listen.ip());
    }
    Ok(Args {
        listen,
        ice,
        udp_port,
    })
}

/// Live connections by number, so they stay up until they close or fail.
type Connections = Arc<Mutex<HashMap<u64, PeerConnection>>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    // One certificate for every connection: generating one per offer costs time.
    let certificate = oxrtc::dtls::Certificate::generate()?;
    let config = match args.udp_port {
        // A server behind one firewall rule: every connection shares the port.
        Some(port) => RtcConfiguration {
            udp_mux: Some(UdpMux::bind(SocketAddr::new(args.ice[0], port)).await?),
            certificate: Some(certificate),
            ..RtcConfiguration::default()
        },
        None => RtcConfiguration {
            bind_addresses: args.ice.iter().map(|ip| SocketAddr::new(*ip, 0)).collect(),
            certificate: Some(certificate),
            ..RtcConfiguration::default()
        },
    };
    let connections: Connections = Arc::default();
    let next_id = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let listener = http_signaling::bind(args.listen).await?;
    println!(
        "reflect: open http://{}/ (POST /offer for signaling)",
        args.listen
    );
    http_signaling::serve(listener, move |request: Request| {
        let (config, connections, next_id) = (config.clone(), connections.clone(), next_id.clone());
        async move {
            match (request.method.as_str(), request.path.as_str()) {
                ("GET", "/") => Response::ok("text/html; charset=utf-8", PAGE),
                ("POST", "/offer") => {
                    let id = next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    match answer(config, &request.body, id, connections).await {
                        Ok(answer) => Response::ok("application/json", answer),
                        Err(e) => Response::error(400, e.to_string()),
                    }
                }
                ("GET" | "POST", _) => Response::error(404, "not found"),
                _ => Response::error(405, "method not allowed"),
            }
        }
    })
    .await;
    Ok(())
}

/// Answers one offer with a new connection that echoes its channels.
async fn answer(
    config: RtcConfiguration,
    body: &[u8],
    id: u64,
    connections: Connections,
) -> Result<String, Box<dyn std::error::Error>> {
    let offer: RtcSessionDescription = serde_json::from_slice(body)?;
    let pc = PeerConnection::new(config)?;
    // Media: a VP8 track added before the offer is applied takes the offer's video
    // section, so the answer sends there; whatever the browser sends comes back on it.
    let reflected = TrackLocal::new(RtpCodecCapability::vp8(), "reflected", "reflect")?;
    pc.add_track(&reflected)?;
    pc.on_track(move |remote| {
        if remote.kind() != MediaKind::Video {
            return;
        }
        println!("connection {id}: video track in section {:?}", remote.mid());
        // The browser asks us for keyframes; only its encoder can make one.
        let source = remote.clone();
        reflected.on_keyframe_request(move || drop(source.request_keyframe()));
        let sink = reflected.clone();
        remote.on_rtp(move |packet| drop(sink.write_rtp(&packet)));
    });
    pc.on_data_channel(move |channel| {
        println!("connection {id}: channel {:?} opened", channel.label());
        let echo = channel.clone();
        channel.on_message(move |m| {
            let sent = if m.is_string {
                echo.send_text(String::from_utf8_lossy(&m.data).into_owned())
            } else {
                echo.send(m.data)
            };
            if let Err(e) = sent {
                println!("connection {id}: echo failed: {e}");
            }
        });
    });
    let registry = connections.clone();
    pc.on_connection_state_change(move |state| {
        println!("connection {id}: {state:?}");
        if matches!(
            state,
            PeerConnectionState::Failed | PeerConnectionState::Closed
        ) {
            // Dropped outside the callback's lock scope: the last handle closes it.
            let gone = registry
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            drop(gone);
        }
    });
    pc.set_remote_description(offer).await?;
    pc.set_local_description(pc.create_answer().await?).await?;
    pc.gathering_complete().await;
    let answer = pc.local_description().ok_or("no local description")?;
    connections
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, pc);
    Ok(serde_json::to_string(&answer)?)
}
