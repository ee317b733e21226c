//! Absolute send time (`http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time`).

use super::{check_out, exact, HeaderExtension};
use crate::error::ExtensionError;

/// "a 24-bit value ... 6.18 fixed point format" of the send time in seconds, the middle
/// bits of the 64-bit NTP timestamp; wraps every 64 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbsSendTime(pub u32);

impl AbsSendTime {
    /// From a 64-bit NTP timestamp (32.32): bits 14..38.
    pub fn from_ntp(ntp: u64) -> Self {
        Self(((ntp >> 14) & 0x00FF_FFFF) as u32)
    }
    /// As a 32.32 NTP fraction of the 64-second window.
    pub fn to_ntp(self) -> u64 {
        (self.0 as u64) << 14
    }
}

impl HeaderExtension<'_> for AbsSendTime {
    const URI: &'static str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        let b = exact::<3>("abs-send-time", data)?;
        Ok(Self(u32::from_be_bytes([0, b[0], b[1], b[2]])))
    }
    fn encoded_len(&self) -> usize {
        3
    }
    fn write(&self, buf: &mut [u8]) -> Result<usize, ExtensionError> {
        check_out(buf, 3)?;
        buf[..3].copy_from_slice(&(self.0 & 0x00FF_FFFF).to_be_bytes()[1..]);
        Ok(3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_and_bytes() {
        // 1.5 s: NTP 0x0000_0001_8000_0000 -> 6.18 = 1.5 * 2^18 = 0x060000
        let t = AbsSendTime::from_ntp(0x0000_0001_8000_0000);
        assert_eq!(t.0, 0x06_0000);
        assert_eq!(
            super::super::round_trip(&t, &mut [0; 3]),
            [0x06, 0x00, 0x00]
        );
        assert!(AbsSendTime::parse(&[1, 2]).is_err());
    }
}
