//! `oxrtc-sdp`: an SDP (RFC 8866) parser and writer with typed WebRTC attributes, the
//! base of JSEP (RFC 8829).
//!
//! A [`SessionDescription`] parses from text with [`str::parse`] and writes back with
//! `to_string()` (CRLF line ends). Every attribute WebRTC uses is a typed [`Attribute`]
//! variant (`rtpmap`, `fmtp`, `rtcp-fb`, `extmap`, `candidate`, `fingerprint`, `rid`,
//! `simulcast`, `ssrc`, ...); any other attribute is kept verbatim, in order, so a
//! description survives parse → modify → write with nothing lost. Parsing never panics:
//! bad input gives an [`SdpError`] naming the line and the field, and [`ParseLimits`]
//! bounds what a hostile peer can make the parser allocate.
//!
//! ```
//! use oxrtc_sdp::{Attribute, Direction, SessionDescription};
//!
//! let offer = "v=0\r\n\
//!     o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n\
//!     s=-\r\n\
//!     t=0 0\r\n\
//!     a=group:BUNDLE 0\r\n\
//!     m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n\
//!     c=IN IP4 0.0.0.0\r\n\
//!     a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0\r\n\
//!     a=ice-ufrag:ETEn\r\n\
//!     a=ice-pwd:OtSK0WpNtpUjkY4+86js7Z/l\r\n\
//!     a=mid:0\r\n\
//!     a=sendrecv\r\n\
//!     a=rtpmap:111 opus/48000/2\r\n\
//!     a=rtcp-fb:111 transport-cc\r\n\
//!     a=fmtp:111 minptime=10;useinbandfec=1\r\n\
//!     a=rtpmap:0 PCMU/8000\r\n\
//!     a=x-vendor-thing:kept as is\r\n";
//!
//! let mut desc: SessionDescription = offer.parse()?;
//! let audio = desc.media_by_mid("0").expect("has mid 0");
//! let opus = &audio.codecs()[0];
//! assert_eq!(opus.name(), Some("opus"));
//! assert_eq!(opus.fmtp.and_then(|f| f.param("useinbandfec")), Some("1"));
//! assert_eq!(audio.candidates().next().map(|c| c.port), Some(50000));
//!
//! // Modify: keep only Opus and receive only.
//! let audio = desc.media_by_mid_mut("0").expect("has mid 0");
//! audio.retain_payload_types(|pt| pt == 111);
//! audio.set_direction(Direction::RecvOnly);
//!
//! let text = desc.to_string();
//! assert!(text.contains("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
//! assert!(text.contains("a=recvonly\r\n"));
//! assert!(text.contains("a=x-vendor-thing:kept as is\r\n"));
//! assert_eq!(text.parse::<SessionDescription>()?, desc);
//! # Ok::<(), oxrtc_sdp::SdpError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod attributes;
mod candidate;
mod connection;
mod error;
mod limits;
mod media;
mod parse;
mod session;
mod time;
mod util;
mod write;

// The public interface.
pub use attributes::{
    Attribute, Direction, Extmap, Fingerprint, Fmtp, FmtpParam, Group, HashAlgorithm, Identity,
    Msid, MsidSemantic, Rid, RidDirection, RidParam, Rtcp, RtcpFb, Rtpmap, Sctpmap, Setup,
    Simulcast, SimulcastList, SimulcastRid, Ssrc, SsrcGroup,
};
pub use candidate::{Candidate, CandidateExtension, CandidateTransport, CandidateType, TcpType};
pub use connection::{AddrType, Address, Bandwidth, BandwidthType, Connection, NetType, Origin};
pub use error::{Problem, SdpError};
pub use limits::ParseLimits;
pub use media::{Codec, Format, MediaDescription, MediaKind};
pub use session::SessionDescription;
pub use time::{Repeat, TimeUnit, TimeZone, Timing, TypedTime};
