//! `oxrtc-dtls`: a sans-IO DTLS 1.2 endpoint (client and server) with DTLS-SRTP key export.
//!
//! It implements what WebRTC needs from RFC 6347: mutual certificate authentication with
//! self-signed certificates checked by fingerprint, ECDHE (X25519, P-256, P-384) with ECDSA
//! or RSA signatures, AES-GCM and ChaCha20-Poly1305 records, extended_master_secret,
//! use_srtp with the RFC 5705 exporter, stateless HelloVerifyRequest cookies, handshake
//! fragmentation/reassembly and flight retransmission with exponential backoff.
//!
//! Nothing here touches a socket or a clock. A [`Connection`] takes datagrams and the
//! current time and hands back datagrams, events and the next timer deadline:
//!
//! ```text
//!  socket ──datagram──▶ handle_receive(now, ..) ─┐
//!  timer  ─────────────▶ handle_timeout(now) ─────┤  then drain: poll_transmit() ──▶ socket
//!  app    ─────────────▶ send_application_data ───┘              poll_event()   ──▶ app
//!                                                                 poll_timeout() ──▶ timer
//! ```
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use oxrtc_dtls::{Certificate, Config, Connection, Event, HashAlgorithm};
//!
//! let client_cert = Certificate::generate()?;
//! let server_cert = Certificate::generate()?;
//! let mut client_config = Config::new(client_cert.clone());
//! // From the server's SDP a=fingerprint:
//! client_config.expected_peer_fingerprints = vec![server_cert.fingerprint(HashAlgorithm::Sha256)];
//! let mut server_config = Config::new(server_cert);
//! server_config.expected_peer_fingerprints = vec![client_cert.fingerprint(HashAlgorithm::Sha256)];
//!
//! let now = Instant::now();
//! let mut client = Connection::client(Arc::new(client_config), now);
//! let mut server = Connection::server(Arc::new(server_config));
//!
//! // The driving loop: move datagrams until both sides are quiet.
//! loop {
//!     let mut moved = false;
//!     while let Some(d) = client.poll_transmit() {
//!         server.handle_receive(now, &d)?;
//!         moved = true;
//!     }
//!     while let Some(d) = server.poll_transmit() {
//!         client.handle_receive(now, &d)?;
//!         moved = true;
//!     }
//!     if !moved {
//!         break;
//!     }
//! }
//! let Some(Event::Connected { srtp_keying_material: Some(keys), .. }) = client.poll_event() else {
//!     panic!("client did not connect");
//! };
//! assert_eq!(keys.as_bytes().len(), keys.profile.keying_material_len());
//!
//! client.send_application_data(b"hello")?;
//! server.handle_receive(now, &client.poll_transmit().unwrap())?;
//! assert!(matches!(server.poll_event(), Some(Event::Connected { .. })));
//! assert_eq!(server.poll_event(), Some(Event::ApplicationData("hello".into())));
//! # Ok::<(), oxrtc_dtls::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod certificate;
mod codec;
mod config;
mod connection;
mod crypto;
mod endpoint;
mod error;
mod event;
mod reassembly;
mod suites;

#[doc(hidden)]
pub mod handshake;
#[doc(hidden)]
pub mod record;

// The public interface.
pub use certificate::{Certificate, Fingerprint, FingerprintParseError, HashAlgorithm};
pub use config::{Config, Role};
pub use connection::{Connection, MAX_APPLICATION_DATA};
pub use endpoint::{Endpoint, Transmit, DEFAULT_MAX_CONNECTIONS};
pub use error::{AlertDescription, Error};
pub use event::{CloseReason, Event, SrtpKeyingMaterial};
pub use suites::{CipherSuite, NamedGroup, SrtpProfile};
