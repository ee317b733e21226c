//! `oxrtc-sdp`: an SDP (RFC 8866) parser and writer with typed WebRTC attributes.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
