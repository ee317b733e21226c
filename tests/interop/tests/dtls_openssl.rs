//! oxrtc-dtls against OpenSSL's command line, both roles, over UDP on 127.0.0.1:
//! `openssl s_server -dtls1_2 -use_srtp .. -keymatexport EXTRACTOR-dtls_srtp` ↔ our client,
//! and our server ↔ `openssl s_client -dtls1_2 ..`. The keying material OpenSSL prints must
//! equal ours, and application data must flow both ways (OpenSSL's stdin/stdout).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oxrtc_dtls::{
    Certificate, CipherSuite, Config, Connection, Endpoint, Event, HashAlgorithm, NamedGroup,
    SrtpProfile,
};

/// An OpenSSL process whose stdout lines arrive on a channel.
struct OpenSsl {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl OpenSsl {
    fn spawn(openssl: &Path, args: &[String]) -> Self {
        let mut child = Command::new(openssl)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn openssl");
        let stdin = child.stdin.take().unwrap();
        let (tx, lines) = channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx2.send(format!("stderr: {line}"));
            }
        });
        Self {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// Collects lines that arrived so far; returns the first one containing `needle`.
    fn find(&mut self, needle: &str) -> Option<String> {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.seen.iter().find(|l| l.contains(needle)).cloned()
    }

    fn wait_for(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.find(needle) {
                return l;
            }
            assert!(
                Instant::now() < deadline,
                "openssl never printed {needle:?}; output:\n{}",
                self.seen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn send_line(&mut self, text: &str) {
        writeln!(self.stdin, "{text}").unwrap();
        self.stdin.flush().unwrap();
    }
}

impl Drop for OpenSsl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Files {
    dir: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write_pem(cert: &Certificate, tag: &str) -> Files {
    let dir = std::env::temp_dir().join(format!(
        "oxrtc-dtls-openssl-{tag}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (c, k) = cert.to_pem();
    let files = Files {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
        dir,
    };
    std::fs::write(&files.cert, c).unwrap();
    std::fs::write(&files.key, k).unwrap();
    files
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Parses OpenSSL's `    Keying material: 0A1B...` line.
fn keying_material(line: &str) -> Vec<u8> {
    let hex_part = line.split(':').nth(1).unwrap().trim();
    hex::decode(hex_part).unwrap()
}

struct Case {
    profile: SrtpProfile,
    suite: CipherSuite,
    group: NamedGroup,
    /// OpenSSL's name for the suite.
    openssl_cipher: &'static str,
    openssl_group: &'static str,
}

fn default_case() -> Case {
    Case {
        profile: SrtpProfile::Aes128CmHmacSha1_80,
        suite: CipherSuite::EcdheEcdsaWithAes128GcmSha256,
        group: NamedGroup::X25519,
        openssl_cipher: "ECDHE-ECDSA-AES128-GCM-SHA256",
        openssl_group: "X25519",
    }
}

fn common_openssl_args(case: &Case, files: &Files) -> Vec<String> {
    // OpenSSL only accepts ECDSA keys on curves listed in -groups, and our
    // certificates are on P-256, so P-256 stays in the list; our side offers only
    // `case.group`, which makes the negotiated group deterministic.
    let groups = if case.openssl_group == "P-256" {
        "P-256".to_string()
    } else {
        format!("{}:P-256", case.openssl_group)
    };
    [
        "-dtls1_2",
        "-cert",
        files.cert.to_str().unwrap(),
        "-key",
        files.key.to_str().unwrap(),
        "-use_srtp",
        case.profile.openssl_name(),
        "-keymatexport",
        "EXTRACTOR-dtls_srtp",
        "-keymatexportlen",
        &case.profile.keying_material_len().to_string(),
        "-cipher",
        case.openssl_cipher,
        "-groups",
        &groups,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// openssl s_server ↔ oxrtc client.
fn openssl_server_oxrtc_client(case: Case, server_cert: Certificate) {
    let Some(openssl) = oxrtc_interop::require_program("openssl") else {
        return;
    };
    let files = write_pem(&server_cert, "server");
    let port = free_port();
    let mut args = vec![
        "s_server".to_string(),
        "-accept".into(),
        format!("127.0.0.1:{port}"),
        // Request a client certificate; it is self-signed, so do not fail on verification.
        "-verify".into(),
        "1".into(),
    ];
    args.extend(common_openssl_args(&case, &files));
    let mut server = OpenSsl::spawn(&openssl, &args);
    server.wait_for("ACCEPT", Duration::from_secs(10));

    let client_cert = Certificate::generate().unwrap();
    let mut config = Config::new(client_cert);
    config.srtp_profiles = vec![case.profile];
    config.cipher_suites = vec![case.suite];
    // RFC 8422 §5.1: the client's supported_groups also names the curves it accepts in the
    // server's ECDSA certificate, so P-256 must stay listed; `case.group` comes first and
    // OpenSSL follows the client's order.
    config.groups = vec![case.group];
    config
        .groups
        .extend(NamedGroup::ALL.into_iter().filter(|g| *g != case.group));
    config.expected_peer_fingerprints = vec![server_cert.fingerprint(HashAlgorithm::Sha256)];
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    socket.connect(peer).unwrap();
    let mut conn = Connection::client(Arc::new(config), Instant::now());

    let mut ours = None;
    let mut received = Vec::new();
    let mut sent = false;
    let mut replied = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = vec![0u8; 65536];
    while !received.ends_with(b"\n") {
        assert!(
            Instant::now() < deadline,
            "timed out; openssl said:\n{}",
            server.seen.join("\n")
        );
        while let Some(d) = conn.poll_transmit() {
            socket.send(&d).unwrap();
        }
        while let Some(e) = conn.poll_event() {
            match e {
                Event::Connected {
                    srtp_keying_material,
                    srtp_profile,
                    cipher_suite,
                    ..
                } => {
                    assert_eq!(srtp_profile, Some(case.profile));
                    assert_eq!(cipher_suite, case.suite);
                    ours = srtp_keying_material.map(|k| k.as_bytes().to_vec());
                }
                Event::ApplicationData(d) => received.extend_from_slice(&d),
                Event::Closed { reason } => {
                    panic!(
                        "closed: {reason:?}; openssl said:\n{}",
                        server.seen.join("\n")
                    )
                }
                _ => {}
            }
        }
        if ours.is_some() && !sent {
            conn.send_application_data(b"hello from oxrtc\n").unwrap();
            sent = true;
            continue;
        }
        if sent && !replied && server.find("hello from oxrtc").is_some() {
            server.send_line("hello from openssl");
            replied = true;
        }
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        if let Ok(n) = socket.recv(&mut buf) {
            let _ = conn.handle_receive(Instant::now(), &buf[..n]);
        }
        conn.handle_timeout(Instant::now());
    }
    let line = server.wait_for("Keying material:", Duration::from_secs(5));
    assert_eq!(
        Some(keying_material(&line)),
        ours,
        "exported SRTP keys differ"
    );
    assert_eq!(
        server.wait_for("SRTP Extension negotiated", Duration::from_secs(1)),
        format!(
            "SRTP Extension negotiated, profile={}",
            case.profile.openssl_name()
        )
    );
    assert_eq!(received, b"hello from openssl\n");
    conn.close();
    while let Some(d) = conn.poll_transmit() {
        socket.send(&d).unwrap();
    }
}

/// oxrtc server ↔ openssl s_client.
fn oxrtc_server_openssl_client(case: Case) {
    oxrtc_server_openssl_client_with(case, Certificate::generate().unwrap());
}

fn oxrtc_server_openssl_client_with(case: Case, server_cert: Certificate) {
    let Some(openssl) = oxrtc_interop::require_program("openssl") else {
        return;
    };
    let client_cert = Certificate::generate().unwrap();
    let files = write_pem(&client_cert, "client");
    let mut config = Config::new(server_cert);
    config.srtp_profiles = vec![case.profile];
    config.cipher_suites = vec![case.suite];
    config.groups = vec![case.group];
    config.expected_peer_fingerprints = vec![client_cert.fingerprint(HashAlgorithm::Sha256)];
    let mut endpoint = Endpoint::new(Arc::new(config));
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();

    let mut args = vec![
        "s_client".to_string(),
        "-connect".into(),
        format!("127.0.0.1:{port}"),
    ];
    args.extend(common_openssl_args(&case, &files));
    let mut client = OpenSsl::spawn(&openssl, &args);

    let mut ours = None;
    let mut received = Vec::new();
    let mut sent = false;
    let mut asked = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = vec![0u8; 65536];
    while !(received.ends_with(b"hello from openssl\n")
        && client.find("hello from openssl").is_some()
        && sent)
    {
        assert!(
            Instant::now() < deadline,
            "timed out (received {:?}); openssl said:\n{}",
            String::from_utf8_lossy(&received),
            client.seen.join("\n")
        );
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        if let Ok((n, from)) = socket.recv_from(&mut buf) {
            assert!(from.ip().is_loopback());
            endpoint.handle_receive(Instant::now(), from, &buf[..n]);
        }
        endpoint.handle_timeout(Instant::now());
        while let Some((peer, e)) = endpoint.poll_event() {
            match e {
                Event::Connected {
                    srtp_keying_material,
                    srtp_profile,
                    cipher_suite,
                    ..
                } => {
                    assert_eq!(srtp_profile, Some(case.profile));
                    assert_eq!(cipher_suite, case.suite);
                    ours = srtp_keying_material.map(|k| k.as_bytes().to_vec());
                }
                Event::ApplicationData(d) => {
                    received.extend_from_slice(&d);
                    // Echo, as the dtls-server example does.
                    endpoint.send_application_data(peer, &d).unwrap();
                    sent = true;
                }
                Event::Closed { reason } => {
                    panic!(
                        "closed: {reason:?}; openssl said:\n{}",
                        client.seen.join("\n")
                    )
                }
                _ => {}
            }
        }
        while let Some(t) = endpoint.poll_transmit() {
            socket.send_to(&t.contents, t.destination).unwrap();
        }
        if ours.is_some() && !asked && client.find("Keying material:").is_some() {
            client.send_line("hello from openssl");
            asked = true;
        }
    }
    let line = client.wait_for("Keying material:", Duration::from_secs(1));
    assert_eq!(
        Some(keying_material(&line)),
        ours,
        "exported SRTP keys differ"
    );
    assert_eq!(
        client.wait_for("SRTP Extension negotiated", Duration::from_secs(1)),
        format!(
            "SRTP Extension negotiated, profile={}",
            case.profile.openssl_name()
        )
    );
    // The echo of what s_client sent came back and was printed.
    assert!(
        client
            .seen
            .iter()
            .filter(|l| l.contains("hello from openssl"))
            .count()
            >= 1
    );
}

#[test]
fn openssl_server_with_oxrtc_client() {
    openssl_server_oxrtc_client(default_case(), Certificate::generate().unwrap());
}

#[test]
fn oxrtc_server_with_openssl_client() {
    oxrtc_server_openssl_client(default_case());
}

fn other_cases() -> Vec<Case> {
    vec![
        Case {
            profile: SrtpProfile::AeadAes128Gcm,
            suite: CipherSuite::EcdheEcdsaWithAes256GcmSha384,
            group: NamedGroup::Secp256r1,
            openssl_cipher: "ECDHE-ECDSA-AES256-GCM-SHA384",
            openssl_group: "P-256",
        },
        Case {
            profile: SrtpProfile::AeadAes256Gcm,
            suite: CipherSuite::EcdheEcdsaWithChacha20Poly1305Sha256,
            group: NamedGroup::Secp384r1,
            openssl_cipher: "ECDHE-ECDSA-CHACHA20-POLY1305",
            openssl_group: "P-384",
        },
        Case {
            profile: SrtpProfile::Aes128CmHmacSha1_32,
            suite: CipherSuite::EcdheEcdsaWithAes128GcmSha256,
            group: NamedGroup::Secp256r1,
            openssl_cipher: "ECDHE-ECDSA-AES128-GCM-SHA256",
            openssl_group: "P-256",
        },
    ]
}

#[test]
fn other_suites_groups_and_profiles_both_roles() {
    for case in other_cases() {
        openssl_server_oxrtc_client(case, Certificate::generate().unwrap());
    }
    for case in other_cases() {
        oxrtc_server_openssl_client(case);
    }
}

/// An RSA certificate made by OpenSSL itself.
fn openssl_rsa_certificate(openssl: &Path) -> Certificate {
    let dir = std::env::temp_dir().join(format!(
        "oxrtc-dtls-rsa-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("c.pem"), dir.join("k.pem"));
    let status = Command::new(openssl)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=rsa",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let rsa = Certificate::from_pem(
        &std::fs::read_to_string(&cert).unwrap(),
        &std::fs::read_to_string(&key).unwrap(),
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    rsa
}

fn rsa_cases() -> Vec<Case> {
    [
        (
            CipherSuite::EcdheRsaWithAes128GcmSha256,
            "ECDHE-RSA-AES128-GCM-SHA256",
        ),
        (
            CipherSuite::EcdheRsaWithAes256GcmSha384,
            "ECDHE-RSA-AES256-GCM-SHA384",
        ),
    ]
    .into_iter()
    .map(|(suite, name)| Case {
        profile: SrtpProfile::Aes128CmHmacSha1_80,
        suite,
        group: NamedGroup::X25519,
        openssl_cipher: name,
        openssl_group: "X25519",
    })
    .collect()
}

/// OpenSSL's RSA server: we verify its RSA signatures with ring.
#[test]
fn openssl_rsa_server_with_ecdhe_rsa_suites() {
    let Some(openssl) = oxrtc_interop::require_program("openssl") else {
        return;
    };
    let rsa = openssl_rsa_certificate(&openssl);
    for case in rsa_cases() {
        openssl_server_oxrtc_client(case, rsa.clone());
    }
}

/// Our server with an RSA certificate: OpenSSL verifies the signatures we make with ring.
#[test]
fn oxrtc_rsa_server_with_openssl_client() {
    let Some(openssl) = oxrtc_interop::require_program("openssl") else {
        return;
    };
    let rsa = openssl_rsa_certificate(&openssl);
    for case in rsa_cases() {
        oxrtc_server_openssl_client_with(case, rsa.clone());
    }
}
