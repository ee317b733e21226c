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

use std::path::{Path, PathBuf};

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

fn skip_or_fail<T>(why: &str) -> Option<T> {
    if interop_required() {
        panic!("interop test cannot run: {why}");
    }
    eprintln!("skipping interop test: {why}; tests/run.sh installs it");
    None
}
