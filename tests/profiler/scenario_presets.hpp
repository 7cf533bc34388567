#pragma once
// The small scenario the profiler tests simulate: DeepSeek-V2-Lite on 2 H800 nodes, PP2 DP8 EP8,
// 1F1B, 20 communication SMs, FP8 GEMMs: fast, and with every component (MoE all-to-all too).

#include "../core/model_presets.hpp"
#include "../sim/cluster_presets.hpp"
#include "hopsim/core/scenario.hpp"

namespace hopsim::profiler::test {

inline Scenario small_v2_lite_scenario() {
  Scenario s;
  s.name = "v2-lite-16";
  s.cluster = hopsim::test::h800_cluster(2);
  s.model = hopsim::test::deepseek_v2_lite();
  s.plan.pp = 2;
  s.plan.dp = 8;
  s.plan.ep = 8;
  s.plan.micro_batches = 8;
  s.plan.seq_len = 4096;
  s.plan.schedule = ScheduleKind::k1F1B;
  s.plan.comm_sms = 20;
  s.plan.gemm_precision = Precision::kFp8;
  return s;
}

}  // namespace hopsim::profiler::test
