#![no_main]
use libfuzzer_sys::fuzz_target;
use oxrtc_rtp::codecs::OpusDepayloader;

// Input: packets as [len u8][payload], fed in order to one depayloader.
fuzz_target!(|data: &[u8]| oxrtc_fuzz::feed_depayloader(&mut OpusDepayloader, data));
