#!/usr/bin/env python3
"""SYNTHETIC hopsim-measure trace for the `hopsim calibrate` golden tests (tests/cli/golden_cases.txt).

Not measured on a GPU. The tables are created by the layout's one definition, kMeasureTraceSchema in
profiler/include/hopsim/profiler/calibrate/trace_schema.hpp (the DDL `hopsim measure` runs), and
the kernel times are computed here from known curves, so that what calibrate fits can be checked
against them:
  gemm_bf16 (flops): rate = 800e12 * (sms / 132) * (1 - exp(-W / 1e10)) FLOP/s
  hbm_copy  (bytes): bandwidth = 3e12 * (1 - exp(-sms / 24)) B/s
Each measurement ran three times (t, 1.1 t, 0.9 t: median t), each repeat one kernel, rounded to
the nanosecond. rmsnorm has a single point (so calibrate skips it), and one gemm_bf16 measurement
ran concurrently with a copy on 112 SMs, 1.25 x slower than its curve.

  synthetic_measure.py SOURCE_DIR OUT.sqlite    (tests/cli/golden.py calls build())
"""
import math
import os
import re
import sqlite3
import sys

SCHEMA_HEADER = "profiler/include/hopsim/profiler/calibrate/trace_schema.hpp"

PROVENANCE = [
    ("device_name", "synthetic H800"), ("sm_count", "132"), ("driver_version", "synthetic"),
    ("hopsim_git_commit", "synthetic"), ("date_utc", "2026-11-29T00:00:00Z"),
    ("command_line", "hand-written test fixture"),
]

REPEAT_FACTORS = (1.0, 1.1, 0.9)


def gemm_ns(flops, sms):
    return 1e9 * flops / (800e12 * (sms / 132) * (1 - math.exp(-flops / 1e10)))


def copy_ns(nbytes, sms):
    return 1e9 * nbytes / (3e12 * (1 - math.exp(-sms / 24)))


def measurements():
    """(kernel_class, label, flops, bytes, partition_sms, role, concurrent_with, t_ns) in id
    order, ids from 1."""
    rows = []
    for sms in (64, 96, 132):
        for w in (1e9, 1e10, 1e11, 1e12):
            rows.append(("gemm_bf16", "gemm", w, 0, sms, "alone", None, gemm_ns(w, sms)))
    for sms in (16, 32, 64, 132):
        for b in (1e8, 1e9):
            rows.append(("hbm_copy", "copy", 0, b, sms, "alone", None, copy_ns(b, sms)))
    rows.append(("rmsnorm", "norm", 0, 1e8, 132, "alone", None, 50000))
    # The concurrent pair, ids 22 (compute half) and 23 (copy half).
    rows.append(("gemm_bf16", "gemm", 1e11, 0, 112, "compute_concurrent", 23,
                 1.25 * gemm_ns(1e11, 112)))
    rows.append(("hbm_copy", "copy", 0, 1e9, 20, "copy_concurrent", 22, copy_ns(1e9, 20)))
    return rows


def schema(source_dir):
    with open(os.path.join(source_dir, SCHEMA_HEADER), encoding="utf-8") as f:
        found = re.search(r'kMeasureTraceSchema = R"sql\((.*?)\)sql"', f.read(), re.DOTALL)
    if not found:
        sys.exit(f"{SCHEMA_HEADER}: kMeasureTraceSchema is not a raw string literal")
    return found.group(1)


def sql_value(v):
    if v is None:
        return "NULL"
    return "'" + v.replace("'", "''") + "'" if isinstance(v, str) else repr(v)


def insert(table, rows, columns=""):
    values = ",\n  ".join("(" + ", ".join(sql_value(v) for v in row) + ")" for row in rows)
    return f"INSERT INTO {table}{columns} VALUES\n  {values};\n"


def script(source_dir):
    """The schema, then one INSERT per table. Run as one script, each statement commits on its
    own: the file's bytes, whose SHA-256 calibrate records in its provenance, depend on the
    statements and their order."""
    points = measurements()
    kernels = []
    for mid, (*_, t_ns) in enumerate(points, 1):
        for repeat, factor in enumerate(REPEAT_FACTORS):
            kernels.append((len(kernels) + 1, "k", 1000, 1000 + round(factor * t_ns), 0, 1, 1, 1,
                            mid, repeat))
    return (schema(source_dir) + insert("provenance", PROVENANCE) +
            insert("measurements", [
                (mid, klass, label, "flops" if flops > 0 else "bytes", "{}", flops, nbytes, sms,
                 role, other, 3)
                for mid, (klass, label, flops, nbytes, sms, role, other, _) in enumerate(points, 1)
            ]) +
            insert("kernels", kernels, "(id, name, start_ns, end_ns, device, stream, context, "
                   "correlation, measurement_id, repeat)"))


def build(source_dir, path):
    """Writes the trace to a new SQLite file at `path`."""
    with sqlite3.connect(path) as db:
        db.executescript(script(source_dir))
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build(sys.argv[1], sys.argv[2])
