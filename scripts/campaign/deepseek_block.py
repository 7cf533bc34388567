#!/usr/bin/env python3
"""A scaled-down DeepSeek-V3-style block trained under torch.profiler: the validation traces of the
GPU campaign (scripts/gpu-campaign.sh, docs/KERNELS.md "GPU campaign").

Each layer is MLA attention in its non-absorbed training form (low-rank q and kv projections,
RMSNorm on the latents, RoPE on a 64-wide slice, keys assembled from k_nope and the shared k_pe as
deepseek-ai/DeepSeek-V3 inference/model.py @1ea5a1a does) and a fine-grained MoE (sigmoid router
with top-k, one shared expert, routed SwiGLU experts run as BF16 grouped GEMMs through
torch._grouped_mm where this torch has it, else one GEMM per expert), with FP8 forward GEMMs
through torch._scaled_mm where this torch has them (row-wise scales; the backward stays BF16). One
training step (forward, backward, AdamW) is profiled after warm-up and written as Kineto JSON.
With --copy a side stream keeps a large device-to-device copy running through the step: the
SM-and-HBM-holding stand-in for DeepEP's communication kernels.

--dry-run prints the configuration as JSON and imports nothing beyond the standard library, so
the campaign's dry run is checked on machines without torch.
"""

import argparse
import gzip
import json
import os
import shutil
import sys
import time

# Shapes: DeepSeek-V3's proportions (config_671B.json) at a width a single GPU trains quickly.
CONFIGS = {
    "small": dict(layers=2, hidden=2048, heads=16, q_lora=768, kv_lora=256, qk_nope=128,
                  qk_rope=64, v_head=128, experts=64, top_k=6, moe_inter=512, shared=1,
                  seq=4096, batch=1),
    "large": dict(layers=4, hidden=4096, heads=32, q_lora=1536, kv_lora=512, qk_nope=128,
                  qk_rope=64, v_head=128, experts=64, top_k=6, moe_inter=1024, shared=1,
                  seq=4096, batch=1),
}


def build(cfg, fp8_wanted):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.profiler import record_function

    def fp8_available():
        if not fp8_wanted or not hasattr(torch, "_scaled_mm"):
            return False
        try:
            a = torch.randn(64, 64, device="cuda", dtype=torch.bfloat16)
            qa, sa = quantise(a)
            torch._scaled_mm(qa, qa.t(), scale_a=sa, scale_b=sa.t(), out_dtype=torch.bfloat16)
            return True
        except Exception as e:  # noqa: BLE001 - any failure means "not on this torch"
            print(f"fp8: torch._scaled_mm unavailable ({e}); BF16 GEMMs", file=sys.stderr)
            return False

    def quantise(t):
        amax = t.abs().amax(dim=-1, keepdim=True).float().clamp(min=1e-12)
        scale = amax / 448.0
        return (t.float() / scale).to(torch.float8_e4m3fn), scale

    class Fp8Matmul(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            x2 = x.reshape(-1, x.shape[-1])
            qx, sx = quantise(x2)
            qw, sw = quantise(w)
            y = torch._scaled_mm(qx, qw.t(), scale_a=sx, scale_b=sw.t(), out_dtype=torch.bfloat16)
            return y.reshape(*x.shape[:-1], w.shape[0])

        @staticmethod
        def backward(ctx, gy):
            x, w = ctx.saved_tensors
            g2 = gy.reshape(-1, gy.shape[-1])
            gx = (g2 @ w).reshape(x.shape)
            gw = g2.t() @ x.reshape(-1, x.shape[-1])
            return gx, gw

    use_fp8 = fp8_available()

    class Linear(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(n_out, n_in, dtype=torch.bfloat16) * n_in**-0.5)

        def forward(self, x):
            if use_fp8 and x.shape[-1] % 16 == 0 and self.weight.shape[0] % 16 == 0:
                return Fp8Matmul.apply(x, self.weight)
            return F.linear(x, self.weight)

    class RMSNorm(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(d, dtype=torch.bfloat16))

        def forward(self, x):
            v = x.float().pow(2).mean(-1, keepdim=True)
            return (x.float() * torch.rsqrt(v + 1e-6)).to(x.dtype) * self.weight

    def rope(x, cos, sin):
        x1, x2 = x[..., ::2], x[..., 1::2]
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)

    class MLA(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.c = c
            h, qk = c["heads"], c["qk_nope"] + c["qk_rope"]
            self.wq_a = Linear(c["hidden"], c["q_lora"])
            self.q_norm = RMSNorm(c["q_lora"])
            self.wq_b = Linear(c["q_lora"], h * qk)
            self.wkv_a = Linear(c["hidden"], c["kv_lora"] + c["qk_rope"])
            self.kv_norm = RMSNorm(c["kv_lora"])
            self.wkv_b = Linear(c["kv_lora"], h * (c["qk_nope"] + c["v_head"]))
            self.wo = Linear(h * c["v_head"], c["hidden"])

        def forward(self, x, cos, sin):
            c = self.c
            b, s, _ = x.shape
            h = c["heads"]
            q = self.wq_b(self.q_norm(self.wq_a(x))).view(b, s, h, -1)
            q_nope, q_pe = q.split([c["qk_nope"], c["qk_rope"]], dim=-1)
            q = torch.cat([q_nope, rope(q_pe, cos, sin)], dim=-1)
            kv = self.wkv_a(x)
            latent, k_pe = kv.split([c["kv_lora"], c["qk_rope"]], dim=-1)
            k_pe = rope(k_pe.unsqueeze(2), cos, sin)
            kv = self.wkv_b(self.kv_norm(latent)).view(b, s, h, -1)
            k_nope, v = kv.split([c["qk_nope"], c["v_head"]], dim=-1)
            k = torch.cat([k_nope, k_pe.expand(-1, -1, h, -1)], dim=-1)
            q, k, v = (t.transpose(1, 2) for t in (q, k, v))
            try:
                o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            except RuntimeError:
                # A backend that wants one head size: pad V to the query/key size.
                pad = q.shape[-1] - v.shape[-1]
                o = F.scaled_dot_product_attention(q, k, F.pad(v, (0, pad)), is_causal=True)
                o = o[..., : v.shape[-1]]
            return self.wo(o.transpose(1, 2).reshape(b, s, -1))

    class Expert(nn.Module):
        def __init__(self, d, inter):
            super().__init__()
            self.w13 = Linear(d, 2 * inter)
            self.w2 = Linear(inter, d)

        def forward(self, x):
            g, u = self.w13(x).chunk(2, dim=-1)
            return self.w2(F.silu(g) * u)

    def grouped_available():
        """torch._grouped_mm (BF16, Hopper; PyTorch >= 2.8) with uneven groups, forward and
        backward: the routed experts as one grouped GEMM per projection, as DeepGEMM's contiguous
        layout runs them, with no host synchronisation on the expert counts."""
        if not hasattr(torch, "_grouped_mm"):
            return False
        try:
            a = torch.randn(48, 64, device="cuda", dtype=torch.bfloat16, requires_grad=True)
            b = torch.randn(3, 32, 64, device="cuda", dtype=torch.bfloat16, requires_grad=True)
            offs = torch.tensor([5, 5, 48], device="cuda", dtype=torch.int32)  # 5, 0 and 43 rows
            out = torch._grouped_mm(a, b.transpose(-2, -1), offs=offs)
            out.backward(torch.randn_like(out))  # a dense gradient (sum()'s is broadcast)
            torch.cuda.synchronize()
            return True
        except Exception as e:  # noqa: BLE001 - any failure means "not on this torch"
            print(f"grouped: torch._grouped_mm unavailable ({e}); one GEMM per expert",
                  file=sys.stderr)
            return False

    use_grouped = grouped_available()

    class MoE(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.c = c
            self.router = nn.Parameter(
                torch.randn(c["experts"], c["hidden"], dtype=torch.bfloat16) * c["hidden"]**-0.5)
            if use_grouped:
                # The experts' weights as stacked tensors [E, N, K] for the grouped GEMMs.
                e, d, f = c["experts"], c["hidden"], c["moe_inter"]
                self.w13 = nn.Parameter(torch.randn(e, 2 * f, d, dtype=torch.bfloat16) * d**-0.5)
                self.w2 = nn.Parameter(torch.randn(e, d, f, dtype=torch.bfloat16) * f**-0.5)
            else:
                self.experts = nn.ModuleList(
                    Expert(c["hidden"], c["moe_inter"]) for _ in range(c["experts"]))
            self.shared = Expert(c["hidden"], c["moe_inter"] * c["shared"])

        def forward(self, x):
            c = self.c
            shape = x.shape
            x = x.reshape(-1, shape[-1])
            scores = F.linear(x, self.router).float().sigmoid()
            w, idx = scores.topk(c["top_k"], dim=-1)
            w = (w / w.sum(-1, keepdim=True)).to(x.dtype)
            # Tokens sorted by expert: the permutation DeepEP's receive side does.
            flat = idx.flatten()
            order = flat.argsort()
            token = order // c["top_k"]
            xs = x.index_select(0, token)
            if use_grouped:
                counts = torch.bincount(flat, minlength=c["experts"])
                offs = counts.cumsum(0).to(torch.int32)
                g, u = torch._grouped_mm(xs, self.w13.transpose(-2, -1), offs=offs).chunk(2, -1)
                out = torch._grouped_mm(F.silu(g) * u, self.w2.transpose(-2, -1), offs=offs)
            else:
                counts = torch.bincount(flat, minlength=c["experts"]).tolist()
                out = torch.empty_like(xs)
                start = 0
                for e, n in enumerate(counts):
                    if n:
                        out[start:start + n] = self.experts[e](xs[start:start + n])
                    start += n
            y = torch.zeros_like(x)
            y.index_add_(0, token, out * w.flatten()[order].unsqueeze(-1))
            return (y + self.shared(x)).view(shape)

    class Layer(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.attn_norm, self.attn = RMSNorm(c["hidden"]), MLA(c)
            self.mlp_norm, self.moe = RMSNorm(c["hidden"]), MoE(c)

        def forward(self, x, cos, sin):
            with record_function("attn_forward"):
                x = x + self.attn(self.attn_norm(x), cos, sin)
            with record_function("mlp_forward"):
                x = x + self.moe(self.mlp_norm(x))
            return x

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.layers = nn.ModuleList(Layer(c) for _ in range(c["layers"]))

        def forward(self, x, cos, sin):
            for layer in self.layers:
                x = layer(x, cos, sin)
            return x

    with torch.device("cuda"):  # initialise on the GPU: billions of CPU randn draws are slow
        return Block(cfg), use_fp8, use_grouped


def run(cfg, name, out_dir, copy, steps_warmup=2):
    import torch
    from torch.profiler import ProfilerActivity, profile, record_function

    torch.manual_seed(0)
    model, fp8, grouped = build(cfg, fp8_wanted=True)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    b, s, d = cfg["batch"], cfg["seq"], cfg["hidden"]
    x = torch.randn(b, s, d, device="cuda", dtype=torch.bfloat16)
    target = torch.randn_like(x)
    pos = torch.arange(s, device="cuda", dtype=torch.float32)
    inv = 1.0 / (10000 ** (torch.arange(0, cfg["qk_rope"], 2, device="cuda").float() / cfg["qk_rope"]))
    ang = torch.outer(pos, inv)
    cos = ang.cos().to(torch.bfloat16).view(1, s, 1, -1)
    sin = ang.sin().to(torch.bfloat16).view(1, s, 1, -1)
    side = torch.cuda.Stream() if copy else None
    src = torch.empty(512 << 20, dtype=torch.uint8, device="cuda") if copy else None
    dst = torch.empty_like(src) if copy else None
    copies = 0

    def step():
        if copies:
            # Enough copies queued on the side stream to run through the whole step.
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(copies):
                    dst.copy_(src)
        with record_function("forward"):
            y = model(x, cos, sin)
            loss = (y.float() - target.float()).pow(2).mean()
        with record_function("backward"):
            loss.backward()
        with record_function("optimizer"):
            opt.step()
            opt.zero_grad(set_to_none=True)
        if copies:
            torch.cuda.current_stream().wait_stream(side)

    def timed(fn):
        torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        return time.perf_counter() - t

    for _ in range(steps_warmup):
        step_s = timed(step)
    if copy:
        one = timed(lambda: [dst.copy_(src) for _ in range(4)]) / 4
        copies = max(8, int(step_s / one) + 2)
        step()  # warm the overlapped step too
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        with record_function("ProfilerStep#1"):
            step()
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    raw = os.path.join(out_dir, name + ".json")
    prof.export_chrome_trace(raw)
    with open(raw, "rb") as f_in, gzip.open(raw + ".gz", "wb", compresslevel=9) as f_out:
        shutil.copyfileobj(f_in, f_out)
    os.remove(raw)
    return {"name": name, "file": name + ".json.gz", "fp8_forward_gemms": fp8,
            "grouped_expert_gemms": grouped,
            "concurrent_copy": copy, "concurrent_copies_of_512MiB": copies,
            "profiled_step_wall_s": round(wall, 4), "unprofiled_step_wall_s": round(step_s, 4),
            "parameters": sum(p.numel() for p in model.parameters())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="folder for the traces and the summary")
    ap.add_argument("--sizes", default="small,large")
    ap.add_argument("--dry-run", action="store_true")
    a = ap.parse_args()
    sizes = [s for s in a.sizes.split(",") if s]
    for s in sizes:
        if s not in CONFIGS:
            ap.error(f"unknown size {s!r}; one of {', '.join(CONFIGS)}")
    runs = [(s, copy) for s in sizes for copy in (False, True)]
    plan = [{"name": f"block-{s}{'-copy' if c else ''}", "config": CONFIGS[s],
             "concurrent_copy": c} for s, c in runs]
    if a.dry_run:
        print(json.dumps({"dry_run": True, "runs": plan}, indent=1))
        return 0
    os.makedirs(a.out, exist_ok=True)
    results = []
    for p in plan:
        try:
            results.append(run(p["config"], p["name"], a.out, p["concurrent_copy"]))
        except Exception as e:  # noqa: BLE001 - record and go on: a cut-short campaign still reports
            results.append({"name": p["name"], "error": f"{type(e).__name__}: {e}"})
        print(json.dumps(results[-1]), flush=True)
    with open(os.path.join(a.out, "block-runs.json"), "w") as f:
        json.dump({"runs": results, "configs": CONFIGS}, f, indent=1)
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
