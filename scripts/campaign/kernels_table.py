#!/usr/bin/env python3
"""The measured columns of docs/KERNELS.md ("Achieved performance"), computed from a GPU
campaign's files: hopsim's own kernels and the cuBLAS/cuBLASLt entries from the hopsim-measure
trace (SQLite), the PyTorch references from torch-gemm-reference.json.

An independent reading of the trace: each measurement's time is the median over its repeats of
the repeat's span on the GPU (first kernel start to last kernel end, CUPTI timestamps), its work
the FLOPs or bytes the trace's `measurements` table records; nothing of hopsim's fit is used.
tests/scripts/campaign_data_test.py checks that docs/KERNELS.md holds exactly these lines.

Usage: kernels_table.py CAMPAIGN_DIR   (prints Markdown table rows)
"""

import json
import os
import sqlite3
import statistics
import sys

DEEPGEMM_SHAPES = [  # label suffix, N, K: the six DeepSeek-V3 shapes DeepGEMM publishes at M 4096
    ("wqkv_a", 2112, 7168), ("wq_b", 24576, 1536), ("wkv_b", 32768, 512),
    ("wo", 7168, 16384), ("up", 4096, 7168), ("down", 7168, 2048)]
OURS_FP8 = {"wqkv_a": "wqkv_a_m4096", "wq_b": "wq_b_m4096", "wkv_b": "wkv_b_m4096",
            "wo": "wo_m4096", "up": "shared_up_m4096", "down": "shared_down_m4096"}
TORCH_FP8 = {"wqkv_a": "wqkv_a_m4096", "wq_b": "wq_b_m4096", "wkv_b": "wkv_b_m4096",
             "wo": "wo_m4096", "up": "shared_up_m4096", "down": "shared_down_m4096"}


def medians(db):
    """{(label, sms, role): (median_ns, flops, bytes)} over the measurements' repeats."""
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT m.label, m.partition_sms, m.role, m.flops, m.bytes, k.repeat, "
        "MIN(k.start_ns), MAX(k.end_ns) FROM measurements m JOIN kernels k "
        "ON k.measurement_id = m.id GROUP BY m.id, k.repeat").fetchall()
    spans = {}
    for label, sms, role, flops, nbytes, _rep, start, end in rows:
        spans.setdefault((label, sms, role), (flops, nbytes, []))[2].append(end - start)
    return {k: (statistics.median(v[2]), v[0], v[1]) for k, v in spans.items()}


def tflops(m, label, sms=132):
    t, flops, _ = m[(label, sms, "alone")]
    return flops / t / 1e3  # FLOP per ns -> TFLOP/s


def gbps(m, label, sms=132):
    t, _, nbytes = m[(label, sms, "alone")]
    return nbytes / t  # bytes per ns = GB/s


def main():
    folder = sys.argv[1]
    m = medians(os.path.join(folder, "h200.trace.sqlite"))
    with open(os.path.join(folder, "torch-gemm-reference.json")) as f:
        ref = json.load(f)
    torch_fp8 = {s["label"]: s for s in ref["shapes"]}
    out = []
    out.append("FP8 GEMM, M = 4096, 132 SMs: N | K | ours | cuBLASLt (hopsim-measure) | "
               "torch._scaled_mm row-wise | ours / cuBLASLt")
    for name, n, k in DEEPGEMM_SHAPES:
        ours = tflops(m, OURS_FP8[name])
        lt = tflops(m, "lt_" + name)
        ts = torch_fp8[TORCH_FP8[name]]["fp8_rowwise_tflops"]
        out.append(f"| {n} | {k} | {ours:.0f} | {lt:.0f} | {ts:.0f} | {ours / lt:.0%} |")
    out.append("BF16 GEMM, M = 4096, 132 SMs: N | K | ours | cuBLAS (hopsim-measure) | "
               "torch.matmul | ours / cuBLAS")
    for name, n, k in DEEPGEMM_SHAPES:
        ours = tflops(m, "bf16_" + name)
        cb = tflops(m, "cublas_" + name)
        tb = torch_fp8[TORCH_FP8[name]]["bf16_tflops"]
        out.append(f"| {n} | {k} | {ours:.0f} | {cb:.0f} | {tb:.0f} | {ours / cb:.0%} |")
    out.append("grouped FP8 GEMM, 132 SMs: label | ours")
    for label in ("experts_up_4x8192", "experts_down_4x8192", "experts_up_256x128",
                  "experts_down_256x128"):
        out.append(f"| {label} | {tflops(m, label):.0f} |")
    out.append("attention, seq 4096, 132 SMs: pass | ours | PyTorch SDPA")
    sdpa = {a["label"]: a for a in ref.get("attention", [])}["attn_seq4096"]
    out.append(f"| forward | {tflops(m, 'attn_fwd_seq4096'):.0f} | {sdpa['fwd_tflops']:.0f} |")
    out.append(f"| backward | {tflops(m, 'attn_bwd_seq4096'):.0f} | {sdpa['bwd_tflops']:.0f} |")
    out.append("memory-bound, GB/s at 132 SMs: label | ours")
    for label in ("rmsnorm_cols7168", "quant_cols7168", "permute_tokens4096",
                  "combine_tokens4096", "router_tokens4096", "hbm_bytes1073741824"):
        out.append(f"| {label} | {gbps(m, label):.0f} |")
    out.append("copy, 256 MiB, GB/s (bytes copied / time) by SMs: 8 | 16 | 24 | 32")
    cells = " | ".join(f"{gbps(m, 'comm_bytes268435456', s):.0f}" for s in (8, 16, 24, 32))
    out.append(f"| {cells} |")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
