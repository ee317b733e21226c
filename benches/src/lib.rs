//! Benchmarks of oxrtc beside the baselines users would otherwise reach for.
//!
//! Run `cargo bench -p oxrtc-benches`; each bench file compares oxrtc with its baseline
//! (the raw cipher, or the crate inside webrtc-rs 0.21) on the same input in one group.

#![forbid(unsafe_code)]
