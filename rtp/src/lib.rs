//! `oxrtc-rtp`: RTP and RTCP packets, header extensions, codec payloaders and
//! depayloaders, a sample builder, and IVF/Ogg media files.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
