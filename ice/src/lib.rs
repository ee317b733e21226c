//! `oxrtc-ice`: STUN, ICE, a TURN client and server, and mDNS candidates, as sans-IO
//! state machines.

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
    CandidatePairStats, ConnectionState, Credentials, Datagram, GatheringState, Path,
    Protocol, Received, Role, Transmit, DEFAULT_CONSENT_INTERVAL, DEFAULT_CONSENT_TIMEOUT,
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
