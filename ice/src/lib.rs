//! `oxrtc-ice`: STUN, ICE, a TURN client and server, and mDNS candidates, as sans-IO
//! state machines.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
