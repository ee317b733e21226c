//! Extended reports (RFC 3611): receiver reference time (§4.4) and DLRR (§4.5).

use super::{Reader, Writer};
use crate::error::RtcpError;

/// One DLRR sub-block (RFC 3611 §4.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DlrrBlock {
    /// Receiver the sub-block answers.
    pub ssrc: u32,
    /// Middle 32 bits of the NTP time of the last RRTR received from it.
    pub last_rr: u32,
    /// Delay since that RRTR in 1/65536 s.
    pub delay_since_last_rr: u32,
}

/// One XR report block.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum XrBlock {
    /// BT=4 receiver reference time: a 64-bit NTP timestamp.
    ReceiverReferenceTime {
        /// NTP timestamp.
        ntp_time: u64,
    },
    /// BT=5 DLRR.
    Dlrr(Vec<DlrrBlock>),
    /// Any other block type, kept raw.
    Unknown {
        /// Block type.
        block_type: u8,
        /// Type-specific byte.
        type_specific: u8,
        /// Block contents (multiple of 4 bytes).
        data: Vec<u8>,
    },
}

impl XrBlock {
    fn len(&self) -> usize {
        4 + match self {
            Self::ReceiverReferenceTime { .. } => 8,
            Self::Dlrr(b) => 12 * b.len(),
            Self::Unknown { data, .. } => data.len().div_ceil(4) * 4,
        }
    }
}

/// XR packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtendedReport {
    /// SSRC of the packet sender.
    pub ssrc: u32,
    /// Report blocks.
    pub blocks: Vec<XrBlock>,
}

impl ExtendedReport {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("XR", body);
        let ssrc = r.u32()?;
        let mut blocks = Vec::new();
        while r.remaining() > 0 {
            // RFC 3611 §3: "block type (BT): 8 bits ... type-specific: 8 bits ... block
            // length: 16 bits ... in 32-bit words minus one, including the header"
            // — minus the header, i.e. the words that follow it.
            let bt = r.u8()?;
            let ts = r.u8()?;
            let words = r.u16()? as usize;
            let data = r.take(4 * words)?;
            let mut d = Reader::new("XR block", data);
            blocks.push(match bt {
                4 => {
                    if words != 2 {
                        return Err(RtcpError::Invalid {
                            what: "XR RRTR",
                            reason: "block length is not 2",
                        });
                    }
                    XrBlock::ReceiverReferenceTime { ntp_time: d.u64()? }
                }
                5 => {
                    if !words.is_multiple_of(3) {
                        return Err(RtcpError::Invalid {
                            what: "XR DLRR",
                            reason: "block length not a multiple of 3",
                        });
                    }
                    let mut v = Vec::with_capacity(words / 3);
                    for _ in 0..words / 3 {
                        v.push(DlrrBlock {
                            ssrc: d.u32()?,
                            last_rr: d.u32()?,
                            delay_since_last_rr: d.u32()?,
                        });
                    }
                    XrBlock::Dlrr(v)
                }
                _ => XrBlock::Unknown {
                    block_type: bt,
                    type_specific: ts,
                    data: data.to_vec(),
                },
            });
        }
        Ok(Self { ssrc, blocks })
    }
    pub(crate) fn body_len(&self) -> usize {
        4 + self.blocks.iter().map(XrBlock::len).sum::<usize>()
    }
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        w.u32(self.ssrc)?;
        for b in &self.blocks {
            let words = b.len() / 4 - 1;
            if words > u16::MAX as usize {
                return Err(RtcpError::TooMany {
                    what: "XR block words",
                    count: words,
                    max: u16::MAX as usize,
                });
            }
            match b {
                XrBlock::ReceiverReferenceTime { ntp_time } => {
                    w.put(&[4, 0])?;
                    w.u16(2)?;
                    w.u64(*ntp_time)?;
                }
                XrBlock::Dlrr(v) => {
                    w.put(&[5, 0])?;
                    w.u16(words as u16)?;
                    for d in v {
                        w.u32(d.ssrc)?;
                        w.u32(d.last_rr)?;
                        w.u32(d.delay_since_last_rr)?;
                    }
                }
                XrBlock::Unknown {
                    block_type,
                    type_specific,
                    data,
                } => {
                    w.put(&[*block_type, *type_specific])?;
                    w.u16(words as u16)?;
                    w.put(data)?;
                    let pad = data.len().div_ceil(4) * 4 - data.len();
                    w.put(&[0u8; 4][..pad])?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn rrtr_known_bytes() {
        let bytes = [
            0x80, 0xcf, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04, // XR from 0x01020304
            0x04, 0x00, 0x00, 0x02, // RRTR, 2 words
            0xda, 0x8b, 0xd1, 0xfc, 0xdd, 0xdd, 0xa0, 0x5a,
        ];
        let (p, _) = RtcpPacket::parse(&bytes).unwrap();
        assert_eq!(
            p,
            RtcpPacket::ExtendedReport(ExtendedReport {
                ssrc: 0x01020304,
                blocks: vec![XrBlock::ReceiverReferenceTime {
                    ntp_time: 0xda8bd1fcdddda05a
                }]
            })
        );
        assert_eq!(round_trip(&p), bytes);
    }

    #[test]
    fn dlrr_and_unknown_round_trip() {
        let p = RtcpPacket::ExtendedReport(ExtendedReport {
            ssrc: 7,
            blocks: vec![
                XrBlock::Dlrr(vec![
                    DlrrBlock {
                        ssrc: 1,
                        last_rr: 2,
                        delay_since_last_rr: 3,
                    },
                    DlrrBlock {
                        ssrc: 4,
                        last_rr: 5,
                        delay_since_last_rr: 6,
                    },
                ]),
                XrBlock::Unknown {
                    block_type: 42,
                    type_specific: 9,
                    data: vec![1, 2, 3, 4],
                },
            ],
        });
        let b = round_trip(&p);
        assert_eq!(&b[8..12], &[5, 0, 0, 6]);
        // DLRR with a length that is not a multiple of 3 words
        let bad = [0x80, 0xcf, 0x00, 0x03, 0, 0, 0, 1, 5, 0, 0, 1, 0, 0, 0, 0];
        assert!(RtcpPacket::parse(&bad).is_err());
    }
}
