//! SRTP and SRTCP against libsrtp (through PyPI `pylibsrtp`, the library inside browsers'
//! and aiortc's SRTP), for all four DTLS-SRTP profiles.
//!
//! For random RTP and RTCP packets (CSRCs, header extensions, sizes up to 1200 bytes, three
//! SSRCs whose sequence numbers cross the 2^16 wrap), oxrtc and libsrtp protect the same
//! plaintext under the same master key and must produce the same bytes; each then
//! unprotects the other's output back to the plaintext, and both refuse tampered and
//! replayed packets.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use oxrtc_srtp::{Config, Context, Error, ProtectionProfile};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// The Python side: `scripts/srtp_libsrtp.py` answering one line per command.
struct Libsrtp {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Libsrtp {
    fn start() -> Option<Self> {
        let python = oxrtc_interop::require_python_venv()?;
        let script = oxrtc_interop::interop_dir().join("scripts/srtp_libsrtp.py");
        let mut child = Command::new(python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the libsrtp script");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Some(Self {
            child,
            stdin,
            stdout,
        })
    }

    fn send(&mut self, line: &str) -> Result<Vec<u8>, String> {
        writeln!(self.stdin, "{line}").expect("write to the libsrtp script");
        let mut answer = String::new();
        self.stdout
            .read_line(&mut answer)
            .expect("read from the libsrtp script");
        let answer = answer.trim_end();
        match answer.split_once(' ') {
            Some(("ok", data)) => Ok(hex::decode(data).expect("hex from the script")),
            None if answer == "ok" => Ok(Vec::new()),
            Some(("err", why)) => Err(why.to_string()),
            _ => panic!("unexpected answer from the libsrtp script: {answer:?}"),
        }
    }

    fn call(&mut self, command: &str, packet: &[u8]) -> Result<Vec<u8>, String> {
        self.send(&format!("{command} {}", hex::encode(packet)))
    }
}

impl Drop for Libsrtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn random_rtp(rng: &mut ChaCha20Rng, seq: u16, ssrc: u32) -> Vec<u8> {
    let r = rng.next_u32();
    let cc = (r & 3) as u8;
    let ext_words = if r & 4 != 0 { 1 + (r >> 3) % 4 } else { 0 } as usize;
    let mut packet = vec![
        0x80 | cc | if ext_words > 0 { 0x10 } else { 0 },
        96 | (r >> 8) as u8 & 0x80,
    ];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&rng.next_u32().to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    let mut rest = vec![0u8; 4 * usize::from(cc)];
    rng.fill_bytes(&mut rest);
    packet.extend_from_slice(&rest);
    if ext_words > 0 {
        packet.extend_from_slice(&[0xbe, 0xde, 0, ext_words as u8]);
        let mut ext = vec![0u8; 4 * ext_words];
        rng.fill_bytes(&mut ext);
        packet.extend_from_slice(&ext);
    }
    let mut payload = vec![0u8; (rng.next_u32() % 1201) as usize];
    rng.fill_bytes(&mut payload);
    packet.extend_from_slice(&payload);
    packet
}

fn random_rtcp(rng: &mut ChaCha20Rng, ssrc: u32) -> Vec<u8> {
    let words = (rng.next_u32() % 60) as usize;
    let pt = 200 + (rng.next_u32() % 5) as u8;
    let mut packet = vec![0x80 | (rng.next_u32() % 4) as u8, pt];
    packet.extend_from_slice(&(words as u16 + 1).to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    let mut body = vec![0u8; 4 * words];
    rng.fill_bytes(&mut body);
    packet.extend_from_slice(&body);
    packet
}

#[test]
fn oxrtc_and_libsrtp_agree_on_every_profile() {
    let Some(mut libsrtp) = Libsrtp::start() else {
        return;
    };
    let mut rng = ChaCha20Rng::seed_from_u64(0x5352_5450);
    for profile in ProtectionProfile::ALL {
        let mut key = vec![0u8; profile.master_key_len()];
        let mut salt = vec![0u8; profile.master_salt_len()];
        rng.fill_bytes(&mut key);
        rng.fill_bytes(&mut salt);
        libsrtp
            .send(&format!(
                "session {} {} {}",
                profile.name(),
                hex::encode(&key),
                hex::encode(&salt)
            ))
            .expect("libsrtp session");
        let mut tx = Context::new(profile, &key, &salt, Config::default()).unwrap();
        let mut rx = Context::new(profile, &key, &salt, Config::default()).unwrap();

        // Three streams starting just before the sequence number wrap.
        let mut streams: Vec<(u32, u16)> = (0..3)
            .map(|_| (rng.next_u32(), 65_500 + (rng.next_u32() % 30) as u16))
            .collect();
        for round in 0..150 {
            let stream = (rng.next_u32() % 3) as usize;
            let (ssrc, seq) = streams[stream];
            streams[stream].1 = seq.wrapping_add(1 + (rng.next_u32() % 3) as u16);

            let plain = random_rtp(&mut rng, seq, ssrc);
            let mut ours = plain.clone();
            tx.protect_rtp(&mut ours).unwrap();
            let theirs = libsrtp
                .call("protect_rtp", &plain)
                .expect("libsrtp protect");
            assert_eq!(ours, theirs, "{profile} SRTP round {round} seq {seq}");
            assert_eq!(
                libsrtp.call("unprotect_rtp", &ours),
                Ok(plain.clone()),
                "{profile} libsrtp unprotects oxrtc, round {round}"
            );
            let mut back = theirs.clone();
            rx.unprotect_rtp(&mut back).unwrap();
            assert_eq!(
                back, plain,
                "{profile} oxrtc unprotects libsrtp, round {round}"
            );

            let plain = random_rtcp(&mut rng, ssrc);
            let mut ours = plain.clone();
            tx.protect_rtcp(&mut ours).unwrap();
            let theirs = libsrtp
                .call("protect_rtcp", &plain)
                .expect("libsrtp protect_rtcp");
            assert_eq!(ours, theirs, "{profile} SRTCP round {round}");
            assert_eq!(
                libsrtp.call("unprotect_rtcp", &ours),
                Ok(plain.clone()),
                "{profile} libsrtp unprotects oxrtc SRTCP, round {round}"
            );
            let mut back = theirs.clone();
            rx.unprotect_rtcp(&mut back).unwrap();
            assert_eq!(
                back, plain,
                "{profile} oxrtc unprotects libsrtp SRTCP, round {round}"
            );

            if round % 10 == 0 {
                // Replays and tampering are refused by both.
                assert!(libsrtp.call("unprotect_rtcp", &ours).is_err());
                assert!(matches!(
                    rx.unprotect_rtcp(&mut theirs.clone()),
                    Err(Error::Replayed { .. })
                ));
                let mut forged = theirs.clone();
                let at = (rng.next_u32() as usize) % forged.len();
                forged[at] ^= 1 << (rng.next_u32() % 8);
                if at >= 8 {
                    assert!(libsrtp.call("unprotect_rtcp", &forged).is_err());
                    assert!(rx.unprotect_rtcp(&mut forged).is_err());
                }
            }
        }
        assert_eq!(
            rx.receive_roc(streams[0].0),
            Some(1),
            "{profile}: the wrap was crossed"
        );
    }
}
