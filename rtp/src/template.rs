//! A stream's RTP header encoded once and written per packet.
//!
//! Every packet a sender puts on one stream carries the same SSRC, payload type, CSRCs
//! and extension layout; only the sequence number, timestamp, marker and a few extension
//! values (transport-cc sequence number, abs-send-time) change. [`RtpHeaderTemplate`]
//! validates and encodes the header once, as libwebrtc's packet-to-send reserves its
//! extension slots, so writing a packet is a copy and two word stores.

use crate::error::RtpError;
use crate::packet::{copy_small, RtpHeader, FIXED_HEADER_LEN, ONE_BYTE_PROFILE};

/// Where one extension element's data sits inside the encoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ExtensionSlot {
    id: u8,
    len: u8,
    offset: u32,
}

/// An [`RtpHeader`] validated and encoded once, written per packet with the fields that
/// change from packet to packet.
///
/// Extension values are updated in place with [`set_extension`](Self::set_extension) or
/// [`extension_mut`](Self::extension_mut); their ids and lengths are fixed when the
/// template is built, so a write cannot fail on them.
///
/// ```
/// use oxrtc_rtp::{Extension, RtpHeader, RtpHeaderTemplate, RtpPacket};
///
/// let mut template = RtpHeaderTemplate::new(&RtpHeader {
///     payload_type: 96,
///     ssrc: 0x1234_5678,
///     extensions: &[
///         Extension { id: 1, data: b"0" },       // sdes:mid, the same on every packet
///         Extension { id: 3, data: &[0, 0] },    // transport-cc, set per packet
///     ],
///     ..RtpHeader::default()
/// })
/// .unwrap();
///
/// let mut buf = [0u8; 1500];
/// template.set_extension(3, &7u16.to_be_bytes()).unwrap();
/// let len = template.write_packet(100, 90_000, true, b"frame", &mut buf).unwrap();
///
/// let packet = RtpPacket::parse(&buf[..len]).unwrap();
/// assert_eq!(packet.sequence_number(), 100);
/// assert_eq!(packet.timestamp(), 90_000);
/// assert!(packet.marker());
/// assert_eq!(packet.extension(3), Some(&[0u8, 7][..]));
/// assert_eq!(packet.payload(), b"frame");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpHeaderTemplate {
    /// The encoded header; its sequence number, timestamp and marker are rewritten on
    /// every write.
    encoded: Box<[u8]>,
    /// V, P, X and CC: the first byte, the same on every packet.
    first_byte: u8,
    payload_type: u8,
    padding: u8,
    slots: Box<[ExtensionSlot]>,
}

impl RtpHeaderTemplate {
    /// Validates and encodes `header`. Its sequence number, timestamp and marker are
    /// ignored: they are given to each write.
    pub fn new(header: &RtpHeader<'_>) -> Result<Self, RtpError> {
        let mut encoded = vec![0u8; header.encoded_len()?].into_boxed_slice();
        header.write(&mut encoded)?;
        let mut slots = Vec::with_capacity(header.extensions.len());
        let block = FIXED_HEADER_LEN + 4 * header.csrcs.len();
        if let [a, b, ..] = encoded[block.min(encoded.len())..] {
            // The writer puts the elements in order, without padding between them.
            let element_header = if u16::from_be_bytes([a, b]) == ONE_BYTE_PROFILE {
                1
            } else {
                2
            };
            let mut offset = block + 4;
            for e in header.extensions {
                offset += element_header;
                slots.push(ExtensionSlot {
                    id: e.id,
                    // The writer refused anything longer than 255 bytes.
                    len: e.data.len() as u8,
                    offset: u32::try_from(offset)
                        .map_err(|_| RtpError::OutOfRange("extension block too long"))?,
                });
                offset += e.data.len();
            }
        }
        Ok(Self {
            first_byte: encoded[0],
            payload_type: header.payload_type,
            padding: header.padding,
            encoded,
            slots: slots.into_boxed_slice(),
        })
    }

    /// Length of the header on the wire: what precedes the payload in every packet.
    pub fn header_len(&self) -> usize {
        self.encoded.len()
    }

    /// The payload type every packet carries.
    pub fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// The SSRC every packet carries.
    pub fn ssrc(&self) -> u32 {
        u32::from_be_bytes([
            self.encoded[8],
            self.encoded[9],
            self.encoded[10],
            self.encoded[11],
        ])
    }

    /// The data of the first extension element with `id`, to update in place. Its length
    /// is the one the template was built with.
    pub fn extension_mut(&mut self, id: u8) -> Option<&mut [u8]> {
        let slot = *self.slots.iter().find(|s| s.id == id)?;
        let start = slot.offset as usize;
        self.encoded.get_mut(start..start + slot.len as usize)
    }

    /// Replaces the data of the first extension element with `id`. The new data must have
    /// the length the template was built with: the layout never changes.
    pub fn set_extension(&mut self, id: u8, data: &[u8]) -> Result<(), RtpError> {
        let slot = self
            .extension_mut(id)
            .ok_or(RtpError::UnknownExtension { id })?;
        if slot.len() != data.len() {
            return Err(RtpError::ExtensionLengthChanged {
                id,
                reserved: slot.len(),
                given: data.len(),
            });
        }
        copy_small(slot, data);
        Ok(())
    }

    /// Writes the header with these per-packet fields into `buf`, returning its length.
    #[inline]
    pub fn write(
        &self,
        sequence_number: u16,
        timestamp: u32,
        marker: bool,
        buf: &mut [u8],
    ) -> Result<usize, RtpError> {
        let len = self.encoded.len();
        let Some(out) = buf.get_mut(..len) else {
            return Err(RtpError::BufferTooSmall {
                needed: len,
                have: buf.len(),
            });
        };
        copy_header(out, &self.encoded);
        let first_word = u32::from(self.first_byte) << 24
            | u32::from(self.payload_type | (marker as u8) << 7) << 16
            | u32::from(sequence_number);
        if let Some(head) = out.first_chunk_mut::<8>() {
            head[..4].copy_from_slice(&first_word.to_be_bytes());
            head[4..].copy_from_slice(&timestamp.to_be_bytes());
        }
        Ok(len)
    }

    /// Writes header, `payload` and the template's padding into `buf`, returning the
    /// packet length.
    pub fn write_packet(
        &self,
        sequence_number: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
        buf: &mut [u8],
    ) -> Result<usize, RtpError> {
        let header_len = self.encoded.len();
        let total = header_len + payload.len() + self.padding as usize;
        if buf.len() < total {
            return Err(RtpError::BufferTooSmall {
                needed: total,
                have: buf.len(),
            });
        }
        self.write(sequence_number, timestamp, marker, buf)?;
        buf[header_len..header_len + payload.len()].copy_from_slice(payload);
        if self.padding > 0 {
            buf[header_len + payload.len()..total - 1].fill(0);
            buf[total - 1] = self.padding;
        }
        Ok(total)
    }
}

/// Copies an encoded header into `out` of the same length. The usual headers (12 bytes
/// bare, up to 32 with a few extensions) take fixed-size moves rather than a call to
/// memcpy; 16 to 32 bytes as two overlapping 16-byte moves.
#[inline(always)]
fn copy_header(out: &mut [u8], src: &[u8]) {
    if out.len() == src.len() {
        if let (Some(o), Some(s), true) = (
            out.first_chunk_mut::<16>(),
            src.first_chunk::<16>(),
            src.len() <= 32,
        ) {
            *o = *s;
            if let (Some(o), Some(s)) = (out.last_chunk_mut::<16>(), src.last_chunk::<16>()) {
                *o = *s;
            }
            return;
        }
        if let (Ok(o), Ok(s)) = (
            <&mut [u8; FIXED_HEADER_LEN]>::try_from(&mut *out),
            <&[u8; FIXED_HEADER_LEN]>::try_from(src),
        ) {
            *o = *s;
            return;
        }
    }
    out.copy_from_slice(src);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Extension, ExtensionFormChoice, RtpPacket};

    /// Small xorshift generator: the tests need many varied headers, not randomness.
    fn generator() -> impl FnMut(u64) -> u64 {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        }
    }

    /// Whatever the header, the template writes exactly what `RtpHeader` writes, and
    /// touches nothing past it.
    #[test]
    fn writes_what_the_header_writes() {
        let data: Vec<u8> = (1..=255).collect();
        let mut next = generator();
        for round in 0..3000 {
            let two_byte = round % 3 == 0;
            let count = next(7) as usize;
            let extensions: Vec<Extension<'_>> = (0..count)
                .map(|_| {
                    if two_byte {
                        Extension {
                            id: 1 + next(255) as u8,
                            data: &data[..next(40) as usize],
                        }
                    } else {
                        Extension {
                            id: 1 + next(14) as u8,
                            data: &data[..1 + next(16) as usize],
                        }
                    }
                })
                .collect();
            let csrcs: Vec<u32> = (0..next(4) as u32).map(|c| c * 0x0101_0101).collect();
            let mut header = RtpHeader {
                payload_type: next(128) as u8,
                ssrc: next(u32::MAX as u64) as u32,
                csrcs: &csrcs,
                extensions: &extensions,
                extension_form: if two_byte {
                    ExtensionFormChoice::TwoByte
                } else {
                    ExtensionFormChoice::Auto
                },
                padding: if next(4) == 0 { 1 + next(8) as u8 } else { 0 },
                ..RtpHeader::default()
            };
            let template = RtpHeaderTemplate::new(&header).unwrap();
            assert_eq!(template.ssrc(), header.ssrc);
            assert_eq!(template.payload_type(), header.payload_type);
            for _ in 0..4 {
                header.sequence_number = next(1 << 16) as u16;
                header.timestamp = next(1 << 32) as u32;
                header.marker = next(2) == 1;
                let payload = &data[..next(30) as usize];
                let mut want = Vec::new();
                let want_len = header.append_packet(payload, &mut want).unwrap();
                for slack in [0, 1, 5, 64] {
                    let mut got = vec![0xEE; want_len + slack];
                    let len = template
                        .write_packet(
                            header.sequence_number,
                            header.timestamp,
                            header.marker,
                            payload,
                            &mut got,
                        )
                        .unwrap();
                    assert_eq!(len, want_len);
                    assert_eq!(got[..len], want[..], "round {round}");
                    assert!(got[len..].iter().all(|&b| b == 0xEE), "wrote past the end");
                }
                assert_eq!(
                    template
                        .write(header.sequence_number, 0, false, &mut vec![0; want_len])
                        .unwrap(),
                    template.header_len()
                );
                assert!(template
                    .write_packet(0, 0, false, payload, &mut vec![0; want_len - 1])
                    .is_err());
                assert!(template
                    .write(0, 0, false, &mut vec![0; template.header_len() - 1])
                    .is_err());
            }
        }
    }

    #[test]
    fn updated_extension_values_are_written() {
        let mut template = RtpHeaderTemplate::new(&RtpHeader {
            payload_type: 111,
            ssrc: 9,
            extensions: &[
                Extension {
                    id: 1,
                    data: &[0xAA],
                },
                Extension {
                    id: 2,
                    data: &[0, 0, 0],
                },
                Extension {
                    id: 5,
                    data: &[0, 0],
                },
            ],
            ..RtpHeader::default()
        })
        .unwrap();
        let mut buf = [0u8; 64];
        for seq in [0u16, 1, 0xFFFF] {
            template.set_extension(5, &seq.to_be_bytes()).unwrap();
            template.extension_mut(2).unwrap()[2] = seq as u8;
            let len = template.write(seq, 0, false, &mut buf).unwrap();
            let p = RtpPacket::parse(&buf[..len]).unwrap();
            assert_eq!(p.extension(5), Some(&seq.to_be_bytes()[..]));
            assert_eq!(p.extension(2), Some(&[0, 0, seq as u8][..]));
            assert_eq!(p.extension(1), Some(&[0xAA][..]));
        }
        assert_eq!(
            template.set_extension(5, &[1, 2, 3]),
            Err(RtpError::ExtensionLengthChanged {
                id: 5,
                reserved: 2,
                given: 3
            })
        );
        assert_eq!(
            template.set_extension(9, &[1]),
            Err(RtpError::UnknownExtension { id: 9 })
        );
        assert!(template.extension_mut(9).is_none());
    }

    #[test]
    fn refuses_what_the_header_refuses() {
        let csrcs = [0u32; 16];
        assert!(RtpHeaderTemplate::new(&RtpHeader {
            csrcs: &csrcs,
            ..RtpHeader::default()
        })
        .is_err());
        assert!(RtpHeaderTemplate::new(&RtpHeader {
            payload_type: 128,
            ..RtpHeader::default()
        })
        .is_err());
        assert!(RtpHeaderTemplate::new(&RtpHeader {
            extensions: &[Extension { id: 0, data: &[1] }],
            ..RtpHeader::default()
        })
        .is_err());
    }
}
