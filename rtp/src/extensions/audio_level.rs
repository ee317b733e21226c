//! Client-to-mixer audio level (RFC 6464).

use super::{check_out, exact, HeaderExtension};
use crate::error::ExtensionError;

/// RFC 6464 §3: "V: voice activity flag ... level: 7 bits ... audio level expressed in
/// -dBov", 0 (loudest) to 127 (silence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioLevel {
    /// Voice activity detected.
    pub voice: bool,
    /// Level in -dBov, 0..=127.
    pub level: u8,
}

impl HeaderExtension<'_> for AudioLevel {
    const URI: &'static str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        // RFC 6464 §3 allows the one-byte element to be padded; the level is the first byte.
        let b = *data.first().ok_or(ExtensionError::BadLength {
            name: "audio-level",
            len: 0,
        })?;
        if data.len() > 1 {
            exact::<1>("audio-level", data)?;
        }
        Ok(Self {
            voice: b & 0x80 != 0,
            level: b & 0x7F,
        })
    }
    fn encoded_len(&self) -> usize {
        1
    }
    fn write(&self, buf: &mut [u8]) -> Result<usize, ExtensionError> {
        check_out(buf, 1)?;
        if self.level > 127 {
            return Err(ExtensionError::Invalid {
                name: "audio-level",
                reason: "level above 127",
            });
        }
        buf[0] = (self.voice as u8) << 7 | self.level;
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let a = AudioLevel {
            voice: true,
            level: 30,
        };
        assert_eq!(super::super::round_trip(&a, &mut [0; 1]), [0x9E]);
        assert!(AudioLevel {
            voice: false,
            level: 200
        }
        .write(&mut [0])
        .is_err());
        assert!(AudioLevel::parse(&[]).is_err());
    }
}
