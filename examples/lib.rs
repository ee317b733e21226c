//! Runnable examples of oxrtc; see `examples/README.md` for the list and how to run each.

#![forbid(unsafe_code)]

pub mod dtls_cli;
pub mod http_signaling;

/// The README's code blocks, compiled and run as doc tests so the README cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
