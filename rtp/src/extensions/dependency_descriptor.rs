//! Dependency descriptor (AV1 RTP payload spec, Appendix A;
//! <https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension>).
//!
//! Chrome sends it with AV1 and with VP9 SVC: an SFU reads it to know which decode
//! targets a frame belongs to and which frames it depends on, without parsing the
//! payload. Most packets carry only the 3 mandatory bytes and refer to a template of the
//! *frame dependency structure* that the first packet of a keyframe carries; so parsing
//! takes the last structure seen, and a descriptor that carries a new one returns it.

use super::check_out;
use crate::error::ExtensionError;

const NAME: &str = "dependency-descriptor";
/// The extension's `a=extmap` URI.
pub const DEPENDENCY_DESCRIPTOR_URI: &str =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

/// A.8.3: decode target indication of a frame for one decode target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeTargetIndication {
    /// 0: not present in the decode target.
    NotPresent,
    /// 1: discardable.
    Discardable,
    /// 2: switch point.
    Switch,
    /// 3: required.
    Required,
}

impl DecodeTargetIndication {
    fn from_bits(v: u32) -> Self {
        match v & 3 {
            0 => Self::NotPresent,
            1 => Self::Discardable,
            2 => Self::Switch,
            _ => Self::Required,
        }
    }
    fn bits(self) -> u32 {
        self as u32
    }
}

/// One template of the structure.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrameDependencyTemplate {
    /// Spatial layer of frames using this template.
    pub spatial_id: u8,
    /// Temporal layer of frames using this template.
    pub temporal_id: u8,
    /// One indication per decode target.
    pub dtis: Vec<DecodeTargetIndication>,
    /// Frame number differences to the frames this one references (each 1..=16).
    pub fdiffs: Vec<u16>,
    /// Per chain, the frame number difference to the previous frame in the chain (0..=15).
    pub chain_fdiffs: Vec<u8>,
}

/// A.4.2 template dependency structure.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrameDependencyStructure {
    /// Template id of the first template (6 bits).
    pub template_id_offset: u8,
    /// Number of decode targets (1..=32).
    pub decode_target_count: u8,
    /// Templates in layer order (A.4.2: spatial then temporal id never decrease).
    pub templates: Vec<FrameDependencyTemplate>,
    /// Number of chains (0..=decode_target_count).
    pub chain_count: u8,
    /// For each decode target, the chain that protects it.
    pub decode_target_protected_by: Vec<u8>,
    /// Render resolution (width, height) per spatial layer, when present.
    pub resolutions: Vec<(u16, u16)>,
}

/// The frame-level information a descriptor resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameDependencies {
    /// Spatial layer.
    pub spatial_id: u8,
    /// Temporal layer.
    pub temporal_id: u8,
    /// Decode target indications.
    pub dtis: Vec<DecodeTargetIndication>,
    /// Referenced frames as frame number differences.
    pub fdiffs: Vec<u16>,
    /// Chain frame number differences.
    pub chain_fdiffs: Vec<u8>,
}

/// One dependency descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DependencyDescriptor {
    /// First packet of the frame.
    pub start_of_frame: bool,
    /// Last packet of the frame.
    pub end_of_frame: bool,
    /// Template id (6 bits), relative to the structure's offset.
    pub template_id: u8,
    /// Frame number (16 bits, wraps).
    pub frame_number: u16,
    /// A structure carried by this descriptor (usually on a keyframe's first packet).
    pub structure: Option<FrameDependencyStructure>,
    /// Bitmask of active decode targets, when sent.
    pub active_decode_targets: Option<u32>,
    /// Frame-specific DTIs overriding the template's.
    pub custom_dtis: Option<Vec<DecodeTargetIndication>>,
    /// Frame-specific fdiffs overriding the template's (each 1..=4096).
    pub custom_fdiffs: Option<Vec<u16>>,
    /// Frame-specific chain fdiffs overriding the template's.
    pub custom_chains: Option<Vec<u8>>,
}

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn f(&mut self, n: u32) -> Result<u32, ExtensionError> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.data.get(self.pos / 8).ok_or(ExtensionError::Invalid {
                name: NAME,
                reason: "truncated",
            })?;
            v = v << 1 | ((byte >> (7 - self.pos % 8)) & 1) as u32;
            self.pos += 1;
        }
        Ok(v)
    }
    fn flag(&mut self) -> Result<bool, ExtensionError> {
        Ok(self.f(1)? == 1)
    }
    /// A.3 ns(n): non-symmetric unsigned value in 0..n.
    fn ns(&mut self, n: u32) -> Result<u32, ExtensionError> {
        let w = 32 - n.leading_zeros();
        let m = (1u32 << w) - n;
        let v = self.f(w - 1)?;
        if v < m {
            return Ok(v);
        }
        let extra = self.f(1)?;
        Ok((v << 1) - m + extra)
    }
}

struct BitWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl BitWriter<'_> {
    fn f(&mut self, n: u32, v: u32) -> Result<(), ExtensionError> {
        for i in (0..n).rev() {
            let have = self.buf.len();
            let byte = self
                .buf
                .get_mut(self.pos / 8)
                .ok_or(ExtensionError::BufferTooSmall {
                    needed: self.pos / 8 + 1,
                    have,
                })?;
            let bit = ((v >> i) & 1) as u8;
            let shift = 7 - self.pos % 8;
            *byte = (*byte & !(1 << shift)) | bit << shift;
            self.pos += 1;
        }
        Ok(())
    }
    fn ns(&mut self, n: u32, v: u32) -> Result<(), ExtensionError> {
        let w = 32 - n.leading_zeros();
        let m = (1u32 << w) - n;
        if v < m {
            self.f(w - 1, v)
        } else {
            self.f(w, v + m)
        }
    }
}

fn invalid(reason: &'static str) -> ExtensionError {
    ExtensionError::Invalid { name: NAME, reason }
}

impl FrameDependencyStructure {
    fn read(r: &mut BitReader<'_>) -> Result<Self, ExtensionError> {
        let template_id_offset = r.f(6)? as u8;
        let dt_cnt = r.f(5)? + 1;
        // template_layers()
        let mut templates = Vec::new();
        let (mut sid, mut tid) = (0u8, 0u8);
        loop {
            if templates.len() >= 64 {
                return Err(invalid("more than 64 templates"));
            }
            templates.push(FrameDependencyTemplate {
                spatial_id: sid,
                temporal_id: tid,
                ..Default::default()
            });
            match r.f(2)? {
                0 => {}
                1 => tid = tid.checked_add(1).ok_or(invalid("temporal id overflow"))?,
                2 => {
                    tid = 0;
                    sid = sid.checked_add(1).ok_or(invalid("spatial id overflow"))?;
                }
                _ => break,
            }
        }
        // template_dtis()
        for t in &mut templates {
            for _ in 0..dt_cnt {
                t.dtis.push(DecodeTargetIndication::from_bits(r.f(2)?));
            }
        }
        // template_fdiffs()
        for t in &mut templates {
            while r.flag()? {
                if t.fdiffs.len() >= 16 {
                    return Err(invalid("too many template fdiffs"));
                }
                t.fdiffs.push(r.f(4)? as u16 + 1);
            }
        }
        // template_chains()
        let chain_count = r.ns(dt_cnt + 1)?;
        let mut protected_by = Vec::new();
        if chain_count > 0 {
            for _ in 0..dt_cnt {
                protected_by.push(r.ns(chain_count)? as u8);
            }
            for t in &mut templates {
                for _ in 0..chain_count {
                    t.chain_fdiffs.push(r.f(4)? as u8);
                }
            }
        }
        // resolutions
        let mut resolutions = Vec::new();
        if r.flag()? {
            for _ in 0..=sid {
                let w = r.f(16)? + 1;
                let h = r.f(16)? + 1;
                resolutions.push((w.min(u16::MAX as u32) as u16, h.min(u16::MAX as u32) as u16));
            }
        }
        Ok(Self {
            template_id_offset,
            decode_target_count: dt_cnt as u8,
            templates,
            chain_count: chain_count as u8,
            decode_target_protected_by: protected_by,
            resolutions,
        })
    }

    fn write(&self, w: &mut BitWriter<'_>) -> Result<(), ExtensionError> {
        let dt = self.decode_target_count as u32;
        if !(1..=32).contains(&dt) || self.templates.is_empty() || self.templates.len() > 64 {
            return Err(invalid("decode target or template count out of range"));
        }
        if self.chain_count as u32 > dt || self.template_id_offset > 63 {
            return Err(invalid("chain count or template offset out of range"));
        }
        w.f(6, self.template_id_offset as u32)?;
        w.f(5, dt - 1)?;
        for (i, t) in self.templates.iter().enumerate() {
            if i > 0 {
                let p = &self.templates[i - 1];
                let same_sid = t.spatial_id == p.spatial_id;
                let ordered = (same_sid
                    && (t.temporal_id == p.temporal_id || t.temporal_id == p.temporal_id + 1))
                    || (t.spatial_id == p.spatial_id + 1 && t.temporal_id == 0);
                if !ordered {
                    return Err(invalid("templates not in layer order"));
                }
            } else if t.spatial_id != 0 || t.temporal_id != 0 {
                return Err(invalid("first template must be layer (0, 0)"));
            }
            let idc = match self.templates.get(i + 1) {
                None => 3,
                Some(n) if n.spatial_id == t.spatial_id && n.temporal_id == t.temporal_id => 0,
                Some(n) if n.spatial_id == t.spatial_id => 1,
                Some(_) => 2,
            };
            w.f(2, idc)?;
        }
        for t in &self.templates {
            if t.dtis.len() != dt as usize {
                return Err(invalid("template DTI count differs from decode targets"));
            }
            for d in &t.dtis {
                w.f(2, d.bits())?;
            }
        }
        for t in &self.templates {
            for &f in &t.fdiffs {
                if !(1..=16).contains(&f) {
                    return Err(invalid("template fdiff out of 1..=16"));
                }
                w.f(1, 1)?;
                w.f(4, f as u32 - 1)?;
            }
            w.f(1, 0)?;
        }
        let cc = self.chain_count as u32;
        w.ns(dt + 1, cc)?;
        if cc > 0 {
            if self.decode_target_protected_by.len() != dt as usize {
                return Err(invalid("protected-by count differs from decode targets"));
            }
            for &c in &self.decode_target_protected_by {
                if c as u32 >= cc {
                    return Err(invalid("protecting chain out of range"));
                }
                w.ns(cc, c as u32)?;
            }
            for t in &self.templates {
                if t.chain_fdiffs.len() != cc as usize {
                    return Err(invalid("template chain count differs"));
                }
                for &c in &t.chain_fdiffs {
                    if c > 15 {
                        return Err(invalid("template chain fdiff above 15"));
                    }
                    w.f(4, c as u32)?;
                }
            }
        }
        let spatial_layers = self
            .templates
            .last()
            .map_or(0, |t| t.spatial_id as usize + 1);
        if self.resolutions.is_empty() {
            w.f(1, 0)?;
        } else {
            if self.resolutions.len() != spatial_layers {
                return Err(invalid("one resolution per spatial layer"));
            }
            w.f(1, 1)?;
            for &(wd, ht) in &self.resolutions {
                if wd == 0 || ht == 0 {
                    return Err(invalid("zero resolution"));
                }
                w.f(16, wd as u32 - 1)?;
                w.f(16, ht as u32 - 1)?;
            }
        }
        Ok(())
    }
}

impl DependencyDescriptor {
    /// Parses element data. `latest` is the last structure received on this stream (from a
    /// descriptor's `structure`); it is needed unless this descriptor carries its own.
    pub fn parse(
        data: &[u8],
        latest: Option<&FrameDependencyStructure>,
    ) -> Result<Self, ExtensionError> {
        if data.len() < 3 {
            return Err(ExtensionError::BadLength {
                name: NAME,
                len: data.len(),
            });
        }
        let mut r = BitReader { data, pos: 0 };
        let mut d = Self {
            start_of_frame: r.flag()?,
            end_of_frame: r.flag()?,
            template_id: r.f(6)? as u8,
            frame_number: r.f(16)? as u16,
            ..Self::default()
        };
        let (mut custom_dtis, mut custom_fdiffs, mut custom_chains) = (false, false, false);
        if data.len() > 3 {
            // A.4.1 extended_descriptor_fields()
            let structure_present = r.flag()?;
            let active_present = r.flag()?;
            custom_dtis = r.flag()?;
            custom_fdiffs = r.flag()?;
            custom_chains = r.flag()?;
            if structure_present {
                d.structure = Some(FrameDependencyStructure::read(&mut r)?);
            }
            let s = d
                .structure
                .as_ref()
                .or(latest)
                .ok_or(invalid("no dependency structure known"))?;
            if active_present {
                d.active_decode_targets = Some(r.f(s.decode_target_count as u32)?);
            }
        }
        let s = d
            .structure
            .as_ref()
            .or(latest)
            .ok_or(invalid("no dependency structure known"))?;
        let index = (d.template_id as usize + 64 - s.template_id_offset as usize) % 64;
        if index >= s.templates.len() {
            return Err(invalid("template id outside the structure"));
        }
        let (dt_cnt, chain_cnt) = (s.decode_target_count, s.chain_count);
        if custom_dtis {
            let mut v = Vec::with_capacity(dt_cnt as usize);
            for _ in 0..dt_cnt {
                v.push(DecodeTargetIndication::from_bits(r.f(2)?));
            }
            d.custom_dtis = Some(v);
        }
        if custom_fdiffs {
            // A.4.4 frame_fdiffs(): next_fdiff_size f(2), then fdiff_minus_one of
            // 4 * size bits, until a size of 0.
            let mut v = Vec::new();
            loop {
                let size = r.f(2)?;
                if size == 0 {
                    break;
                }
                if v.len() >= 64 {
                    return Err(invalid("too many frame fdiffs"));
                }
                v.push(r.f(4 * size)? as u16 + 1);
            }
            d.custom_fdiffs = Some(v);
        }
        if custom_chains {
            let mut v = Vec::with_capacity(chain_cnt as usize);
            for _ in 0..chain_cnt {
                v.push(r.f(8)? as u8);
            }
            d.custom_chains = Some(v);
        }
        Ok(d)
    }

    /// Resolves the frame's layer, DTIs, references and chains against `structure`
    /// (this descriptor's own, else the given one).
    pub fn frame_dependencies(
        &self,
        latest: Option<&FrameDependencyStructure>,
    ) -> Option<FrameDependencies> {
        let s = self.structure.as_ref().or(latest)?;
        let index = (self.template_id as usize + 64 - s.template_id_offset as usize) % 64;
        let t = s.templates.get(index)?;
        Some(FrameDependencies {
            spatial_id: t.spatial_id,
            temporal_id: t.temporal_id,
            dtis: self.custom_dtis.clone().unwrap_or_else(|| t.dtis.clone()),
            fdiffs: self
                .custom_fdiffs
                .clone()
                .unwrap_or_else(|| t.fdiffs.clone()),
            chain_fdiffs: self
                .custom_chains
                .clone()
                .unwrap_or_else(|| t.chain_fdiffs.clone()),
        })
    }

    fn extended(&self) -> bool {
        self.structure.is_some()
            || self.active_decode_targets.is_some()
            || self.custom_dtis.is_some()
            || self.custom_fdiffs.is_some()
            || self.custom_chains.is_some()
    }

    /// Writes element data into `buf`, returning its length (zero-padded to whole bytes).
    /// `latest` supplies decode target and chain counts when `structure` is `None`.
    pub fn write(
        &self,
        buf: &mut [u8],
        latest: Option<&FrameDependencyStructure>,
    ) -> Result<usize, ExtensionError> {
        check_out(buf, 3)?;
        if self.template_id > 63 {
            return Err(invalid("template id above 63"));
        }
        let mut w = BitWriter { buf, pos: 0 };
        w.f(1, self.start_of_frame as u32)?;
        w.f(1, self.end_of_frame as u32)?;
        w.f(6, self.template_id as u32)?;
        w.f(16, self.frame_number as u32)?;
        if self.extended() {
            w.f(1, self.structure.is_some() as u32)?;
            w.f(1, self.active_decode_targets.is_some() as u32)?;
            w.f(1, self.custom_dtis.is_some() as u32)?;
            w.f(1, self.custom_fdiffs.is_some() as u32)?;
            w.f(1, self.custom_chains.is_some() as u32)?;
            if let Some(s) = &self.structure {
                s.write(&mut w)?;
            }
            let s = self
                .structure
                .as_ref()
                .or(latest)
                .ok_or(invalid("no dependency structure known"))?;
            if let Some(mask) = self.active_decode_targets {
                w.f(s.decode_target_count as u32, mask)?;
            }
            if let Some(v) = &self.custom_dtis {
                if v.len() != s.decode_target_count as usize {
                    return Err(invalid("custom DTI count differs from decode targets"));
                }
                for d in v {
                    w.f(2, d.bits())?;
                }
            }
            if let Some(v) = &self.custom_fdiffs {
                for &f in v {
                    let m = f.checked_sub(1).ok_or(invalid("fdiff 0"))? as u32;
                    let size = match m {
                        0..=0xF => 1,
                        0x10..=0xFF => 2,
                        _ => 3,
                    };
                    w.f(2, size)?;
                    w.f(4 * size, m)?;
                }
                w.f(2, 0)?;
            }
            if let Some(v) = &self.custom_chains {
                if v.len() != s.chain_count as usize {
                    return Err(invalid("custom chain count differs"));
                }
                for &c in v {
                    w.f(8, c as u32)?;
                }
            }
        }
        let n = w.pos.div_ceil(8);
        // A.3: zero_padding up to the byte boundary
        let pad = n * 8 - w.pos;
        w.f(pad as u32, 0)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DecodeTargetIndication::*;

    /// L1T2: two templates (T0, T1), two decode targets, one chain.
    fn l1t2() -> FrameDependencyStructure {
        FrameDependencyStructure {
            template_id_offset: 1,
            decode_target_count: 2,
            templates: vec![
                FrameDependencyTemplate {
                    spatial_id: 0,
                    temporal_id: 0,
                    dtis: vec![Switch, Switch],
                    fdiffs: vec![2],
                    chain_fdiffs: vec![2],
                },
                FrameDependencyTemplate {
                    spatial_id: 0,
                    temporal_id: 1,
                    dtis: vec![NotPresent, Discardable],
                    fdiffs: vec![1],
                    chain_fdiffs: vec![1],
                },
            ],
            chain_count: 1,
            decode_target_protected_by: vec![0, 0],
            resolutions: vec![(640, 360)],
        }
    }

    #[test]
    fn mandatory_only_bits() {
        // S=1 E=0 template 2, frame 0x1234 -> 1 0 000010 | 0x12 0x34
        let s = l1t2();
        let d = DependencyDescriptor::parse(&[0x82, 0x12, 0x34], Some(&s)).unwrap();
        assert!(d.start_of_frame && !d.end_of_frame);
        assert_eq!(d.template_id, 2);
        assert_eq!(d.frame_number, 0x1234);
        let f = d.frame_dependencies(Some(&s)).unwrap();
        assert_eq!((f.spatial_id, f.temporal_id), (0, 1));
        assert_eq!(f.fdiffs, vec![1]);
        let mut b = [0u8; 3];
        assert_eq!(d.write(&mut b, Some(&s)).unwrap(), 3);
        assert_eq!(b, [0x82, 0x12, 0x34]);
        // without a structure it cannot be resolved
        assert!(DependencyDescriptor::parse(&[0x82, 0x12, 0x34], None).is_err());
        // template id outside the structure
        assert!(DependencyDescriptor::parse(&[0x85, 0x12, 0x34], Some(&s)).is_err());
    }

    #[test]
    fn structure_round_trip() {
        let d = DependencyDescriptor {
            start_of_frame: true,
            end_of_frame: true,
            template_id: 1,
            frame_number: 7,
            structure: Some(l1t2()),
            active_decode_targets: Some(0b11),
            ..Default::default()
        };
        let mut buf = [0u8; 64];
        let n = d.write(&mut buf, None).unwrap();
        let back = DependencyDescriptor::parse(&buf[..n], None).unwrap();
        assert_eq!(back, d);
        // The bits by hand: mandatory 0xC1 0x00 0x07; then flags 1 1 0 0 0 | offset 000001
        // | dt_cnt-1 00001 | next_layer_idc 01 11 | ...
        assert_eq!(
            &buf[..6],
            &[
                0xC1,
                0x00,
                0x07,
                0b1100_0000,
                0b0010_0001,
                0b0111_0000 | (buf[5] & 0x0F)
            ]
        );
        // every truncation fails cleanly
        for k in 0..n {
            let _ = DependencyDescriptor::parse(&buf[..k], None);
        }
    }

    #[test]
    fn custom_fields_round_trip() {
        let s = l1t2();
        let d = DependencyDescriptor {
            start_of_frame: false,
            end_of_frame: true,
            template_id: 1,
            frame_number: 65535,
            custom_dtis: Some(vec![Required, NotPresent]),
            custom_fdiffs: Some(vec![1, 17, 300]),
            custom_chains: Some(vec![200]),
            ..Default::default()
        };
        let mut buf = [0u8; 32];
        let n = d.write(&mut buf, Some(&s)).unwrap();
        assert_eq!(DependencyDescriptor::parse(&buf[..n], Some(&s)).unwrap(), d);
        let f = d.frame_dependencies(Some(&s)).unwrap();
        assert_eq!(f.fdiffs, vec![1, 17, 300]);
        assert_eq!(f.dtis, vec![Required, NotPresent]);
    }

    #[test]
    fn non_symmetric() {
        for n in 1..40u32 {
            for v in 0..n {
                let mut b = [0u8; 8];
                let mut w = BitWriter {
                    buf: &mut b,
                    pos: 0,
                };
                w.ns(n, v).unwrap();
                let mut r = BitReader { data: &b, pos: 0 };
                assert_eq!(r.ns(n).unwrap(), v, "n={n} v={v}");
            }
        }
    }
}
