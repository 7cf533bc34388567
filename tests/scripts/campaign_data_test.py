#!/usr/bin/env python3
"""The committed GPU campaign (hwprofiles/calibration/h200-sxm-2026-11-30), re-checked on a CPU:
its manifest names no missing file and carries provenance; the kernel tests it ran on the H200
passed; both committed H200 calibrations are what `hopsim calibrate` fits from the committed
trace today (only the time of calibration may differ); and docs/KERNELS.md's measured columns
are what scripts/campaign/kernels_table.py reads from the trace (an independent reading: repeat
spans from the CUPTI kernel records, no fit). Usage: campaign_data_test.py SOURCE_DIR HOPSIM."""

import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

src, hopsim = sys.argv[1], sys.argv[2]
campaign = os.path.join(src, "hwprofiles", "calibration", "h200-sxm-2026-11-30")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


# 1. Manifest: every step ran, nothing missing, provenance present.
with open(os.path.join(campaign, "manifest.json")) as f:
    m = json.load(f)
check(m["dry_run"] is False, "a real run")
check(m["missing"] == [], f"missing files {m['missing']}")
check(all(s["status"] == "ok" for s in m["steps"]), f"steps {[s['status'] for s in m['steps']]}")
check(re.fullmatch(r"[0-9a-f]{40}", m["hopsim_git_commit"]) is not None, "commit sha")
check(m["gpu"].startswith("NVIDIA H200"), f"gpu {m['gpu']}")
# No folder of the machine it ran on (scripts/gpu-campaign.sh writes $OUT, $WORK, relative paths):
# the only absolute paths left are where the system installs libraries (ldd and Python tracebacks).
SYSTEM = ("/lib/", "/lib64/", "/usr/", "/opt/")
for name in ("manifest.json", "campaign.log"):
    with open(os.path.join(campaign, name)) as f:
        text = f.read()
    for path in re.findall(r"(?<![\w.$:/~-])/[A-Za-z][\w.+-]*(?:/[\w.+-]+)*", text):
        check(path.startswith(SYSTEM), f"{name} names a folder of the machine: {path}")

# 2. The kernel tests on the H200: all ran, none failed.
suite = ET.parse(os.path.join(campaign, "kernel-tests.xml")).getroot().find("testsuite")
check(int(suite.get("failures")) == 0 and int(suite.get("errors")) == 0, "kernel test failures")
check(int(suite.get("tests")) > 0, "kernel tests ran")
check(all(tc.get("status") == "run" for tc in suite.iter("testcase")), "a kernel test skipped")

# 3. The committed calibrations re-derived from the committed trace.
trace = os.path.relpath(os.path.join(campaign, "h200.trace.sqlite"), src)
for extra, committed in (([], "h200-sxm.calibration.yaml"),
                         (["--gemm-kernels", "cublas"], "h200-sxm.cublas.calibration.yaml")):
    with tempfile.TemporaryDirectory(prefix="campaign-data-test-") as tmp:
        out = os.path.join(tmp, "c.yaml")
        p = subprocess.run([hopsim, "calibrate", trace, "--measured-on", "h200-sxm", *extra,
                            "-o", out], cwd=src, capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, f"calibrate {extra}: {p.stderr[-300:]}")
        if p.returncode != 0:
            continue
        strip = lambda t: [l for l in t.splitlines() if "calibrated_at_utc" not in l]
        with open(out) as a, open(os.path.join(src, "hwprofiles", "calibration", committed)) as b:
            check(strip(a.read()) == strip(b.read()),
                  f"{committed} differs from a fresh fit: scripts/campaign README, re-run calibrate")

# 4. docs/KERNELS.md holds the table rows read from the trace.
rows = subprocess.run([sys.executable, os.path.join(src, "scripts", "campaign", "kernels_table.py"),
                       campaign], capture_output=True, text=True, timeout=60)
check(rows.returncode == 0, f"kernels_table.py: {rows.stderr[-300:]}")
with open(os.path.join(src, "docs", "KERNELS.md")) as f:
    doc = f.read()
for line in rows.stdout.splitlines():
    if line.startswith("|"):
        check(line in doc, f"docs/KERNELS.md lacks the measured row {line!r}")

if failures:
    print("campaign data test FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("campaign data: manifest, kernel tests, both calibrations and the KERNELS.md rows check out")
