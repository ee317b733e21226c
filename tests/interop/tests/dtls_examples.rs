//! The `dtls-server` and `dtls-client` examples, run as a user runs them: the client
//! handshakes with the server over loopback UDP, both print the same cipher, SRTP profile
//! and keying material, each prints the other's certificate fingerprint, and the text the
//! client sends comes back as `received: <text>`.
//!
//! The example binaries are built by `cargo test --workspace` (cargo builds every
//! example of the workspace before it runs tests), next to this test's executable.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// `<target>/<profile>/examples/<name>`, found from this test's own path
/// (`<target>/<profile>/deps/<test>`).
fn example_binary(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let path = profile_dir.join("examples").join(name);
    if path.is_file() {
        return Some(path);
    }
    if oxrtc_interop::interop_required() {
        panic!(
            "example `{name}` is not built at {}: run `cargo test --workspace`",
            path.display()
        );
    }
    eprintln!("skipping: example `{name}` is not built (run `cargo test --workspace`)");
    None
}

/// Kills the child when the test ends, pass or fail.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The value of the first `key: value` line in `lines`.
fn value_of<'a>(lines: &'a [String], key: &str) -> Option<&'a str> {
    let prefix = format!("{key}: ");
    lines.iter().find_map(|l| l.strip_prefix(prefix.as_str()))
}

/// Hex digits of a fingerprint in either printed form (`sha-256 AB:CD..` or `sha-256 abcd..`).
fn fingerprint_hex(printed: &str) -> String {
    printed
        .split_once(' ')
        .map_or(printed, |(_, hex)| hex)
        .replace(':', "")
        .to_ascii_lowercase()
}

#[test]
fn dtls_client_example_handshakes_with_dtls_server_example() {
    let (Some(server_bin), Some(client_bin)) =
        (example_binary("dtls-server"), example_binary("dtls-client"))
    else {
        return;
    };
    for profile in ["SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_SHA1_80"] {
        let mut server = Reaped(
            Command::new(&server_bin)
                .args(["--listen", "127.0.0.1:0", "--srtp-profiles", profile])
                .stdout(Stdio::piped())
                .spawn()
                .expect("start dtls-server"),
        );
        // Server output arrives line by line on a thread, so the test can wait with a deadline.
        let (lines_tx, lines_rx) = mpsc::channel();
        let stdout = server.0.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server_lines = Vec::new();
        let next_line = |lines: &mut Vec<String>| {
            let line = lines_rx
                .recv_timeout(Duration::from_secs(20))
                .expect("dtls-server printed nothing for 20 s");
            lines.push(line);
        };
        while value_of(&server_lines, "listening").is_none()
            || value_of(&server_lines, "fingerprint").is_none()
        {
            next_line(&mut server_lines);
        }
        let address = value_of(&server_lines, "listening").unwrap().to_string();

        let client = Command::new(&client_bin)
            .args(["--connect", &address, "--srtp-profiles", profile])
            .args(["--send", "hello over dtls"])
            .output()
            .expect("run dtls-client");
        let client_out = String::from_utf8_lossy(&client.stdout);
        assert!(
            client.status.success(),
            "dtls-client failed: {}\n{client_out}",
            String::from_utf8_lossy(&client.stderr)
        );
        let client_lines: Vec<String> = client_out.lines().map(str::to_string).collect();
        assert_eq!(value_of(&client_lines, "received"), Some("hello over dtls"));

        while value_of(&server_lines, "peer-fingerprint").is_none() {
            next_line(&mut server_lines);
        }
        for key in ["cipher", "srtp-profile", "keying-material"] {
            let ours = value_of(&client_lines, key);
            assert!(ours.is_some(), "dtls-client printed no `{key}:` line");
            assert_eq!(ours, value_of(&server_lines, key), "`{key}:` differs");
        }
        assert_eq!(value_of(&client_lines, "srtp-profile"), Some(profile));
        // Key and salt lengths of the profile: 2 * (16 + 12) for AES-128-GCM,
        // 2 * (16 + 14) for AES-CM; printed as hex.
        let material_len = value_of(&client_lines, "keying-material").unwrap().len() / 2;
        let expected = if profile.contains("GCM") { 56 } else { 60 };
        assert_eq!(material_len, expected);
        // The client saw the server's certificate: the one the server announced.
        assert_eq!(
            fingerprint_hex(value_of(&client_lines, "peer-fingerprint").unwrap()),
            fingerprint_hex(value_of(&server_lines, "fingerprint").unwrap())
        );
        assert!(value_of(&server_lines, "peer-fingerprint")
            .unwrap()
            .starts_with("sha-256 "));
    }
}
