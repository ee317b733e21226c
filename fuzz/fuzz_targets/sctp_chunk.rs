//! SCTP packet and chunk parsing: no panic, and parsed chunks re-encode losslessly.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oxrtc_sctp::fuzzing::chunk(data));
