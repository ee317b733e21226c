//! Playout delay (`http://www.webrtc.org/experiments/rtp-hdrext/playout-delay`).

use super::{check_out, exact, HeaderExtension};
use crate::error::ExtensionError;

/// "MIN delay (12 bits) | MAX delay (12 bits)" in 10 ms units (0–40.95 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayoutDelay {
    /// Minimum delay, in 10 ms units (12 bits).
    pub min: u16,
    /// Maximum delay, in 10 ms units (12 bits).
    pub max: u16,
}

impl HeaderExtension<'_> for PlayoutDelay {
    const URI: &'static str = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        let b = exact::<3>("playout-delay", data)?;
        Ok(Self {
            min: (b[0] as u16) << 4 | (b[1] >> 4) as u16,
            max: ((b[1] & 0x0F) as u16) << 8 | b[2] as u16,
        })
    }
    fn encoded_len(&self) -> usize {
        3
    }
    fn write(&self, buf: &mut [u8]) -> Result<usize, ExtensionError> {
        check_out(buf, 3)?;
        if self.min > 0xFFF || self.max > 0xFFF {
            return Err(ExtensionError::Invalid {
                name: "playout-delay",
                reason: "value above 12 bits",
            });
        }
        buf[0] = (self.min >> 4) as u8;
        buf[1] = ((self.min & 0x0F) as u8) << 4 | (self.max >> 8) as u8;
        buf[2] = self.max as u8;
        Ok(3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let d = PlayoutDelay {
            min: 0x123,
            max: 0x456,
        };
        assert_eq!(
            super::super::round_trip(&d, &mut [0; 3]),
            [0x12, 0x34, 0x56]
        );
        assert!(PlayoutDelay {
            min: 0x1000,
            max: 0
        }
        .write(&mut [0; 3])
        .is_err());
    }
}
