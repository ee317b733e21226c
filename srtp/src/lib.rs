//! `oxrtc-srtp`: SRTP and SRTCP protect/unprotect in place (RFC 3711, RFC 7714).

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
