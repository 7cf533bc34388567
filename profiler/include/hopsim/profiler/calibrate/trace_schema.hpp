#pragma once
//! SQLite layout of a hopsim-measure trace, shared by the writer (kernels/measure) and the reader
//! (calibrate/trace_input). Documented column by column in docs/KERNELS.md.

namespace hopsim::profiler::calibrate {

inline constexpr int kMeasureTraceVersion = 1;

//! DDL executed by hopsim-measure on a fresh file. Times are CUPTI GPU timestamps in ns.
//! The synthetic test trace (tests/data/traces/measure/synthetic_measure.py) reads this raw
//! string literal from this file, so that its tables are these: keep it one literal.
inline constexpr const char* kMeasureTraceSchema = R"sql(
CREATE TABLE provenance(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE measurements(
  id INTEGER PRIMARY KEY,        -- also the CUPTI external correlation id's high bits
  kernel_class TEXT NOT NULL,    -- e.g. gemm_fp8, attention_fwd, comm_copy
  label TEXT NOT NULL,           -- plan entry name, e.g. wq_a
  basis TEXT NOT NULL CHECK (basis IN ('flops', 'bytes')),
  shape TEXT NOT NULL,           -- JSON object of the shape parameters
  flops REAL NOT NULL,           -- useful FLOPs of one repeat
  bytes REAL NOT NULL,           -- minimum HBM bytes of one repeat
  partition_sms INTEGER NOT NULL,-- SMs of the green context (or the whole GPU) it ran on
  role TEXT NOT NULL CHECK (role IN ('alone', 'compute_concurrent', 'copy_concurrent')),
  concurrent_with INTEGER,       -- the other measurement of a concurrent pair
  repeats INTEGER NOT NULL);
CREATE TABLE kernels(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  device INTEGER NOT NULL, stream INTEGER NOT NULL, context INTEGER NOT NULL,
  correlation INTEGER NOT NULL,
  grid_x INTEGER, grid_y INTEGER, grid_z INTEGER, block_x INTEGER, block_y INTEGER, block_z INTEGER,
  registers INTEGER, shared_bytes INTEGER,
  green_ctx INTEGER NOT NULL DEFAULT 0,  -- 1 when the context is a green context
  green_ctx_sms INTEGER,                 -- SMs of that context (CUPTI context record)
  measurement_id INTEGER REFERENCES measurements(id),
  repeat INTEGER);
CREATE TABLE memcpy(id INTEGER PRIMARY KEY, kind INTEGER, bytes INTEGER, start_ns INTEGER,
  end_ns INTEGER, device INTEGER, stream INTEGER, context INTEGER, correlation INTEGER);
CREATE TABLE memset(id INTEGER PRIMARY KEY, bytes INTEGER, start_ns INTEGER, end_ns INTEGER,
  device INTEGER, stream INTEGER, context INTEGER, correlation INTEGER);
CREATE TABLE runtime_api(id INTEGER PRIMARY KEY, cbid INTEGER, start_ns INTEGER, end_ns INTEGER,
  process INTEGER, thread INTEGER, correlation INTEGER);
CREATE TABLE contexts(context INTEGER PRIMARY KEY, device INTEGER, green_ctx INTEGER,
  sms INTEGER, parent_context INTEGER);
CREATE TABLE overlaps(compute_measurement INTEGER, copy_measurement INTEGER,
  overlap_ns INTEGER, compute_ns INTEGER, copy_ns INTEGER, disjoint_partitions INTEGER);
)sql";

}  // namespace hopsim::profiler::calibrate
