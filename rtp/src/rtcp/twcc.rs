//! Transport-wide congestion control feedback
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1), RTPFB FMT 15.

use super::{Reader, Writer};
use crate::error::RtcpError;

/// The reception status of one transport-wide sequence number.
///
/// draft §3.1.1: "00 Packet not received, 01 Packet received, small delta, 10 Packet
/// received, large or negative delta, 11 \[Reserved\]". The small/large choice is kept so
/// packets re-encode byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwccStatus {
    /// Not received.
    NotReceived,
    /// Received; delta from the previous arrival in 250 µs ticks, 0..=255.
    SmallDelta(u8),
    /// Received; signed delta in 250 µs ticks.
    LargeDelta(i16),
}

impl TwccStatus {
    /// The cheapest status for a received packet `ticks` × 250 µs after the previous one,
    /// or `None` when the delta does not fit 16 bits (start a new feedback packet).
    pub fn received(ticks: i32) -> Option<Self> {
        if (0..=255).contains(&ticks) {
            Some(Self::SmallDelta(ticks as u8))
        } else {
            i16::try_from(ticks).ok().map(Self::LargeDelta)
        }
    }
    fn symbol(self) -> u16 {
        match self {
            Self::NotReceived => 0,
            Self::SmallDelta(_) => 1,
            Self::LargeDelta(_) => 2,
        }
    }
    /// Delta in 250 µs ticks, for received packets.
    pub fn delta_ticks(self) -> Option<i32> {
        match self {
            Self::NotReceived => None,
            Self::SmallDelta(d) => Some(d as i32),
            Self::LargeDelta(d) => Some(d as i32),
        }
    }
}

/// Transport-wide congestion control feedback packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransportFeedback {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source (unused by the algorithm, often the first media SSRC).
    pub media_ssrc: u32,
    /// Transport-wide sequence number of the first status.
    pub base_sequence: u16,
    /// draft §3.1: "reference time: 24 bits ... in multiples of 64ms".
    pub reference_time: u32,
    /// Feedback packet count, to detect lost feedback.
    pub feedback_count: u8,
    /// One status per sequence number from `base_sequence` on (at most 65535).
    pub statuses: Vec<TwccStatus>,
}

/// One packet status chunk (draft §3.1.3, §3.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    RunLength { symbol: u16, len: u16 },
    OneBit { bits: u16, n: usize },
    TwoBit { bits: u16, n: usize },
}

impl Chunk {
    fn encode(self) -> u16 {
        match self {
            // "T = 0 | S (2 bits) | Run Length (13 bits)"
            Self::RunLength { symbol, len } => symbol << 13 | len,
            // "T = 1 | S = 0 | symbol list (14 bits)"
            Self::OneBit { bits, .. } => 0x8000 | bits,
            // "T = 1 | S = 1 | symbol list (7 × 2 bits)"
            Self::TwoBit { bits, .. } => 0xC000 | bits,
        }
    }
}

/// Greedy chunk choice: a run-length chunk when the run is long enough to beat a vector,
/// otherwise a 1-bit vector if the next 14 statuses have no large deltas, else 2-bit.
fn for_each_chunk(statuses: &[TwccStatus], mut f: impl FnMut(Chunk)) {
    let mut i = 0;
    while i < statuses.len() {
        let sym = statuses[i].symbol();
        let run = statuses[i..]
            .iter()
            .take(0x1FFF)
            .take_while(|s| s.symbol() == sym)
            .count();
        let rest = statuses.len() - i;
        let one_bit_ok = statuses[i..].iter().take(14).all(|s| s.symbol() < 2);
        if run >= 14 || run == rest || (!one_bit_ok && run >= 7) {
            f(Chunk::RunLength {
                symbol: sym,
                len: run as u16,
            });
            i += run;
        } else if one_bit_ok {
            let n = rest.min(14);
            let mut bits = 0u16;
            for (k, s) in statuses[i..i + n].iter().enumerate() {
                bits |= s.symbol() << (13 - k);
            }
            f(Chunk::OneBit { bits, n });
            i += n;
        } else {
            let n = rest.min(7);
            let mut bits = 0u16;
            for (k, s) in statuses[i..i + n].iter().enumerate() {
                bits |= s.symbol() << (12 - 2 * k);
            }
            f(Chunk::TwoBit { bits, n });
            i += n;
        }
    }
}

impl TransportFeedback {
    /// `(sequence number, status)` for every status, wrap-around applied.
    pub fn packets(&self) -> impl Iterator<Item = (u16, TwccStatus)> + '_ {
        self.statuses
            .iter()
            .enumerate()
            .map(|(i, s)| (self.base_sequence.wrapping_add(i as u16), *s))
    }

    /// Arrival times in microseconds relative to the reference time origin, for received
    /// packets: reference time × 64 ms plus the running sum of deltas.
    pub fn arrival_times_us(&self) -> impl Iterator<Item = (u16, i64)> + '_ {
        let mut t = self.reference_time as i64 * 64_000;
        self.packets().filter_map(move |(seq, s)| {
            s.delta_ticks().map(|d| {
                t += d as i64 * 250;
                (seq, t)
            })
        })
    }

    pub(crate) fn parse(body: &[u8]) -> Result<Self, RtcpError> {
        let mut r = Reader::new("TWCC", body);
        let sender_ssrc = r.u32()?;
        let media_ssrc = r.u32()?;
        let base_sequence = r.u16()?;
        let count = r.u16()? as usize;
        let reference_time = r.u24()?;
        let feedback_count = r.u8()?;
        // Each 2-byte chunk covers at least one status, so a count larger than the body
        // allows is malformed; this also bounds the allocation below.
        if count > r.remaining() / 2 * 0x1FFF {
            return Err(RtcpError::Invalid {
                what: "TWCC",
                reason: "packet status count exceeds chunks",
            });
        }
        // First pass: the symbols.
        let mut symbols: Vec<u8> = Vec::with_capacity(count);
        while symbols.len() < count {
            let c = r.u16()?;
            let left = count - symbols.len();
            if c & 0x8000 == 0 {
                let sym = ((c >> 13) & 3) as u8;
                let len = (c & 0x1FFF) as usize;
                symbols.extend(std::iter::repeat_n(sym, len.min(left)));
            } else if c & 0x4000 == 0 {
                for k in 0..14.min(left) {
                    symbols.push(((c >> (13 - k)) & 1) as u8);
                }
            } else {
                for k in 0..7.min(left) {
                    symbols.push(((c >> (12 - 2 * k)) & 3) as u8);
                }
            }
        }
        // Second pass: the receive deltas, in order.
        let mut statuses = Vec::with_capacity(count);
        for s in symbols {
            statuses.push(match s {
                0 => TwccStatus::NotReceived,
                1 => TwccStatus::SmallDelta(r.u8()?),
                2 => TwccStatus::LargeDelta(r.u16()? as i16),
                _ => {
                    return Err(RtcpError::Invalid {
                        what: "TWCC",
                        reason: "reserved status symbol",
                    })
                }
            });
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            base_sequence,
            reference_time,
            feedback_count,
            statuses,
        })
    }

    pub(crate) fn body_len(&self) -> usize {
        let mut chunks = 0;
        for_each_chunk(&self.statuses, |_| chunks += 1);
        let deltas: usize = self
            .statuses
            .iter()
            .map(|s| match s {
                TwccStatus::NotReceived => 0,
                TwccStatus::SmallDelta(_) => 1,
                TwccStatus::LargeDelta(_) => 2,
            })
            .sum();
        (16 + 2 * chunks + deltas).div_ceil(4) * 4
    }

    pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        if self.statuses.len() > u16::MAX as usize {
            return Err(RtcpError::TooMany {
                what: "TWCC statuses",
                count: self.statuses.len(),
                max: u16::MAX as usize,
            });
        }
        w.u32(self.sender_ssrc)?;
        w.u32(self.media_ssrc)?;
        w.u16(self.base_sequence)?;
        w.u16(self.statuses.len() as u16)?;
        w.u24(self.reference_time & 0x00FF_FFFF)?;
        w.u8(self.feedback_count)?;
        let mut res = Ok(());
        for_each_chunk(&self.statuses, |c| {
            if res.is_ok() {
                res = w.u16(c.encode());
            }
        });
        res?;
        for s in &self.statuses {
            match s {
                TwccStatus::NotReceived => {}
                TwccStatus::SmallDelta(d) => w.u8(*d)?,
                TwccStatus::LargeDelta(d) => w.u16(*d as u16)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{round_trip, RtcpPacket};
    use TwccStatus::*;

    #[test]
    fn two_bit_vector_hand_encoded() {
        let bytes = [
            0x8f, 0xcd, 0x00, 0x06, // FMT 15, RTPFB, 7 words
            0, 0, 0, 1, 0, 0, 0, 2, // SSRCs
            0x00, 0x05, 0x00, 0x04, // base 5, count 4
            0x00, 0x00, 0x10, 0x07, // reference time 16, fb count 7
            0xD2, 0x40, // 2-bit vector: 1,0,2,1
            0x04, 0xFF, 0xFF, 0x00, // deltas
            0x00, 0x00, // padding to 32 bits
        ];
        let (p, _) = RtcpPacket::parse(&bytes).unwrap();
        let RtcpPacket::TransportFeedback(t) = &p else {
            panic!()
        };
        assert_eq!(
            t.statuses,
            vec![SmallDelta(4), NotReceived, LargeDelta(-1), SmallDelta(0)]
        );
        assert_eq!(t.reference_time, 16);
        assert_eq!(t.feedback_count, 7);
        let times: Vec<_> = t.arrival_times_us().collect();
        assert_eq!(
            times,
            vec![(5, 1_024_000 + 1000), (7, 1_024_750), (8, 1_024_750)]
        );
        assert_eq!(round_trip(&p), bytes);
    }

    #[test]
    fn run_length_and_one_bit_chunks() {
        // 100 small deltas -> run-length chunk 0x2064
        let mut statuses = vec![SmallDelta(1); 100];
        // then alternating received/not received -> a 1-bit vector
        for i in 0..14 {
            statuses.push(if i % 2 == 0 {
                NotReceived
            } else {
                SmallDelta(2)
            });
        }
        // then a long loss run
        statuses.extend(std::iter::repeat_n(NotReceived, 300));
        statuses.push(LargeDelta(1000));
        let p = RtcpPacket::TransportFeedback(TransportFeedback {
            sender_ssrc: 1,
            media_ssrc: 2,
            base_sequence: 65500,
            reference_time: 0xABCDEF,
            feedback_count: 0,
            statuses,
        });
        let b = round_trip(&p);
        assert_eq!(&b[20..22], &[0x20, 0x64]);
        assert_eq!(&b[22..24], &[0x95, 0x55]);
        assert_eq!(&b[24..26], &(300u16).to_be_bytes()); // run of symbol 0
        let RtcpPacket::TransportFeedback(t) = &p else {
            panic!()
        };
        assert_eq!(t.packets().nth(40).unwrap().0, 4);
    }

    #[test]
    fn bad_inputs() {
        // count claims more statuses than chunks provide
        let bytes = [
            0x8f, 0xcd, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0,
        ];
        assert!(RtcpPacket::parse(&bytes).is_err());
        // reserved symbol in a run-length chunk
        let bytes = [
            0x8f, 0xcd, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x01, 0,
            0,
        ];
        assert!(RtcpPacket::parse(&bytes).is_err());
        // deltas missing
        let bytes = [
            0x8f, 0xcd, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 9, 0, 0, 0, 0, 0x20, 0x09, 0,
            0,
        ];
        assert!(RtcpPacket::parse(&bytes).is_err());
    }
}
