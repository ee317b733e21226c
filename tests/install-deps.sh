#!/usr/bin/env bash
# Installs what the interop tests and the fuzz smoke need, skipping what is present.
# Idempotent; safe to run on every test run. Needs root for apt-get (as on CI).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

apt_packages=()
need() { command -v "$1" >/dev/null 2>&1 || apt_packages+=("$2"); }
need openssl openssl
need turnserver coturn
need chromium chromium
need firefox-esr firefox-esr
need python3 python3
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then apt_packages+=(python3-venv); fi
# Pion (Go) peers, built offline in GOPATH mode from Debian's sources by tests/interop/src/lib.rs.
need go golang-go
need_dir() { [ -d "$1" ] || apt_packages+=("$2"); }
need_dir /usr/share/gocode/src/github.com/pion/dtls/v2 golang-github-pion-dtls.v2-dev
need_dir /usr/share/gocode/src/github.com/pion/srtp/v2 golang-github-pion-srtp.v2-dev
need_dir /usr/share/gocode/src/github.com/pion/rtp golang-github-pion-rtp-dev
need_dir /usr/share/gocode/src/github.com/pion/rtcp golang-github-pion-rtcp-dev
# usrsctp (Firefox's SCTP stack) peer, a C program built by tests/interop/src/lib.rs.
need cc gcc
need_file() { [ -f "$1" ] || apt_packages+=("$2"); }
need_file /usr/include/usrsctp.h libusrsctp-dev
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

# Python peers: aiortc (and pylibsrtp, which it brings) in a private virtualenv.
venv="$root/tests/interop/.venv"
if ! "$venv/bin/python" -c 'import aiortc, pylibsrtp' >/dev/null 2>&1; then
  echo "install-deps: python venv with aiortc + pylibsrtp"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --only-binary=:all: aiortc pylibsrtp
fi

# cargo-fuzz for the fuzz smoke.
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "install-deps: cargo install cargo-fuzz"
  cargo install -q --locked cargo-fuzz
fi
echo "install-deps: ok"
