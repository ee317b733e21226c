//! Handshake message parsers: the first byte picks the message type, the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&msg_type, body)) = data.split_first() {
        let _ = oxrtc_dtls::handshake::parse_any(msg_type, body);
    }
});
