//! Drivers shared by several fuzz targets.

#![forbid(unsafe_code)]

use oxrtc_rtp::codecs::Depayloader;

/// Feeds `data`, read as packets `[len u8][payload]`, in order to one depayloader,
/// exercising its frame-boundary and keyframe checks too; an error resets it, as a
/// receiver would after a malformed packet.
pub fn feed_depayloader(depayloader: &mut impl Depayloader, data: &[u8]) {
    let mut frame = Vec::new();
    let mut rest = data;
    while let [len, tail @ ..] = rest {
        let n = (*len as usize).min(tail.len());
        let (payload, next) = tail.split_at(n);
        let _ = (
            depayloader.is_frame_start(payload),
            depayloader.is_keyframe(payload),
        );
        if depayloader.depayload(payload, &mut frame).is_err() {
            depayloader.reset();
        }
        rest = next;
    }
}
