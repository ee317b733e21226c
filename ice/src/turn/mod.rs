//! TURN (RFC 8656): a sans-IO client ([`Client`]), a sans-IO server core ([`Server`]),
//! ChannelData framing, and the TURN REST API credential helper.
//!
//! Both state machines follow the crate's sans-IO contract: feed datagrams with
//! `handle_receive`, call `handle_timeout` at `poll_timeout`, and drain `poll_transmit`
//! and `poll_event` after every call. [`TlsClient`] wraps the client in rustls for
//! `turns:`; the `turn-server` example drives [`Server`] over UDP, TCP and TLS sockets.
//!
//! A client and a server wired together in memory (no sockets, no clock):
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//! use oxrtc_ice::turn::{
//!     Client, ClientConfig, Event, FiveTuple, Server, ServerConfig, ServerEvent,
//!     ServerTransmitKind, TransportProtocol,
//! };
//!
//! let server_addr: SocketAddr = "203.0.113.1:3478".parse().unwrap();
//! let client_addr: SocketAddr = "198.51.100.7:40000".parse().unwrap();
//! let mut server = Server::new(
//!     ServerConfig::new("example.org", server_addr.ip()).with_user("alice", "secret"),
//! );
//! let mut client = Client::new(ClientConfig::new(server_addr, "alice", "secret"));
//! let five = FiveTuple { client: client_addr, server: server_addr, protocol: TransportProtocol::Udp };
//! let now = Instant::now();
//!
//! client.allocate(now)?;
//! for _ in 0..4 {
//!     while let Some(t) = client.poll_transmit() {
//!         server.handle_client(now, five, &t.contents)?;
//!     }
//!     while let Some(ServerEvent::OpenRelay(r)) = server.poll_event() {
//!         // A real driver binds a UDP socket on r.ip here.
//!         server.relay_opened(now, r.token, Some(SocketAddr::new(r.ip, 50000)));
//!     }
//!     while let Some(t) = server.poll_transmit() {
//!         if let ServerTransmitKind::ToClient(_) = t.kind {
//!             client.handle_receive(now, server_addr, &t.contents)?;
//!         }
//!     }
//! }
//! // 401 with realm and nonce, then the signed Allocate succeeded.
//! assert!(matches!(client.poll_event(), Some(Event::Allocated { .. })));
//! assert_eq!(client.relayed_address(), Some("203.0.113.1:50000".parse().unwrap()));
//! # Ok::<(), oxrtc_ice::turn::TurnError>(())
//! ```

mod channel_data;
mod client;
mod rest;
mod server;
#[cfg(test)]
mod tests;
mod tls;

use std::net::{IpAddr, SocketAddr};

pub use channel_data::{
    frame_len, is_channel_data, is_valid_channel, ChannelData, CHANNEL_DATA_HEADER_LEN,
    CHANNEL_MAX, CHANNEL_MAX_RFC5766, CHANNEL_MIN,
};
pub use client::{Client, ClientConfig, Event, Failure};
pub use rest::{base64_encode, rest_password, rest_username};
/// The rustls version [`TlsClient`] is built on, for building its configuration.
pub use rustls;
pub use server::{
    default_denied_peers, FiveTuple, IpPrefix, RelayRequest, Server, ServerConfig, ServerEvent,
    ServerTransmit, ServerTransmitKind, TransportProtocol, User,
};
pub use tls::{TlsClient, TlsError};

use crate::stun::{StunError, TransactionError};

/// The transport between a TURN client and its server (RFC 8656 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientTransport {
    /// UDP datagrams: requests are retransmitted, ChannelData need no padding.
    Udp,
    /// A byte stream (TCP, or TLS carried by the caller): no retransmissions, ChannelData
    /// padded to 4 bytes, frames cut with [`frame_len`].
    Stream,
}

/// Errors of the TURN client, server and codecs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TurnError {
    /// Fewer bytes than the frame needs.
    #[error("TURN frame truncated")]
    Truncated,
    /// A channel number outside 0x4000..=0x4FFF.
    #[error("invalid TURN channel number {0:#06x}")]
    InvalidChannel(u16),
    /// Data longer than 65535 bytes.
    #[error("TURN payload too long")]
    TooLong,
    /// A stream frame that is neither STUN nor ChannelData.
    #[error("not a TURN frame (first byte {0:#04x})")]
    BadFrame(u8),
    /// The STUN layer refused the message.
    #[error(transparent)]
    Stun(#[from] StunError),
    /// The transaction table refused a request.
    #[error(transparent)]
    Transaction(#[from] TransactionError),
    /// The operation needs an allocation.
    #[error("no TURN allocation")]
    NotAllocated,
    /// An allocation already exists or is being made.
    #[error("TURN allocation already requested")]
    AlreadyAllocated,
    /// Sending to a peer without a permission.
    #[error("no TURN permission for {0}")]
    NoPermission(IpAddr),
    /// All channel numbers are in use.
    #[error("no free TURN channel number")]
    ChannelsExhausted,
    /// A datagram from an address that is not the server.
    #[error("datagram from unexpected source {0}")]
    UnexpectedSource(SocketAddr),
    /// The stream receive buffer overflowed (the peer sent an oversized frame).
    #[error("TURN stream buffer overflow")]
    BufferOverflow,
    /// The TLS layer failed (certificate, handshake, record).
    #[error("TURN over TLS: {0}")]
    Tls(TlsError),
    /// A peer address family the allocation cannot reach.
    #[error("peer address family does not match the relayed address")]
    AddressFamilyMismatch,
}
