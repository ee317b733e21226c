//! Source description (RFC 3550 §6.5).

use super::{Reader, Writer};
use crate::error::RtcpError;

/// RFC 3550 §6.5 SDES item types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdesType {
    /// Canonical end-point identifier.
    Cname,
    /// User name.
    Name,
    /// Electronic mail address.
    Email,
    /// Phone number.
    Phone,
    /// Geographic user location.
    Loc,
    /// Application or tool name.
    Tool,
    /// Notice/status.
    Note,
    /// Private extension (prefix length, prefix and value kept in `text`).
    Priv,
    /// Any other type.
    Other(u8),
}

impl SdesType {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Cname,
            2 => Self::Name,
            3 => Self::Email,
            4 => Self::Phone,
            5 => Self::Loc,
            6 => Self::Tool,
            7 => Self::Note,
            8 => Self::Priv,
            o => Self::Other(o),
        }
    }
    fn to_u8(self) -> u8 {
        match self {
            Self::Cname => 1,
            Self::Name => 2,
            Self::Email => 3,
            Self::Phone => 4,
            Self::Loc => 5,
            Self::Tool => 6,
            Self::Note => 7,
            Self::Priv => 8,
            Self::Other(o) => o,
        }
    }
}

/// One SDES item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesItem {
    /// Item type.
    pub kind: SdesType,
    /// Item text (at most 255 bytes; RFC 3550 says UTF-8, kept as bytes).
    pub text: Vec<u8>,
}

/// The items about one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesChunk {
    /// SSRC or CSRC described.
    pub source: u32,
    /// Items.
    pub items: Vec<SdesItem>,
}

impl SdesChunk {
    fn len(&self) -> usize {
        // RFC 3550 §6.5: "The list of items in each chunk MUST be terminated by one or more
        // null octets ... followed by null octets to the next 32-bit boundary".
        let items: usize = self.items.iter().map(|i| 2 + i.text.len()).sum();
        (4 + items + 1).div_ceil(4) * 4
    }
}

/// Source description packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sdes {
    /// Up to 31 chunks.
    pub chunks: Vec<SdesChunk>,
}

impl Sdes {
    /// A packet carrying only the CNAME of `source`, as every compound RTCP must.
    pub fn cname(source: u32, cname: &[u8]) -> Self {
        Self {
            chunks: vec![SdesChunk {
                source,
                items: vec![SdesItem {
                    kind: SdesType::Cname,
                    text: cname.to_vec(),
                }],
            }],
        }
    }

    pub(crate) fn parse(count: u8, body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("SDES", body);
        let mut chunks = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let start = r.pos;
            let source = r.u32()?;
            let mut items = Vec::new();
            loop {
                let t = r.u8()?;
                if t == 0 {
                    // skip the remaining null octets up to the 32-bit boundary
                    let used = r.pos - start;
                    let pad = (4 - used % 4) % 4;
                    let p = r.take(pad)?;
                    if p.iter().any(|&b| b != 0) {
                        return Err(RtcpError::Invalid {
                            what: "SDES",
                            reason: "non-zero chunk padding",
                        });
                    }
                    break;
                }
                let len = r.u8()? as usize;
                let text = r.take(len)?.to_vec();
                items.push(SdesItem {
                    kind: SdesType::from_u8(t),
                    text,
                });
            }
            chunks.push(SdesChunk { source, items });
        }
        Ok(Self { chunks })
    }
    pub(crate) fn body_len(&self) -> usize {
        self.chunks.iter().map(SdesChunk::len).sum()
    }
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        for c in &self.chunks {
            w.u32(c.source)?;
            let mut used = 4;
            for i in &c.items {
                if i.text.len() > 255 {
                    return Err(RtcpError::TooMany {
                        what: "SDES item bytes",
                        count: i.text.len(),
                        max: 255,
                    });
                }
                if i.kind.to_u8() == 0 {
                    return Err(RtcpError::Invalid {
                        what: "SDES",
                        reason: "item type 0 is the end marker",
                    });
                }
                w.u8(i.kind.to_u8())?;
                w.u8(i.text.len() as u8)?;
                w.put(&i.text)?;
                used += 2 + i.text.len();
            }
            let pad = c.len() - used;
            w.put(&[0u8; 4][..pad])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn sdes_cname_known_bytes() {
        // SDES, 1 chunk, SSRC 0x902f9e2e, CNAME "{9c00eb92-1afb-9d49-a47d-91f64eee69f5}"
        let mut bytes = vec![0x81, 0xca, 0x00, 0x0c, 0x90, 0x2f, 0x9e, 0x2e, 0x01, 0x26];
        bytes.extend_from_slice(b"{9c00eb92-1afb-9d49-a47d-91f64eee69f5}");
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(bytes.len(), 52);
        let (p, _) = RtcpPacket::parse(&bytes).unwrap();
        assert_eq!(
            p,
            RtcpPacket::Sdes(Sdes::cname(
                0x902f9e2e,
                b"{9c00eb92-1afb-9d49-a47d-91f64eee69f5}"
            ))
        );
        assert_eq!(round_trip(&p), bytes);
    }

    #[test]
    fn multi_chunk_round_trip() {
        let p = RtcpPacket::Sdes(Sdes {
            chunks: vec![
                SdesChunk {
                    source: 1,
                    items: vec![
                        SdesItem {
                            kind: SdesType::Cname,
                            text: b"a".to_vec(),
                        },
                        SdesItem {
                            kind: SdesType::Tool,
                            text: b"oxrtc".to_vec(),
                        },
                        SdesItem {
                            kind: SdesType::Priv,
                            text: vec![1, b'x', b'y'],
                        },
                    ],
                },
                SdesChunk {
                    source: 2,
                    items: vec![],
                },
            ],
        });
        round_trip(&p);
    }

    #[test]
    fn truncated_item() {
        let bytes = [0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x09, b'a', b'b'];
        assert!(RtcpPacket::parse(&bytes).is_err());
    }
}
