//! Shared helpers for the interop tests in `tests/interop/tests/`.
//!
//! Each test drives an independent implementation (an OpenSSL command, coturn, a Python
//! script using libsrtp, a browser) against an oxrtc layer on loopback. The tools are
//! installed by `tests/install-deps.sh`, which `tests/run.sh` runs first.
//!
//! When a tool is missing the test cannot prove anything. Under `tests/run.sh` (which sets
//! `OXRTC_INTEROP=1`) that is a failure; in a plain `cargo test` on a developer machine
//! without the tool, the test says so on stderr and returns early.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod peer_process;
pub use peer_process::PeerProcess;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

/// True when the run must fail on a missing interop tool (set by `tests/run.sh` and CI).
pub fn interop_required() -> bool {
    std::env::var_os("OXRTC_INTEROP").is_some_and(|v| v != "0")
}

/// Finds `program` on `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Finds `program`, or decides what a test without it does: panics (failing the test)
/// when interop is required, otherwise prints why it is skipped and returns `None`.
pub fn require_program(program: &str) -> Option<PathBuf> {
    match find_program(program) {
        Some(found) => Some(found),
        None => skip_or_fail(&format!("`{program}` is not installed")),
    }
}

/// The Python interpreter of the interop virtualenv (`tests/interop/.venv`, made by
/// `tests/install-deps.sh`), with the same missing-tool policy as [`require_program`].
pub fn require_python_venv() -> Option<PathBuf> {
    let python = interop_dir().join(".venv/bin/python");
    if python.is_file() {
        Some(python)
    } else {
        skip_or_fail(
            "the interop virtualenv tests/interop/.venv is missing (run tests/install-deps.sh)",
        )
    }
}

/// The directory of the interop crate (scripts live beside the tests).
pub fn interop_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where Debian's `golang-github-pion-*-dev` packages put their sources (GOPATH layout).
const DEBIAN_GOCODE: &str = "/usr/share/gocode";

/// Go programs built in this process, by name: each is built at most once per test run.
static PION_BUILDS: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);

/// Builds the Go program `tests/interop/pion/<name>` (a peer made of Pion's libraries from
/// Debian) and returns its path, with the same missing-tool policy as [`require_program`]:
/// `go` and the Go source directories in `needs` (each with the Debian package providing
/// it, e.g. `("github.com/pion/dtls/v2", "golang-github-pion-dtls.v2-dev")`) must exist.
///
/// The build runs offline in GOPATH mode (`GO111MODULE=off GOPROXY=off`) against
/// `/usr/share/gocode`, into `<target>/<profile>/pion/`, once per process; Go's build
/// cache lives there too, so a later run rebuilds in about a second. A failing build
/// fails the test: our Go code or the installed Pion is broken.
pub fn require_pion_program(name: &str, needs: &[(&str, &str)]) -> Option<PathBuf> {
    let go = require_program("go")?;
    for (dir, package) in needs {
        if !Path::new(DEBIAN_GOCODE).join("src").join(dir).is_dir() {
            return skip_or_fail(&format!(
                "Go package {dir} is missing (Debian package `{package}`)"
            ));
        }
    }
    let mut builds = PION_BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let builds = builds.get_or_insert_with(HashMap::new);
    if let Some(binary) = builds.get(name) {
        return Some(binary.clone());
    }
    let binary = build_pion_program(&go, name);
    builds.insert(name.to_string(), binary.clone());
    Some(binary)
}

fn build_pion_program(go: &Path, name: &str) -> PathBuf {
    // This test's executable is `<target>/<profile>/deps/<test>-<hash>`.
    let exe = std::env::current_exe().expect("path of the test executable");
    let out_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in <target>/<profile>/deps")
        .join("pion");
    let gopath = out_dir.join("gopath");
    // Debian installs these modules without their `/v2` major-version suffix, which their
    // importers use; in GOPATH mode a symlink supplies the suffix.
    for module in ["github.com/pion/transport", "github.com/pion/udp"] {
        let installed = Path::new(DEBIAN_GOCODE).join("src").join(module);
        let link = gopath.join("src").join(module).join("v2");
        if installed.is_dir() && std::fs::symlink_metadata(&link).is_err() {
            std::fs::create_dir_all(link.parent().unwrap()).expect("create GOPATH directory");
            std::os::unix::fs::symlink(&installed, &link).expect("symlink into GOPATH");
        }
    }
    let binary = out_dir.join(name);
    let mut search_path = std::ffi::OsString::from(&gopath);
    search_path.push(":");
    search_path.push(DEBIAN_GOCODE);
    let started = Instant::now();
    let output = Command::new(go)
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .current_dir(interop_dir().join("pion").join(name))
        .env("GO111MODULE", "off")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("GOENV", "off")
        .env("CGO_ENABLED", "0")
        .env("GOPATH", search_path)
        .env("GOCACHE", out_dir.join("gocache"))
        .output()
        .expect("run go build");
    assert!(
        output.status.success(),
        "go build of tests/interop/pion/{name} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "built pion program `{name}` in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    binary
}

/// C programs built in this process, by source path: each is built at most once per run.
static C_BUILDS: Mutex<Option<HashMap<PathBuf, PathBuf>>> = Mutex::new(None);

/// Builds the C program `tests/interop/<source>` with `cc`, linking `libs` (e.g.
/// `["usrsctp", "pthread"]`), and returns its path, with the same missing-tool policy as
/// [`require_program`]: `cc` and each header in `headers` (a path under `/usr/include`
/// with the Debian package providing it, e.g. `("usrsctp.h", "libusrsctp-dev")`) must exist.
///
/// The binary goes to `<target>/<profile>/c/`, built once per process. A failing build
/// fails the test: our C code or the installed library is broken.
pub fn require_c_program(source: &str, headers: &[(&str, &str)], libs: &[&str]) -> Option<PathBuf> {
    let cc = require_program("cc")?;
    for (header, package) in headers {
        if !Path::new("/usr/include").join(header).is_file() {
            return skip_or_fail(&format!(
                "C header {header} is missing (Debian package `{package}`)"
            ));
        }
    }
    let source = interop_dir().join(source);
    let mut builds = C_BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let builds = builds.get_or_insert_with(HashMap::new);
    if let Some(binary) = builds.get(&source) {
        return Some(binary.clone());
    }
    let exe = std::env::current_exe().expect("path of the test executable");
    let out_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in <target>/<profile>/deps")
        .join("c");
    std::fs::create_dir_all(&out_dir).expect("create the C build directory");
    let stem = source
        .file_stem()
        .expect("source file name")
        .to_string_lossy();
    let binary = out_dir.join(&*stem);
    // Built under a name of this process and renamed into place, so concurrent test runs
    // never execute a half-written binary.
    let partial = out_dir.join(format!("{stem}.{}.tmp", std::process::id()));
    let started = Instant::now();
    let output = Command::new(cc)
        .args([
            "-std=c11",
            "-D_DEFAULT_SOURCE",
            "-O2",
            "-g",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-o",
        ])
        .arg(&partial)
        .arg(&source)
        .args(libs.iter().map(|lib| format!("-l{lib}")))
        .output()
        .expect("run cc");
    assert!(
        output.status.success(),
        "cc of {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::rename(&partial, &binary).expect("move the built C program into place");
    eprintln!(
        "built C program {} in {:.1} s",
        source.display(),
        started.elapsed().as_secs_f64()
    );
    builds.insert(source, binary.clone());
    Some(binary)
}

fn skip_or_fail<T>(why: &str) -> Option<T> {
    if interop_required() {
        panic!("interop test cannot run: {why}");
    }
    eprintln!("skipping interop test: {why}; tests/run.sh installs it");
    None
}
