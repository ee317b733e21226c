//! Record layer parsing: every record of a datagram and the handshake fragments inside.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxrtc_dtls::handshake::Fragment;
use oxrtc_dtls::record::Record;

fuzz_target!(|data: &[u8]| {
    for record in Record::iter(data) {
        let _ = Fragment::parse_all(record.payload);
    }
});
