//! Absolute capture time (`http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time`).

use super::{check_out, HeaderExtension};
use crate::error::ExtensionError;

/// "absolute capture timestamp (64 bits, NTP UQ32.32)" and optionally "estimated capture
/// clock offset (64 bits, Q32.32)": 8 or 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbsCaptureTime {
    /// Capture time on the capturer's NTP clock.
    pub capture_time: u64,
    /// Estimated offset between the capturer's clock and the sender's.
    pub clock_offset: Option<i64>,
}

impl HeaderExtension<'_> for AbsCaptureTime {
    const URI: &'static str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&data[i..i + 8]);
            u64::from_be_bytes(b)
        };
        match data.len() {
            8 => Ok(Self {
                capture_time: u64_at(0),
                clock_offset: None,
            }),
            16 => Ok(Self {
                capture_time: u64_at(0),
                clock_offset: Some(u64_at(8) as i64),
            }),
            len => Err(ExtensionError::BadLength {
                name: "abs-capture-time",
                len,
            }),
        }
    }
    fn encoded_len(&self) -> usize {
        if self.clock_offset.is_some() {
            16
        } else {
            8
        }
    }
    fn write(&self, buf: &mut [u8]) -> Result<usize, ExtensionError> {
        let n = self.encoded_len();
        check_out(buf, n)?;
        buf[..8].copy_from_slice(&self.capture_time.to_be_bytes());
        if let Some(o) = self.clock_offset {
            buf[8..16].copy_from_slice(&o.to_be_bytes());
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let a = AbsCaptureTime {
            capture_time: 0x0102_0304_0506_0708,
            clock_offset: Some(-2),
        };
        let b = super::super::round_trip(&a, &mut [0; 16]);
        assert_eq!(&b[8..], &(-2i64).to_be_bytes());
        super::super::round_trip(
            &AbsCaptureTime {
                capture_time: 5,
                clock_offset: None,
            },
            &mut [0; 16],
        );
        assert!(AbsCaptureTime::parse(&[0; 9]).is_err());
    }
}
