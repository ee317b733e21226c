//! TURN (RFC 8656): a sans-IO client ([`Client`]), a sans-IO server core ([`Server`]),
//! ChannelData framing, and the TURN REST API credential helper.
//!
//! Both state machines follow the crate's sans-IO contract: feed datagrams with
//! `handle_receive`, call `handle_timeout` at `poll_timeout`, and drain `poll_transmit`
//! and `poll_event` after every call.

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
