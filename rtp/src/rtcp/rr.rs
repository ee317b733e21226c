//! Receiver report (RFC 3550 §6.4.2) and the report block shared with SR.

use super::{Reader, Writer};
use crate::error::RtcpError;

/// RFC 3550 §6.4.1 reception report block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportBlock {
    /// Source this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the previous report, as a fixed-point number /256.
    pub fraction_lost: u8,
    /// Cumulative number of packets lost: RFC 3550 §6.4.1 "a 24-bit signed integer"
    /// (negative when duplicates outnumber losses).
    pub total_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR (LSR).
    pub last_sr: u32,
    /// Delay since last SR in 1/65536 s (DLSR).
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    /// Encoded length of one block.
    pub const LEN: usize = 24;

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, RtcpError> {
        let ssrc = r.u32()?;
        let fraction_lost = r.u8()?;
        let lost = r.u24()?;
        // sign-extend the 24-bit value
        let total_lost = ((lost << 8) as i32) >> 8;
        Ok(Self {
            ssrc,
            fraction_lost,
            total_lost,
            extended_highest_seq: r.u32()?,
            jitter: r.u32()?,
            last_sr: r.u32()?,
            delay_since_last_sr: r.u32()?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        w.u32(self.ssrc)?;
        w.u8(self.fraction_lost)?;
        // clamp to the 24-bit signed range rather than wrap
        let lost = self.total_lost.clamp(-(1 << 23), (1 << 23) - 1);
        w.u24(lost as u32 & 0x00FF_FFFF)?;
        w.u32(self.extended_highest_seq)?;
        w.u32(self.jitter)?;
        w.u32(self.last_sr)?;
        w.u32(self.delay_since_last_sr)
    }
}

/// Receiver report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiverReport {
    /// SSRC of the packet sender.
    pub ssrc: u32,
    /// Up to 31 report blocks.
    pub reports: Vec<ReportBlock>,
    /// RFC 3550 §6.4.2 profile-specific extension bytes after the blocks (multiple of 4).
    pub profile_extensions: Vec<u8>,
}

impl ReceiverReport {
    pub(crate) fn parse(count: u8, body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("RR", body);
        let ssrc = r.u32()?;
        let mut reports = Vec::with_capacity(count as usize);
        for _ in 0..count {
            reports.push(ReportBlock::parse(&mut r)?);
        }
        Ok(Self {
            ssrc,
            reports,
            profile_extensions: r.rest().to_vec(),
        })
    }
    pub(crate) fn body_len(&self) -> usize {
        4 + ReportBlock::LEN * self.reports.len() + self.profile_extensions.len().div_ceil(4) * 4
    }
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        w.u32(self.ssrc)?;
        for b in &self.reports {
            b.write(w)?;
        }
        w.put(&self.profile_extensions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn rr_known_bytes() {
        // RR from SSRC 0x902f9e2e with one block about 0xbc5e9a40 (a capture-like vector).
        let bytes = [
            0x81, 0xc9, 0x00, 0x07, 0x90, 0x2f, 0x9e, 0x2e, 0xbc, 0x5e, 0x9a, 0x40, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x46, 0xe1, 0x00, 0x00, 0x01, 0x11, 0x09, 0xf3, 0x64, 0x32,
            0x00, 0x02, 0x4a, 0x79,
        ];
        let (p, n) = RtcpPacket::parse(&bytes).unwrap();
        assert_eq!(n, 32);
        let RtcpPacket::ReceiverReport(rr) = &p else {
            panic!("not RR")
        };
        assert_eq!(rr.ssrc, 0x902f9e2e);
        assert_eq!(rr.reports[0].ssrc, 0xbc5e9a40);
        assert_eq!(rr.reports[0].extended_highest_seq, 0x46e1);
        assert_eq!(rr.reports[0].jitter, 273);
        assert_eq!(rr.reports[0].last_sr, 0x09f36432);
        assert_eq!(rr.reports[0].delay_since_last_sr, 150137);
        assert_eq!(round_trip(&p), bytes);
    }

    #[test]
    fn negative_total_lost() {
        let p = RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc: 5,
            reports: vec![ReportBlock {
                total_lost: -3,
                fraction_lost: 12,
                ..Default::default()
            }],
            profile_extensions: vec![1, 2, 3, 4],
        });
        round_trip(&p);
    }

    #[test]
    fn count_beyond_body_is_error() {
        let bytes = [
            0x82, 0xc9, 0x00, 0x07, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0,
        ];
        assert!(RtcpPacket::parse(&bytes).is_err());
    }
}
