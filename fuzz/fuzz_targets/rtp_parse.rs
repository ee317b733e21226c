#![no_main]
use libfuzzer_sys::fuzz_target;
use oxrtc_rtp::{header_len, RtpPacket, RtpPacketMut};

fuzz_target!(|data: &[u8]| {
    let hl = header_len(data);
    if let Ok(p) = RtpPacket::parse(data) {
        assert_eq!(hl, Ok(p.header_len()));
        let _ = p.csrcs().count();
        for e in p.extensions() {
            let _ = p.extension(e.id);
        }
        let _ = (p.payload(), p.padding_len(), p.extension_data());
        let mut buf = data.to_vec();
        if let Ok(mut m) = RtpPacketMut::new(&mut buf) {
            m.set_ssrc(1);
            m.rewrite_extensions(|id, d| {
                d.iter_mut().for_each(|b| *b ^= 0xFF);
                (id % 3 != 0).then_some(id.wrapping_add(1))
            });
            // an in-place rewrite keeps the packet valid
            RtpPacket::parse(&buf).expect("rewritten packet parses");
        }
    }
});
