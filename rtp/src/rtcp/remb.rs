//! Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03 §2.2).

use super::tmmbr::{from_exp_mantissa, to_exp_mantissa};
use super::{Reader, Writer};
use crate::error::RtcpError;

/// REMB: a PSFB application-layer feedback (FMT 15) with the "REMB" identifier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remb {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// draft §2.2: "BR Exp (6 bits) ... BR Mantissa (18 bits)" — in bit/s, rounded down
    /// to what that encoding holds.
    pub bitrate: u64,
    /// SSRCs the estimate applies to (at most 255).
    pub ssrcs: Vec<u32>,
}

impl Remb {
    pub(crate) fn is_remb(body: &[u8]) -> bool {
        body.get(8..12) == Some(b"REMB")
    }
    pub(crate) fn parse(body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("REMB", body);
        let sender_ssrc = r.u32()?;
        let _media = r.u32()?;
        r.take(4)?;
        let n = r.u8()? as usize;
        let v = r.u24()?;
        let exp = (v >> 18) as u8;
        let mantissa = v & 0x3FFFF;
        let mut ssrcs = Vec::with_capacity(n);
        for _ in 0..n {
            ssrcs.push(r.u32()?);
        }
        Ok(Self {
            sender_ssrc,
            bitrate: from_exp_mantissa(exp, mantissa),
            ssrcs,
        })
    }
    pub(crate) fn body_len(&self) -> usize {
        16 + 4 * self.ssrcs.len()
    }
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        if self.ssrcs.len() > 255 {
            return Err(RtcpError::TooMany {
                what: "REMB SSRCs",
                count: self.ssrcs.len(),
                max: 255,
            });
        }
        w.u32(self.sender_ssrc)?;
        // draft §2.2: "media source SSRC ... Always 0."
        w.u32(0)?;
        w.put(b"REMB")?;
        w.u8(self.ssrcs.len() as u8)?;
        let (exp, m) = to_exp_mantissa(self.bitrate, 18);
        w.u24((exp as u32) << 18 | m)?;
        for s in &self.ssrcs {
            w.u32(*s)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn remb_known_bytes() {
        // REMB from a Chrome capture: 0x8fce0005 0 0 "REMB" 0x0103f81b ssrc 0x...
        let bytes = [
            0x8f, 0xce, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, b'R', b'E',
            b'M', b'B', 0x01, 0x1a, 0xbb, 0x02, 0x12, 0x34, 0x56, 0x78,
        ];
        let (p, _) = RtcpPacket::parse(&bytes).unwrap();
        let RtcpPacket::Remb(r) = &p else { panic!() };
        // exp = 0x1a >> 2 = 6, mantissa = 0x2bb02 = 178946 -> 11_452_544 bit/s
        assert_eq!(r.bitrate, 178_946 << 6);
        assert_eq!(r.ssrcs, vec![0x12345678]);
        assert_eq!(round_trip(&p), bytes);
    }
}
