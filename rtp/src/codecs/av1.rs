//! AV1 (RTP Payload Format for AV1, AOMedia, v1.0.0 §4): aggregation header, OBU
//! elements with LEB128 lengths, OBU fragmentation across packets.

use super::{bounded_extend, check_mtu, Depayloader, Payloader, DEFAULT_MAX_FRAME_SIZE};
use crate::error::CodecError;

const CODEC: &str = "AV1";
const OBU_SEQUENCE_HEADER: u8 = 1;
const OBU_TEMPORAL_DELIMITER: u8 = 2;
const OBU_TILE_LIST: u8 = 8;

/// Reads an unsigned LEB128 (AV1 spec §4.10.5: at most 8 bytes, value below 2^32).
pub(crate) fn read_leb128(p: &[u8]) -> Option<(u32, usize)> {
    let mut v: u64 = 0;
    for i in 0..8 {
        let b = *p.get(i)?;
        v |= ((b & 0x7F) as u64) << (7 * i);
        if b & 0x80 == 0 {
            return u32::try_from(v).ok().map(|v| (v, i + 1));
        }
    }
    None
}

/// Writes `v` as LEB128 into `out`, returning the byte count.
pub(crate) fn write_leb128(mut v: u32, out: &mut [u8; 5]) -> usize {
    let mut i = 0;
    loop {
        let b = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out[i] = b;
            return i + 1;
        }
        out[i] = b | 0x80;
        i += 1;
    }
}

fn leb128_len(v: usize) -> usize {
    match v {
        0..=0x7F => 1,
        0x80..=0x3FFF => 2,
        0x4000..=0x1F_FFFF => 3,
        0x20_0000..=0xFFF_FFFF => 4,
        _ => 5,
    }
}

/// One OBU of a temporal unit, split as (header bytes without size field, payload).
struct Obu<'a> {
    head: [u8; 2],
    head_len: usize,
    payload: &'a [u8],
    kind: u8,
}

/// Splits a temporal unit in low-overhead bitstream format (AV1 spec §5.2) into OBUs.
fn parse_obus(
    mut tu: &[u8],
    mut f: impl FnMut(Obu<'_>) -> Result<(), CodecError>,
) -> Result<(), CodecError> {
    let bad = |reason| CodecError::Malformed {
        codec: CODEC,
        reason,
    };
    while !tu.is_empty() {
        let h = tu[0];
        if h & 0x80 != 0 {
            return Err(bad("OBU forbidden bit set"));
        }
        let ext = h & 0x04 != 0;
        let has_size = h & 0x02 != 0;
        let head_len = 1 + ext as usize;
        if tu.len() < head_len {
            return Err(bad("OBU header truncated"));
        }
        let mut head = [h & !0x02, 0];
        if ext {
            head[1] = tu[1];
        }
        let (payload, rest) = if has_size {
            let (size, n) = read_leb128(&tu[head_len..]).ok_or(bad("bad OBU size"))?;
            let start = head_len + n;
            let end = start
                .checked_add(size as usize)
                .filter(|&e| e <= tu.len())
                .ok_or(bad("OBU size past end"))?;
            (&tu[start..end], &tu[end..])
        } else {
            // AV1 spec §5.3.1: without a size field the OBU extends to the end.
            (&tu[head_len..], &[][..])
        };
        f(Obu {
            head,
            head_len,
            payload,
            kind: (h >> 3) & 0x0F,
        })?;
        tu = rest;
    }
    Ok(())
}

/// AV1 payloader. Input frames are temporal units in low-overhead bitstream format (as in
/// IVF files); temporal delimiters and tile lists are dropped (payload spec §5: "SHOULD be
/// removed when transmitted").
#[derive(Debug, Clone, Default)]
pub struct Av1Payloader {
    buf: Vec<u8>,
    pending: Vec<u8>,
}

impl Payloader for Av1Payloader {
    fn packetize(
        &mut self,
        mtu: usize,
        frame: &[u8],
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<usize, CodecError> {
        // Need room for the aggregation header, a length byte and one data byte.
        check_mtu(mtu, 2)?;
        // Validate and count first so the last packet can be flagged.
        let mut has_seq = false;
        let mut any = false;
        parse_obus(frame, |o| {
            has_seq |= o.kind == OBU_SEQUENCE_HEADER;
            any |= !matches!(o.kind, OBU_TEMPORAL_DELIMITER | OBU_TILE_LIST);
            Ok(())
        })?;
        if !any {
            return Ok(0);
        }
        let (buf, pending) = (&mut self.buf, &mut self.pending);
        buf.clear();
        buf.push(0);
        pending.clear();
        let mut count = 0;
        let mut first_packet = true;
        // Z of the packet being filled: its first element continues a fragment.
        let mut continuation = false;
        // Flushing is deferred by one so the final packet is known when emitted; the two
        // buffers swap roles, so nothing is allocated after warm-up.
        let mut has_pending = false;
        let mut flush =
            |buf: &mut Vec<u8>, pending: &mut Vec<u8>, y: bool, z: bool, first: bool| {
                // Z|Y|W=0|N: N marks the first packet of a coded video sequence.
                buf[0] = (z as u8) << 7 | (y as u8) << 6 | ((first && has_seq) as u8) << 3;
                if has_pending {
                    emit(pending, false);
                }
                std::mem::swap(buf, pending);
                has_pending = true;
                buf.clear();
                buf.push(0);
            };
        parse_obus(frame, |o| {
            if matches!(o.kind, OBU_TEMPORAL_DELIMITER | OBU_TILE_LIST) {
                return Ok(());
            }
            let head = &o.head[..o.head_len];
            let total = o.head_len + o.payload.len();
            let mut off = 0;
            while off < total {
                let room = mtu - buf.len();
                let left = total - off;
                // largest chunk c with leb128_len(c) + c <= room
                let mut c = left.min(room.saturating_sub(1));
                while c > 0 && leb128_len(c) + c > room {
                    c -= 1;
                }
                if c == 0 {
                    flush(buf, pending, false, continuation, first_packet);
                    first_packet = false;
                    continuation = false;
                    count += 1;
                    continue;
                }
                let mut lb = [0u8; 5];
                let n = write_leb128(c as u32, &mut lb);
                buf.extend_from_slice(&lb[..n]);
                // bytes off..off+c of head ++ payload
                let end = off + c;
                if off < head.len() {
                    buf.extend_from_slice(&head[off..end.min(head.len())]);
                }
                if end > head.len() {
                    buf.extend_from_slice(
                        &o.payload[off.max(head.len()) - head.len()..end - head.len()],
                    );
                }
                off = end;
                if off < total {
                    // fragment continues in the next packet
                    flush(buf, pending, true, continuation, first_packet);
                    first_packet = false;
                    continuation = true;
                    count += 1;
                }
            }
            Ok(())
        })?;
        if buf.len() > 1 {
            flush(buf, pending, false, continuation, first_packet);
            count += 1;
        }
        if has_pending {
            emit(pending, true);
        }
        Ok(count)
    }
}

/// AV1 depayloader; writes OBUs in low-overhead bitstream format (size fields restored).
#[derive(Debug, Clone)]
pub struct Av1Depayloader {
    frag: Vec<u8>,
    in_frag: bool,
    /// Upper bound on the reassembled frame size.
    pub max_frame_size: usize,
}

impl Default for Av1Depayloader {
    fn default() -> Self {
        Self {
            frag: Vec::new(),
            in_frag: false,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
        }
    }
}

fn write_obu(element: &[u8], frame: &mut Vec<u8>, limit: usize) -> Result<(), CodecError> {
    let h = *element.first().ok_or(CodecError::Malformed {
        codec: CODEC,
        reason: "empty OBU element",
    })?;
    let head_len = 1 + ((h & 0x04) >> 2) as usize;
    if element.len() < head_len {
        return Err(CodecError::Malformed {
            codec: CODEC,
            reason: "OBU header truncated",
        });
    }
    let kind = (h >> 3) & 0x0F;
    if matches!(kind, OBU_TEMPORAL_DELIMITER | OBU_TILE_LIST) {
        // payload spec §5: "MUST be ignored by receivers"
        return Ok(());
    }
    let payload = &element[head_len..];
    let mut lb = [0u8; 5];
    let size = u32::try_from(payload.len()).map_err(|_| CodecError::FrameTooLarge { limit })?;
    let n = write_leb128(size, &mut lb);
    bounded_extend(frame, &[h | 0x02], limit)?;
    bounded_extend(frame, &element[1..head_len], limit)?;
    bounded_extend(frame, &lb[..n], limit)?;
    bounded_extend(frame, payload, limit)
}

impl Depayloader for Av1Depayloader {
    fn depayload(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), CodecError> {
        let agg = *payload
            .first()
            .ok_or(CodecError::TooShort { codec: CODEC })?;
        let (z, y, w) = (agg & 0x80 != 0, agg & 0x40 != 0, ((agg >> 4) & 3) as usize);
        let limit = self.max_frame_size;
        if z && !self.in_frag {
            return Err(CodecError::FragmentOrder { codec: CODEC });
        }
        if !z && self.in_frag {
            // the previous fragment never finished
            self.frag.clear();
            self.in_frag = false;
        }
        let mut rest = &payload[1..];
        let mut index = 0;
        while !rest.is_empty() {
            index += 1;
            // W: "the number of OBU elements in the packet"; the last of those has no
            // length field. W = 0: every element has one.
            let element = if w != 0 && index == w {
                std::mem::take(&mut rest)
            } else {
                let (len, n) = read_leb128(rest).ok_or(CodecError::Malformed {
                    codec: CODEC,
                    reason: "bad OBU element length",
                })?;
                let end = n
                    .checked_add(len as usize)
                    .filter(|&e| e <= rest.len())
                    .ok_or(CodecError::Malformed {
                        codec: CODEC,
                        reason: "OBU element past end of packet",
                    })?;
                let e = &rest[n..end];
                rest = &rest[end..];
                e
            };
            let is_first = index == 1;
            let is_last = rest.is_empty();
            if is_first && z {
                if self.frag.len() + element.len() > limit {
                    return Err(CodecError::FrameTooLarge { limit });
                }
                self.frag.extend_from_slice(element);
                if is_last && y {
                    continue;
                }
                let frag = std::mem::take(&mut self.frag);
                self.in_frag = false;
                let r = write_obu(&frag, frame, limit);
                self.frag = frag;
                self.frag.clear();
                r?;
            } else if is_last && y {
                self.frag.clear();
                if element.len() > limit {
                    return Err(CodecError::FrameTooLarge { limit });
                }
                self.frag.extend_from_slice(element);
            } else {
                write_obu(element, frame, limit)?;
            }
        }
        self.in_frag = y;
        if w != 0 && index != w {
            return Err(CodecError::Malformed {
                codec: CODEC,
                reason: "W does not match the element count",
            });
        }
        Ok(())
    }

    fn is_frame_start(&self, payload: &[u8]) -> bool {
        matches!(payload.first(), Some(a) if a & 0x80 == 0)
    }

    fn is_keyframe(&self, payload: &[u8]) -> bool {
        // N: "MUST be set to 1 if the packet is the first packet of a coded video
        // sequence".
        matches!(payload.first(), Some(a) if a & 0x80 == 0 && a & 0x08 != 0)
    }

    fn reset(&mut self) {
        self.frag.clear();
        self.in_frag = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obu(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![kind << 3 | 0x02];
        let mut lb = [0u8; 5];
        let n = write_leb128(payload.len() as u32, &mut lb);
        v.extend_from_slice(&lb[..n]);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn leb128() {
        for v in [0u32, 1, 127, 128, 300, 16383, 16384, u32::MAX] {
            let mut b = [0u8; 5];
            let n = write_leb128(v, &mut b);
            assert_eq!(n, leb128_len(v as usize));
            assert_eq!(read_leb128(&b[..n]), Some((v, n)));
        }
        assert_eq!(read_leb128(&[0x80; 9]), None);
    }

    #[test]
    fn spec_example_w2() {
        // Aggregation header W=2: first element with length, last without.
        let seq = [0x08, 0xAA, 0xBB]; // sequence header OBU (type 1), no size field
        let fr = [0x30, 0xCC]; // frame OBU (type 6)
        let mut pkt = vec![0x28, seq.len() as u8];
        pkt.extend_from_slice(&seq);
        pkt.extend_from_slice(&fr);
        let mut d = Av1Depayloader::default();
        assert!(d.is_keyframe(&pkt));
        let mut out = vec![];
        d.depayload(&pkt, &mut out).unwrap();
        assert_eq!(out, [obu(1, &[0xAA, 0xBB]), obu(6, &[0xCC])].concat());
        // W=3 but only two elements
        pkt[0] = 0x38;
        assert!(d.depayload(&pkt, &mut out).is_err());
        // continuation without a start
        assert!(Av1Depayloader::default()
            .depayload(&[0x80, 1, 0x30], &mut out)
            .is_err());
    }

    #[test]
    fn fragmentation_round_trip() {
        let big: Vec<u8> = (0..5000).map(|i| i as u8).collect();
        let tu = [
            obu(2, &[]),
            obu(1, &[1, 2, 3]),
            obu(6, &big),
            obu(6, &[9; 10]),
        ]
        .concat();
        for mtu in [3, 50, 300, 1200] {
            let mut p = Av1Payloader::default();
            let mut pk = vec![];
            let mut lasts = vec![];
            p.packetize(mtu, &tu, &mut |x, last| {
                pk.push(x.to_vec());
                lasts.push(last);
            })
            .unwrap();
            assert!(pk.iter().all(|x| x.len() <= mtu), "mtu {mtu}");
            assert_eq!(lasts.iter().filter(|l| **l).count(), 1);
            assert!(*lasts.last().unwrap());
            let mut d = Av1Depayloader::default();
            assert!(d.is_keyframe(&pk[0]));
            assert!(!d.is_keyframe(&pk[1]));
            let mut out = vec![];
            for x in &pk {
                d.depayload(x, &mut out).unwrap();
            }
            // the temporal delimiter is dropped
            assert_eq!(out, tu[2..], "mtu {mtu}");
        }
    }
}
