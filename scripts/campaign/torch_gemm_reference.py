#!/usr/bin/env python3
"""The GEMM shapes of a hopsim measure plan timed through PyTorch: BF16 torch.matmul (cuBLAS) and
FP8 torch._scaled_mm with row-wise scales (cuBLASLt), the vendor reference docs/KERNELS.md holds
hopsim's own kernels against; and the plan's attention shapes through
torch.nn.functional.scaled_dot_product_attention (causal; forward, and forward + backward) with the
backend PyTorch picks. Part of the GPU campaign (scripts/gpu-campaign.sh).

Each shape: 3 untimed launches, then 10 timed with CUDA events; the median is kept. Writes JSON
with TFLOPS per shape and library. --dry-run lists the shapes without importing torch.
"""

import argparse
import json
import statistics
import sys

import yaml


def expanded(plan_path, cls, axis):
    """Each (entry, value) of the plan's `cls` entries, one per value of `axis` (a number or a
    list), as hopsim expands a plan entry."""
    with open(plan_path) as f:
        plan = yaml.safe_load(f)
    for e in plan.get("entries", []):
        if e.get("class") != cls:
            continue
        for v in e[axis] if isinstance(e[axis], list) else [e[axis]]:
            yield e, v


def shapes(plan_path):
    return [{"label": f"{e['label']}_m{m}", "m": int(m), "n": int(e["n"]), "k": int(e["k"])}
            for e, m in expanded(plan_path, "gemm_fp8", "m")]


def attention_shapes(plan_path):
    return [{"label": f"attn_seq{s}", "batch": int(e["batch"]), "seq": int(s),
             "heads": int(e["heads"]), "d_qk": int(e["d_qk"]), "d_v": int(e["d_v"])}
            for e, s in expanded(plan_path, "attention_fwd", "seq")]


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


def measure_attention(s):
    """Causal SDPA, FLOPs counted as hopsim's plan counts them (profiler/src/calibrate/
    measure_plan.cpp) so the rates compare: s(s+1)/2 query-key pairs, 2(d_qk + d_v) per pair
    forward, 2(3 d_qk + 2 d_v) backward (dS, dQ, dK, dV and the recomputed scores)."""
    import torch
    import torch.nn.functional as F
    b, n, h, dq, dv = s["batch"], s["seq"], s["heads"], s["d_qk"], s["d_v"]
    q = torch.randn(b, h, n, dq, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    k = torch.randn(b, h, n, dq, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    v = torch.randn(b, h, n, dv, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    pairs = 0.5 * n * (n + 1)
    fwd_flops = 2.0 * b * h * pairs * (dq + dv)
    bwd_flops = 2.0 * b * h * pairs * (3 * dq + 2 * dv)
    r = dict(s)
    t = time_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
    r["fwd_ms"] = t
    r["fwd_tflops"] = fwd_flops / (t * 1e-3) / 1e12
    o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    g = torch.randn_like(o)

    def fwd_bwd():
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        out.backward(g)
    t = time_ms(fwd_bwd)
    r["fwd_bwd_ms"] = t
    r["bwd_ms"] = t - r["fwd_ms"]
    r["bwd_tflops"] = bwd_flops / (r["bwd_ms"] * 1e-3) / 1e12
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("plan")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--dry-run", action="store_true")
    a = ap.parse_args()
    todo = shapes(a.plan)
    attn = attention_shapes(a.plan)
    if a.dry_run:
        print(json.dumps({"dry_run": True, "shapes": todo, "attention": attn}, indent=1))
        return 0
    import torch
    results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
               "cuda": torch.version.cuda, "shapes": []}
    for s in todo:
        try:
            results["shapes"].append(measure(s))
        except Exception as e:  # noqa: BLE001
            results["shapes"].append(dict(s, error=f"{type(e).__name__}: {e}"))
    results["attention"] = []
    for s in attn:
        try:
            results["attention"].append(measure_attention(s))
        except Exception as e:  # noqa: BLE001
            results["attention"].append(dict(s, error=f"{type(e).__name__}: {e}"))
    with open(a.out, "w") as f:
        json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
