//! `oxrtc-sdp`: parsing never panics, and whatever parses re-parses from its written form
//! to an equal value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxrtc_sdp::SessionDescription;

fuzz_target!(|data: &[u8]| {
    if let Ok(desc) = SessionDescription::from_bytes(data) {
        let written = desc.to_string();
        let again: SessionDescription = written
            .parse()
            .unwrap_or_else(|e| panic!("written form does not parse: {e}\n{written}"));
        assert_eq!(again, desc, "round trip changed the value\n{written}");
    }
});
