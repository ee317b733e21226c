//! `oxrtc`: a pure-Rust WebRTC stack with a browser-like API.
//!
//! [`PeerConnection`] is `RTCPeerConnection` in snake_case: offers and answers, ICE,
//! DTLS and SCTP data channels, driven by one tokio task per connection. Two peers in
//! one process, with a data channel between them:
//!
//! ```
//! use oxrtc::{DataChannelInit, PeerConnection, RtcConfiguration};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), oxrtc::Error> {
//! let config = || RtcConfiguration {
//!     bind_addresses: vec!["127.0.0.1:0".parse().unwrap()],
//!     ..RtcConfiguration::default()
//! };
//! let (alice, bob) = (PeerConnection::new(config())?, PeerConnection::new(config())?);
//!
//! let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! bob.on_data_channel(move |channel| {
//!     let tx = tx.clone();
//!     channel.on_message(move |m| drop(tx.send(m.data)));
//! });
//! let chat = alice.create_data_channel("chat", DataChannelInit::default())?;
//! let sender = chat.clone();
//! chat.on_open(move || drop(sender.send_text("hello")));
//!
//! // Signaling without trickle: wait for the candidates, pass the whole description.
//! alice.set_local_description(alice.create_offer().await?).await?;
//! alice.gathering_complete().await;
//! bob.set_remote_description(alice.local_description().unwrap()).await?;
//! bob.set_local_description(bob.create_answer().await?).await?;
//! bob.gathering_complete().await;
//! alice.set_remote_description(bob.local_description().unwrap()).await?;
//!
//! assert_eq!(rx.recv().await.as_deref(), Some(&b"hello"[..]));
//! alice.close().await;
//! # Ok(())
//! # }
//! ```
//!
//! Below it, [`session::Session`] is the same connection without I/O, for an
//! application with its own event loop; and every protocol layer is here under its own
//! name:
//!
//! | module | crate | protocol |
//! |---|---|---|
//! | [`rtp`] | `oxrtc-rtp` | RTP/RTCP packets, payloaders, media files |
//! | [`sdp`] | `oxrtc-sdp` | SDP offers and answers |
//! | [`ice`] | `oxrtc-ice` | STUN, ICE, TURN, mDNS |
//! | [`dtls`] | `oxrtc-dtls` | DTLS 1.2 with DTLS-SRTP |
//! | [`sctp`] | `oxrtc-sctp` | SCTP and data channels |
//! | [`srtp`] | `oxrtc-srtp` | SRTP/SRTCP |
//!
//! Media tracks are not here yet: a remote offer's audio and video sections are
//! rejected (port 0) in our answer.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod callbacks;
mod data_channel;
mod description;
mod error;
mod peer_connection;
pub mod session;
mod socket;
mod track;
mod udp_mux;

pub use data_channel::RtcDataChannel;
pub use description::{RtcIceCandidateInit, RtcSessionDescription, SdpType};
pub use error::Error;
pub use peer_connection::{PeerConnection, RtcConfiguration, RtcIceServer};
pub use session::{
    DataChannelInit, DataChannelMessage, DataChannelState, Direction, IceConnectionState,
    IceGatheringState, MediaKind, PeerConnectionState, RtcStatsReport, RtpCodec,
    RtpCodecCapability, SignalingState, TransceiverId,
};
pub use track::{TrackLocal, TrackRemote};
pub use udp_mux::UdpMux;

pub use oxrtc_dtls as dtls;
pub use oxrtc_ice as ice;
pub use oxrtc_rtp as rtp;
pub use oxrtc_sctp as sctp;
pub use oxrtc_sdp as sdp;
pub use oxrtc_srtp as srtp;
