//! Typed RTP header extensions (RFC 8285 elements). Each type parses the element data
//! found with [`crate::RtpPacket::extension`] and writes it back for
//! [`crate::Extension`]; extensions without a type here stay raw bytes.

mod abs_capture_time;
mod abs_send_time;
mod audio_level;
mod dependency_descriptor;
mod playout_delay;
mod sdes;
mod transport_cc;
mod video_orientation;

pub use abs_capture_time::AbsCaptureTime;
pub use abs_send_time::AbsSendTime;
pub use audio_level::AudioLevel;
pub use dependency_descriptor::{
    DecodeTargetIndication, DependencyDescriptor, FrameDependencies, FrameDependencyStructure,
    FrameDependencyTemplate, DEPENDENCY_DESCRIPTOR_URI,
};
pub use playout_delay::PlayoutDelay;
pub use sdes::{Mid, RepairedRtpStreamId, RtpStreamId};
pub use transport_cc::TransportSequenceNumber;
pub use video_orientation::{Rotation, VideoOrientation};

use crate::error::ExtensionError;

/// A header extension with a fixed-size or self-describing encoding.
pub trait HeaderExtension<'a>: Sized {
    /// The `a=extmap` URI that names it.
    const URI: &'static str;
    /// Parses element data.
    fn parse(data: &'a [u8]) -> Result<Self, ExtensionError>;
    /// Encoded data length.
    fn encoded_len(&self) -> usize;
    /// Writes the element data into `buf`, returning its length.
    fn write(&self, buf: &mut [u8]) -> Result<usize, ExtensionError>;
}

pub(crate) fn check_out(buf: &[u8], needed: usize) -> Result<(), ExtensionError> {
    if buf.len() < needed {
        return Err(ExtensionError::BufferTooSmall {
            needed,
            have: buf.len(),
        });
    }
    Ok(())
}

pub(crate) fn exact<const N: usize>(
    name: &'static str,
    data: &[u8],
) -> Result<[u8; N], ExtensionError> {
    data.try_into().map_err(|_| ExtensionError::BadLength {
        name,
        len: data.len(),
    })
}

#[cfg(test)]
pub(crate) fn round_trip<'a, T: HeaderExtension<'a> + PartialEq + std::fmt::Debug>(
    v: &T,
    buf: &'a mut [u8],
) -> Vec<u8> {
    let n = v.write(buf).unwrap();
    assert_eq!(n, v.encoded_len());
    let out = buf[..n].to_vec();
    let back = T::parse(&buf[..n]).unwrap();
    assert_eq!(&back, v);
    out
}
