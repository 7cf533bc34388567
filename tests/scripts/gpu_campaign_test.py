#!/usr/bin/env python3
"""The GPU campaign's script without a GPU (scripts/gpu-campaign.sh): its dry run lists every
step, the plan at 132/112/96 SMs and the PyTorch runs, within the device's 8-file budget; a real
run whose steps fail or whose time budget is spent still writes a manifest naming what is
missing and why. Usage: gpu_campaign_test.py SOURCE_DIR HOPSIM_BINARY."""

import json
import os
import re
import stat
import subprocess
import sys
import tempfile

src, hopsim = sys.argv[1], sys.argv[2]
script = os.path.join(src, "scripts", "gpu-campaign.sh")
STEPS = ["provenance", "kernel_tests", "measure", "torch_gemm_reference", "pytorch_block"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def run(out, *args, env=None):
    p = subprocess.run(["bash", script, out, *args], capture_output=True, text=True, env=env,
                       timeout=300)
    check(p.returncode == 0, f"{args}: exit {p.returncode}: {p.stderr[-500:]}")
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)


def fake(folder, name, body):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)


with tempfile.TemporaryDirectory(prefix="gpu-campaign-test-") as tmp:
    # 1. Dry run: every step listed, nothing run, the plan and the PyTorch runs in the log.
    out = os.path.join(tmp, "dry")
    m = run(out, "--dry-run", "--hopsim", hopsim)
    check(m["dry_run"] is True, "dry_run flag")
    check([s["step"] for s in m["steps"]] == STEPS, f"steps {[s['step'] for s in m['steps']]}")
    check(all(s["status"] == "dry-run" for s in m["steps"]), "statuses")
    outputs = [o for s in m["steps"] for o in s["outputs"]] + ["campaign.log", "manifest.json"]
    check(len(outputs) <= m["limits"]["files"], f"a real run would return {len(outputs)} files")
    check(m["missing"] == [], "a dry run misses nothing")
    log = open(os.path.join(out, "campaign.log")).read()
    listing = re.search(r"(\d+) measurements: (\d+) alone", log)
    check(listing is not None, "measure --dry-run listing in the log")
    alone = re.findall(r"^\s*\d+\s+alone\s+(\d+)\s+\S+\s+(\S+)", log, re.M)
    compute_sms = {sms for sms, cls in alone if cls != "comm_copy"}
    copy_sms = {sms for sms, cls in alone if cls == "comm_copy"}
    check(compute_sms == {"132", "112", "96"}, f"compute partitions {compute_sms}")
    check(copy_sms == {"8", "16", "20", "24", "32"}, f"copy partitions {copy_sms}")
    block = re.search(r'"runs": \[(.*?)\n \]', log, re.S)
    check(block is not None and block.group(1).count('"name": "block-') == 4,
          "four PyTorch block runs (two sizes, with and without the copy)")
    check(sorted(os.listdir(out)) == ["campaign.log", "manifest.json"], "dry run writes 2 files")

    # 2. A real run on a machine where things fail: every step runs, what failed is named.
    fakes = os.path.join(tmp, "bin")
    os.makedirs(fakes)
    fake(fakes, "test_kernels_gpu",
         'while [ $# -gt 0 ]; do [ "$1" = --out ] && echo "<testsuites/>" > "$2"; shift; done')
    fake(fakes, "hopsim-measure", "echo 'no CUDA device' >&2; exit 3")
    fake(fakes, "nvidia-smi", "exit 9")
    fake(fakes, "torch-python", "exit 4")  # a python without torch or without a GPU
    env = dict(os.environ, PATH=fakes + os.pathsep + os.environ["PATH"],
               HOPSIM_CAMPAIGN_PYTHON=os.path.join(fakes, "torch-python"))
    out = os.path.join(tmp, "failing")
    m = run(out, "--bin", fakes, env=env)
    status = {s["step"]: s["status"] for s in m["steps"]}
    check(status.get("kernel_tests") == "ok", f"kernel_tests {status.get('kernel_tests')}")
    check(status.get("measure") == "failed (exit 3)", f"measure {status.get('measure')}")
    missing = {x["file"]: x["why"] for x in m["missing"]}
    check(missing.get("h200.trace.sqlite") == "failed (exit 3)", f"missing {missing}")
    check("kernel-tests.xml" not in missing, "the kernel tests' report is kept")
    check(os.path.exists(os.path.join(out, "kernel-tests.xml")), "kernel-tests.xml written")
    check(status.get("pytorch_block") == "failed (exit 4)", f"block {status.get('pytorch_block')}")
    check(missing.get("pytorch-block-traces.tar") == "failed (exit 4)", "the block traces named")
    # What is committed names no folder of the machine: the checkout is relative, the output and
    # scratch folders are $OUT and $WORK.
    with open(os.path.join(out, "campaign.log")) as f:
        written = json.dumps(m) + f.read()
    for path in (out, os.path.realpath(src), tempfile.gettempdir() + "/tmp."):
        check(path not in written, f"{path} named in the manifest or the log")
    check("$OUT/kernel-tests.xml" in written, "the output folder named $OUT")
    measure_cmd = next(s["command"] for s in m["steps"] if s["step"] == "measure")
    check(measure_cmd.endswith("h200-campaign.yaml -o h200.trace.sqlite"),
          f"measure runs with relative paths: {measure_cmd}")

    # 3. Budget spent before the steps: each is skipped and named.
    out = os.path.join(tmp, "budget")
    m = run(out, "--bin", fakes, "--budget-s", "5", env=env)
    check(all(s["status"] == "skipped: campaign budget spent" for s in m["steps"]), "skips")
    check(len(m["missing"]) == 5, f"{len(m['missing'])} missing of 5 outputs")

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("gpu campaign script: dry run, failing steps and a spent budget all recorded")
