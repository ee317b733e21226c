//! `oxrtc-ice`: STUN, ICE, a TURN client and server, and mDNS candidates, as sans-IO
//! state machines.
//!
//! The ICE [`Agent`] is driven like every oxrtc layer: feed it what arrives, wake it
//! at its deadline, send what it asks. Two agents connecting in memory, with a
//! virtual clock:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use oxrtc_ice::{Agent, AgentConfig, Candidate, Datagram, Role};
//!
//! let mut now = Instant::now();
//! let mut a = Agent::new(AgentConfig { rng_seed: Some([1; 32]), ..AgentConfig::default() });
//! let mut b = Agent::new(AgentConfig {
//!     role: Role::Controlled,
//!     rng_seed: Some([2; 32]),
//!     ..AgentConfig::default()
//! });
//! // Signaling: credentials and candidates (SDP or trickle in real life).
//! let (addr_a, addr_b) = ("192.0.2.1:5000".parse()?, "192.0.2.2:6000".parse()?);
//! a.set_remote_credentials(b.local_credentials().clone())?;
//! b.set_remote_credentials(a.local_credentials().clone())?;
//! a.add_local_candidate(Candidate::host(addr_a))?;
//! b.add_local_candidate(Candidate::host(addr_b))?;
//! a.add_remote_candidate(Candidate::host(addr_b))?;
//! b.add_remote_candidate(Candidate::host(addr_a))?;
//!
//! for _ in 0..100 {
//!     a.handle_timeout(now);
//!     b.handle_timeout(now);
//!     // "Send" every datagram straight to the other agent.
//!     loop {
//!         let mut moved = false;
//!         while let Some(t) = a.poll_transmit() {
//!             let _ = b.handle_receive(now, Datagram::udp(t.remote, t.local, &t.data));
//!             moved = true;
//!         }
//!         while let Some(t) = b.poll_transmit() {
//!             let _ = a.handle_receive(now, Datagram::udp(t.remote, t.local, &t.data));
//!             moved = true;
//!         }
//!         if !moved {
//!             break;
//!         }
//!     }
//!     if a.selected_path().is_some() && b.selected_path().is_some() {
//!         break;
//!     }
//!     now += Duration::from_millis(10);
//! }
//! let path = a.selected_path().expect("connected");
//! assert_eq!((path.local, path.remote), (addr_a, addr_b));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

// ICE candidates (the ICE agent helper's part of the public interface).
mod candidate;
pub use candidate::{
    compute_foundation, compute_priority, is_mdns_name, Address, Candidate, CandidateError,
    CandidateKind, TcpType, Transport, MAX_CANDIDATE_EXTENSIONS, MAX_CANDIDATE_LEN,
    MAX_FOUNDATION_LEN,
};

// The sans-IO ICE agent (the ICE agent helper's part).
mod agent;
pub use agent::{
    binding_request_ufrag, Agent, AgentConfig, AgentError, AgentEvent, CandidatePairState,
    CandidatePairStats, ConnectionState, Credentials, Datagram, GatheringState, Path, Protocol,
    Received, Role, Transmit, DEFAULT_CONSENT_INTERVAL, DEFAULT_CONSENT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL, DEFAULT_TA,
};

// Candidate gathering helpers (the ICE agent helper's part).
pub mod gather;

// mDNS `.local` candidates (the ICE agent helper's part).
pub mod mdns;

// RFC 4571 framing for ICE-TCP (the ICE agent helper's part).
pub mod tcp_framing;

// STUN codec, credentials, transactions and binding server (the STUN/TURN helper's part).
pub mod stun;

// TURN client, server core and ChannelData (the STUN/TURN helper's part).
pub mod turn;
