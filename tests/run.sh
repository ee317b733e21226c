#!/usr/bin/env bash
# Runs every test of oxrtc: unit and integration tests of all crates, the interop tests
# against independent peers (installing them first when missing), doc tests, and a
# short fuzz smoke. Usage: bash tests/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash tests/install-deps.sh

# Interop tests fail, rather than skip, when a peer they need is missing.
export OXRTC_INTEROP=1
cargo test --workspace --all-features

bash tests/fuzz-smoke.sh
