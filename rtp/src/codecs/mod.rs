//! Payloaders (frame → RTP payloads under an MTU) and depayloaders (RTP payloads →
//! frame) for the codecs WebRTC negotiates, behind [`Payloader`] and [`Depayloader`].
//!
//! `mtu` everywhere is the largest RTP *payload* the caller wants (its datagram budget
//! minus RTP header, extensions and SRTP tag).

mod av1;
mod g711;
mod h264;
mod h265;
mod opus;
mod vp8;
mod vp9;

pub use av1::{Av1Depayloader, Av1Payloader};
pub use g711::{G711Depayloader, G711Payloader};
pub use h264::{H264Depayloader, H264Payloader, PacketizationMode};
pub use h265::{H265Depayloader, H265Payloader};
pub use opus::{OpusDepayloader, OpusPayloader};
pub use vp8::{Vp8Depayloader, Vp8Descriptor, Vp8Payloader};
pub use vp9::{Vp9Depayloader, Vp9Descriptor, Vp9Payloader};

use crate::error::CodecError;

/// Default bound on a reassembled frame (a 4K keyframe fits easily).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 8 * 1024 * 1024;

/// Splits media frames into RTP payloads.
pub trait Payloader {
    /// Splits `frame` into payloads of at most `mtu` bytes and hands each to `emit` in
    /// send order, with `true` for the last one (whose RTP packet carries the marker bit
    /// for video). Returns the number of payloads. Allocation-free after warm-up.
    fn packetize(
        &mut self,
        mtu: usize,
        frame: &[u8],
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<usize, CodecError>;

    /// Convenience: collects the payloads into owned vectors.
    fn packetize_to_vec(&mut self, mtu: usize, frame: &[u8]) -> Result<Vec<Vec<u8>>, CodecError> {
        let mut v = Vec::new();
        self.packetize(mtu, frame, &mut |p, _| v.push(p.to_vec()))?;
        Ok(v)
    }
}

/// Rebuilds media frames from RTP payloads.
///
/// A sample builder finds frame boundaries with [`Self::is_frame_start`] and the marker
/// bit, then feeds the payloads of one frame in order to [`Self::depayload`].
pub trait Depayloader {
    /// Appends the media carried by one payload to `frame`.
    fn depayload(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), CodecError>;

    /// `true` when `payload` can begin a frame (from the payload header alone).
    fn is_frame_start(&self, payload: &[u8]) -> bool;

    /// `true` when the packet ends a frame. The default trusts the RTP marker bit, which
    /// RFC 3551 §4.1 and every video payload format here set on a frame's last packet.
    fn is_frame_end(&self, payload: &[u8], marker: bool) -> bool {
        let _ = payload;
        marker
    }

    /// `true` when the frame starting with `payload` is a keyframe (decodable alone).
    fn is_keyframe(&self, payload: &[u8]) -> bool;

    /// `true` when [`Self::is_frame_start`] is certain: a packet it accepts is the first
    /// of a frame even when the packet before it was lost (VP8's S bit with partition 0,
    /// VP9's B bit, audio). H.264/H.265 (parameter sets may precede a slice) and AV1 (an
    /// OBU boundary may fall on a packet boundary mid-frame) say `false`, and the sample
    /// builder then needs to have seen the previous packet.
    fn frame_start_is_reliable(&self) -> bool {
        false
    }

    /// Forgets partial state (call between frames after a loss).
    fn reset(&mut self) {}
}

impl<P: Payloader + ?Sized> Payloader for Box<P> {
    fn packetize(
        &mut self,
        mtu: usize,
        frame: &[u8],
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<usize, CodecError> {
        (**self).packetize(mtu, frame, emit)
    }
}

impl<D: Depayloader + ?Sized> Depayloader for Box<D> {
    fn depayload(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), CodecError> {
        (**self).depayload(payload, frame)
    }
    fn is_frame_start(&self, payload: &[u8]) -> bool {
        (**self).is_frame_start(payload)
    }
    fn is_frame_end(&self, payload: &[u8], marker: bool) -> bool {
        (**self).is_frame_end(payload, marker)
    }
    fn is_keyframe(&self, payload: &[u8]) -> bool {
        (**self).is_keyframe(payload)
    }
    fn frame_start_is_reliable(&self) -> bool {
        (**self).frame_start_is_reliable()
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

pub(crate) fn check_mtu(mtu: usize, header: usize) -> Result<(), CodecError> {
    if mtu <= header {
        return Err(CodecError::MtuTooSmall { mtu });
    }
    Ok(())
}

/// Splits `body` into fragmentation units of at most `mtu` bytes, each laid out as
/// `prefix | FU header | part`, and emits them. The FU header is S|E|`nal_type`: the scheme
/// H.264 (RFC 6184 §5.8, FU-A) and H.265 (RFC 7798 §4.4.3) share, differing only in the
/// prefix (FU indicator, or PayloadHdr). Returns the number of packets.
pub(crate) fn emit_fragmentation_units(
    scratch: &mut Vec<u8>,
    mtu: usize,
    prefix: &[u8],
    nal_type: u8,
    body: &[u8],
    last: bool,
    emit: &mut dyn FnMut(&[u8], bool),
) -> Result<usize, CodecError> {
    check_mtu(mtu, prefix.len() + 1)?;
    let chunk = mtu - prefix.len() - 1;
    let n = body.len().div_ceil(chunk);
    for (k, part) in body.chunks(chunk).enumerate() {
        let mut fu = nal_type;
        if k == 0 {
            fu |= 0x80;
        }
        if k + 1 == n {
            fu |= 0x40;
        }
        scratch.clear();
        scratch.extend_from_slice(prefix);
        scratch.push(fu);
        scratch.extend_from_slice(part);
        emit(scratch, last && k + 1 == n);
    }
    Ok(n)
}

pub(crate) fn bounded_extend(
    frame: &mut Vec<u8>,
    data: &[u8],
    limit: usize,
) -> Result<(), CodecError> {
    if frame.len() + data.len() > limit {
        return Err(CodecError::FrameTooLarge { limit });
    }
    frame.extend_from_slice(data);
    Ok(())
}

/// Iterates the NAL units of an H.264/H.265 Annex-B byte stream (ITU-T H.264 Annex B):
/// units are separated by `00 00 01` or `00 00 00 01` start codes; bytes before the first
/// start code (none in a well-formed stream) are returned as a unit too, trailing zero
/// bytes of a unit are trimmed.
pub fn annexb_nal_units(stream: &[u8]) -> AnnexBUnits<'_> {
    let pos = find_start_code(stream, 0).map_or(0, |(s, len)| if s == 0 { len } else { 0 });
    AnnexBUnits { data: stream, pos }
}

/// Iterator returned by [`annexb_nal_units`].
#[derive(Debug, Clone)]
pub struct AnnexBUnits<'a> {
    data: &'a [u8],
    pos: usize,
}

/// Finds the next `00 00 01` at or after `from`; returns (index of first zero, code length)
/// where a preceding extra zero is folded into a 4-byte code.
fn find_start_code(d: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while i + 3 <= d.len() {
        // skip quickly: the third byte of a start code is 1, and a 1 in position i+2
        // is needed; if d[i+2] > 1 no code can start at i, i+1 or i+2.
        if d[i + 2] > 1 {
            i += 3;
            continue;
        }
        if d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1 {
            if i > from && d[i - 1] == 0 {
                return Some((i - 1, 4));
            }
            return Some((i, 3));
        }
        i += 1;
    }
    None
}

impl<'a> Iterator for AnnexBUnits<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        while self.pos < self.data.len() {
            let start = self.pos;
            let (end, next) = match find_start_code(self.data, start) {
                Some((s, len)) => (s, s + len),
                None => (self.data.len(), self.data.len()),
            };
            self.pos = next;
            let mut unit = &self.data[start..end];
            while let [rest @ .., 0] = unit {
                unit = rest;
            }
            if !unit.is_empty() {
                return Some(unit);
            }
        }
        None
    }
}

/// The 4-byte Annex-B start code the depayloaders write before each NAL unit.
pub(crate) const START_CODE: [u8; 4] = [0, 0, 0, 1];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annexb_split() {
        let s = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 0, 0, 3, 1, 0,
        ];
        let v: Vec<_> = annexb_nal_units(&s).collect();
        assert_eq!(v, vec![&[0x67, 1, 2][..], &[0x68, 3], &[0x65, 0, 0, 3, 1]]);
        assert_eq!(
            annexb_nal_units(&[0x65, 1]).collect::<Vec<_>>(),
            vec![&[0x65, 1][..]]
        );
        assert_eq!(annexb_nal_units(&[0, 0, 1]).count(), 0);
        assert_eq!(annexb_nal_units(&[]).count(), 0);
    }
}
