#!/usr/bin/env python3
"""Independent figures for the Kineto test traces, for tests/profiler/summary_test.cpp.

Uses only Python's json, gzip and decimal: it shares no code with hopsim's importer, so the C++
tests compare two implementations of the definitions in docs/TRACES.md ("Summary").
Times: JSON "ts"/"dur" are microseconds; converted to integer ns exactly with Decimal
(rounding half away from zero below 1 ns). Communication kernels: name contains "nccl"
(case-insensitive), which is what the shipped rules class as nccl_comm for these traces.

Regenerate (from the repository root):
    python3 tests/data/traces/compute_expected.py > tests/data/traces/expected_summary.json
"""
import decimal
import gzip
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TRACES = ["a100-2rank-nccl", "v100-1rank-training", "a100-alexnet-small"]


def to_ns(x):
    return int((x * 1000).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def union(iv):
    total, cur_s, cur_e = 0, None, None
    for s, e in sorted(iv):
        if e <= s:
            continue
        if cur_e is not None and s <= cur_e:
            cur_e = max(cur_e, e)
        else:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
    if cur_e is not None:
        total += cur_e - cur_s
    return total


def merged(iv):
    out = []
    for s, e in sorted(iv):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def intersection(a, b):
    a, b = merged(a), merged(b)
    total = 0
    for s1, e1 in a:  # quadratic but clear; these traces are small
        for s2, e2 in b:
            lo, hi = max(s1, s2), min(e1, e2)
            if hi > lo:
                total += hi - lo
    return total


def percentile(v, q):
    v = sorted(v)
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def summarize(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        doc = json.load(f, parse_float=decimal.Decimal, parse_int=decimal.Decimal)
    gpu = {"kernel": [], "gpu_memcpy": [], "gpu_memset": []}
    runtime = {}
    steps = []
    phases = []
    for e in doc["traceEvents"]:
        if e.get("ph") != "X":
            continue
        cat = e.get("cat")
        start = to_ns(e["ts"])
        end = start + to_ns(e["dur"])
        args = e.get("args", {})
        if cat in gpu:
            dev = int(args["device"]) if "device" in args else int(e["pid"])
            stream = int(args["stream"]) if "stream" in args else int(e["tid"])
            corr = int(args.get("correlation", -1))
            gpu[cat].append((e["name"], dev, stream, start, end, corr))
        elif cat in ("cuda_runtime", "cuda_driver"):
            corr = int(args.get("correlation", -1))
            runtime.setdefault(corr, []).append((start, int(e["pid"]), int(e["tid"]), end))
        elif cat == "user_annotation" and e["name"].startswith("ProfilerStep#"):
            steps.append((start, end, e["name"], int(e["pid"])))
        elif cat == "user_annotation":
            phases.append((start, end, e["name"], int(e["pid"]), int(e["tid"]), len(phases)))

    acts = gpu["kernel"] + gpu["gpu_memcpy"] + gpu["gpu_memset"]
    streams = {}
    for name, dev, stream, s, e, _ in acts:
        streams.setdefault((dev, stream), []).append((s, e))
    # Stream role: communication when at least half of its kernel time is communication.
    # Communication = communication kernels anywhere + every kernel on a communication stream.
    kernel_time, comm_time = {}, {}
    for name, dev, stream, s, e, _ in gpu["kernel"]:
        kernel_time[(dev, stream)] = kernel_time.get((dev, stream), 0) + (e - s)
        if "nccl" in name.lower():
            comm_time[(dev, stream)] = comm_time.get((dev, stream), 0) + (e - s)
    role = {k: ("communication" if comm_time.get(k, 0) * 2 >= v and v > 0 else "compute")
            for k, v in kernel_time.items()}
    comm, compute = {}, {}
    per_name = {}
    for name, dev, stream, s, e, _ in gpu["kernel"]:
        is_comm = "nccl" in name.lower() or role[(dev, stream)] == "communication"
        (comm if is_comm else compute).setdefault(dev, []).append((s, e))
        per_name[name] = per_name.get(name, 0) + (e - s)
    comm_t = sum(union(v) for v in comm.values())
    overlap = sum(intersection(comm.get(d, []), compute.get(d, [])) for d in comm)
    top = max(per_name.items(), key=lambda kv: (kv[1], kv[0]))

    steps.sort()
    step_out = []
    in_step = set()  # activities launched inside some step: (device, stream, start, end, corr)
    for s0, e0, name, pid in steps:
        gpu_time, n, first, last, nccl = 0, 0, None, None, 0
        for act_name, _d, _st, s, e, corr in acts:
            launches = runtime.get(corr, []) if corr >= 0 else []
            if any(s0 <= ls < e0 and lp == pid for ls, lp, _, _ in launches):
                in_step.add((_d, _st, s, e, corr))
                gpu_time += e - s
                n += 1
                first = s if first is None else min(first, s)
                last = e if last is None else max(last, e)
                if "nccl" in act_name.lower():
                    nccl += e - s
        step_out.append({"name": name, "duration_ns": e0 - s0, "gpu_time_ns": gpu_time,
                         "activities": n, "gpu_span_ns": last - first if n else 0,
                         "nccl_ns": nccl})
    # Annotations: each activity to the innermost user range (not ProfilerStep) holding the start
    # of its first launch: on the launching thread if one does, else on any thread of the
    # process. Innermost = latest start, then earliest end. A brute-force scan.
    per_annotation, how = {}, {"same_thread": 0, "other_thread": 0, "none": 0, "no_launch": 0}
    for name, dev, stream, s, e, corr in acts:
        launches = runtime.get(corr, []) if corr >= 0 else []
        if not launches:
            how["no_launch"] += 1
            continue
        ls, lp, lt, _ = min(launches)
        holding = [p for p in phases if p[3] == lp and p[0] <= ls < p[1]]
        mine = [p for p in holding if p[4] == lt]
        pick = mine or holding
        if not pick:
            how["none"] += 1
            continue
        how["same_thread" if mine else "other_thread"] += 1
        best = max(pick, key=lambda p: (p[0], -p[1], p[5]))
        row = per_annotation.setdefault((best[2], dev, stream), [0, 0])
        row[0] += 1
        row[1] += e - s
    # Per device: span, compute / non-compute / idle, launch delays, queue depth.
    device_time = []
    step_compute_gaps = []
    idle_by_stream = {}
    for dev in sorted({d for _, d, _, _, _, _ in acts}):
        mine = [a for a in acts if a[1] == dev]
        span = max(e for *_, e, _ in mine) - min(s for _, _, _, s, _, _ in mine)
        busy = union([(s, e) for _, _, _, s, e, _ in mine])
        comp = union(compute.get(dev, []))
        delays, short, events = [], 0, []
        for name, d, stream, s, e, corr in gpu["kernel"]:
            if d != dev or corr < 0 or corr not in runtime:
                continue
            ls, le = min((r[0], r[3]) for r in runtime[corr])
            delays.append(s - ls)
            if e - s < le - ls:
                short += 1
            events += [(ls, -0 + 1), (e, -1)]
        events.sort()
        q, area, qmax = 0, 0, 0
        for i, (tt, dq) in enumerate(events):
            if i > 0:
                area += q * (tt - events[i - 1][0])
            q += dq
            qmax = max(qmax, q)
        width = events[-1][0] - events[0][0] if events else 0
        # Queue length over time: time-weighted mean in 20 equal bins of the same window, by
        # brute force (each bin's overlap with each constant stretch).
        bins = []
        if width > 0:
            t0, bw = events[0][0], width / 20
            depth, stretches = 0, []
            for i, (tt, dq) in enumerate(events):
                if i > 0 and depth:
                    stretches.append((events[i - 1][0], tt, depth))
                depth += dq
            for b in range(20):  # in offsets from t0: Python floats of epoch ns are not exact
                lo, hi = b * bw, ((b + 1) * bw if b < 19 else width)
                bins.append(sum(d * max(0, min(hi, y - t0) - max(lo, x - t0))
                                for x, y, d in stretches) / bw)
        # Queued gaps: on each stream in (start, end) order, a kernel whose launch call (its
        # earliest) had ended by the time the activity before it ended: start - that end, >= 0.
        launch_end = {}
        for name, d, stream, s, e, corr in gpu["kernel"]:
            if d == dev and corr >= 0 and corr in runtime:
                launch_end[(stream, s, e, corr)] = min((r[0], r[3]) for r in runtime[corr])[1]
        gaps, compute_gaps = [], []
        # Ends of the device's kernels that have a launch, for the idle breakdown.
        kernel_ends = [e for name, d, stream, s, e, corr in gpu["kernel"]
                       if d == dev and corr >= 0 and corr in runtime]
        for key in sorted({(a[2]) for a in mine}):
            on = sorted((a for a in mine if a[2] == key), key=lambda a: (a[3], a[4]))
            breakdown = idle_by_stream.setdefault((dev, key), [0, 0, 0])
            for prev, a in zip(on, on[1:]):
                le = launch_end.get((a[2], a[3], a[4], a[5]))
                idle = a[3] - prev[4]
                if idle > 0:
                    if le is not None and le > prev[4]:
                        breakdown[0] += idle  # host wait
                    elif le is not None and not any(prev[4] < x <= a[3] for x in kernel_ends):
                        breakdown[1] += idle  # kernel wait
                    else:
                        breakdown[2] += idle  # other
                if le is None or le > prev[4]:
                    continue
                gaps.append(max(0, a[3] - prev[4]))
                # Streams with no kernel time (copies only) count as compute, as in hopsim.
                if role.get((dev, key), "compute") == "compute":
                    compute_gaps.append(max(0, a[3] - prev[4]))
                    if (a[1], a[2], a[3], a[4], a[5]) in in_step:
                        step_compute_gaps.append(max(0, a[3] - prev[4]))
        device_time.append({
            "device": dev, "span_ns": span, "compute_ns": comp,
            "non_compute_ns": busy - comp, "idle_ns": span - busy, "launches": len(delays),
            "launch_delay_p50_ns": percentile(delays, 0.5) if delays else 0,
            "launch_delay_p95_ns": percentile(delays, 0.95) if delays else 0,
            "short_kernels": short, "max_queue": qmax,
            "mean_queue": area / width if width > 0 else 0,
            "queue_over_time": bins,
            "queued_gaps": len(gaps),
            "queued_gap_p50_ns": percentile(gaps, 0.5) if gaps else 0,
            "queued_gap_total_ns": sum(gaps),
            "compute_queued_gaps": len(compute_gaps),
            "compute_queued_gap_p50_ns": percentile(compute_gaps, 0.5) if compute_gaps else 0,
            "compute_queued_gap_total_ns": sum(compute_gaps)})
    durs = [x["duration_ns"] for x in step_out]
    listed = doc.get("deviceProperties", [])
    return {
        "listed_devices": len(listed),
        "active_devices": sorted({dev for _, dev, _, _, _, _ in acts}),
        "kernels": len(gpu["kernel"]),
        "memcpys": len(gpu["gpu_memcpy"]),
        "memsets": len(gpu["gpu_memset"]),
        "activity_time_ns": sum(e - s for _, _, _, s, e, _ in acts),
        "gpu_span_ns": max(e for *_, e, _ in acts) - min(s for *_, s, _e, _ in acts),
        "streams": [{"device": d, "stream": st, "busy_ns": union(iv), "activities": len(iv),
                     "role": role.get((d, st), "compute"),
                     "idle_host_wait_ns": idle_by_stream.get((d, st), [0, 0, 0])[0],
                     "idle_kernel_wait_ns": idle_by_stream.get((d, st), [0, 0, 0])[1],
                     "idle_other_ns": idle_by_stream.get((d, st), [0, 0, 0])[2]}
                    for (d, st), iv in sorted(streams.items())],
        "comm_ns": comm_t,
        "overlapped_ns": overlap,
        "exposed_comm_ns": comm_t - overlap,
        "top_kernel": {"name": top[0], "total_ns": top[1]},
        "steps": step_out,
        "annotations": [{"name": n, "device": d, "stream": st, "activities": v[0], "total_ns": v[1]}
                        for (n, d, st), v in sorted(per_annotation.items())],
        "attribution": how,
        "device_time": device_time,
        "step_compute_queued_gap_total_ns": sum(step_compute_gaps),
        "step_time": {
            "mean_ns": sum(durs) / len(durs) if durs else 0,
            "p50_ns": percentile(durs, 0.5) if durs else 0,
            "p95_ns": percentile(durs, 0.95) if durs else 0,
        },
    }


def main():
    out = {"generated_by": "python3 tests/data/traces/compute_expected.py > "
                           "tests/data/traces/expected_summary.json"}
    for t in TRACES:
        out[t] = summarize(os.path.join(HERE, "kineto", t + ".json.gz"))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
