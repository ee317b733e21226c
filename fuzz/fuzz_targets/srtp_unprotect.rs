//! Arbitrary bytes against a keyed SRTP context: `unprotect_rtp` / `unprotect_rtcp` must
//! return an error, never panic. The first byte picks the profile, MKI and packet kind; with
//! bit 4 set the rest is also protected as a plaintext packet, which must then unprotect to
//! the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxrtc_srtp::{Config, Context, ProtectionProfile};

fn context(profile: ProtectionProfile, config: &Config) -> Context {
    let key = vec![0x42; profile.master_key_len()];
    let salt = vec![0x24; profile.master_salt_len()];
    Context::new(profile, &key, &salt, config.clone()).expect("valid key lengths")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, packet)) = data.split_first() else {
        return;
    };
    let profile = ProtectionProfile::ALL[usize::from(selector & 3)];
    let config = if selector & 4 != 0 {
        Config::default().with_mki(&[1, 2, 3, 4])
    } else {
        Config::default()
    };
    let rtcp = selector & 8 != 0;
    let mut rx = context(profile, &config);
    let mut buf = packet.to_vec();
    let result = if rtcp {
        rx.unprotect_rtcp(&mut buf)
    } else {
        rx.unprotect_rtp(&mut buf)
    };
    if result.is_err() {
        assert_eq!(buf.len(), packet.len());
    }
    if selector & 16 != 0 {
        let mut tx = context(profile, &config);
        let mut rx = context(profile, &config);
        let mut buf = packet.to_vec();
        let protected = if rtcp {
            tx.protect_rtcp(&mut buf)
        } else {
            tx.protect_rtp(&mut buf)
        };
        if protected.is_ok() {
            let back = if rtcp {
                rx.unprotect_rtcp(&mut buf)
            } else {
                rx.unprotect_rtp(&mut buf)
            };
            assert_eq!(back, Ok(()));
            assert_eq!(buf, packet);
        }
    }
});
