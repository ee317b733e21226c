#![no_main]
use libfuzzer_sys::fuzz_target;
use oxrtc_rtp::codecs::G711Depayloader;

// Input: packets as [len u8][payload], fed in order to one depayloader.
fuzz_target!(|data: &[u8]| oxrtc_fuzz::feed_depayloader(&mut G711Depayloader, data));
