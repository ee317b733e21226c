//! PCMU / PCMA (ITU-T G.711, RFC 3551 §4.5.14).
//!
//! RFC 3551 §4.5.14: one octet per sample at 8000 Hz; a frame of samples may be split at
//! any sample boundary, each packet's timestamp advancing by its sample count.

use super::{bounded_extend, Depayloader, Payloader, DEFAULT_MAX_FRAME_SIZE};
use crate::error::CodecError;

/// G.711 payloader: splits samples into packets of at most `mtu` samples.
#[derive(Debug, Clone, Default)]
pub struct G711Payloader;

impl Payloader for G711Payloader {
    fn packetize(
        &mut self,
        mtu: usize,
        frame: &[u8],
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<usize, CodecError> {
        if mtu == 0 {
            return Err(CodecError::MtuTooSmall { mtu });
        }
        let n = frame.len().div_ceil(mtu);
        for (i, chunk) in frame.chunks(mtu).enumerate() {
            emit(chunk, i + 1 == n);
        }
        Ok(n)
    }
}

/// G.711 depayloader: every packet is a run of samples.
#[derive(Debug, Clone, Default)]
pub struct G711Depayloader;

impl Depayloader for G711Depayloader {
    fn depayload(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), CodecError> {
        bounded_extend(frame, payload, DEFAULT_MAX_FRAME_SIZE)
    }
    fn is_frame_start(&self, _payload: &[u8]) -> bool {
        true
    }
    fn is_frame_end(&self, _payload: &[u8], _marker: bool) -> bool {
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
    fn split_samples() {
        let samples: Vec<u8> = (0..=255).collect();
        let v = G711Payloader.packetize_to_vec(100, &samples).unwrap();
        assert_eq!(
            v.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![100, 100, 56]
        );
        assert!(G711Payloader.packetize_to_vec(0, &samples).is_err());
    }
}
