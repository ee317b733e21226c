//! Application-defined packet (RFC 3550 §6.7).

use super::{Reader, Writer};
use crate::error::RtcpError;

/// APP packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct App {
    /// 5-bit subtype (in the count field).
    pub subtype: u8,
    /// SSRC/CSRC.
    pub ssrc: u32,
    /// Four ASCII characters naming the application.
    pub name: [u8; 4],
    /// Application-dependent data; RFC 3550 §6.7: "MUST be a multiple of 32 bits long"
    /// (the writer zero-pads it).
    pub data: Vec<u8>,
}

impl App {
    pub(crate) fn parse(count: u8, body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("APP", body);
        let ssrc = r.u32()?;
        let n = r.take(4)?;
        Ok(Self {
            subtype: count,
            ssrc,
            name: [n[0], n[1], n[2], n[3]],
            data: r.rest().to_vec(),
        })
    }
    pub(crate) fn body_len(&self) -> usize {
        8 + self.data.len().div_ceil(4) * 4
    }
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        w.u32(self.ssrc)?;
        w.put(&self.name)?;
        w.put(&self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn app_round_trip() {
        let bytes = round_trip(&RtcpPacket::App(App {
            subtype: 5,
            ssrc: 0x11223344,
            name: *b"TEST",
            data: vec![1, 2, 3, 4, 5, 6, 7, 8],
        }));
        assert_eq!(
            &bytes[..12],
            &[0x85, 204, 0, 4, 0x11, 0x22, 0x33, 0x44, b'T', b'E', b'S', b'T']
        );
    }
}
