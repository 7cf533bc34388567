#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine: install what is missing, build, then
#   run   - run the main job on the shipped default scenario
#   test  - run the whole test suite
# Usage: scripts/bootstrap.sh run|test   (env: BUILD_DIR, HOPSIM_JOBS, HOPSIM_SKIP_APT=1)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}
build=${BUILD_DIR:-build}
jobs=${HOPSIM_JOBS:-$(nproc)}

packages=(build-essential cmake ninja-build ccache pkg-config git python3
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libsqlite3-dev sqlite3 libeigen3-dev
  libboost-graph-dev rapidjson-dev zlib1g-dev catch2 libbenchmark-dev
  protobuf-compiler libprotobuf-dev
  qt6-base-dev qt6-charts-dev qt6-svg-dev libqt6opengl6-dev libgl-dev)
# The test suite also starts a one-node Slurm cluster on localhost (tests/slurm), checks that
# every C++ file is clang-formatted (tests/check_format.sh) and fuzzes every input reader with
# clang's libFuzzer (scripts/fuzz.sh).
[[ "$mode" == test ]] && packages+=(slurm-wlm munge clang-format clang libclang-rt-14-dev)

if [[ "${HOPSIM_SKIP_APT:-0}" != 1 ]]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    echo "bootstrap: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

# Both modes configure the build identically, so running one after the other rebuilds nothing.
cmake -S . -B "$build" -G Ninja -DHOPSIM_WERROR=ON -DHOPSIM_WITH_GUI=ON
cmake --build "$build" -j "$jobs"

case "$mode" in
  run)
    "$build/cli/hopsim" run scenarios/deepseek-v3-h800.yaml --trace "$build/deepseek-v3-h800.trace.json"
    "$build/cli/hopsim" whatif scenarios/deepseek-v3-h800.yaml --vs scenarios/deepseek-v3-h100.yaml
    echo "desktop planner: $build/gui/hopsim-gui [scenario]  (docs/GUI.md)"
    ;;
  test)
    ctest --test-dir "$build" --output-on-failure -j "$jobs"
    # The CPU-side suites again under AddressSanitizer + UndefinedBehaviorSanitizer
    # (HOPSIM_SKIP_SANITIZERS=1 skips this second build).
    if [[ "${HOPSIM_SKIP_SANITIZERS:-0}" != 1 ]]; then
      cmake -S . -B "$build-asan" -G Ninja -DHOPSIM_WERROR=ON -DHOPSIM_SANITIZE=ON \
        -DHOPSIM_WITH_CUDA=OFF -DHOPSIM_WITH_GUI=OFF -DHOPSIM_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug
      cmake --build "$build-asan" -j "$jobs"
      ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$build-asan" --output-on-failure -j "$jobs" -L "core|sim|profiler|planner"
    fi
    # Every input reader under libFuzzer for a bounded time (HOPSIM_SKIP_FUZZ=1 skips this;
    # HOPSIM_FUZZ_SECONDS sets the time per target).
    if [[ "${HOPSIM_SKIP_FUZZ:-0}" != 1 ]]; then
      FUZZ_BUILD_DIR="$build-fuzz" HOPSIM_JOBS="$jobs" scripts/fuzz.sh "${HOPSIM_FUZZ_SECONDS:-30}"
    fi
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
