#!/usr/bin/env bash
# Rewrites tests/data/pins/predictions.csv from the current model (every shipped scenario's key
# predictions). Review `git diff tests/data/pins` and say in the commit why the numbers moved.
# Usage: scripts/update-pins.sh [BUILD_DIR]   (default: build, configured by scripts/bootstrap.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake --build "$build" --target test_sim
HOPSIM_UPDATE_PINS=1 HOPSIM_DATA_DIR="$PWD" "$build/tests/sim/test_sim" "[pins]"
git --no-pager diff --stat -- tests/data/pins || true
