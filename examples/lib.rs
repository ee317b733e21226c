//! Runnable examples of oxrtc; see `examples/README.md` for the list and how to run each.

#![forbid(unsafe_code)]
