//! Slice loss indication (RFC 4585 §6.3.2).

use super::{Reader, Writer};
use crate::error::RtcpError;

/// One SLI FCI entry (RFC 4585 §6.3.2.2: First 13 bits, Number 13 bits, PictureID 6 bits).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SliEntry {
    /// Macroblock address of the first lost macroblock (13 bits).
    pub first: u16,
    /// Number of lost macroblocks (13 bits).
    pub number: u16,
    /// Six least significant bits of the picture id.
    pub picture_id: u8,
}

/// SLI packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sli {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source.
    pub media_ssrc: u32,
    /// FCI entries.
    pub entries: Vec<SliEntry>,
}

impl Sli {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("SLI", body);
        let sender_ssrc = r.u32()?;
        let media_ssrc = r.u32()?;
        let mut entries = Vec::with_capacity(r.remaining() / 4);
        while r.remaining() >= 4 {
            let v = r.u32()?;
            entries.push(SliEntry {
                first: (v >> 19) as u16,
                number: ((v >> 6) & 0x1FFF) as u16,
                picture_id: (v & 0x3F) as u8,
            });
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            entries,
        })
    }
    pub(crate) fn body_len(&self) -> usize {
        8 + 4 * self.entries.len()
    }
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        w.u32(self.sender_ssrc)?;
        w.u32(self.media_ssrc)?;
        for e in &self.entries {
            if e.first > 0x1FFF || e.number > 0x1FFF || e.picture_id > 0x3F {
                return Err(RtcpError::Invalid {
                    what: "SLI",
                    reason: "field exceeds its bit width",
                });
            }
            w.u32((e.first as u32) << 19 | (e.number as u32) << 6 | e.picture_id as u32)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn sli_round_trip() {
        let b = round_trip(&RtcpPacket::Sli(Sli {
            sender_ssrc: 1,
            media_ssrc: 2,
            entries: vec![SliEntry {
                first: 0x1FFF,
                number: 1,
                picture_id: 0x2A,
            }],
        }));
        assert_eq!(&b[12..16], &[0xFF, 0xF8, 0x00, 0x6A]);
    }
}
