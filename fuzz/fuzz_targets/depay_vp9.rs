#![no_main]
use libfuzzer_sys::fuzz_target;
use oxrtc_rtp::codecs::{Depayloader, Vp9Depayloader};

// Input: packets as [len u8][payload], fed in order to one depayloader.
fuzz_target!(|data: &[u8]| {
    let mut d = Vp9Depayloader::default();
    let mut frame = Vec::new();
    let mut rest = data;
    while let [len, tail @ ..] = rest {
        let n = (*len as usize).min(tail.len());
        let (payload, next) = tail.split_at(n);
        let _ = (d.is_frame_start(payload), d.is_keyframe(payload));
        if d.depayload(payload, &mut frame).is_err() {
            d.reset();
        }
        rest = next;
    }
});
