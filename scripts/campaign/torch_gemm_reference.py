#!/usr/bin/env python3
"""The GEMM shapes of a hopsim measure plan timed through PyTorch: BF16 torch.matmul (cuBLAS) and
FP8 torch._scaled_mm with row-wise scales (cuBLASLt), the vendor reference docs/KERNELS.md holds
hopsim's own kernels against. Part of the GPU campaign (scripts/gpu-campaign.sh).

Each shape: 3 untimed launches, then 10 timed with CUDA events; the median is kept. Writes JSON
with TFLOPS per shape and library. --dry-run lists the shapes without importing torch.
"""

import argparse
import json
import statistics
import sys

import yaml


def shapes(plan_path):
    with open(plan_path) as f:
        plan = yaml.safe_load(f)
    out = []
    for e in plan.get("entries", []):
        if e.get("class") != "gemm_fp8":
            continue
        ms = e["m"] if isinstance(e["m"], list) else [e["m"]]
        for m in ms:
            out.append({"label": f"{e['label']}_m{m}", "m": int(m), "n": int(e["n"]),
                        "k": int(e["k"])})
    return out


def time_ms(fn, warmup=3, repeats=10):
    import torch
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def measure(s):
    import torch
    m, n, k = s["m"], s["n"], s["k"]
    x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
    w = torch.randn(n, k, device="cuda", dtype=torch.bfloat16)
    flops = 2.0 * m * n * k
    r = dict(s)
    t = time_ms(lambda: x @ w.t())
    r["bf16_ms"] = t
    r["bf16_tflops"] = flops / (t * 1e-3) / 1e12
    try:
        qx = x.to(torch.float8_e4m3fn)
        qw = w.to(torch.float8_e4m3fn)
        sx = torch.ones(m, 1, device="cuda", dtype=torch.float32)
        sw = torch.ones(1, n, device="cuda", dtype=torch.float32)
        t = time_ms(lambda: torch._scaled_mm(qx, qw.t(), scale_a=sx, scale_b=sw,
                                             out_dtype=torch.bfloat16))
        r["fp8_rowwise_ms"] = t
        r["fp8_rowwise_tflops"] = flops / (t * 1e-3) / 1e12
    except Exception as e:  # noqa: BLE001 - recorded, not fatal
        r["fp8_error"] = f"{type(e).__name__}: {e}"
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("plan")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--dry-run", action="store_true")
    a = ap.parse_args()
    todo = shapes(a.plan)
    if a.dry_run:
        print(json.dumps({"dry_run": True, "shapes": todo}, indent=1))
        return 0
    import torch
    results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
               "cuda": torch.version.cuda, "shapes": []}
    for s in todo:
        try:
            results["shapes"].append(measure(s))
        except Exception as e:  # noqa: BLE001
            results["shapes"].append(dict(s, error=f"{type(e).__name__}: {e}"))
    with open(a.out, "w") as f:
        json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
