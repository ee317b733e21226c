//! Connection configuration.

use std::time::Duration;

use crate::certificate::{Certificate, Fingerprint};
use crate::suites::{CipherSuite, NamedGroup, SrtpProfile};

/// Which side of the handshake we are. In WebRTC, SDP `a=setup:active` makes us the
/// client and `a=setup:passive` the server ([`Role::from_setup_active`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends the ClientHello.
    Client,
    /// Answers it.
    Server,
}

impl Role {
    /// `true` (we are `a=setup:active`) → client; `false` (`passive`) → server.
    pub fn from_setup_active(active: bool) -> Self {
        if active {
            Role::Client
        } else {
            Role::Server
        }
    }
}

/// How a connection behaves; shared (behind an `Arc`) by every connection of an endpoint.
#[derive(Debug, Clone)]
pub struct Config {
    /// Our certificate (also used as the client certificate).
    pub certificate: Certificate,
    /// Cipher suites in order of preference. Default: all, AES-128-GCM with ECDSA first.
    pub cipher_suites: Vec<CipherSuite>,
    /// ECDHE groups in order of preference. Default: X25519, P-256, P-384.
    pub groups: Vec<NamedGroup>,
    /// SRTP profiles to offer/accept in order of preference; empty disables use_srtp.
    pub srtp_profiles: Vec<SrtpProfile>,
    /// The srtp_mki a client sends (RFC 5764 §4.1.1); empty by default.
    pub srtp_mki: Vec<u8>,
    /// The fingerprints the peer's certificate must match (from its SDP). Empty accepts
    /// any certificate — only for tests and tools; WebRTC always sets this.
    pub expected_peer_fingerprints: Vec<Fingerprint>,
    /// A server requests and requires a client certificate (WebRTC: always). Default true.
    pub require_client_certificate: bool,
    /// Refuse peers without extended_master_secret (RFC 7627). Default true.
    pub require_extended_master_secret: bool,
    /// A server answers a ClientHello without a valid cookie with a HelloVerifyRequest
    /// (RFC 6347 §4.2.1). Default true.
    pub hello_verify: bool,
    /// Largest datagram we send. Default 1200.
    pub mtu: usize,
    /// First retransmission timeout (RFC 6347 §4.2.4.1: 1 s). Doubles per retransmission.
    pub retransmit_initial: Duration,
    /// Upper bound of the retransmission timeout (RFC 6347: 60 s).
    pub retransmit_max: Duration,
    /// Retransmissions of one flight before the handshake fails.
    pub max_retransmissions: u32,
    /// Seed for the connection's random values (hello randoms, cookie secret); `None` seeds
    /// from the system. ECDHE keys and ECDSA nonces always come from `ring`'s system RNG.
    pub rng_seed: Option<[u8; 32]>,
    /// Test hook: encodes our ClientHello body instead of the default encoder (used to
    /// imitate browsers' ClientHellos). Not part of the stable API.
    #[doc(hidden)]
    pub client_hello_encoder: Option<fn(&crate::handshake::ClientHello, &mut Vec<u8>)>,
}

impl Config {
    /// Defaults around `certificate`.
    pub fn new(certificate: Certificate) -> Self {
        Self {
            certificate,
            cipher_suites: CipherSuite::ALL.to_vec(),
            groups: NamedGroup::ALL.to_vec(),
            srtp_profiles: SrtpProfile::ALL.to_vec(),
            srtp_mki: Vec::new(),
            expected_peer_fingerprints: Vec::new(),
            require_client_certificate: true,
            require_extended_master_secret: true,
            hello_verify: true,
            mtu: 1200,
            retransmit_initial: Duration::from_secs(1),
            retransmit_max: Duration::from_secs(60),
            max_retransmissions: 7,
            rng_seed: None,
            client_hello_encoder: None,
        }
    }
}
