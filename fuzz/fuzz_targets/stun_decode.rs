//! STUN message decode: framing, FINGERPRINT, every typed attribute, integrity check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxrtc_ice::stun::{Key, MessageRef};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = MessageRef::decode(data) {
        for a in m.attributes() {
            let _ = a;
        }
        let _ = m.unknown_required().count();
        let _ = m.check_integrity(&Key::short_term("fuzz"));
        let _ = m
            .to_message()
            .to_bytes(oxrtc_ice::stun::Integrity::None, true);
    }
});
