//! Goodbye (RFC 3550 §6.6).

use super::{Reader, Writer};
use crate::error::RtcpError;

/// BYE packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bye {
    /// Sources leaving (up to 31).
    pub sources: Vec<u32>,
    /// Optional reason for leaving (at most 255 bytes).
    pub reason: Option<Vec<u8>>,
}

impl Bye {
    pub(crate) fn parse(count: u8, body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("BYE", body);
        let mut sources = Vec::with_capacity(count as usize);
        for _ in 0..count {
            sources.push(r.u32()?);
        }
        // RFC 3550 §6.6: "Optionally, the BYE packet MAY include an 8-bit octet count
        // followed by that many octets of text indicating the reason for leaving".
        let reason = if r.remaining() > 0 {
            let len = r.u8()? as usize;
            Some(r.take(len)?.to_vec())
        } else {
            None
        };
        Ok(Self { sources, reason })
    }
    pub(crate) fn body_len(&self) -> usize {
        4 * self.sources.len()
            + self
                .reason
                .as_ref()
                .map_or(0, |r| (1 + r.len()).div_ceil(4) * 4)
    }
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        for s in &self.sources {
            w.u32(*s)?;
        }
        if let Some(r) = &self.reason {
            if r.len() > 255 {
                return Err(RtcpError::TooMany {
                    what: "BYE reason bytes",
                    count: r.len(),
                    max: 255,
                });
            }
            w.u8(r.len() as u8)?;
            w.put(r)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn bye_known_bytes() {
        let bytes = [
            0x82, 0xcb, 0x00, 0x04, 0x90, 0x2f, 0x9e, 0x2e, 0xbc, 0x5e, 0x9a, 0x40, 0x03, b'F',
            b'O', b'O', 0, 0, 0, 0,
        ];
        let (p, _) = RtcpPacket::parse(&bytes).unwrap();
        assert_eq!(
            p,
            RtcpPacket::Bye(Bye {
                sources: vec![0x902f9e2e, 0xbc5e9a40],
                reason: Some(b"FOO".to_vec())
            })
        );
        // our writer pads to the next word only
        let out = round_trip(&p);
        assert_eq!(&out[4..16], &bytes[4..16]);
        round_trip(&RtcpPacket::Bye(Bye {
            sources: vec![7],
            reason: None,
        }));
    }
}
