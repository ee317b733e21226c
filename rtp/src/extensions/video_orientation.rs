//! Coordination of video orientation (3GPP TS 26.114 §7.4.5, urn:3gpp:video-orientation).

use super::{check_out, HeaderExtension};
use crate::error::ExtensionError;

/// Clockwise rotation the receiver must apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// 0°.
    #[default]
    Deg0,
    /// 90°.
    Deg90,
    /// 180°.
    Deg180,
    /// 270°.
    Deg270,
}

/// One byte: `0 0 0 0 C F R1 R0` (camera, flip, rotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VideoOrientation {
    /// C: back-facing camera.
    pub back_camera: bool,
    /// F: horizontal flip.
    pub flip: bool,
    /// R1 R0: rotation.
    pub rotation: Rotation,
}

impl HeaderExtension<'_> for VideoOrientation {
    const URI: &'static str = "urn:3gpp:video-orientation";
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        let b = *data.first().ok_or(ExtensionError::BadLength {
            name: "video-orientation",
            len: 0,
        })?;
        Ok(Self {
            back_camera: b & 0x08 != 0,
            flip: b & 0x04 != 0,
            rotation: match b & 3 {
                0 => Rotation::Deg0,
                1 => Rotation::Deg90,
                2 => Rotation::Deg180,
                _ => Rotation::Deg270,
            },
        })
    }
    fn encoded_len(&self) -> usize {
        1
    }
    fn write(&self, buf: &mut [u8]) -> Result<usize, ExtensionError> {
        check_out(buf, 1)?;
        buf[0] = (self.back_camera as u8) << 3 | (self.flip as u8) << 2 | self.rotation as u8;
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let v = VideoOrientation {
            back_camera: true,
            flip: false,
            rotation: Rotation::Deg270,
        };
        assert_eq!(super::super::round_trip(&v, &mut [0; 1]), [0x0B]);
    }
}
