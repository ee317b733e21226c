//! Media files for play-from-disk and save-to-disk: IVF (VP8, VP9, AV1), Ogg Opus
//! (RFC 7845) and H.264/H.265 Annex-B byte streams. Readers bound every size they read.

mod annexb;
mod ivf;
mod ogg;

pub use annexb::{AnnexBReader, Codec as AnnexBCodec, NalUnit, DEFAULT_MAX_NAL};
pub use ivf::{IvfFrame, IvfHeader, IvfReader, IvfWriter, DEFAULT_MAX_FRAME};
pub use ogg::{OggOpusReader, OggOpusWriter, OpusHead, DEFAULT_MAX_PACKET};
