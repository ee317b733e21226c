//! `oxrtc-sctp`: SCTP over DTLS (RFC 8261) and WebRTC data channels (RFC 8832), sans-IO.
//!
//! An [`Association`] is a plain state machine. It takes the decrypted DTLS application
//! data of the peer and gives SCTP packets to encrypt; it never reads a clock or touches
//! a socket. Data channels ride on it: [`Association::open_channel`] runs the DCEP
//! handshake (or uses a pre-negotiated id), [`Association::send`] queues messages,
//! [`Event`]s report channels, messages, buffered-amount drops and the end of the
//! association.
//!
//! The driving loop: hand in every packet that is available, then drain
//! `poll_transmit`, then `poll_event`, then sleep until `poll_timeout`:
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use oxrtc_sctp::{Association, ChannelConfig, Config, Event, MessageKind};
//!
//! let now = Instant::now();
//! let mut client = Association::new(Config { rng_seed: Some([1; 32]), ..Config::default() });
//! let mut server = Association::new(Config {
//!     dtls_client: false,
//!     rng_seed: Some([2; 32]),
//!     ..Config::default()
//! });
//! client.connect(now);
//! let chat = client.open_channel(ChannelConfig { label: "chat".into(), ..Default::default() })?;
//! client.send(chat, MessageKind::Text, Bytes::from_static(b"hello"))?;
//!
//! // Shuttle packets both ways until both sides are quiet (a real driver would encrypt
//! // them with DTLS and send them over ICE).
//! let mut buf = Vec::new();
//! let mut got = None;
//! for _ in 0..10 {
//!     while client.poll_transmit(now, &mut buf).is_some() {
//!         server.handle_receive(now, &buf)?;
//!     }
//!     while server.poll_transmit(now, &mut buf).is_some() {
//!         client.handle_receive(now, &buf)?;
//!     }
//!     while let Some(event) = server.poll_event() {
//!         if let Event::Message { channel, kind, data } = event {
//!             got = Some((channel, kind, data));
//!         }
//!     }
//! }
//! assert_eq!(got, Some((chat, MessageKind::Text, Bytes::from_static(b"hello"))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Channels opened locally can carry messages at once (they stay ordered until the peer's
//! DATA_CHANNEL_ACK, RFC 8832 §6); [`Event::ChannelOpened`] reports channels the peer
//! opened. Closing a channel resets its outgoing stream (RFC 6525); the peer resets its
//! side in turn and both ends get [`Event::ChannelClosed`].
//!
//! Design notes:
//! - **Batching.** Received DATA only marks that a SACK is owed; the SACK is built when
//!   `poll_transmit` runs, so a batch of packets is answered by one SACK (at least every
//!   second packet, at once on gaps or duplicates, otherwise after the delayed-ack timer).
//!   Outgoing chunks are bundled up to the MTU, and fragments are cut to fill the room
//!   left in the packet.
//! - **Zero copy.** Payloads are `Bytes`: user messages are sliced, not copied, until they
//!   are written into a packet; received fragments are slices of the packet until a
//!   multi-fragment message is joined.
//! - **Loss detection.** The RFC 9260 three-miss rule (counting misses only below the
//!   highest newly acked TSN) plus a RACK-style time rule (RFC 8985): a chunk is lost once
//!   a chunk sent more than a quarter of the minimum RTT after it is acknowledged. With one
//!   SACK per batch the three-miss rule often never fires for losses at the end of a burst
//!   or for lost retransmissions; the time rule recovers those in about one round trip
//!   instead of RTO.Min (400 ms). A tail loss probe (RFC 8985 §7) resends the newest
//!   chunk two smoothed RTTs after the last send (plus the delayed-ack allowance for a
//!   single packet), so a flight whose end was lost is repaired without waiting for
//!   T3-rtx; one probe per loss episode, cwnd untouched.
//! - **Zero checksum** (RFC 9653) is one-directional: with [`Config::zero_checksum`] we
//!   announce that we accept it and accept it on receipt, and we omit the checksum only
//!   toward a peer that announced it too. INIT and INIT ACK always carry a CRC32c.
//! - **Bounded memory.** The receive window bounds reassembly and undelivered messages; a
//!   message beyond `max_message_size` aborts the association; TSNs far beyond the
//!   cumulative TSN are dropped; answers the peer provokes are capped; the state cookie
//!   is HMAC-SHA256 signed, so a listener keeps no state per INIT.
//! - **Handover.** The association is plain data (`Clone`, no shared pointers).
//!
//! What it implements: RFC 9260 (handshake with an HMAC-signed state cookie and no state
//! before it returns, simultaneous open, SACK with gap blocks and duplicates, delayed
//! SACK, RTO per RFC 6298, slow start / congestion avoidance / fast retransmit and
//! recovery, receiver window, heartbeats, shutdown, abort), RFC 3758 partial reliability,
//! RFC 6525 stream reset on channel close, RFC 8260 I-DATA interleaving, RFC 9653 zero
//! checksum, RFC 8831/8832 data channels.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod association;
pub mod chunk;
mod config;
mod dcep;
mod error;
pub mod packet;

#[doc(hidden)]
pub mod fuzzing;

// The public interface.
pub use association::{Association, Channel, Event, LostReason, Transmit};
pub use config::{ChannelConfig, Config, MessageKind, Reliability};
pub use error::{OpenChannelError, ParseError, ReceiveError, SendError};
