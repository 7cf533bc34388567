-- SYNTHETIC Nsight Systems SQLite export, written by hand for hopsim's importer tests.
-- Not recorded from a real run: it has the tables and columns `nsys export --type sqlite`
-- produces (a subset of them), with small made-up values chosen so that every expected figure
-- in tests/profiler/nsys_test.cpp can be computed by hand.
-- Build: sqlite3 synthetic.sqlite < synthetic_nsys.sql  (the tests do the same through the C API)
CREATE TABLE StringIds (id INTEGER NOT NULL PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO StringIds VALUES
  (1, 'sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64'),
  (2, 'gemm_bf16'),
  (3, 'ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<4096ul>)'),
  (4, 'ncclDevKernel_AllReduce'),
  (5, 'cudaLaunchKernel'),
  (6, 'ProfilerStep#0'),
  (7, 'ProfilerStep#1'),
  (8, 'flash_fwd_kernel<Flash_fwd_kernel_traits<128, 64, 64, 4>>'),
  (9, 'flash_fwd_kernel'),
  (10, 'cudaMemcpyAsync');
CREATE TABLE TARGET_INFO_GPU (id INTEGER NOT NULL, name TEXT NOT NULL, busLocation TEXT,
  isDiscrete INTEGER, l2CacheSize INTEGER, totalMemory INTEGER, memoryBandwidth INTEGER,
  clockRate INTEGER, smCount INTEGER, computeMajor INTEGER, computeMinor INTEGER);
INSERT INTO TARGET_INFO_GPU VALUES
  (0, 'NVIDIA H800', '0000:18:00.0', 1, 52428800, 85520809984, 3352320000000, 1980000000, 132, 9, 0);
CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (start INTEGER NOT NULL, end INTEGER NOT NULL,
  deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL, streamId INTEGER NOT NULL,
  correlationId INTEGER, globalPid INTEGER, demangledName INTEGER NOT NULL,
  shortName INTEGER NOT NULL, mangledName INTEGER, launchType INTEGER, cacheConfig INTEGER,
  registersPerThread INTEGER NOT NULL, gridX INTEGER NOT NULL, gridY INTEGER NOT NULL,
  gridZ INTEGER NOT NULL, blockX INTEGER NOT NULL, blockY INTEGER NOT NULL,
  blockZ INTEGER NOT NULL);
-- Step 0 (host 1000..10000): GEMM 2000..6000 on stream 7, NCCL 4000..9000 on stream 20.
-- Step 1 (host 10000..30000): attention 12000..15000 on stream 7, NCCL 14000..16000 on stream 20.
INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES
  (2000, 6000, 0, 1, 7, 101, 4294967296000, 1, 2, NULL, 0, 0, 128, 66, 1, 1, 384, 1, 1),
  (4000, 9000, 0, 1, 20, 102, 4294967296000, 3, 4, NULL, 0, 0, 96, 32, 1, 1, 512, 1, 1),
  (12000, 15000, 0, 1, 7, 103, 4294967296000, 8, 9, NULL, 0, 0, 255, 132, 4, 1, 128, 1, 1),
  (14000, 16000, 0, 1, 20, 104, 4294967296000, 3, 4, NULL, 0, 0, 96, 32, 1, 1, 512, 1, 1);
CREATE TABLE CUPTI_ACTIVITY_KIND_MEMCPY (start INTEGER NOT NULL, end INTEGER NOT NULL,
  deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL, streamId INTEGER NOT NULL,
  correlationId INTEGER, globalPid INTEGER, bytes INTEGER NOT NULL, copyKind INTEGER NOT NULL,
  deprecatedSrcId INTEGER, srcKind INTEGER, dstKind INTEGER, srcDeviceId INTEGER,
  srcContextId INTEGER, dstDeviceId INTEGER, dstContextId INTEGER, migrationCause INTEGER,
  graphNodeId INTEGER, virtualAddress INTEGER);
INSERT INTO CUPTI_ACTIVITY_KIND_MEMCPY VALUES
  (17000, 17500, 0, 1, 7, 105, 4294967296000, 1048576, 1, NULL, 0, 1, 0, 1, 0, 1, NULL, NULL, NULL);
CREATE TABLE CUPTI_ACTIVITY_KIND_MEMSET (start INTEGER NOT NULL, end INTEGER NOT NULL,
  deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL, streamId INTEGER NOT NULL,
  correlationId INTEGER, globalPid INTEGER, value INTEGER NOT NULL, bytes INTEGER NOT NULL,
  graphNodeId INTEGER, memKind INTEGER);
INSERT INTO CUPTI_ACTIVITY_KIND_MEMSET VALUES
  (18000, 18100, 0, 1, 7, 106, 4294967296000, 0, 4096, NULL, 1);
-- globalTid = pid << 24 | tid with pid 256, tid 300 (nsys packs them this way).
CREATE TABLE CUPTI_ACTIVITY_KIND_RUNTIME (start INTEGER NOT NULL, end INTEGER NOT NULL,
  eventClass INTEGER NOT NULL, globalTid INTEGER, correlationId INTEGER, nameId INTEGER NOT NULL,
  returnValue INTEGER NOT NULL, callchainId INTEGER);
INSERT INTO CUPTI_ACTIVITY_KIND_RUNTIME VALUES
  (1500, 1600, 1, 4294967596, 101, 5, 0, NULL),
  (1700, 1800, 1, 4294967596, 102, 5, 0, NULL),
  (11000, 11100, 1, 4294967596, 103, 5, 0, NULL),
  (11200, 11300, 1, 4294967596, 104, 5, 0, NULL),
  (16500, 16600, 1, 4294967596, 105, 10, 0, NULL);
CREATE TABLE NVTX_EVENTS (start INTEGER NOT NULL, end INTEGER, eventType INTEGER NOT NULL,
  rangeId INTEGER, category INTEGER, color INTEGER, text TEXT, globalTid INTEGER,
  endGlobalTid INTEGER, textId INTEGER, domainId INTEGER, uint64Value INTEGER,
  int64Value INTEGER, doubleValue REAL, uint32Value INTEGER, int32Value INTEGER,
  floatValue REAL, jsonTextId INTEGER, jsonText TEXT);
INSERT INTO NVTX_EVENTS (start, end, eventType, text, globalTid, textId) VALUES
  (1000, 10000, 59, NULL, 4294967596, 6),
  (10000, 30000, 59, NULL, 4294967596, 7),
  (5000, NULL, 34, 'a marker, not a range', 4294967596, NULL);
