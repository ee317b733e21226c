//! Data Channel Establishment Protocol messages (RFC 8832 §5) and WebRTC PPIDs
//! (RFC 8831 §8).

use std::time::Duration;

use bytes::{BufMut, Bytes};

use crate::config::Reliability;
use crate::error::ParseError;

/// PPID of DCEP messages.
pub(crate) const PPID_DCEP: u32 = 50;
/// WebRTC String.
pub(crate) const PPID_STRING: u32 = 51;
/// WebRTC Binary Partial (deprecated).
pub(crate) const PPID_BINARY_PARTIAL: u32 = 52;
/// WebRTC Binary.
pub(crate) const PPID_BINARY: u32 = 53;
/// WebRTC String Partial (deprecated).
pub(crate) const PPID_STRING_PARTIAL: u32 = 54;
/// WebRTC String Empty.
pub(crate) const PPID_STRING_EMPTY: u32 = 56;
/// WebRTC Binary Empty.
pub(crate) const PPID_BINARY_EMPTY: u32 = 57;

const DATA_CHANNEL_ACK: u8 = 0x02;
const DATA_CHANNEL_OPEN: u8 = 0x03;

/// A DCEP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DcepMessage {
    Open(DataChannelOpen),
    Ack,
}

/// DATA_CHANNEL_OPEN (RFC 8832 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataChannelOpen {
    pub(crate) ordered: bool,
    pub(crate) reliability: Reliability,
    pub(crate) priority: u16,
    pub(crate) label: String,
    pub(crate) protocol: String,
}

impl DcepMessage {
    pub(crate) fn parse(buf: &[u8]) -> Result<Self, ParseError> {
        match buf.first() {
            Some(&DATA_CHANNEL_ACK) => Ok(DcepMessage::Ack),
            Some(&DATA_CHANNEL_OPEN) => {
                if buf.len() < 12 {
                    return Err(ParseError::Truncated {
                        what: "DATA_CHANNEL_OPEN",
                        need: 12,
                        have: buf.len(),
                    });
                }
                let channel_type = buf[1];
                let priority = u16::from_be_bytes([buf[2], buf[3]]);
                let param = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
                let label_len = usize::from(u16::from_be_bytes([buf[8], buf[9]]));
                let protocol_len = usize::from(u16::from_be_bytes([buf[10], buf[11]]));
                let need = 12 + label_len + protocol_len;
                if buf.len() < need {
                    return Err(ParseError::Truncated {
                        what: "DATA_CHANNEL_OPEN label",
                        need,
                        have: buf.len(),
                    });
                }
                let label = String::from_utf8_lossy(&buf[12..12 + label_len]).into_owned();
                let protocol = String::from_utf8_lossy(&buf[12 + label_len..need]).into_owned();
                let reliability = match channel_type & 0x7f {
                    0x00 => Reliability::Reliable,
                    0x01 => Reliability::MaxRetransmits(param),
                    0x02 => Reliability::MaxLifetime(Duration::from_millis(u64::from(param))),
                    _ => {
                        return Err(ParseError::InvalidValue {
                            what: "DATA_CHANNEL_OPEN channel type",
                        })
                    }
                };
                Ok(DcepMessage::Open(DataChannelOpen {
                    ordered: channel_type & 0x80 == 0,
                    reliability,
                    priority,
                    label,
                    protocol,
                }))
            }
            _ => Err(ParseError::InvalidValue {
                what: "DCEP message type",
            }),
        }
    }

    pub(crate) fn encode(&self) -> Bytes {
        match self {
            DcepMessage::Ack => Bytes::from_static(&[DATA_CHANNEL_ACK]),
            DcepMessage::Open(open) => {
                let mut out = Vec::with_capacity(12 + open.label.len() + open.protocol.len());
                let (kind, param) = match open.reliability {
                    Reliability::Reliable => (0x00, 0),
                    Reliability::MaxRetransmits(n) => (0x01, n),
                    Reliability::MaxLifetime(d) => {
                        (0x02, u32::try_from(d.as_millis()).unwrap_or(u32::MAX))
                    }
                };
                out.put_u8(DATA_CHANNEL_OPEN);
                out.put_u8(kind | if open.ordered { 0 } else { 0x80 });
                out.put_u16(open.priority);
                out.put_u32(param);
                // Lengths were checked against u16 when the channel was opened.
                out.put_u16(open.label.len() as u16);
                out.put_u16(open.protocol.len() as u16);
                out.extend_from_slice(open.label.as_bytes());
                out.extend_from_slice(open.protocol.as_bytes());
                out.into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_matches_rfc_layout_and_roundtrips() {
        let open = DcepMessage::Open(DataChannelOpen {
            ordered: false,
            reliability: Reliability::MaxRetransmits(3),
            priority: 512,
            label: "chat".into(),
            protocol: "x".into(),
        });
        let wire = open.encode();
        assert_eq!(
            &wire[..],
            &[3, 0x81, 2, 0, 0, 0, 0, 3, 0, 4, 0, 1, b'c', b'h', b'a', b't', b'x']
        );
        assert_eq!(DcepMessage::parse(&wire).unwrap(), open);
        assert_eq!(DcepMessage::parse(&[2]).unwrap(), DcepMessage::Ack);
        assert!(DcepMessage::parse(&wire[..14]).is_err());
        assert!(DcepMessage::parse(&[9]).is_err());
        assert!(DcepMessage::parse(&[]).is_err());
    }
}
