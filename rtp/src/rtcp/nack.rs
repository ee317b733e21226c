//! Generic NACK (RFC 4585 §6.2.1).

use super::{Reader, Writer};
use crate::error::RtcpError;

/// One NACK FCI entry: RFC 4585 §6.2.1 "PID: Packet ID ... BLP: bitmask of following lost
/// packets".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NackPair {
    /// First lost sequence number.
    pub packet_id: u16,
    /// Bit i set: `packet_id + i + 1` is lost too.
    pub lost_bitmask: u16,
}

impl NackPair {
    /// Sequence numbers this entry reports lost.
    pub fn lost(&self) -> impl Iterator<Item = u16> + '_ {
        std::iter::once(self.packet_id).chain(
            (0..16)
                .filter(move |i| self.lost_bitmask & (1 << i) != 0)
                .map(move |i| self.packet_id.wrapping_add(i + 1)),
        )
    }
}

/// Generic NACK packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nack {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source the losses are on.
    pub media_ssrc: u32,
    /// FCI entries.
    pub pairs: Vec<NackPair>,
}

impl Nack {
    /// Builds a NACK from lost sequence numbers given in send order (wrap-around aware).
    pub fn from_lost(sender_ssrc: u32, media_ssrc: u32, lost: &[u16]) -> Self {
        let mut pairs: Vec<NackPair> = Vec::new();
        for &s in lost {
            if let Some(last) = pairs.last_mut() {
                let d = s.wrapping_sub(last.packet_id);
                if (1..=16).contains(&d) {
                    last.lost_bitmask |= 1 << (d - 1);
                    continue;
                }
                if d == 0 {
                    continue;
                }
            }
            pairs.push(NackPair {
                packet_id: s,
                lost_bitmask: 0,
            });
        }
        Self {
            sender_ssrc,
            media_ssrc,
            pairs,
        }
    }
    /// Every sequence number reported lost.
    pub fn lost(&self) -> impl Iterator<Item = u16> + '_ {
        self.pairs.iter().flat_map(NackPair::lost)
    }
    pub(crate) fn parse(body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("NACK", body);
        let sender_ssrc = r.u32()?;
        let media_ssrc = r.u32()?;
        if !r.remaining().is_multiple_of(4) || r.remaining() == 0 {
            return Err(RtcpError::Invalid {
                what: "NACK",
                reason: "FCI is not a non-empty list of 4-byte entries",
            });
        }
        let mut pairs = Vec::with_capacity(r.remaining() / 4);
        while r.remaining() >= 4 {
            pairs.push(NackPair {
                packet_id: r.u16()?,
                lost_bitmask: r.u16()?,
            });
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            pairs,
        })
    }
    pub(crate) fn body_len(&self) -> usize {
        8 + 4 * self.pairs.len()
    }
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        w.u32(self.sender_ssrc)?;
        w.u32(self.media_ssrc)?;
        for p in &self.pairs {
            w.u16(p.packet_id)?;
            w.u16(p.lost_bitmask)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn nack_known_bytes() {
        // FMT=1 PT=205, sender 0x902f9e2e, media 0x902f9e2e, PID 0xaaaa, BLP 0x5555
        let bytes = [
            0x81, 0xcd, 0x00, 0x03, 0x90, 0x2f, 0x9e, 0x2e, 0x90, 0x2f, 0x9e, 0x2e, 0xaa, 0xaa,
            0x55, 0x55,
        ];
        let (p, _) = RtcpPacket::parse(&bytes).unwrap();
        let RtcpPacket::Nack(n) = &p else { panic!() };
        assert_eq!(
            n.pairs,
            vec![NackPair {
                packet_id: 0xaaaa,
                lost_bitmask: 0x5555
            }]
        );
        let lost: Vec<u16> = n.lost().collect();
        assert_eq!(
            lost,
            vec![0xaaaa, 0xaaab, 0xaaad, 0xaaaf, 0xaab1, 0xaab3, 0xaab5, 0xaab7, 0xaab9]
        );
        assert_eq!(round_trip(&p), bytes);
    }

    #[test]
    fn from_lost_wraps() {
        let lost = [65534, 65535, 0, 3, 40];
        let n = Nack::from_lost(1, 2, &lost);
        assert_eq!(n.lost().collect::<Vec<_>>(), lost);
        assert_eq!(n.pairs.len(), 2);
        round_trip(&RtcpPacket::Nack(n));
    }
}
