//! RTCP SDES items carried as header extensions: MID (RFC 8843 §15.2), RtpStreamId and
//! RepairedRtpStreamId (RFC 8852 §3).

use super::{check_out, HeaderExtension};
use crate::error::ExtensionError;

fn text<'a>(name: &'static str, data: &'a [u8]) -> Result<&'a str, ExtensionError> {
    // RFC 8852 §3.1: the value is the SDES item text; RFC 8851 §10 limits RIDs to
    // alphanumerics, '-' and '_'; MIDs are tokens. Both are ASCII and at least one byte.
    if data.is_empty() {
        return Err(ExtensionError::BadLength { name, len: 0 });
    }
    if !data.iter().all(|b| b.is_ascii_graphic()) {
        return Err(ExtensionError::Invalid {
            name,
            reason: "not printable ASCII",
        });
    }
    std::str::from_utf8(data).map_err(|_| ExtensionError::Invalid {
        name,
        reason: "not UTF-8",
    })
}

macro_rules! sdes_ext {
    ($(#[$doc:meta])* $name:ident, $label:expr, $uri:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name<'a>(pub &'a str);

        impl<'a> HeaderExtension<'a> for $name<'a> {
            const URI: &'static str = $uri;
            fn parse(data: &'a [u8]) -> Result<Self, ExtensionError> {
                text($label, data).map(Self)
            }
            fn encoded_len(&self) -> usize {
                self.0.len()
            }
            fn write(&self, buf: &mut [u8]) -> Result<usize, ExtensionError> {
                let n = self.0.len();
                if n == 0 || n > 255 {
                    return Err(ExtensionError::BadLength { name: $label, len: n });
                }
                check_out(buf, n)?;
                buf[..n].copy_from_slice(self.0.as_bytes());
                Ok(n)
            }
        }
    };
}

sdes_ext!(
    /// The media identification tag of the m= section (BUNDLE demultiplexing).
    Mid,
    "sdes:mid",
    "urn:ietf:params:rtp-hdrext:sdes:mid"
);
sdes_ext!(
    /// The RID of a simulcast/RTP stream.
    RtpStreamId,
    "sdes:rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
);
sdes_ext!(
    /// The RID of the stream a repair (RTX/FEC) stream protects.
    RepairedRtpStreamId,
    "sdes:repaired-rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(super::super::round_trip(&Mid("0"), &mut [0; 4]), b"0");
        assert_eq!(
            super::super::round_trip(&RtpStreamId("hi-res_1"), &mut [0; 16]),
            b"hi-res_1"
        );
        assert!(RepairedRtpStreamId::parse(b"").is_err());
        assert!(Mid::parse(b"a b").is_err());
        assert!(Mid::parse(&[0xFF]).is_err());
    }
}
