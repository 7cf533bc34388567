#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, every library instrumented, ASan + UBSan) and runs each
# for a bounded time over a scratch copy of its corpus and kept crash inputs (docs/RELIABILITY.md,
# "Fuzzing"). A crash fails the run and keeps the input under $build/artifacts/: once fixed, add it
# to fuzz/regressions/<target>/, where the ordinary test suite replays it.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (env: FUZZ_BUILD_DIR, HOPSIM_JOBS)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${HOPSIM_FUZZ_SECONDS:-30}}
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${HOPSIM_JOBS:-$(nproc)}
targets=(kineto_fuzz nsys_fuzz config_fuzz sweep_fuzz results_fuzz chakra_fuzz calibration_fuzz)

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DHOPSIM_FUZZ=ON -DHOPSIM_BUILD_TESTS=OFF -DHOPSIM_WITH_GUI=OFF -DHOPSIM_WITH_CUDA=OFF \
  -DHOPSIM_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

mkdir -p "$build/artifacts"
failed=()
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$t/." "$work/"
  [[ -d "fuzz/regressions/$t" ]] && cp -r "fuzz/regressions/$t/." "$work/"
  extra=()
  [[ "$t" == kineto_fuzz ]] && extra+=(-dict=fuzz/kineto.dict)
  echo "fuzz: $t for ${seconds}s"
  # -seed fixes the mutation sequence; the number of runs in the time bound still varies with
  # the machine. Inputs over 64 KiB are not needed to reach any reader's code.
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/fuzz/$t" "$work" "${extra[@]}" -seed=1 -max_total_time="$seconds" -max_len=65536 \
    -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" >"$build/artifacts/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 60 "$build/artifacts/$t.log"
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$build/artifacts/$t.log" |
    sed "s/^/  /" || true
  rm -rf "$work"
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (inputs kept in $build/artifacts/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each: no crash, leak, timeout or sanitizer report"
