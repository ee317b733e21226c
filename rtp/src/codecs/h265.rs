//! H.265 / HEVC (RFC 7798): single NAL unit packets, aggregation packets (AP) and
//! fragmentation units (FU). DONL fields (`sprop-max-don-diff` > 0) are not used.

use super::{
    annexb_nal_units, bounded_extend, emit_fragmentation_units, Depayloader, Payloader,
    DEFAULT_MAX_FRAME_SIZE, START_CODE,
};
use crate::error::CodecError;

const CODEC: &str = "H.265";
/// RFC 7798 §4.4.2: "Type=48" aggregation packet.
const AP: u8 = 48;
/// RFC 7798 §4.4.3: "Type=49" fragmentation unit.
const FU: u8 = 49;
/// RFC 7798 §4.4.4: PACI packet.
const PACI: u8 = 50;
const VPS: u8 = 32;
const SPS: u8 = 33;
const PPS: u8 = 34;
const AUD: u8 = 35;
const FD: u8 = 38;

fn nal_type(h0: u8) -> u8 {
    (h0 >> 1) & 0x3F
}

/// IRAP pictures (H.265 §7.4.2.2: types 16..=23) and parameter sets start a keyframe.
fn is_key_type(t: u8) -> bool {
    (16..=23).contains(&t) || (VPS..=PPS).contains(&t)
}

/// H.265 payloader. Input frames are access units in Annex-B byte stream format.
/// Parameter sets go together in one AP; an IRAP access unit lacking them gets the last
/// seen ones prepended; AUD and filler data NAL units are dropped.
#[derive(Debug, Clone, Default)]
pub struct H265Payloader {
    params: [Vec<u8>; 3],
    scratch: Vec<u8>,
}

fn emit_nal(
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
    if nal.len() < 3 {
        return Err(CodecError::MtuTooSmall { mtu });
    }
    // RFC 7798 §4.4.3: PayloadHdr = NAL header with Type 49; FU header S|E|FuType.
    let hdr = [(nal[0] & 0x81) | (FU << 1), nal[1]];
    emit_fragmentation_units(scratch, mtu, &hdr, nal_type(nal[0]), &nal[2..], last, emit)
}

impl Payloader for H265Payloader {
    fn packetize(
        &mut self,
        mtu: usize,
        frame: &[u8],
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<usize, CodecError> {
        let mut has_ps = false;
        let mut has_irap = false;
        for nal in annexb_nal_units(frame) {
            if nal.len() < 2 {
                return Err(CodecError::TooShort { codec: CODEC });
            }
            let t = nal_type(nal[0]);
            if (VPS..=PPS).contains(&t) {
                let slot = &mut self.params[(t - VPS) as usize];
                slot.clear();
                slot.extend_from_slice(nal);
                has_ps = true;
            } else if (16..=23).contains(&t) {
                has_irap = true;
            }
        }
        let sends = |n: &&[u8]| !matches!(nal_type(n[0]), VPS | SPS | PPS | AUD | FD);
        let mut units = annexb_nal_units(frame).filter(sends).peekable();
        let mut count = 0;
        let ready = self.params.iter().filter(|p| !p.is_empty()).count();
        if ready > 0 && (has_ps || has_irap) {
            let only_ps = units.peek().is_none();
            let ap_len = 2 + self
                .params
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| 2 + p.len())
                .sum::<usize>();
            if ready > 1 && ap_len <= mtu {
                // RFC 7798 §4.4.2: F = OR of the F bits, LayerId and TID = lowest of the
                // aggregated units.
                let mut f = 0;
                let mut layer = u8::MAX;
                let mut tid = u8::MAX;
                for p in self.params.iter().filter(|p| !p.is_empty()) {
                    f |= p[0] & 0x80;
                    let l = ((p[0] & 1) << 5) | (p[1] >> 3);
                    layer = layer.min(l);
                    tid = tid.min(p[1] & 7);
                }
                self.scratch.clear();
                self.scratch.push(f | (AP << 1) | (layer >> 5));
                self.scratch.push((layer << 3) | tid);
                for p in self.params.iter().filter(|p| !p.is_empty()) {
                    self.scratch
                        .extend_from_slice(&(p.len() as u16).to_be_bytes());
                    self.scratch.extend_from_slice(p);
                }
                emit(&self.scratch, only_ps);
                count += 1;
            } else {
                let params = std::mem::take(&mut self.params);
                let nonempty: Vec<&Vec<u8>> = params.iter().filter(|p| !p.is_empty()).collect();
                let mut res = Ok(0);
                for (i, p) in nonempty.iter().enumerate() {
                    let last = only_ps && i + 1 == nonempty.len();
                    match emit_nal(&mut self.scratch, mtu, p, last, emit) {
                        Ok(n) => count += n,
                        Err(e) => {
                            res = Err(e);
                            break;
                        }
                    }
                }
                self.params = params;
                res?;
            }
        }
        while let Some(nal) = units.next() {
            let last = units.peek().is_none();
            count += emit_nal(&mut self.scratch, mtu, nal, last, emit)?;
        }
        Ok(count)
    }
}

/// H.265 depayloader; writes Annex-B.
#[derive(Debug, Clone)]
pub struct H265Depayloader {
    in_fu: bool,
    /// Upper bound on the reassembled frame size.
    pub max_frame_size: usize,
}

impl Default for H265Depayloader {
    fn default() -> Self {
        Self {
            in_fu: false,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
        }
    }
}

impl Depayloader for H265Depayloader {
    fn depayload(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), CodecError> {
        if payload.len() < 3 {
            return Err(CodecError::TooShort { codec: CODEC });
        }
        let limit = self.max_frame_size;
        match nal_type(payload[0]) {
            AP => {
                self.in_fu = false;
                let mut rest = &payload[2..];
                while !rest.is_empty() {
                    let [a, b, tail @ ..] = rest else {
                        return Err(CodecError::Malformed {
                            codec: CODEC,
                            reason: "AP size field truncated",
                        });
                    };
                    let size = u16::from_be_bytes([*a, *b]) as usize;
                    if size < 2 || size > tail.len() {
                        return Err(CodecError::Malformed {
                            codec: CODEC,
                            reason: "AP unit size out of range",
                        });
                    }
                    bounded_extend(frame, &START_CODE, limit)?;
                    bounded_extend(frame, &tail[..size], limit)?;
                    rest = &tail[size..];
                }
                Ok(())
            }
            FU => {
                let fu = payload[2];
                let (start, end) = (fu & 0x80 != 0, fu & 0x40 != 0);
                if start {
                    if end {
                        // RFC 7798 §4.4.3: "the Start bit and End bit MUST NOT both be set
                        // to 1 in the same FU header".
                        return Err(CodecError::Malformed {
                            codec: CODEC,
                            reason: "FU with both S and E",
                        });
                    }
                    let t = fu & 0x3F;
                    bounded_extend(frame, &START_CODE, limit)?;
                    bounded_extend(frame, &[(payload[0] & 0x81) | (t << 1), payload[1]], limit)?;
                    self.in_fu = true;
                } else if !self.in_fu {
                    return Err(CodecError::FragmentOrder { codec: CODEC });
                }
                bounded_extend(frame, &payload[3..], limit)?;
                if end {
                    self.in_fu = false;
                }
                Ok(())
            }
            PACI => Err(CodecError::Malformed {
                codec: CODEC,
                reason: "PACI packets not supported",
            }),
            _ => {
                self.in_fu = false;
                bounded_extend(frame, &START_CODE, limit)?;
                bounded_extend(frame, payload, limit)
            }
        }
    }

    fn is_frame_start(&self, payload: &[u8]) -> bool {
        match payload {
            [h, _, fu, ..] if nal_type(*h) == FU => fu & 0x80 != 0,
            [h, _, ..] => nal_type(*h) != PACI,
            _ => false,
        }
    }

    fn is_keyframe(&self, payload: &[u8]) -> bool {
        match payload {
            [h, _, fu, ..] if nal_type(*h) == FU => fu & 0x80 != 0 && is_key_type(fu & 0x3F),
            [h, _, rest @ ..] if nal_type(*h) == AP => {
                let mut r = rest;
                while let [a, b, tail @ ..] = r {
                    let size = u16::from_be_bytes([*a, *b]) as usize;
                    match tail.get(..size) {
                        Some(u) if !u.is_empty() => {
                            if is_key_type(nal_type(u[0])) {
                                return true;
                            }
                            r = &tail[size..];
                        }
                        _ => return false,
                    }
                }
                false
            }
            [h, _, ..] => is_key_type(nal_type(*h)),
            _ => false,
        }
    }

    fn reset(&mut self) {
        self.in_fu = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn au(nals: &[&[u8]]) -> Vec<u8> {
        nals.iter()
            .flat_map(|n| START_CODE.iter().chain(n.iter()).copied())
            .collect()
    }

    #[test]
    fn ap_rfc7798_layout() {
        // RFC 7798 §4.4.2 figure 7: PayloadHdr (Type=48), NALU 1 size, NALU 1, NALU 2 size,
        // NALU 2.
        let vps = [0x40, 0x01, 0x0C];
        let sps = [0x42, 0x01, 0x01, 0x60];
        let payload = [&[0x60, 0x01, 0x00, 0x03][..], &vps, &[0x00, 0x04], &sps].concat();
        let mut d = H265Depayloader::default();
        assert!(d.is_keyframe(&payload));
        let mut out = vec![];
        d.depayload(&payload, &mut out).unwrap();
        assert_eq!(out, au(&[&vps, &sps]));
    }

    #[test]
    fn fu_rfc7798_layout() {
        // IDR_W_RADL (type 19): header 0x26 0x01; FU PayloadHdr 0x62 0x01; FU header S|19.
        let mut d = H265Depayloader::default();
        let mut out = vec![];
        assert!(d.is_keyframe(&[0x62, 0x01, 0x93, 9]));
        d.depayload(&[0x62, 0x01, 0x93, 9, 8], &mut out).unwrap();
        d.depayload(&[0x62, 0x01, 0x53, 7], &mut out).unwrap();
        assert_eq!(out, au(&[&[0x26, 0x01, 9, 8, 7]]));
        assert!(d.depayload(&[0x62, 0x01, 0x13, 7], &mut out).is_err());
        assert!(d.depayload(&[0x64, 0x01, 0x13], &mut out).is_err()); // PACI
    }

    #[test]
    fn payloader_round_trip() {
        let vps = [0x40, 0x01, 0x0C, 0x01];
        let sps = [0x42, 0x01, 0x01, 0x60];
        let pps = [0x44, 0x01, 0xC1, 0x72];
        let idr: Vec<u8> = [0x26, 0x01]
            .into_iter()
            .chain((0..5000).map(|i| (i % 250) as u8 + 1))
            .collect();
        let frame = au(&[&[0x46, 0x01, 0x10], &vps, &sps, &pps, &idr]);
        let mut p = H265Payloader::default();
        let v = p.packetize_to_vec(1200, &frame).unwrap();
        assert_eq!(nal_type(v[0][0]), AP);
        assert!(v[1..]
            .iter()
            .all(|x| nal_type(x[0]) == FU && x.len() <= 1200));
        let mut d = H265Depayloader::default();
        let mut out = vec![];
        for x in &v {
            d.depayload(x, &mut out).unwrap();
        }
        assert_eq!(out, au(&[&vps, &sps, &pps, &idr]));
        let v2 = p.packetize_to_vec(1200, &au(&[&idr])).unwrap();
        assert_eq!(v2[0], v[0]);
    }
}
