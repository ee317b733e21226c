//! H.264 (RFC 6184): single NAL unit packets, STAP-A and FU-A; packetization modes 0
//! and 1.

use super::{
    annexb_nal_units, bounded_extend, emit_fragmentation_units, Depayloader, Payloader,
    DEFAULT_MAX_FRAME_SIZE, START_CODE,
};
use crate::error::CodecError;

const CODEC: &str = "H.264";
const NAL_IDR: u8 = 5;
const NAL_SPS: u8 = 7;
const NAL_PPS: u8 = 8;
const NAL_AUD: u8 = 9;
const NAL_FILLER: u8 = 12;
/// RFC 6184 §5.4 table 3: NAL unit types of the aggregation and fragmentation packets.
const STAP_A: u8 = 24;
const STAP_B: u8 = 25;
const MTAP16: u8 = 26;
const MTAP24: u8 = 27;
const FU_A: u8 = 28;
const FU_B: u8 = 29;

/// RFC 6184 §6: packetization modes negotiated by `packetization-mode` in SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PacketizationMode {
    /// Mode 0: single NAL unit packets only.
    SingleNal,
    /// Mode 1: single NAL unit, STAP-A and FU-A packets.
    #[default]
    NonInterleaved,
}

/// H.264 payloader. Input frames are access units in Annex-B byte stream format.
///
/// SPS and PPS are remembered; in mode 1 they go out together in one STAP-A, and an IDR
/// access unit that lacks them gets the last seen ones prepended (a receiver joining
/// mid-stream can then decode every keyframe). Access unit delimiters and filler data are
/// dropped (RFC 6184 §8.1 allows it: they carry nothing a decoder needs over RTP).
#[derive(Debug, Clone, Default)]
pub struct H264Payloader {
    /// Packetization mode.
    pub mode: PacketizationMode,
    sps: Vec<u8>,
    pps: Vec<u8>,
    scratch: Vec<u8>,
}

impl H264Payloader {
    /// A payloader for `mode`.
    pub fn new(mode: PacketizationMode) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }

    fn emit_nal(
        mode: PacketizationMode,
        scratch: &mut Vec<u8>,
        mtu: usize,
        nal: &[u8],
        last: bool,
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<usize, CodecError> {
        if nal.len() <= mtu {
            emit(nal, last);
            return Ok(1);
        }
        if mode == PacketizationMode::SingleNal {
            return Err(CodecError::NalTooLarge {
                len: nal.len(),
                mtu,
            });
        }
        // RFC 6184 §5.8: FU indicator = F|NRI of the NAL header with type 28; FU header =
        // S|E|R|original type; the NAL header itself is not repeated in the fragments.
        let indicator = (nal[0] & 0xE0) | FU_A;
        emit_fragmentation_units(
            scratch,
            mtu,
            &[indicator],
            nal[0] & 0x1F,
            &nal[1..],
            last,
            emit,
        )
    }
}

impl Payloader for H264Payloader {
    fn packetize(
        &mut self,
        mtu: usize,
        frame: &[u8],
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<usize, CodecError> {
        let mut has_ps = false;
        let mut has_idr = false;
        for nal in annexb_nal_units(frame) {
            match nal[0] & 0x1F {
                NAL_SPS => {
                    self.sps.clear();
                    self.sps.extend_from_slice(nal);
                    has_ps = true;
                }
                NAL_PPS => {
                    self.pps.clear();
                    self.pps.extend_from_slice(nal);
                    has_ps = true;
                }
                NAL_IDR => has_idr = true,
                _ => {}
            }
        }
        let sends =
            |nal: &&[u8]| !matches!(nal[0] & 0x1F, NAL_AUD | NAL_FILLER | NAL_SPS | NAL_PPS);
        let mut units = annexb_nal_units(frame).filter(sends).peekable();
        let mut count = 0;
        let ps_ready = !self.sps.is_empty() && !self.pps.is_empty();
        if ps_ready && (has_ps || has_idr) {
            let only_ps = units.peek().is_none();
            let stap_len = 1 + 2 + self.sps.len() + 2 + self.pps.len();
            if self.mode == PacketizationMode::NonInterleaved && stap_len <= mtu {
                // RFC 6184 §5.7.1: STAP-A = NAL header (F|NRI max of the units, type 24)
                // followed by 16-bit size + NAL unit pairs.
                let nri = (self.sps[0] & 0x60).max(self.pps[0] & 0x60);
                self.scratch.clear();
                self.scratch.push(nri | STAP_A);
                for ps in [&self.sps, &self.pps] {
                    self.scratch
                        .extend_from_slice(&(ps.len() as u16).to_be_bytes());
                    self.scratch.extend_from_slice(ps);
                }
                emit(&self.scratch, only_ps);
                count += 1;
            } else {
                let (sps, pps) = (std::mem::take(&mut self.sps), std::mem::take(&mut self.pps));
                let r1 = Self::emit_nal(self.mode, &mut self.scratch, mtu, &sps, false, emit);
                let r2 = Self::emit_nal(self.mode, &mut self.scratch, mtu, &pps, only_ps, emit);
                self.sps = sps;
                self.pps = pps;
                count += r1? + r2?;
            }
        }
        while let Some(nal) = units.next() {
            let last = units.peek().is_none();
            count += Self::emit_nal(self.mode, &mut self.scratch, mtu, nal, last, emit)?;
        }
        Ok(count)
    }
}

/// H.264 depayloader; writes Annex-B (`00 00 00 01` before each NAL unit).
#[derive(Debug, Clone)]
pub struct H264Depayloader {
    in_fu: bool,
    /// Upper bound on the reassembled frame size.
    pub max_frame_size: usize,
}

impl Default for H264Depayloader {
    fn default() -> Self {
        Self {
            in_fu: false,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
        }
    }
}

impl Depayloader for H264Depayloader {
    fn depayload(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), CodecError> {
        let h = *payload
            .first()
            .ok_or(CodecError::TooShort { codec: CODEC })?;
        let limit = self.max_frame_size;
        match h & 0x1F {
            0 | 30 | 31 => Err(CodecError::Malformed {
                codec: CODEC,
                reason: "reserved NAL unit type",
            }),
            1..=23 => {
                self.in_fu = false;
                bounded_extend(frame, &START_CODE, limit)?;
                bounded_extend(frame, payload, limit)
            }
            STAP_A => {
                self.in_fu = false;
                let mut rest = &payload[1..];
                if rest.is_empty() {
                    return Err(CodecError::TooShort { codec: CODEC });
                }
                while !rest.is_empty() {
                    let [a, b, tail @ ..] = rest else {
                        return Err(CodecError::Malformed {
                            codec: CODEC,
                            reason: "STAP-A size field truncated",
                        });
                    };
                    let size = u16::from_be_bytes([*a, *b]) as usize;
                    if size == 0 || size > tail.len() {
                        return Err(CodecError::Malformed {
                            codec: CODEC,
                            reason: "STAP-A unit size out of range",
                        });
                    }
                    bounded_extend(frame, &START_CODE, limit)?;
                    bounded_extend(frame, &tail[..size], limit)?;
                    rest = &tail[size..];
                }
                Ok(())
            }
            FU_A => {
                let fu = *payload
                    .get(1)
                    .ok_or(CodecError::TooShort { codec: CODEC })?;
                let start = fu & 0x80 != 0;
                let end = fu & 0x40 != 0;
                if start {
                    if end {
                        // RFC 6184 §5.8: "A fragmented NAL unit MUST NOT be transmitted in
                        // one FU; that is, the Start bit and End bit MUST NOT both be set".
                        return Err(CodecError::Malformed {
                            codec: CODEC,
                            reason: "FU-A with both S and E",
                        });
                    }
                    bounded_extend(frame, &START_CODE, limit)?;
                    bounded_extend(frame, &[(h & 0xE0) | (fu & 0x1F)], limit)?;
                    self.in_fu = true;
                } else if !self.in_fu {
                    return Err(CodecError::FragmentOrder { codec: CODEC });
                }
                bounded_extend(frame, &payload[2..], limit)?;
                if end {
                    self.in_fu = false;
                }
                Ok(())
            }
            STAP_B | MTAP16 | MTAP24 | FU_B => Err(CodecError::Malformed {
                codec: CODEC,
                reason: "interleaved-mode packet not supported",
            }),
            _ => unreachable_nal(),
        }
    }

    fn is_frame_start(&self, payload: &[u8]) -> bool {
        match payload {
            [h, fu, ..] if h & 0x1F == FU_A => fu & 0x80 != 0,
            [h, ..] => !matches!(h & 0x1F, FU_A | FU_B | 0 | 30 | 31),
            [] => false,
        }
    }

    fn is_keyframe(&self, payload: &[u8]) -> bool {
        let key = |t: u8| t == NAL_IDR || t == NAL_SPS;
        match payload {
            [h, fu, ..] if h & 0x1F == FU_A => fu & 0x80 != 0 && key(fu & 0x1F),
            [h, rest @ ..] if h & 0x1F == STAP_A => {
                let mut r = rest;
                while let [a, b, tail @ ..] = r {
                    let size = u16::from_be_bytes([*a, *b]) as usize;
                    match tail.get(..size) {
                        Some(u) if !u.is_empty() => {
                            if key(u[0] & 0x1F) {
                                return true;
                            }
                            r = &tail[size..];
                        }
                        _ => return false,
                    }
                }
                false
            }
            [h, ..] => key(h & 0x1F),
            [] => false,
        }
    }

    fn reset(&mut self) {
        self.in_fu = false;
    }
}

/// All 5-bit values are matched above; kept as a typed error rather than a panic.
fn unreachable_nal() -> Result<(), CodecError> {
    Err(CodecError::Malformed {
        codec: CODEC,
        reason: "unknown NAL unit type",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn au(nals: &[&[u8]]) -> Vec<u8> {
        let mut v = vec![];
        for n in nals {
            v.extend_from_slice(&START_CODE);
            v.extend_from_slice(n);
        }
        v
    }

    #[test]
    fn stap_a_rfc6184_layout() {
        // RFC 6184 §5.7.1 figure 7: STAP-A header, then NALU 1 size + NALU 1, NALU 2 size +
        // NALU 2.
        let payload = [0x78, 0x00, 0x03, 0x67, 0x42, 0x00, 0x00, 0x02, 0x68, 0xCE];
        let mut d = H264Depayloader::default();
        assert!(d.is_keyframe(&payload));
        let mut out = vec![];
        d.depayload(&payload, &mut out).unwrap();
        assert_eq!(out, au(&[&[0x67, 0x42, 0x00], &[0x68, 0xCE]]));
        // size past the end
        assert!(d.depayload(&[0x78, 0x00, 0x09, 0x67], &mut out).is_err());
        assert!(d.depayload(&[0x78, 0x00], &mut out).is_err());
    }

    #[test]
    fn fu_a_rfc6184_layout() {
        // RFC 6184 §5.8: FU indicator (F|NRI|28), FU header (S|E|R|type).
        let mut d = H264Depayloader::default();
        let mut out = vec![];
        assert_eq!(
            d.depayload(&[0x7C, 0x05, 1], &mut out),
            Err(CodecError::FragmentOrder { codec: CODEC })
        );
        d.depayload(&[0x7C, 0x85, 1, 2], &mut out).unwrap();
        d.depayload(&[0x7C, 0x05, 3], &mut out).unwrap();
        d.depayload(&[0x7C, 0x45, 4], &mut out).unwrap();
        assert_eq!(out, au(&[&[0x65, 1, 2, 3, 4]]));
        assert!(d.is_keyframe(&[0x7C, 0x85, 1]));
        assert!(!d.is_frame_start(&[0x7C, 0x05, 1]));
        assert!(d.depayload(&[0x7C, 0xC5, 1], &mut out).is_err());
        assert!(d.depayload(&[0x7D], &mut out).is_err());
    }

    #[test]
    fn payloader_sps_pps_and_fragments() {
        let sps = [0x67, 0x42, 0xC0, 0x1F];
        let pps = [0x68, 0xCE, 0x3C, 0x80];
        let idr: Vec<u8> = std::iter::once(0x65)
            .chain((0..3000).map(|i| (i % 200) as u8 + 1))
            .collect();
        let frame = au(&[&[0x09, 0xF0], &sps, &pps, &idr]);
        let mut p = H264Payloader::default();
        let v = p.packetize_to_vec(1000, &frame).unwrap();
        assert_eq!(v[0], [&[0x78, 0, 4][..], &sps, &[0, 4], &pps].concat());
        assert_eq!(v[1][..2], [0x7C, 0x85]);
        assert!(v.iter().all(|x| x.len() <= 1000));
        let mut d = H264Depayloader::default();
        let mut out = vec![];
        for x in &v {
            d.depayload(x, &mut out).unwrap();
        }
        assert_eq!(out, au(&[&sps, &pps, &idr]));
        // a later IDR without parameter sets gets them prepended
        let v2 = p.packetize_to_vec(1000, &au(&[&idr])).unwrap();
        assert_eq!(v2[0], v[0]);
        // a non-IDR slice goes alone
        let v3 = p.packetize_to_vec(1000, &au(&[&[0x41, 1, 2]])).unwrap();
        assert_eq!(v3, vec![vec![0x41, 1, 2]]);
        // mode 0 refuses large NAL units and sends parameter sets separately
        let mut p0 = H264Payloader::new(PacketizationMode::SingleNal);
        assert!(matches!(
            p0.packetize_to_vec(1000, &frame),
            Err(CodecError::NalTooLarge { .. })
        ));
        let v0 = p0
            .packetize_to_vec(1000, &au(&[&sps, &pps, &[0x65, 1]]))
            .unwrap();
        assert_eq!(v0, vec![sps.to_vec(), pps.to_vec(), vec![0x65, 1]]);
    }
}
