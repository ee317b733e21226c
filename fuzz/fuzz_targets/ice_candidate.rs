#![no_main]
//! Candidate lines in the RFC 8839 grammar: parsing never panics, and whatever parses
//! prints back to a line that parses to the same candidate.

use libfuzzer_sys::fuzz_target;
use oxrtc_ice::Candidate;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Candidate::from_sdp_str(s) {
        let again = Candidate::from_sdp_str(&c.to_sdp_string()).expect("printed line parses");
        assert_eq!(again, c);
    }
});
