#!/usr/bin/env bash
# The built `hopsim` on outputs that cannot be written: standard output on /dev/full, and files
# on a "full disk" (a file size limit, `ulimit -f`, with SIGXFSZ ignored so that the write fails
# with an error as on a full disk instead of killing the process). Each must exit non-zero, say
# so on stderr, and leave no file or temporary file behind.
#   full_output_test.sh HOPSIM SOURCE_DIR
set -u
hopsim=$1
src=$2
tiny="$src/tests/data/sweep/tiny.yaml"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect_failure NAME COMMAND...: non-zero exit and an "error:" line on stderr.
expect_failure() {
  local name=$1
  shift
  "$@" 2>"$scratch/stderr"
  local rc=$?
  if [ "$rc" -eq 0 ]; then fail "$name: exit status 0"; fi
  if ! grep -q "error:" "$scratch/stderr"; then fail "$name: no error message"; fi
}

# Standard output on a full device.
expect_failure "run --json > /dev/full" sh -c '"$0" run "$1" --json > /dev/full' "$hopsim" "$tiny"
expect_failure "run > /dev/full" sh -c '"$0" run "$1" > /dev/full' "$hopsim" "$tiny"
expect_failure "report > /dev/full" sh -c '"$0" report "$1" --no-counterpart > /dev/full' \
  "$hopsim" "$tiny"
expect_failure "version > /dev/full" sh -c '"$0" version > /dev/full' "$hopsim"
grep -q "standard output" "$scratch/stderr" || fail "version > /dev/full: message does not say what failed"
trace="$src/tests/data/traces/kineto/a100-alexnet-small.json.gz"
"$hopsim" import "$trace" -o "$scratch/trace.sqlite" >/dev/null || fail "import (setup)"
expect_failure "trace summary --json > /dev/full" sh -c \
  '"$0" trace summary "$1" --json > /dev/full' "$hopsim" "$scratch/trace.sqlite"
"$hopsim" sweep "$src/tests/data/sweep/tiny-sweep.yaml" -o "$scratch/r.db" >/dev/null 2>&1 ||
  fail "sweep (setup)"
expect_failure "results export -o /dev/full" "$hopsim" results export "$scratch/r.db" -o /dev/full

# Files on a full disk: 1 KiB is less than the HTML report and the trace.
out="$scratch/out"
mkdir "$out"
limited() { (trap '' XFSZ && ulimit -f 1 && exec "$@"); }
expect_failure "report -o on a full disk" limited "$hopsim" report "$tiny" --no-counterpart \
  -o "$out/report.html"
expect_failure "run --trace on a full disk" limited "$hopsim" run "$tiny" --trace "$out/t.json"
expect_failure "report > file on a full disk" sh -c \
  'trap "" XFSZ && ulimit -f 1 && exec "$0" report "$1" --no-counterpart --format html > "$2"' \
  "$hopsim" "$tiny" "$scratch/stdout.html"
if [ -n "$(ls -A "$out")" ]; then fail "files left behind: $(ls -A "$out")"; fi

# Control: without the limit the same commands succeed, so the checks above are not vacuous.
"$hopsim" report "$tiny" --no-counterpart -o "$out/report.html" >/dev/null ||
  fail "report -o without a limit"
[ -s "$out/report.html" ] || fail "report -o without a limit wrote nothing"
"$hopsim" run "$tiny" --json >/dev/null || fail "run --json without a limit"
"$hopsim" run "$tiny" --trace "$out/t.json" >/dev/null || fail "run --trace without a limit"
[ "$(wc -c <"$out/report.html")" -gt 1024 ] || fail "the HTML report fits the 1 KiB limit: test is vacuous"
[ "$(wc -c <"$out/t.json")" -gt 1024 ] || fail "the trace fits the 1 KiB limit: test is vacuous"

if [ "$failures" -ne 0 ]; then exit 1; fi
echo "all output-failure checks passed"
