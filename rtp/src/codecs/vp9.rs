//! VP9 (RFC 9628), flexible and non-flexible modes.

use super::{bounded_extend, check_mtu, Depayloader, Payloader, DEFAULT_MAX_FRAME_SIZE};
use crate::error::CodecError;

const CODEC: &str = "VP9";

/// The VP9 payload descriptor (RFC 9628 §4.2).
///
/// ```text
///  I|P|L|F|B|E|V|Z            (required)
///  M| PICTURE ID [8]          (I)
///  TID |U| SID |D             (L)
///  TL0PICIDX                  (L and not F)
///  P_DIFF |N   (up to 3)      (F and P)
///  scalability structure      (V)
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Vp9Descriptor {
    /// P: inter-picture predicted (not a keyframe layer frame).
    pub inter_picture: bool,
    /// F: flexible mode.
    pub flexible: bool,
    /// B: start of a layer frame.
    pub start: bool,
    /// E: end of a layer frame.
    pub end: bool,
    /// Z: not used as reference by upper spatial layers.
    pub not_ref_upper: bool,
    /// Picture id (7 or 15 bits).
    pub picture_id: Option<u16>,
    /// Temporal layer id (L).
    pub tid: Option<u8>,
    /// Switching up point (L).
    pub switching_up: bool,
    /// Spatial layer id (L).
    pub sid: Option<u8>,
    /// Inter-layer dependency (L).
    pub inter_layer_dependency: bool,
    /// TL0PICIDX (non-flexible mode with L).
    pub tl0_pic_idx: Option<u8>,
    /// Reference picture id differences (flexible mode), `p_diff_count` used.
    pub p_diff: [u8; 3],
    /// Number of valid entries in `p_diff`.
    pub p_diff_count: u8,
    /// Spatial layer count from the scalability structure (V).
    pub ss_spatial_layers: Option<u8>,
    /// Resolution of layer 0 from the scalability structure, when Y was set.
    pub ss_resolution: Option<(u16, u16)>,
    /// Descriptor length in bytes.
    pub len: usize,
}

struct Cur<'a> {
    p: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn u8(&mut self) -> Result<u8, CodecError> {
        let v = *self
            .p
            .get(self.i)
            .ok_or(CodecError::TooShort { codec: CODEC })?;
        self.i += 1;
        Ok(v)
    }
    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok((self.u8()? as u16) << 8 | self.u8()? as u16)
    }
}

impl Vp9Descriptor {
    /// Parses the descriptor at the start of a payload.
    pub fn parse(p: &[u8]) -> Result<Self, CodecError> {
        let mut c = Cur { p, i: 0 };
        let b0 = c.u8()?;
        let mut d = Self {
            inter_picture: b0 & 0x40 != 0,
            flexible: b0 & 0x10 != 0,
            start: b0 & 0x08 != 0,
            end: b0 & 0x04 != 0,
            not_ref_upper: b0 & 0x01 != 0,
            ..Self::default()
        };
        if b0 & 0x80 != 0 {
            let m = c.u8()?;
            d.picture_id = Some(if m & 0x80 != 0 {
                (m as u16 & 0x7F) << 8 | c.u8()? as u16
            } else {
                m as u16
            });
        }
        if b0 & 0x20 != 0 {
            let l = c.u8()?;
            d.tid = Some(l >> 5);
            d.switching_up = l & 0x10 != 0;
            d.sid = Some((l >> 1) & 0x07);
            d.inter_layer_dependency = l & 0x01 != 0;
            if !d.flexible {
                d.tl0_pic_idx = Some(c.u8()?);
            }
        }
        if d.flexible && d.inter_picture {
            // RFC 9628 §4.2: "N: ... Indicates that there is another P_DIFF following";
            // "up to 3 reference indices".
            loop {
                let v = c.u8()?;
                if d.p_diff_count == 3 {
                    return Err(CodecError::Malformed {
                        codec: CODEC,
                        reason: "more than 3 P_DIFF entries",
                    });
                }
                d.p_diff[d.p_diff_count as usize] = v >> 1;
                d.p_diff_count += 1;
                if v & 0x01 == 0 {
                    break;
                }
            }
        }
        if b0 & 0x02 != 0 {
            // RFC 9628 §4.2.1 scalability structure: N_S|Y|G|RSV, then resolutions and
            // the picture group description.
            let ss = c.u8()?;
            let n_s = (ss >> 5) + 1;
            d.ss_spatial_layers = Some(n_s);
            if ss & 0x10 != 0 {
                for k in 0..n_s {
                    let w = c.u16()?;
                    let h = c.u16()?;
                    if k == 0 {
                        d.ss_resolution = Some((w, h));
                    }
                }
            }
            if ss & 0x08 != 0 {
                let n_g = c.u8()?;
                for _ in 0..n_g {
                    let g = c.u8()?;
                    let r = (g >> 2) & 0x03;
                    for _ in 0..r {
                        c.u8()?;
                    }
                }
            }
        }
        if c.i >= p.len() {
            return Err(CodecError::TooShort { codec: CODEC });
        }
        d.len = c.i;
        Ok(d)
    }
}

/// `true` when a VP9 frame (uncompressed header, VP9 bitstream §6.2) is a keyframe.
pub(crate) fn vp9_frame_is_key(frame: &[u8]) -> bool {
    let Some(&b) = frame.first() else {
        return false;
    };
    // frame_marker (2) = 0b10, profile_low_bit, profile_high_bit,
    // [reserved_zero if profile == 3], show_existing_frame, frame_type (0 = KEY_FRAME)
    if b >> 6 != 0b10 {
        return false;
    }
    let profile = (b >> 5) & 1 | ((b >> 4) & 1) << 1;
    let shift = if profile == 3 { 1 } else { 0 };
    let show_existing = (b >> (3 - shift)) & 1;
    let frame_type = (b >> (2 - shift)) & 1;
    show_existing == 0 && frame_type == 0
}

/// VP9 payloader (one spatial layer). Non-flexible by default; `flexible` sends a P_DIFF
/// of 1 on inter frames. The scalability structure, with `resolution` when known, rides on
/// the first packet of every keyframe.
#[derive(Debug, Clone, Default)]
pub struct Vp9Payloader {
    /// Next picture id (15 bits).
    pub picture_id: u16,
    /// Flexible mode.
    pub flexible: bool,
    /// Width and height advertised in the scalability structure.
    pub resolution: Option<(u16, u16)>,
    scratch: Vec<u8>,
}

impl Vp9Payloader {
    /// A payloader in flexible or non-flexible mode, advertising `resolution` in the
    /// scalability structure of keyframes when given.
    pub fn new(flexible: bool, resolution: Option<(u16, u16)>) -> Self {
        Self {
            flexible,
            resolution,
            ..Self::default()
        }
    }
}

impl Payloader for Vp9Payloader {
    fn packetize(
        &mut self,
        mtu: usize,
        frame: &[u8],
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<usize, CodecError> {
        if frame.is_empty() {
            return Ok(0);
        }
        let key = vp9_frame_is_key(frame);
        let mut hdr = [0u8; 16];
        let buf = &mut self.scratch;
        let mut offset = 0;
        let mut count = 0;
        while offset < frame.len() {
            let first = offset == 0;
            let mut h = 3;
            hdr[0] = 0x80; // I
            if !key {
                hdr[0] |= 0x40; // P
            }
            if self.flexible {
                hdr[0] |= 0x10;
            }
            if first {
                hdr[0] |= 0x08; // B
            }
            hdr[1] = 0x80 | (self.picture_id >> 8) as u8;
            hdr[2] = self.picture_id as u8;
            if self.flexible && !key {
                hdr[h] = 1 << 1; // P_DIFF = 1, N = 0
                h += 1;
            }
            if first && key {
                hdr[0] |= 0x02; // V
                match self.resolution {
                    Some((w, ht)) => {
                        hdr[h] = 0x10; // N_S = 0 (one layer), Y = 1
                        hdr[h + 1..h + 3].copy_from_slice(&w.to_be_bytes());
                        hdr[h + 3..h + 5].copy_from_slice(&ht.to_be_bytes());
                        h += 5;
                    }
                    None => {
                        hdr[h] = 0x00;
                        h += 1;
                    }
                }
            }
            check_mtu(mtu, h)?;
            let n = (mtu - h).min(frame.len() - offset);
            let last = offset + n == frame.len();
            if last {
                hdr[0] |= 0x04; // E
            }
            buf.clear();
            buf.extend_from_slice(&hdr[..h]);
            buf.extend_from_slice(&frame[offset..offset + n]);
            emit(buf, last);
            offset += n;
            count += 1;
        }
        self.picture_id = (self.picture_id + 1) & 0x7FFF;
        Ok(count)
    }
}

/// VP9 depayloader.
#[derive(Debug, Clone, Default)]
pub struct Vp9Depayloader {
    /// The descriptor of the last payload.
    pub last: Option<Vp9Descriptor>,
}

impl Depayloader for Vp9Depayloader {
    fn depayload(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), CodecError> {
        let d = Vp9Descriptor::parse(payload)?;
        self.last = Some(d);
        bounded_extend(frame, &payload[d.len..], DEFAULT_MAX_FRAME_SIZE)
    }
    fn frame_start_is_reliable(&self) -> bool {
        true
    }
    fn is_frame_start(&self, payload: &[u8]) -> bool {
        matches!(Vp9Descriptor::parse(payload), Ok(d) if d.start && d.sid.unwrap_or(0) == 0)
    }
    fn is_keyframe(&self, payload: &[u8]) -> bool {
        matches!(Vp9Descriptor::parse(payload),
            Ok(d) if d.start && !d.inter_picture && d.sid.unwrap_or(0) == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_non_flexible_with_layers_and_ss() {
        // I=1 L=1 B=1 V=1; pid 0x0102 (15-bit); TID 1 U=1 SID 0 D=0; TL0PICIDX 9;
        // SS: N_S=1 (two layers) Y=1 G=1: 320x180, 640x360; N_G=1: TID 0, R=1, P_DIFF 1.
        let p = [
            0xAA, 0x81, 0x02, 0x30, 0x09, 0x38, 0x01, 0x40, 0x00, 0xB4, 0x02, 0x80, 0x01, 0x68,
            0x01, 0x04, 0x01, 0xFF,
        ];
        let d = Vp9Descriptor::parse(&p).unwrap();
        assert_eq!(d.picture_id, Some(0x0102));
        assert_eq!(d.tid, Some(1));
        assert!(d.switching_up);
        assert_eq!(d.sid, Some(0));
        assert_eq!(d.tl0_pic_idx, Some(9));
        assert_eq!(d.ss_spatial_layers, Some(2));
        assert_eq!(d.ss_resolution, Some((320, 180)));
        assert_eq!(d.len, 17);
        assert!(Vp9Descriptor::parse(&p[..16]).is_err());
    }

    #[test]
    fn descriptor_flexible_p_diffs() {
        // I=1 P=1 F=1 B=1 E=1, 7-bit pid 5, P_DIFFs 1 (N=1), 2 (N=0)
        let p = [0xDC, 0x05, 0x03, 0x04, 0xAB];
        let d = Vp9Descriptor::parse(&p).unwrap();
        assert!(d.flexible && d.inter_picture && d.start && d.end);
        assert_eq!(&d.p_diff[..2], &[1, 2]);
        // four P_DIFFs is an error
        assert!(Vp9Descriptor::parse(&[0xDC, 0x05, 0x03, 0x03, 0x03, 0x03, 0xAB]).is_err());
    }

    #[test]
    fn packetize_modes() {
        let mut key = vec![0x82u8; 2000];
        key[0] = 0x82; // frame marker 10, profile 0, show_existing 0, frame_type 0
        let mut inter = vec![0x86u8; 500];
        inter[0] = 0x86; // frame_type 1
        assert!(vp9_frame_is_key(&key) && !vp9_frame_is_key(&inter));
        for flexible in [false, true] {
            let mut p = Vp9Payloader {
                flexible,
                resolution: Some((640, 480)),
                ..Default::default()
            };
            let mut d = Vp9Depayloader::default();
            for frame in [&key, &inter] {
                let v = p.packetize_to_vec(700, frame).unwrap();
                assert!(v.iter().all(|x| x.len() <= 700));
                assert!(d.is_frame_start(&v[0]));
                assert_eq!(d.is_keyframe(&v[0]), frame == &key);
                let mut out = vec![];
                for x in &v {
                    d.depayload(x, &mut out).unwrap();
                }
                assert_eq!(&out, frame);
                assert!(d.last.unwrap().end);
            }
        }
    }
}
