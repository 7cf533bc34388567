-- SYNTHETIC hopsim-measure trace, written for the `hopsim calibrate` golden test
-- (tests/cli/golden_cases.txt). Not measured on a GPU: the tables are the layout `hopsim measure`
-- writes (docs/KERNELS.md), and the kernel times follow known curves:
--   gemm_bf16 (flops): rate = 800e12 * (sms / 132) * (1 - exp(-W / 1e10)) FLOP/s
--   hbm_copy  (bytes): bandwidth = 3e12 * (1 - exp(-sms / 24)) B/s
-- each measured three times (t, 1.1 t, 0.9 t: median t); rmsnorm has a single point (so it is
-- skipped) and one gemm_bf16 measurement ran concurrently with a copy on 112 SMs, 1.25 x slower
-- than its curve. Build: sqlite3 measure.sqlite < synthetic_measure.sql
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
INSERT INTO provenance VALUES ('device_name', 'synthetic H800'), ('sm_count', '132'),
  ('driver_version', 'synthetic'), ('hopsim_git_commit', 'synthetic'),
  ('date_utc', '2026-11-29T00:00:00Z'), ('command_line', 'hand-written test fixture');
INSERT INTO measurements VALUES
  (1, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+09, 0, 64, 'alone', NULL, 3),
  (2, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+10, 0, 64, 'alone', NULL, 3),
  (3, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+11, 0, 64, 'alone', NULL, 3),
  (4, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+12, 0, 64, 'alone', NULL, 3),
  (5, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+09, 0, 96, 'alone', NULL, 3),
  (6, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+10, 0, 96, 'alone', NULL, 3),
  (7, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+11, 0, 96, 'alone', NULL, 3),
  (8, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+12, 0, 96, 'alone', NULL, 3),
  (9, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+09, 0, 132, 'alone', NULL, 3),
  (10, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+10, 0, 132, 'alone', NULL, 3),
  (11, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+11, 0, 132, 'alone', NULL, 3),
  (12, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+12, 0, 132, 'alone', NULL, 3),
  (13, 'hbm_copy', 'copy', 'bytes', '{}', 0, 1e+08, 16, 'alone', NULL, 3),
  (14, 'hbm_copy', 'copy', 'bytes', '{}', 0, 1e+09, 16, 'alone', NULL, 3),
  (15, 'hbm_copy', 'copy', 'bytes', '{}', 0, 1e+08, 32, 'alone', NULL, 3),
  (16, 'hbm_copy', 'copy', 'bytes', '{}', 0, 1e+09, 32, 'alone', NULL, 3),
  (17, 'hbm_copy', 'copy', 'bytes', '{}', 0, 1e+08, 64, 'alone', NULL, 3),
  (18, 'hbm_copy', 'copy', 'bytes', '{}', 0, 1e+09, 64, 'alone', NULL, 3),
  (19, 'hbm_copy', 'copy', 'bytes', '{}', 0, 1e+08, 132, 'alone', NULL, 3),
  (20, 'hbm_copy', 'copy', 'bytes', '{}', 0, 1e+09, 132, 'alone', NULL, 3),
  (21, 'rmsnorm', 'norm', 'bytes', '{}', 0, 1e+08, 132, 'alone', NULL, 3),
  (22, 'gemm_bf16', 'gemm', 'flops', '{}', 1e+11, 0, 112, 'compute_concurrent', 23, 3),
  (23, 'hbm_copy', 'copy', 'bytes', '{}', 0, 1e+09, 20, 'copy_concurrent', 22, 3);
INSERT INTO kernels(id, name, start_ns, end_ns, device, stream, context, correlation,
  measurement_id, repeat) VALUES
  (1, 'k', 1000, 28092, 0, 1, 1, 1, 1, 0),
  (2, 'k', 1000, 30801, 0, 1, 1, 1, 1, 1),
  (3, 'k', 1000, 25383, 0, 1, 1, 1, 1, 2),
  (4, 'k', 1000, 41785, 0, 1, 1, 1, 2, 0),
  (5, 'k', 1000, 45864, 0, 1, 1, 1, 2, 1),
  (6, 'k', 1000, 37707, 0, 1, 1, 1, 2, 2),
  (7, 'k', 1000, 258824, 0, 1, 1, 1, 3, 0),
  (8, 'k', 1000, 284607, 0, 1, 1, 1, 3, 1),
  (9, 'k', 1000, 233042, 0, 1, 1, 1, 3, 2),
  (10, 'k', 1000, 2579125, 0, 1, 1, 1, 4, 0),
  (11, 'k', 1000, 2836938, 0, 1, 1, 1, 4, 1),
  (12, 'k', 1000, 2321312, 0, 1, 1, 1, 4, 2),
  (13, 'k', 1000, 19061, 0, 1, 1, 1, 5, 0),
  (14, 'k', 1000, 20867, 0, 1, 1, 1, 5, 1),
  (15, 'k', 1000, 17255, 0, 1, 1, 1, 5, 2),
  (16, 'k', 1000, 28190, 0, 1, 1, 1, 6, 0),
  (17, 'k', 1000, 30909, 0, 1, 1, 1, 6, 1),
  (18, 'k', 1000, 25471, 0, 1, 1, 1, 6, 2),
  (19, 'k', 1000, 172883, 0, 1, 1, 1, 7, 0),
  (20, 'k', 1000, 190071, 0, 1, 1, 1, 7, 1),
  (21, 'k', 1000, 155695, 0, 1, 1, 1, 7, 2),
  (22, 'k', 1000, 1719750, 0, 1, 1, 1, 8, 0),
  (23, 'k', 1000, 1891625, 0, 1, 1, 1, 8, 1),
  (24, 'k', 1000, 1547875, 0, 1, 1, 1, 8, 2),
  (25, 'k', 1000, 14135, 0, 1, 1, 1, 9, 0),
  (26, 'k', 1000, 15449, 0, 1, 1, 1, 9, 1),
  (27, 'k', 1000, 12822, 0, 1, 1, 1, 9, 2),
  (28, 'k', 1000, 20775, 0, 1, 1, 1, 10, 0),
  (29, 'k', 1000, 22752, 0, 1, 1, 1, 10, 1),
  (30, 'k', 1000, 18797, 0, 1, 1, 1, 10, 2),
  (31, 'k', 1000, 126006, 0, 1, 1, 1, 11, 0),
  (32, 'k', 1000, 138506, 0, 1, 1, 1, 11, 1),
  (33, 'k', 1000, 113505, 0, 1, 1, 1, 11, 2),
  (34, 'k', 1000, 1251000, 0, 1, 1, 1, 12, 0),
  (35, 'k', 1000, 1376000, 0, 1, 1, 1, 12, 1),
  (36, 'k', 1000, 1126000, 0, 1, 1, 1, 12, 2),
  (37, 'k', 1000, 69505, 0, 1, 1, 1, 13, 0),
  (38, 'k', 1000, 76355, 0, 1, 1, 1, 13, 1),
  (39, 'k', 1000, 62654, 0, 1, 1, 1, 13, 2),
  (40, 'k', 1000, 686049, 0, 1, 1, 1, 14, 0),
  (41, 'k', 1000, 754554, 0, 1, 1, 1, 14, 1),
  (42, 'k', 1000, 617545, 0, 1, 1, 1, 14, 2),
  (43, 'k', 1000, 46265, 0, 1, 1, 1, 15, 0),
  (44, 'k', 1000, 50792, 0, 1, 1, 1, 15, 1),
  (45, 'k', 1000, 41739, 0, 1, 1, 1, 15, 2),
  (46, 'k', 1000, 453651, 0, 1, 1, 1, 16, 0),
  (47, 'k', 1000, 498916, 0, 1, 1, 1, 16, 1),
  (48, 'k', 1000, 408386, 0, 1, 1, 1, 16, 2),
  (49, 'k', 1000, 36822, 0, 1, 1, 1, 17, 0),
  (50, 'k', 1000, 40405, 0, 1, 1, 1, 17, 1),
  (51, 'k', 1000, 33240, 0, 1, 1, 1, 17, 2),
  (52, 'k', 1000, 359224, 0, 1, 1, 1, 18, 0),
  (53, 'k', 1000, 395046, 0, 1, 1, 1, 18, 1),
  (54, 'k', 1000, 323402, 0, 1, 1, 1, 18, 2),
  (55, 'k', 1000, 34470, 0, 1, 1, 1, 19, 0),
  (56, 'k', 1000, 37817, 0, 1, 1, 1, 19, 1),
  (57, 'k', 1000, 31123, 0, 1, 1, 1, 19, 2),
  (58, 'k', 1000, 335701, 0, 1, 1, 1, 20, 0),
  (59, 'k', 1000, 369171, 0, 1, 1, 1, 20, 1),
  (60, 'k', 1000, 302231, 0, 1, 1, 1, 20, 2),
  (61, 'k', 1000, 51000, 0, 1, 1, 1, 21, 0),
  (62, 'k', 1000, 56000, 0, 1, 1, 1, 21, 1),
  (63, 'k', 1000, 46000, 0, 1, 1, 1, 21, 2),
  (64, 'k', 1000, 185160, 0, 1, 1, 1, 22, 0),
  (65, 'k', 1000, 203576, 0, 1, 1, 1, 22, 1),
  (66, 'k', 1000, 166744, 0, 1, 1, 1, 22, 2),
  (67, 'k', 1000, 590551, 0, 1, 1, 1, 23, 0),
  (68, 'k', 1000, 649506, 0, 1, 1, 1, 23, 1),
  (69, 'k', 1000, 531596, 0, 1, 1, 1, 23, 2);
