//! `oxrtc`: a pure-Rust WebRTC stack with a browser-like API.
//!
//! The `PeerConnection` API is being built on top of the protocol layers; until it
//! lands this crate gathers the layers under one name, so an application can depend on
//! `oxrtc` alone and reach every layer:
//!
//! | module | crate | protocol |
//! |---|---|---|
//! | [`rtp`] | `oxrtc-rtp` | RTP/RTCP packets, payloaders, media files |
//! | [`sdp`] | `oxrtc-sdp` | SDP offers and answers |
//! | [`ice`] | `oxrtc-ice` | STUN, ICE, TURN, mDNS |
//! | [`dtls`] | `oxrtc-dtls` | DTLS 1.2 with DTLS-SRTP |
//! | [`sctp`] | `oxrtc-sctp` | SCTP and data channels |
//! | [`srtp`] | `oxrtc-srtp` | SRTP/SRTCP |

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub use oxrtc_dtls as dtls;
pub use oxrtc_ice as ice;
pub use oxrtc_rtp as rtp;
pub use oxrtc_sctp as sctp;
pub use oxrtc_sdp as sdp;
pub use oxrtc_srtp as srtp;
