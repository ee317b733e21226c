//! Picture loss indication (RFC 4585 §6.3.1).

use super::{Reader, Writer};
use crate::error::RtcpError;

/// PLI: RFC 4585 §6.3.1 "PLI does not require parameters. Therefore, the length field
/// MUST be 2, and there MUST NOT be any Feedback Control Information."
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pli {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source that should send a keyframe.
    pub media_ssrc: u32,
}

impl Pli {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("PLI", body);
        Ok(Self {
            sender_ssrc: r.u32()?,
            media_ssrc: r.u32()?,
        })
    }
    pub(crate) fn body_len(&self) -> usize {
        8
    }
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        w.u32(self.sender_ssrc)?;
        w.u32(self.media_ssrc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn pli_known_bytes() {
        let bytes = [
            0x81, 0xce, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x4b, 0xc4, 0xfc, 0xb4,
        ];
        let (p, _) = RtcpPacket::parse(&bytes).unwrap();
        assert_eq!(
            p,
            RtcpPacket::Pli(Pli {
                sender_ssrc: 0,
                media_ssrc: 0x4bc4fcb4
            })
        );
        assert_eq!(round_trip(&p), bytes);
    }
}
