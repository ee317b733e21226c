//! Opus (RFC 7587).
//!
//! RFC 7587 §4.2: "only one Opus packet MUST be carried in each RTP packet" and an Opus
//! packet is never split, so payloading is the identity and every packet is a frame.

use super::{bounded_extend, Depayloader, Payloader, DEFAULT_MAX_FRAME_SIZE};
use crate::error::CodecError;

/// Opus payloader: one Opus packet per RTP packet.
#[derive(Debug, Clone, Default)]
pub struct OpusPayloader;

impl Payloader for OpusPayloader {
    fn packetize(
        &mut self,
        mtu: usize,
        frame: &[u8],
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<usize, CodecError> {
        if frame.is_empty() {
            return Ok(0);
        }
        if frame.len() > mtu {
            return Err(CodecError::MtuTooSmall { mtu });
        }
        emit(frame, true);
        Ok(1)
    }
}

/// Opus depayloader.
#[derive(Debug, Clone, Default)]
pub struct OpusDepayloader;

impl Depayloader for OpusDepayloader {
    fn depayload(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), CodecError> {
        if payload.is_empty() {
            return Err(CodecError::TooShort { codec: "Opus" });
        }
        bounded_extend(frame, payload, DEFAULT_MAX_FRAME_SIZE)
    }
    fn is_frame_start(&self, _payload: &[u8]) -> bool {
        true
    }
    fn is_frame_end(&self, _payload: &[u8], _marker: bool) -> bool {
        // RFC 7587 §4.1: the marker bit is only set after silence; each packet is whole.
        true
    }
    fn is_keyframe(&self, _payload: &[u8]) -> bool {
        true
    }
    fn frame_start_is_reliable(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity() {
        let mut p = OpusPayloader;
        let v = p.packetize_to_vec(1200, &[0xFC, 1, 2]).unwrap();
        assert_eq!(v, vec![vec![0xFC, 1, 2]]);
        assert!(p.packetize_to_vec(2, &[1, 2, 3]).is_err());
        let mut d = OpusDepayloader;
        let mut f = vec![];
        d.depayload(&v[0], &mut f).unwrap();
        assert_eq!(f, [0xFC, 1, 2]);
        assert!(d.depayload(&[], &mut f).is_err());
    }
}
