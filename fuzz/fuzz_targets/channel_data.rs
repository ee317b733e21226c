//! TURN ChannelData decode and TCP stream framing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxrtc_ice::turn::{frame_len, ChannelData};

fuzz_target!(|data: &[u8]| {
    if let Ok(cd) = ChannelData::decode(data) {
        let mut out = Vec::new();
        cd.encode(true, &mut out)
            .expect("a decoded message re-encodes");
        assert_eq!(ChannelData::decode(&out), Ok(cd));
    }
    let _ = frame_len(data);
});
