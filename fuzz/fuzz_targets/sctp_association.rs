//! An established SCTP association fed arbitrary packets (with its real header and a valid
//! checksum) and timer ticks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oxrtc_sctp::fuzzing::association(data));
