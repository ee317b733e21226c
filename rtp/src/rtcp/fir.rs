//! Full intra request (RFC 5104 §4.3.1).

use super::{Reader, Writer};
use crate::error::RtcpError;

/// One FIR FCI entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FirEntry {
    /// SSRC of the media sender asked for a decoder refresh.
    pub ssrc: u32,
    /// RFC 5104 §4.3.1.1: "Command sequence number ... incremented by 1 modulo 2^8 for
    /// each new command".
    pub seq_nr: u8,
}

/// FIR packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fir {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// RFC 5104 §4.3.1.2: the media source SSRC field "SHALL be set to 0".
    pub media_ssrc: u32,
    /// FCI entries.
    pub entries: Vec<FirEntry>,
}

impl Fir {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("FIR", body);
        let sender_ssrc = r.u32()?;
        let media_ssrc = r.u32()?;
        let mut entries = Vec::with_capacity(r.remaining() / 8);
        while r.remaining() >= 8 {
            let ssrc = r.u32()?;
            let seq_nr = r.u8()?;
            r.take(3)?;
            entries.push(FirEntry { ssrc, seq_nr });
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            entries,
        })
    }
    pub(crate) fn body_len(&self) -> usize {
        8 + 8 * self.entries.len()
    }
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        w.u32(self.sender_ssrc)?;
        w.u32(self.media_ssrc)?;
        for e in &self.entries {
            w.u32(e.ssrc)?;
            w.u8(e.seq_nr)?;
            w.u24(0)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn fir_known_bytes() {
        let bytes = [
            0x84, 0xce, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34,
            0x56, 0x78, 0x2a, 0, 0, 0,
        ];
        let (p, _) = RtcpPacket::parse(&bytes).unwrap();
        assert_eq!(
            p,
            RtcpPacket::Fir(Fir {
                sender_ssrc: 1,
                media_ssrc: 0,
                entries: vec![FirEntry {
                    ssrc: 0x12345678,
                    seq_nr: 42
                }]
            })
        );
        assert_eq!(round_trip(&p), bytes);
    }
}
