#![no_main]
use libfuzzer_sys::fuzz_target;
use oxrtc_rtp::rtcp::{Compound, RtcpPacket};

fuzz_target!(|data: &[u8]| {
    let mut out = [0u8; 2048];
    for p in Compound::new(data).flatten() {
        let len = p.encoded_len();
        if len <= out.len() {
            let n = p.write(&mut out).expect("parsed packets re-encode");
            assert_eq!(n, len);
            RtcpPacket::parse(&out[..n]).expect("re-encoded packets parse");
        }
    }
});
