#!/usr/bin/env python3
"""What would have to be true: for each uncertain input of the cost model, alone, the value at
which a scenario's predicted GPU-hours per 10^12 tokens reach a target (by default DeepSeek-V3's
published 180,000 and 10% under it). A diagnostic, not a fit: nothing it finds is applied. It
says how far each assumption would have to be off to explain a gap, so that a reader can judge
which could be (docs/VALIDATION.md, "What it would take").

  scripts/what_it_takes.py --hopsim build/cli/hopsim [--scenario scenarios/deepseek-v3-h800.yaml]

Each input is varied through what a user could set: a calibration file's time scales, launch
overhead and HBM interference (docs/CALIBRATION.md), or the scenario's plan.variation and
cost.interruptions (docs/CONFIG.md). Bisection on the hopsim CLI's `run --json`; the prediction
rises monotonically in every input varied here.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# (name, how it is set, uncalibrated value, upper end of the search, format)
INPUTS = [
    ("GEMM time scale", ("scale", "gemm"), 1.0, 4.0, "x{:.3f}"),
    ("attention time scale", ("scale", "attention"), 1.0, 4.0, "x{:.3f}"),
    ("memory-bound time scale", ("scale", "memory_bound"), 1.0, 8.0, "x{:.3f}"),
    ("DeepEP payload time scale", ("scale", "deepep_payload"), 1.0, 8.0, "x{:.3f}"),
    ("DeepEP notify time scale", ("scale", "deepep_notify"), 1.0, 100.0, "x{:.1f}"),
    ("launch overhead per kernel", ("launch", None), 2000.0, 200000.0, "{:.0f} ns"),
    ("HBM bytes per communicated byte", ("hbm", None), 2.0, 100.0, "{:.2f}"),
    ("kernel-time CV (symmetry mode)", ("variation", "kernel_time_cv"), 0.0, 0.5, "{:.3f}"),
    ("routing CV (symmetry mode)", ("variation", "routing_cv"), 0.0, 0.5, "{:.3f}"),
    ("minutes lost per job interruption", ("interruptions", "minutes_lost"), None, 1000.0,
     "{:.1f} min"),
]


def calibration_yaml(kind, key, value):
    lines = ["hopsim_calibration: 1", "device: what_it_takes", "sm_count: 132", "classes: []"]
    if kind == "scale":
        lines += ["time_scales:", f"  {key}: {value!r}"]
    if kind == "launch":
        lines.append(f"launch_overhead_ns: {int(round(value))}")
    if kind == "hbm":
        lines.append(f"comm_hbm_bytes_per_wire_byte: {value!r}")
    return "\n".join(lines) + "\n"


def gpu_hours(args, kind, key, value, workdir):
    scenario = args.scenario
    command = [args.hopsim, "run", "--json"]
    if kind == "interruptions":
        # The scenario as it is, with cost.interruptions' one key set to `value`.
        with open(args.scenario, encoding="utf-8") as f:
            text = f.read()
        text, n = re.subn(rf"(\n\s+{key}:\s*)[-+0-9.eE]+", rf"\g<1>{value!r}", text, count=1)
        if n != 1:
            sys.exit(f"{args.scenario} gives no cost.interruptions.{key}")
        scenario = os.path.join(workdir, "scenario.yaml")
        with open(scenario, "w", encoding="utf-8") as f:
            f.write(text)
    elif kind == "variation":
        # The scenario as it is, with the variation key set (a later key would be a duplicate:
        # write the plan's variation block only when the file has none).
        with open(args.scenario, encoding="utf-8") as f:
            text = f.read()
        if "variation:" in text:
            sys.exit(f"{args.scenario} sets plan.variation already; vary it by hand")
        text = text.replace("\nplan:\n", f"\nplan:\n  variation:\n    {key}: {value!r}\n", 1)
        scenario = os.path.join(workdir, "scenario.yaml")
        with open(scenario, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        cal = os.path.join(workdir, "calibration.yaml")
        with open(cal, "w", encoding="utf-8") as f:
            f.write(calibration_yaml(kind, key, value))
        command += ["--calibration", cal]
    out = subprocess.run(command + [scenario], check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    return result["cost"]["gpu_hours_per_trillion_tokens"]


def scenario_number(path, key):
    """The number `key:` gives in the scenario file (its first occurrence), or None."""
    with open(path, encoding="utf-8") as f:
        m = re.search(rf"\n\s+{key}:\s*([-+0-9.eE]+)", f.read())
    return float(m.group(1)) if m else None


def solve(args, kind, key, low, high, target, workdir):
    """The input value at which the GPU-hours reach `target`, or None above `high`."""
    if gpu_hours(args, kind, key, high, workdir) < target:
        return None
    for _ in range(args.steps):
        mid = (low + high) / 2
        if gpu_hours(args, kind, key, mid, workdir) < target:
            low = mid
        else:
            high = mid
    return high


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hopsim", required=True)
    p.add_argument("--scenario", default="scenarios/deepseek-v3-h800.yaml")
    p.add_argument("--targets", default="162000,180000",
                   help="GPU-hours per 10^12 tokens to reach (default: 180,000 and 10%% under)")
    p.add_argument("--steps", type=int, default=18, help="bisection steps per solve")
    args = p.parse_args()
    targets = [float(t) for t in args.targets.split(",")]
    with tempfile.TemporaryDirectory() as workdir:
        base = gpu_hours(args, "scale", "gemm", 1.0, workdir)
        print(f"{args.scenario}: {base:,.0f} GPU-hours per 10^12 tokens uncalibrated")
        header = "| input (alone) | uncalibrated | " + " | ".join(
            f"reaching {t:,.0f}" for t in targets) + " |"
        print(header)
        print("|" + " --- |" * (2 + len(targets)))
        for name, (kind, key), start, high, fmt in INPUTS:
            if kind == "interruptions":
                start = scenario_number(args.scenario, key)
                if start is None:
                    continue  # the scenario models no interruptions
            cells = []
            for t in targets:
                v = solve(args, kind, key, start, high, t, workdir) if base < t else start
                cells.append("beyond " + fmt.format(high) if v is None else fmt.format(v))
            print(f"| {name} | {fmt.format(start)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
