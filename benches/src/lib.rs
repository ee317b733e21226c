//! Benchmarks of oxrtc beside the baselines users would otherwise reach for.
//!
//! Run `cargo bench -p oxrtc-benches`; each bench file compares oxrtc with its baseline
//! (the raw cipher, or the crate inside webrtc-rs 0.21) on the same input in one group.
//!
//! This library holds the set-up code more than one bench needs: established DTLS pairs
//! ([`dtls`]) and SCTP association pairs ([`sctp`]) for oxrtc and its baselines, used by the
//! throughput benches and by the `memory` bench alike.

#![forbid(unsafe_code)]

pub mod dtls;
pub mod sctp;
