#!/usr/bin/env bash
# Rewrites tests/data/golden/cli/ (the expected output of every case in tests/cli/golden_cases.txt)
# from the current `hopsim`. Each case is run twice; output that differs between the two runs is
# not written and the script fails. Review `git diff tests/data/golden` and say in the commit why
# the output moved (a prediction, a message, a format).
# Usage: scripts/update-golden.sh [BUILD_DIR]   (default: build, configured by scripts/bootstrap.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake --build "$build" --target hopsim
python3 tests/cli/golden.py --hopsim "$build/cli/hopsim" --source-dir "$PWD" --update
git --no-pager diff --stat -- tests/data/golden || true
