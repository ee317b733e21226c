//! `oxrtc-rtp`: RTP and RTCP packets, header extensions, codec payloaders and
//! depayloaders, a sample builder, and IVF/Ogg/Annex-B media files.
//!
//! Everything here is plain data transformation: no I/O, no clock, no allocation on the
//! per-packet parse and write paths. Parsing borrows from the received datagram;
//! writing goes into the caller's buffer.
//!
//! ```
//! use oxrtc_rtp::{Extension, RtpHeader, RtpPacket, RtpPacketMut};
//!
//! // Write a packet with a one-byte header extension (id 1 = e.g. sdes:mid "0").
//! let mut buf = [0u8; 1500];
//! let header = RtpHeader {
//!     marker: true,
//!     payload_type: 96,
//!     sequence_number: 65535,
//!     timestamp: 90_000,
//!     ssrc: 0x1234_5678,
//!     extensions: &[Extension { id: 1, data: b"0" }],
//!     ..RtpHeader::default()
//! };
//! let len = header.write_packet(b"frame", &mut buf).unwrap();
//!
//! // Parse it back without copying.
//! let packet = RtpPacket::parse(&buf[..len]).unwrap();
//! assert_eq!(packet.extension(1), Some(&b"0"[..]));
//! assert_eq!(packet.payload(), b"frame");
//!
//! // Forward it under a new SSRC, rewriting the header in place.
//! let mut fwd = RtpPacketMut::new(&mut buf[..len]).unwrap();
//! fwd.set_ssrc(0xABCD);
//! fwd.set_sequence_number(0);
//! assert_eq!(fwd.view().ssrc(), 0xABCD);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod codecs;
mod error;
pub mod extensions;
pub mod media;
mod packet;
pub mod rtcp;
mod sample_builder;
mod seq;
mod template;

// The public interface.
pub use error::{CodecError, ExtensionError, MediaError, RtcpError, RtpError};
pub use packet::{
    header_len, Extension, ExtensionForm, ExtensionFormChoice, Extensions, RtpHeader, RtpPacket,
    RtpPacketMut, FIXED_HEADER_LEN, ONE_BYTE_PROFILE, TWO_BYTE_PROFILE,
};
pub use sample_builder::{Sample, SampleBuilder, SampleBuilderConfig, SampleBuilderStats};
pub use seq::{seq_diff, seq_newer, ts_diff, ts_newer, SeqUnwrapper, TimestampUnwrapper};
pub use template::RtpHeaderTemplate;
