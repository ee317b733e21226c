//! Sender report (RFC 3550 §6.4.1).

use super::rr::ReportBlock;
use super::{Reader, Writer};
use crate::error::RtcpError;

/// Sender report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderReport {
    /// SSRC of the sender.
    pub ssrc: u32,
    /// 64-bit NTP timestamp of when this report was sent.
    pub ntp_time: u64,
    /// RTP timestamp corresponding to `ntp_time`.
    pub rtp_time: u32,
    /// Packets sent since starting transmission.
    pub packet_count: u32,
    /// Payload octets sent since starting transmission.
    pub octet_count: u32,
    /// Up to 31 report blocks.
    pub reports: Vec<ReportBlock>,
    /// Profile-specific extension bytes after the blocks.
    pub profile_extensions: Vec<u8>,
}

impl SenderReport {
    pub(crate) fn parse(count: u8, body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("SR", body);
        let ssrc = r.u32()?;
        let ntp_time = r.u64()?;
        let rtp_time = r.u32()?;
        let packet_count = r.u32()?;
        let octet_count = r.u32()?;
        let mut reports = Vec::with_capacity(count as usize);
        for _ in 0..count {
            reports.push(ReportBlock::parse(&mut r)?);
        }
        Ok(Self {
            ssrc,
            ntp_time,
            rtp_time,
            packet_count,
            octet_count,
            reports,
            profile_extensions: r.rest().to_vec(),
        })
    }
    pub(crate) fn body_len(&self) -> usize {
        24 + ReportBlock::LEN * self.reports.len() + self.profile_extensions.len().div_ceil(4) * 4
    }
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        w.u32(self.ssrc)?;
        w.u64(self.ntp_time)?;
        w.u32(self.rtp_time)?;
        w.u32(self.packet_count)?;
        w.u32(self.octet_count)?;
        for b in &self.reports {
            b.write(w)?;
        }
        w.put(&self.profile_extensions)
    }
}

#[cfg(test)]
mod tests {
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn sr_known_bytes() {
        let bytes = [
            0x81, 0xc8, 0x00, 0x0c, // v=2 rc=1 SR len=12
            0x90, 0x2f, 0x9e, 0x2e, // ssrc
            0xda, 0x8b, 0xd1, 0xfc, 0xdd, 0xdd, 0xa0, 0x5a, // ntp
            0xaa, 0xf4, 0xed, 0xd5, // rtp time
            0x00, 0x00, 0x00, 0x01, // packets
            0x00, 0x00, 0x00, 0x02, // octets
            0xbc, 0x5e, 0x9a, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46, 0xe1, 0x00, 0x00,
            0x01, 0x11, 0x09, 0xf3, 0x64, 0x32, 0x00, 0x02, 0x4a, 0x79,
        ];
        let (p, _) = RtcpPacket::parse(&bytes).unwrap();
        let RtcpPacket::SenderReport(sr) = &p else {
            panic!("not SR")
        };
        assert_eq!(sr.ntp_time, 0xda8bd1fcdddda05a);
        assert_eq!(sr.rtp_time, 0xaaf4edd5);
        assert_eq!(sr.packet_count, 1);
        assert_eq!(sr.octet_count, 2);
        assert_eq!(sr.reports.len(), 1);
        assert_eq!(round_trip(&p), bytes);
    }
}
