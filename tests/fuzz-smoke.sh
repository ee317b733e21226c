#!/usr/bin/env bash
# Runs every cargo-fuzz target for a few seconds: a smoke test that each target builds
# and survives a short run. Long fuzzing is done by hand (see fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${FUZZ_SECONDS:-4}"
export RUSTC_BOOTSTRAP=1   # cargo-fuzz's -Z flags on the stable toolchain
targets=$(cargo fuzz list)
if [ -z "$targets" ]; then
  echo "fuzz-smoke: no targets"; exit 0
fi
cargo fuzz build --sanitizer none
for target in $targets; do
  mkdir -p "corpus/$target"
  echo "fuzz-smoke: $target (${seconds}s)"
  cargo fuzz run --sanitizer none "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=0 2>&1 | tail -n 3
done
echo "fuzz-smoke: all targets ran"
