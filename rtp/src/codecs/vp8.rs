//! VP8 (RFC 7741).

use super::{bounded_extend, check_mtu, Depayloader, Payloader, DEFAULT_MAX_FRAME_SIZE};
use crate::error::CodecError;

const CODEC: &str = "VP8";

/// The VP8 payload descriptor (RFC 7741 §4.2).
///
/// ```text
///  X|R|N|S|R| PID      (required)
///  I|L|T|K| RSV        (X: extensions present)
///  M| PictureID [8]    (I: 7 or 15 bits)
///  TL0PICIDX           (L)
///  TID|Y| KEYIDX       (T or K)
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Vp8Descriptor {
    /// N: non-reference frame.
    pub non_reference: bool,
    /// S: start of a VP8 partition.
    pub start: bool,
    /// PID: partition index.
    pub partition_id: u8,
    /// Picture id (7 or 15 bits).
    pub picture_id: Option<u16>,
    /// Whether the picture id used the 15-bit (M=1) form.
    pub picture_id_15bit: bool,
    /// TL0PICIDX.
    pub tl0_pic_idx: Option<u8>,
    /// Temporal layer index (T).
    pub tid: Option<u8>,
    /// Layer sync bit Y (meaningful with T).
    pub layer_sync: bool,
    /// Temporal key frame index (K).
    pub key_idx: Option<u8>,
    /// Descriptor length in bytes.
    pub len: usize,
}

impl Vp8Descriptor {
    /// Parses the descriptor at the start of a payload.
    pub fn parse(p: &[u8]) -> Result<Self, CodecError> {
        let short = CodecError::TooShort { codec: CODEC };
        let b0 = *p.first().ok_or(short.clone())?;
        let mut d = Self {
            non_reference: b0 & 0x20 != 0,
            start: b0 & 0x10 != 0,
            partition_id: b0 & 0x07,
            ..Self::default()
        };
        let mut i = 1;
        if b0 & 0x80 != 0 {
            let x = *p.get(i).ok_or(short.clone())?;
            i += 1;
            if x & 0x80 != 0 {
                let m = *p.get(i).ok_or(short.clone())?;
                if m & 0x80 != 0 {
                    let lo = *p.get(i + 1).ok_or(short.clone())?;
                    d.picture_id = Some(((m as u16 & 0x7F) << 8) | lo as u16);
                    d.picture_id_15bit = true;
                    i += 2;
                } else {
                    d.picture_id = Some(m as u16);
                    i += 1;
                }
            }
            if x & 0x40 != 0 {
                d.tl0_pic_idx = Some(*p.get(i).ok_or(short.clone())?);
                i += 1;
            }
            if x & 0x30 != 0 {
                let t = *p.get(i).ok_or(short.clone())?;
                if x & 0x20 != 0 {
                    d.tid = Some(t >> 6);
                    d.layer_sync = t & 0x20 != 0;
                }
                if x & 0x10 != 0 {
                    d.key_idx = Some(t & 0x1F);
                }
                i += 1;
            }
        }
        if i >= p.len() {
            // RFC 7741 §4.2: the payload after the descriptor must not be empty.
            return Err(short);
        }
        d.len = i;
        Ok(d)
    }
}

/// VP8 payloader with a 15-bit picture id (what browsers send).
#[derive(Debug, Clone)]
pub struct Vp8Payloader {
    /// Next picture id (wraps at 2^15).
    pub picture_id: u16,
    /// Include the picture id extension.
    pub with_picture_id: bool,
}

impl Default for Vp8Payloader {
    fn default() -> Self {
        Self {
            picture_id: 0,
            with_picture_id: true,
        }
    }
}

impl Payloader for Vp8Payloader {
    fn packetize(
        &mut self,
        mtu: usize,
        frame: &[u8],
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<usize, CodecError> {
        if frame.is_empty() {
            return Ok(0);
        }
        let hlen = if self.with_picture_id { 4 } else { 1 };
        check_mtu(mtu, hlen)?;
        let chunk = mtu - hlen;
        let n = frame.len().div_ceil(chunk);
        let mut buf = [0u8; 1500];
        let mut scratch = Vec::new();
        for (k, data) in frame.chunks(chunk).enumerate() {
            let out: &mut [u8] = if hlen + data.len() <= buf.len() {
                &mut buf[..hlen + data.len()]
            } else {
                scratch.resize(hlen + data.len(), 0);
                &mut scratch[..]
            };
            // RFC 7741 §4.2: "S: Start of VP8 partition. SHOULD be set to 1 when the first
            // payload octet of the RTP packet is the beginning of a new VP8 partition".
            let s = if k == 0 { 0x10 } else { 0 };
            if self.with_picture_id {
                out[0] = 0x80 | s;
                out[1] = 0x80;
                out[2] = 0x80 | (self.picture_id >> 8) as u8;
                out[3] = self.picture_id as u8;
            } else {
                out[0] = s;
            }
            out[hlen..].copy_from_slice(data);
            emit(out, k + 1 == n);
        }
        self.picture_id = (self.picture_id + 1) & 0x7FFF;
        Ok(n)
    }
}

/// VP8 depayloader.
#[derive(Debug, Clone, Default)]
pub struct Vp8Depayloader {
    /// The descriptor of the last payload.
    pub last: Option<Vp8Descriptor>,
}

impl Depayloader for Vp8Depayloader {
    fn depayload(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), CodecError> {
        let d = Vp8Descriptor::parse(payload)?;
        self.last = Some(d);
        bounded_extend(frame, &payload[d.len..], DEFAULT_MAX_FRAME_SIZE)
    }
    fn frame_start_is_reliable(&self) -> bool {
        true
    }
    fn is_frame_start(&self, payload: &[u8]) -> bool {
        matches!(Vp8Descriptor::parse(payload), Ok(d) if d.start && d.partition_id == 0)
    }
    fn is_keyframe(&self, payload: &[u8]) -> bool {
        // RFC 7741 §4.3: "P: Inverse key frame flag. When set to 0, the current frame is
        // a key frame." — in the first byte of the VP8 payload header.
        match Vp8Descriptor::parse(payload) {
            Ok(d) if d.start && d.partition_id == 0 => payload[d.len] & 0x01 == 0,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_forms() {
        // RFC 7741 §4.2 layout with every optional field: X=1,S=1; I,L,T,K; M=1 pid 0x1234;
        // TL0PICIDX 5; TID 2 Y=1 KEYIDX 3.
        let p = [0x90, 0xF0, 0x92, 0x34, 0x05, 0xA3, 0xAB];
        let d = Vp8Descriptor::parse(&p).unwrap();
        assert!(d.start);
        assert_eq!(d.picture_id, Some(0x1234));
        assert_eq!(d.tl0_pic_idx, Some(5));
        assert_eq!(d.tid, Some(2));
        assert!(d.layer_sync);
        assert_eq!(d.key_idx, Some(3));
        assert_eq!(d.len, 6);
        // 7-bit picture id
        let d = Vp8Descriptor::parse(&[0x80, 0x80, 0x11, 0x00]).unwrap();
        assert_eq!(d.picture_id, Some(0x11));
        assert!(!d.start);
        // truncated / empty payload
        assert!(Vp8Descriptor::parse(&[0x90, 0xF0, 0x92]).is_err());
        assert!(Vp8Descriptor::parse(&[0x10]).is_err());
        assert!(Vp8Descriptor::parse(&[]).is_err());
    }

    #[test]
    fn packetize_and_keyframe() {
        let frame: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8 & 0xFE).collect();
        let mut p = Vp8Payloader {
            picture_id: 0x7FFF,
            ..Default::default()
        };
        let v = p.packetize_to_vec(300, &frame).unwrap();
        assert_eq!(v.len(), 4);
        assert_eq!(&v[0][..4], &[0x90, 0x80, 0xFF, 0xFF]);
        assert_eq!(&v[1][..4], &[0x80, 0x80, 0xFF, 0xFF]);
        assert_eq!(p.picture_id, 0);
        let mut d = Vp8Depayloader::default();
        assert!(d.is_frame_start(&v[0]));
        assert!(!d.is_frame_start(&v[1]));
        assert!(d.is_keyframe(&v[0]));
        let mut out = vec![];
        for x in &v {
            d.depayload(x, &mut out).unwrap();
        }
        assert_eq!(out, frame);
        assert!(Vp8Payloader::default().packetize_to_vec(4, &frame).is_err());
    }
}
