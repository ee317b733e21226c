//! `oxrtc-dtls`: a sans-IO DTLS 1.2 endpoint (client and server) with DTLS-SRTP key export.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
