//! RTCP (RFC 3550 §6) compound packets and the feedback messages WebRTC uses:
//! RFC 4585 (generic NACK, PLI, SLI), RFC 5104 (FIR, TMMBR/TMMBN), REMB,
//! transport-wide congestion control feedback, RFC 3611 XR (RRTR, DLRR), and
//! reduced-size RTCP (RFC 5506).
//!
//! Parsing returns owned, typed packets; writing goes into the caller's buffer.

mod app;
mod bye;
mod fir;
mod nack;
mod pli;
mod remb;
mod rr;
mod sdes;
mod sli;
mod sr;
mod tmmbr;
mod twcc;
mod xr;

pub use app::App;
pub use bye::Bye;
pub use fir::{Fir, FirEntry};
pub use nack::{Nack, NackPair};
pub use pli::Pli;
pub use remb::Remb;
pub use rr::{ReceiverReport, ReportBlock};
pub use sdes::{Sdes, SdesChunk, SdesItem, SdesType};
pub use sli::{Sli, SliEntry};
pub use sr::SenderReport;
pub use tmmbr::{Tmmbn, Tmmbr, TmmbrEntry};
pub use twcc::{TransportFeedback, TwccStatus};
pub use xr::{DlrrBlock, ExtendedReport, XrBlock};

use crate::error::RtcpError;

/// RFC 3550 §12.1 packet types.
pub mod packet_type {
    /// Sender report.
    pub const SR: u8 = 200;
    /// Receiver report.
    pub const RR: u8 = 201;
    /// Source description.
    pub const SDES: u8 = 202;
    /// Goodbye.
    pub const BYE: u8 = 203;
    /// Application-defined.
    pub const APP: u8 = 204;
    /// RFC 4585 transport-layer feedback.
    pub const RTPFB: u8 = 205;
    /// RFC 4585 payload-specific feedback.
    pub const PSFB: u8 = 206;
    /// RFC 3611 extended report.
    pub const XR: u8 = 207;
}

/// RFC 3550 §6.4.1: the common header is 4 bytes.
pub const HEADER_LEN: usize = 4;

/// The common RTCP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpHeader {
    /// Padding bit.
    pub padding: bool,
    /// Report count, source count or feedback message type (5 bits).
    pub count: u8,
    /// Packet type.
    pub packet_type: u8,
    /// Length of the packet in bytes, header included.
    pub len: usize,
}

impl RtcpHeader {
    /// Parses the 4-byte common header and checks the packet fits `buf`.
    pub fn parse(buf: &[u8]) -> Result<Self, RtcpError> {
        if buf.len() < HEADER_LEN {
            return Err(RtcpError::TooShort {
                what: "header",
                needed: HEADER_LEN,
                have: buf.len(),
            });
        }
        if buf[0] >> 6 != 2 {
            return Err(RtcpError::BadVersion(buf[0] >> 6));
        }
        // RFC 3550 §6.4.1: "length: 16 bits. The length of this RTCP packet in 32-bit words
        // minus one, including the header and any padding."
        let len = (u16::from_be_bytes([buf[2], buf[3]]) as usize + 1) * 4;
        if buf.len() < len {
            return Err(RtcpError::TooShort {
                what: "packet",
                needed: len,
                have: buf.len(),
            });
        }
        Ok(Self {
            padding: buf[0] & 0x20 != 0,
            count: buf[0] & 0x1F,
            packet_type: buf[1],
            len,
        })
    }
}

/// RFC 4585 §6.1 feedback message types (FMT) used with [`packet_type::RTPFB`].
pub mod rtpfb {
    /// Generic NACK.
    pub const NACK: u8 = 1;
    /// RFC 5104 TMMBR.
    pub const TMMBR: u8 = 3;
    /// RFC 5104 TMMBN.
    pub const TMMBN: u8 = 4;
    /// Transport-wide congestion control feedback.
    pub const TWCC: u8 = 15;
}

/// RFC 4585 §6.1 feedback message types (FMT) used with [`packet_type::PSFB`].
pub mod psfb {
    /// Picture loss indication.
    pub const PLI: u8 = 1;
    /// Slice loss indication.
    pub const SLI: u8 = 2;
    /// RFC 5104 full intra request.
    pub const FIR: u8 = 4;
    /// Application layer feedback (REMB).
    pub const AFB: u8 = 15;
}

/// One RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket {
    /// Sender report.
    SenderReport(SenderReport),
    /// Receiver report.
    ReceiverReport(ReceiverReport),
    /// Source description.
    Sdes(Sdes),
    /// Goodbye.
    Bye(Bye),
    /// Application-defined.
    App(App),
    /// Generic NACK.
    Nack(Nack),
    /// Temporary maximum media stream bit rate request.
    Tmmbr(Tmmbr),
    /// Temporary maximum media stream bit rate notification.
    Tmmbn(Tmmbn),
    /// Transport-wide congestion control feedback.
    TransportFeedback(TransportFeedback),
    /// Picture loss indication.
    Pli(Pli),
    /// Slice loss indication.
    Sli(Sli),
    /// Full intra request.
    Fir(Fir),
    /// Receiver estimated maximum bitrate.
    Remb(Remb),
    /// Extended report.
    ExtendedReport(ExtendedReport),
    /// Any other packet, kept raw.
    Unknown {
        /// The 5-bit count/FMT field.
        count: u8,
        /// Packet type.
        packet_type: u8,
        /// Body after the 4-byte header, padding removed.
        body: Vec<u8>,
    },
}

impl RtcpPacket {
    /// Parses one packet from the start of `buf`, returning it and its length.
    pub fn parse(buf: &[u8]) -> Result<(Self, usize), RtcpError> {
        let h = RtcpHeader::parse(buf)?;
        let mut body = &buf[HEADER_LEN..h.len];
        if h.padding {
            // RFC 3550 §6.4.1: the last octet of the padding is a count of padding
            // octets, including itself.
            let pad = *body.last().ok_or(RtcpError::BadPadding)? as usize;
            if pad == 0 || pad > body.len() {
                return Err(RtcpError::BadPadding);
            }
            body = &body[..body.len() - pad];
        }
        use packet_type as pt;
        let p = match (h.packet_type, h.count) {
            (pt::SR, c) => Self::SenderReport(SenderReport::parse(c, body)?),
            (pt::RR, c) => Self::ReceiverReport(ReceiverReport::parse(c, body)?),
            (pt::SDES, c) => Self::Sdes(Sdes::parse(c, body)?),
            (pt::BYE, c) => Self::Bye(Bye::parse(c, body)?),
            (pt::APP, c) => Self::App(App::parse(c, body)?),
            (pt::RTPFB, rtpfb::NACK) => Self::Nack(Nack::parse(body)?),
            (pt::RTPFB, rtpfb::TMMBR) => Self::Tmmbr(Tmmbr::parse(body)?),
            (pt::RTPFB, rtpfb::TMMBN) => Self::Tmmbn(Tmmbn::parse(body)?),
            (pt::RTPFB, rtpfb::TWCC) => Self::TransportFeedback(TransportFeedback::parse(body)?),
            (pt::PSFB, psfb::PLI) => Self::Pli(Pli::parse(body)?),
            (pt::PSFB, psfb::SLI) => Self::Sli(Sli::parse(body)?),
            (pt::PSFB, psfb::FIR) => Self::Fir(Fir::parse(body)?),
            (pt::PSFB, psfb::AFB) if Remb::is_remb(body) => Self::Remb(Remb::parse(body)?),
            (pt::XR, _) => Self::ExtendedReport(ExtendedReport::parse(body)?),
            (packet_type, count) => Self::Unknown {
                count,
                packet_type,
                body: body.to_vec(),
            },
        };
        Ok((p, h.len))
    }

    /// Bytes this packet occupies on the wire.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN
            + match self {
                Self::SenderReport(p) => p.body_len(),
                Self::ReceiverReport(p) => p.body_len(),
                Self::Sdes(p) => p.body_len(),
                Self::Bye(p) => p.body_len(),
                Self::App(p) => p.body_len(),
                Self::Nack(p) => p.body_len(),
                Self::Tmmbr(p) => p.body_len(),
                Self::Tmmbn(p) => p.body_len(),
                Self::TransportFeedback(p) => p.body_len(),
                Self::Pli(p) => p.body_len(),
                Self::Sli(p) => p.body_len(),
                Self::Fir(p) => p.body_len(),
                Self::Remb(p) => p.body_len(),
                Self::ExtendedReport(p) => p.body_len(),
                Self::Unknown { body, .. } => body.len().div_ceil(4) * 4,
            }
    }

    /// The (count/FMT, packet type) pair of the header.
    fn header_fields(&self) -> Result<(u8, u8), RtcpError> {
        use packet_type as pt;
        Ok(match self {
            Self::SenderReport(p) => (count5("SR", p.reports.len())?, pt::SR),
            Self::ReceiverReport(p) => (count5("RR", p.reports.len())?, pt::RR),
            Self::Sdes(p) => (count5("SDES", p.chunks.len())?, pt::SDES),
            Self::Bye(p) => (count5("BYE", p.sources.len())?, pt::BYE),
            Self::App(p) => (p.subtype & 0x1F, pt::APP),
            Self::Nack(_) => (rtpfb::NACK, pt::RTPFB),
            Self::Tmmbr(_) => (rtpfb::TMMBR, pt::RTPFB),
            Self::Tmmbn(_) => (rtpfb::TMMBN, pt::RTPFB),
            Self::TransportFeedback(_) => (rtpfb::TWCC, pt::RTPFB),
            Self::Pli(_) => (psfb::PLI, pt::PSFB),
            Self::Sli(_) => (psfb::SLI, pt::PSFB),
            Self::Fir(_) => (psfb::FIR, pt::PSFB),
            Self::Remb(_) => (psfb::AFB, pt::PSFB),
            Self::ExtendedReport(_) => (0, pt::XR),
            Self::Unknown {
                count, packet_type, ..
            } => (count & 0x1F, *packet_type),
        })
    }

    /// Writes this packet into `buf`, returning its length.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, RtcpError> {
        let len = self.encoded_len();
        if buf.len() < len {
            return Err(RtcpError::BufferTooSmall {
                needed: len,
                have: buf.len(),
            });
        }
        let words = len / 4 - 1;
        if words > u16::MAX as usize {
            return Err(RtcpError::TooMany {
                what: "packet length in words",
                count: words,
                max: u16::MAX as usize,
            });
        }
        let (count, pt) = self.header_fields()?;
        buf[0] = 0x80 | count;
        buf[1] = pt;
        buf[2..4].copy_from_slice(&(words as u16).to_be_bytes());
        let mut w = Writer::new(&mut buf[HEADER_LEN..len]);
        match self {
            Self::SenderReport(p) => p.write_body(&mut w),
            Self::ReceiverReport(p) => p.write_body(&mut w),
            Self::Sdes(p) => p.write_body(&mut w),
            Self::Bye(p) => p.write_body(&mut w),
            Self::App(p) => p.write_body(&mut w),
            Self::Nack(p) => p.write_body(&mut w),
            Self::Tmmbr(p) => p.write_body(&mut w),
            Self::Tmmbn(p) => p.write_body(&mut w),
            Self::TransportFeedback(p) => p.write_body(&mut w),
            Self::Pli(p) => p.write_body(&mut w),
            Self::Sli(p) => p.write_body(&mut w),
            Self::Fir(p) => p.write_body(&mut w),
            Self::Remb(p) => p.write_body(&mut w),
            Self::ExtendedReport(p) => p.write_body(&mut w),
            Self::Unknown { body, .. } => w.put(body),
        }?;
        w.zero_rest();
        Ok(len)
    }

    /// Parses every packet of a compound (or reduced-size, RFC 5506) RTCP datagram.
    pub fn parse_compound(buf: &[u8]) -> Result<Vec<RtcpPacket>, RtcpError> {
        Compound::new(buf).collect()
    }

    /// Writes `packets` back to back as one compound packet, returning the length.
    pub fn write_compound(packets: &[RtcpPacket], buf: &mut [u8]) -> Result<usize, RtcpError> {
        let mut pos = 0;
        for p in packets {
            let rest = buf.get_mut(pos..).unwrap_or_default();
            pos += p.write(rest)?;
        }
        Ok(pos)
    }

    /// The SSRC of the media the packet is about, for feedback messages.
    pub fn media_ssrc(&self) -> Option<u32> {
        match self {
            Self::Nack(p) => Some(p.media_ssrc),
            Self::TransportFeedback(p) => Some(p.media_ssrc),
            Self::Pli(p) => Some(p.media_ssrc),
            Self::Sli(p) => Some(p.media_ssrc),
            Self::Fir(p) => p.entries.first().map(|e| e.ssrc),
            _ => None,
        }
    }
}

fn count5(what: &'static str, n: usize) -> Result<u8, RtcpError> {
    if n > 31 {
        return Err(RtcpError::TooMany {
            what,
            count: n,
            max: 31,
        });
    }
    Ok(n as u8)
}

/// Iterator over the packets of a compound RTCP datagram.
///
/// RFC 3550 §A.2's validity checks: version 2 everywhere, lengths that add up to the
/// datagram, and the padding bit only on the last packet. Whether the first packet must be
/// SR/RR is left to [`validate_compound`]: RFC 5506 reduced-size RTCP drops that rule.
#[derive(Debug, Clone)]
pub struct Compound<'a> {
    buf: &'a [u8],
    failed: bool,
}

impl<'a> Compound<'a> {
    /// Iterates the packets in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, failed: false }
    }
}

impl Iterator for Compound<'_> {
    type Item = Result<RtcpPacket, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() || self.failed {
            return None;
        }
        match RtcpPacket::parse(self.buf) {
            Ok((p, len)) => {
                if self.buf[0] & 0x20 != 0 && len != self.buf.len() {
                    self.failed = true;
                    return Some(Err(RtcpError::BadPadding));
                }
                self.buf = &self.buf[len..];
                Some(Ok(p))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// RFC 3550 §6.1: "The first RTCP packet in the compound packet MUST always be a report
/// packet" — checks that rule for peers that did not negotiate `a=rtcp-rsize`.
pub fn validate_compound(packets: &[RtcpPacket]) -> Result<(), RtcpError> {
    match packets.first() {
        Some(RtcpPacket::SenderReport(_) | RtcpPacket::ReceiverReport(_)) => Ok(()),
        _ => Err(RtcpError::CompoundNotReport),
    }
}

/// Bounds-checked big-endian reader over a packet body.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(what: &'static str, buf: &'a [u8]) -> Self {
        Self { buf, pos: 0, what }
    }
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], RtcpError> {
        if self.remaining() < n {
            return Err(RtcpError::TooShort {
                what: self.what,
                needed: self.pos + n,
                have: self.buf.len(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }
    pub(crate) fn u8(&mut self) -> Result<u8, RtcpError> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16, RtcpError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub(crate) fn u24(&mut self) -> Result<u32, RtcpError> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, RtcpError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, RtcpError> {
        Ok((self.u32()? as u64) << 32 | self.u32()? as u64)
    }
}

/// Bounds-checked big-endian writer; never panics, returns an error on overflow.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    pub(crate) fn put(&mut self, data: &[u8]) -> Result<(), RtcpError> {
        let end = self.pos + data.len();
        let have = self.buf.len();
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(RtcpError::BufferTooSmall { needed: end, have })?;
        dst.copy_from_slice(data);
        self.pos = end;
        Ok(())
    }
    pub(crate) fn u8(&mut self, v: u8) -> Result<(), RtcpError> {
        self.put(&[v])
    }
    pub(crate) fn u16(&mut self, v: u16) -> Result<(), RtcpError> {
        self.put(&v.to_be_bytes())
    }
    pub(crate) fn u24(&mut self, v: u32) -> Result<(), RtcpError> {
        self.put(&v.to_be_bytes()[1..])
    }
    pub(crate) fn u32(&mut self, v: u32) -> Result<(), RtcpError> {
        self.put(&v.to_be_bytes())
    }
    pub(crate) fn u64(&mut self, v: u64) -> Result<(), RtcpError> {
        self.put(&v.to_be_bytes())
    }
    pub(crate) fn zero_rest(&mut self) {
        self.buf[self.pos..].fill(0);
        self.pos = self.buf.len();
    }
}

#[cfg(test)]
pub(crate) fn round_trip(p: &RtcpPacket) -> Vec<u8> {
    let mut buf = vec![0u8; p.encoded_len()];
    assert_eq!(p.write(&mut buf).unwrap(), buf.len());
    let (q, len) = RtcpPacket::parse(&buf).unwrap();
    assert_eq!(len, buf.len());
    assert_eq!(&q, p);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compound_round_trip_and_rules() {
        let packets = vec![
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: 1,
                reports: vec![],
                profile_extensions: vec![],
            }),
            RtcpPacket::Sdes(Sdes {
                chunks: vec![SdesChunk {
                    source: 1,
                    items: vec![SdesItem {
                        kind: SdesType::Cname,
                        text: b"abc".to_vec(),
                    }],
                }],
            }),
            RtcpPacket::Pli(Pli {
                sender_ssrc: 1,
                media_ssrc: 2,
            }),
            RtcpPacket::Unknown {
                count: 3,
                packet_type: 210,
                body: vec![1, 2, 3, 4],
            },
        ];
        let mut buf = [0u8; 256];
        let n = RtcpPacket::write_compound(&packets, &mut buf).unwrap();
        let parsed = RtcpPacket::parse_compound(&buf[..n]).unwrap();
        assert_eq!(parsed, packets);
        validate_compound(&parsed).unwrap();
        // reduced-size: a lone PLI parses; validate_compound flags it
        let pli = &packets[2];
        let mut b = [0u8; 12];
        pli.write(&mut b).unwrap();
        let parsed = RtcpPacket::parse_compound(&b).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(
            validate_compound(&parsed),
            Err(RtcpError::CompoundNotReport)
        );
        assert!(RtcpPacket::write_compound(&packets, &mut buf[..20]).is_err());
    }

    #[test]
    fn header_errors() {
        assert!(RtcpPacket::parse(&[0x80, 200]).is_err());
        assert_eq!(
            RtcpPacket::parse(&[0x40, 200, 0, 0]).unwrap_err(),
            RtcpError::BadVersion(1)
        );
        assert!(matches!(
            RtcpPacket::parse(&[0x80, 201, 0, 5, 0, 0, 0, 0]),
            Err(RtcpError::TooShort { .. })
        ));
        // padding bit on a non-last packet of a compound
        let pkt = [0xA0, 210, 0, 1, 0, 0, 0, 4, 0x80, 210, 0, 0];
        let r: Result<Vec<_>, _> = Compound::new(&pkt).collect();
        assert_eq!(r.unwrap_err(), RtcpError::BadPadding);
        // padding count 0
        assert_eq!(
            RtcpPacket::parse(&[0xA0, 210, 0, 1, 0, 0, 0, 0]).unwrap_err(),
            RtcpError::BadPadding
        );
        // padding stripped from an unknown packet
        let (p, _) = RtcpPacket::parse(&[0xA0, 210, 0, 1, 9, 0, 0, 3]).unwrap();
        assert_eq!(
            p,
            RtcpPacket::Unknown {
                count: 0,
                packet_type: 210,
                body: vec![9]
            }
        );
    }
}
