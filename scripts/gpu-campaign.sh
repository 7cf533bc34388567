#!/usr/bin/env bash
# The GPU campaign in one call (issue "Measure hopsim's kernels and a real training step on the
# lent GPU"; docs/KERNELS.md "GPU campaign"): kernel tests against the CPU references, hopsim
# measure over the kernel plan at 132/112/96 SMs alone and beside SM-limited copies, the same
# GEMM shapes through PyTorch (cuBLAS BF16, cuBLASLt FP8), a scaled-down DeepSeek-style block's
# training step under torch.profiler at two sizes with and without a concurrent copy, and the
# provenance. At most 8 files of at most 16 MiB land in OUTDIR; a step cut short or failing is
# recorded in manifest.json with what is missing, and the rest still runs.
#
#   scripts/gpu-campaign.sh --bundle DIR [--build BUILD]   here: stage the binaries to carry
#   scripts/gpu-campaign.sh OUTDIR [--bin DIR] [--dry-run] [--hopsim PATH] [--budget-s N] [--steps a,b]
#
# --bin: where hopsim-measure, test_kernels_gpu and lib/ are (the bundle; default build-campaign,
# else the build tree). --steps a,b: only those steps (a rerun of what failed; the manifest lists
# only them). HOPSIM_CAMPAIGN_PYTHON: the python with torch (default python3). --dry-run: no GPU touched; every step says what it would run, the plan is
# listed by `hopsim measure --dry-run` and the Python steps by their own --dry-run.
set -u -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
plan_src="$root/kernels/plans/deepseek-v3-kernels.yaml"

die() { echo "gpu-campaign: $*" >&2; exit 2; }

# ---- bundle: the two binaries, stripped, and the non-system libraries they load -------------
if [[ "${1:-}" == "--bundle" ]]; then
  dest="${2:?--bundle needs a folder}"
  build="$root/build"
  [[ "${3:-}" == "--build" ]] && build="${4:?--build needs a folder}"
  mkdir -p "$dest/lib"
  for b in "$build/cli/hopsim-measure" "$build/tests/kernels/test_kernels_gpu"; do
    [[ -x "$b" ]] || die "$b not built (configure with -DHOPSIM_WITH_CUDA=ON and build)"
    cp "$b" "$dest/" && strip --strip-debug "$dest/$(basename "$b")"
    # The CUDA libraries and the C/C++ runtime are on the device's image; carry the rest.
    ldd "$b" | awk '$3 ~ /^\// {print $3}' | while read -r lib; do
      case "$(basename "$lib")" in
        libc.so*|libm.so*|libstdc++*|libgcc_s*|ld-linux*|libpthread*|libdl.so*|librt.so*|libutil*) ;;
        # The driver and cuBLAS (540 MB) are there (the toolkit, PyTorch's wheels); CUPTI is
        # carried so the recorder runs with the version it was built against.
        libcuda.so*|libcublas*|libcudart*|libnvrtc*) ;;
        *) cp -L "$lib" "$dest/lib/" ;;
      esac
    done
  done
  git -C "$root" rev-parse HEAD > "$dest/GIT_COMMIT" 2>/dev/null || echo unknown > "$dest/GIT_COMMIT"
  du -sh "$dest"
  exit 0
fi

orig_args="$*"
out="${1:?usage: scripts/gpu-campaign.sh OUTDIR [--dry-run] [--bin DIR] | --bundle DIR}"
shift
dry=0
bin=""
hopsim="$root/build/cli/hopsim"
budget=450
only=""
py="${HOPSIM_CAMPAIGN_PYTHON:-python3}"
export PYTHONUNBUFFERED=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) dry=1 ;;
    --bin) bin="${2:?}"; shift ;;
    --hopsim) hopsim="${2:?}"; shift ;;
    --budget-s) budget="${2:?}"; shift ;;
    --steps) only=",${2:?},"; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done
if [[ -z "$bin" ]]; then
  if [[ -d "$root/build-campaign" ]]; then bin="$root/build-campaign"; else bin="$root/build"; fi
fi
measure_bin="$bin/hopsim-measure"; [[ -x "$measure_bin" ]] || measure_bin="$bin/cli/hopsim-measure"
tests_bin="$bin/test_kernels_gpu"; [[ -x "$tests_bin" ]] || tests_bin="$bin/tests/kernels/test_kernels_gpu"

mkdir -p "$out" || die "cannot create $out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log="$out/campaign.log"
: > "$log"
steps="$work/steps.tsv"
: > "$steps"
started=$(date +%s)

# CUDA libraries for the two C++ binaries only: the bundle's own, the toolkit's, CUPTI's, and
# those of PyTorch's wheels (cuBLAS). PyTorch itself keeps its own search path: a toolkit library
# put ahead of its wheels' could break it.
libs="$bin/lib:/usr/local/cuda/lib64:/usr/local/cuda/extras/CUPTI/lib64"
for d in $(python3 -c 'import glob, os, nvidia; print(" ".join(sorted(glob.glob(os.path.join(os.path.dirname(nvidia.__file__), "*", "lib")) + glob.glob(os.path.join(os.path.dirname(nvidia.__file__), "*", "*", "lib")))))' 2>/dev/null); do
  libs="$libs:$d"
done
native_libs="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# The campaign's plan: the shipped kernel plan with compute at the partitions the issue asks for
# (132, 112 and 96 SMs), copies at all of theirs, so the shapes keep one home.
plan="$work/h200-campaign.yaml"
sed -e 's/^compute_partitions: .*/compute_partitions: [132, 112, 96]/' \
    -e 's/^name: .*/name: h200-campaign/' "$plan_src" > "$plan" || die "cannot write the plan"

# step NAME TIMEOUT_S COMMAND...: runs (or, dry, shows) one step; records status and seconds.
step() {
  local name="$1" limit="$2"; shift 2
  local left=$(( budget - ($(date +%s) - started) ))
  local t0 status
  t0=$(date +%s)
  {
    echo "=== $name (limit ${limit}s): $*"
  } >> "$log"
  if [[ -n "$only" && "$only" != *",$name,"* ]]; then
    return 0
  elif (( left < 10 )); then
    status="skipped: campaign budget spent"
  elif (( dry )); then
    status="dry-run"
  else
    (( limit > left )) && limit=$left
    timeout --kill-after=10 "$limit" "$@" >> "$log" 2>&1
    local rc=$?
    case $rc in
      0) status="ok" ;;
      124|137) status="timeout after ${limit}s" ;;
      *) status="failed (exit $rc)" ;;
    esac
  fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$(( $(date +%s) - t0 ))" "$*" >> "$steps"
  echo "gpu-campaign: $name: $status" >&2
}

# 1. Provenance.
if (( dry )); then
  step provenance 15 nvidia-smi -q
else
  step provenance 15 bash -c "nvidia-smi -q > '$out/nvidia-smi.txt'"
fi
# 2. The GPU kernel tests against the CPU references (Catch2's JUnit report).
# What the binaries load there, for a step that cannot start.
(( dry )) || env LD_LIBRARY_PATH="$native_libs" ldd "$tests_bin" "$measure_bin" >> "$log" 2>&1
step kernel_tests 90 env LD_LIBRARY_PATH="$native_libs" "$tests_bin" "[gpu]" --reporter junit --out "$out/kernel-tests.xml"
# 3. hopsim measure over the plan: alone at 132/112/96 SMs and beside copies.
if (( dry )); then
  "$hopsim" measure "$plan" --dry-run >> "$log" 2>&1 || echo "measure --dry-run failed" >> "$log"
fi
# Run in the scratch folder with relative paths: the trace's provenance records this command
# line, and no path of the machine it ran on belongs in committed data.
step measure 200 env -C "$work" LD_LIBRARY_PATH="$native_libs" "$measure_bin" "$(basename "$plan")" \
  -o h200.trace.sqlite
if [[ -f "$work/h200.trace.sqlite" ]]; then mv "$work/h200.trace.sqlite" "$out/"; fi
# 4. The same GEMM shapes through PyTorch: the vendor reference.
if (( dry )); then
  python3 "$here/campaign/torch_gemm_reference.py" "$plan" -o /dev/null --dry-run >> "$log" 2>&1
fi
step torch_gemm_reference 60 "$py" "$here/campaign/torch_gemm_reference.py" "$plan" \
  -o "$out/torch-gemm-reference.json"
# 5. The DeepSeek-style block's training step, two sizes, with and without a concurrent copy.
mkdir -p "$work/block"
if (( dry )); then
  python3 "$here/campaign/deepseek_block.py" --out "$work/block" --dry-run >> "$log" 2>&1
fi
step pytorch_block 150 "$py" "$here/campaign/deepseek_block.py" --out "$work/block"
if (( ! dry )) && compgen -G "$work/block/*" > /dev/null; then
  # One tar within the device's 16 MiB per file: the run summary, then traces in the order run,
  # while they fit; a trace left out is named in the tar's omitted.txt and in the manifest.
  python3 - "$work/block" "$out/pytorch-block-traces.tar" >> "$log" 2>&1 <<'PY'
import io, os, sys, tarfile
folder, dest = sys.argv[1], sys.argv[2]
limit = (16 << 20) - (256 << 10)
names = sorted(os.listdir(folder), key=lambda n: (n != "block-runs.json", os.path.getmtime(os.path.join(folder, n))))
kept, omitted, size = [], [], 1024
for n in names:
    s = os.path.getsize(os.path.join(folder, n)) + 512
    if size + s <= limit:
        kept.append(n); size += s
    else:
        omitted.append(n)
with tarfile.open(dest, "w", format=tarfile.USTAR_FORMAT) as t:
    for n in kept:
        t.add(os.path.join(folder, n), arcname=n)
    note = "".join(f"{n}: over the 16 MiB file limit\n" for n in omitted).encode()
    info = tarfile.TarInfo("omitted.txt"); info.size = len(note)
    t.addfile(info, io.BytesIO(note))
print(f"pytorch-block-traces.tar: {len(kept)} files kept, omitted: {omitted}")
PY
fi

# Manifest: provenance, each step, the files and what is missing; the device's limits enforced
# (8 files, 16 MiB each: a larger file is removed and named as missing).
commit="$(cat "$bin/GIT_COMMIT" 2>/dev/null || git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
python3 - "$out" "$steps" "$dry" "$commit" "$orig_args" "$root" "$work" <<'PY'
import datetime, json, os, platform, subprocess, sys
out, steps_file, dry, commit, args = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4], sys.argv[5]
root, work = sys.argv[6], sys.argv[7]
def scrub(text):
    """The machine's own folders out of what is committed: the checkout as a relative path, the
    output and scratch folders by name (longest first, so no prefix is replaced early)."""
    for path, name in sorted([(root + "/", ""), (out, "$OUT"), (work, "$WORK")],
                             key=lambda p: -len(p[0])):
        text = text.replace(path, name)
    return text
expected = {"provenance": ["nvidia-smi.txt"], "kernel_tests": ["kernel-tests.xml"],
            "measure": ["h200.trace.sqlite"],
            "torch_gemm_reference": ["torch-gemm-reference.json"],
            "pytorch_block": ["pytorch-block-traces.tar"]}
steps = []
with open(steps_file) as f:
    for line in f:
        name, status, secs, cmd = line.rstrip("\n").split("\t", 3)
        steps.append({"step": name, "status": status, "seconds": int(secs), "command": scrub(cmd),
                      "outputs": expected.get(name, [])})
limit, max_files = 16 << 20, 8
missing = []
for s in steps:
    for o in s["outputs"]:
        p = os.path.join(out, o)
        if not os.path.exists(p):
            if not dry:
                missing.append({"file": o, "step": s["step"], "why": s["status"]})
        elif os.path.getsize(p) > limit:
            os.remove(p)
            missing.append({"file": o, "step": s["step"], "why": "over 16 MiB, removed"})
def smi(q):
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=" + q, "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return ""
manifest = {
    "campaign": "hopsim GPU campaign (scripts/gpu-campaign.sh)",
    "dry_run": dry,
    "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "hopsim_git_commit": commit,
    "command": scrub("scripts/gpu-campaign.sh " + args),
    "host": platform.node(),
    "plan": "kernels/plans/deepseek-v3-kernels.yaml with compute_partitions [132, 112, 96]",
    "limits": {"files": max_files, "bytes_per_file": limit},
    "gpu": smi("name,driver_version,clocks.max.sm,clocks.sm,power.limit,memory.total"),
    "steps": steps,
    "missing": missing,
}
files = sorted(f for f in os.listdir(out) if os.path.isfile(os.path.join(out, f))) + ["manifest.json"]
manifest["files"] = [{"file": f, "bytes": os.path.getsize(os.path.join(out, f)) if f != "manifest.json" else None} for f in files]
if len(files) > max_files:
    manifest["over_file_limit"] = f"{len(files)} files, the device returns {max_files}"
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
log_path = os.path.join(out, "campaign.log")
with open(log_path, errors="replace") as f:
    log = f.read()
with open(log_path, "w") as f:
    f.write(scrub(log))
print(f"gpu-campaign: {len(steps)} steps, {len(files)} files, {len(missing)} missing", file=sys.stderr)
PY
