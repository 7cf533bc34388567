#include "hopsim/profiler/export/kineto_export.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <string>

namespace hopsim::profiler::exporter {

namespace {

// Kineto writes microseconds with three decimals: nanoseconds exactly.
std::string us(std::int64_t ns) {
  char b[40];
  std::snprintf(b, sizeof b, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
  return b;
}

std::string part_of(sim::Component c) {
  switch (c) {
    case sim::Component::kAttention:
      return "attn";
    case sim::Component::kMlp:
      return "mlp";
    case sim::Component::kNotifyDispatch:
    case sim::Component::kDispatch:
      return "dispatch";
    case sim::Component::kNotifyCombine:
    case sim::Component::kCombine:
      return "combine";
  }
  return "other";
}

// "L3.attn.B" -> "L3.attn(B)"; "L3.dispatch.bwd.notify" -> "L3.dispatch(B)"; TP all-reduces
// keep their own name (no component).
std::string phase_name(const sim::SubOp& op) {
  const std::string& n = op.name;
  if (n.find("allreduce") != std::string::npos) return n;
  const std::string unit = n.substr(0, n.find('.'));
  return unit + "." + part_of(op.component) + "(" + sim::sub_op_pass(op) + ")";
}

}  // namespace

void write_kineto(std::ostream& out, const Scenario& sc, const sim::SimResult& r, int rank) {
  if (r.timeline.empty()) {
    throw std::invalid_argument("Kineto export needs a run with RunOptions::collect_timeline");
  }
  if (rank < 0 || rank >= sc.plan.pp) {
    throw std::invalid_argument("Kineto export: pipeline rank " + std::to_string(rank) +
                                " outside 0.." + std::to_string(sc.plan.pp - 1));
  }
  constexpr std::int64_t kPid = 1;
  constexpr std::int64_t kOffset = 10'000;  // room for the first launch before time 0
  std::int64_t corr = 0;
  std::int64_t last_end = 0;
  // Events are streamed, one per line, so a 2048-GPU step does not build a DOM.
  out << "{\"schemaVersion\": 1,\n\"deviceProperties\": ["
      << nlohmann::json{{"id", 0},
                        {"name", sc.cluster.gpu.name},
                        {"numSms", sc.cluster.gpu.sms},
                        {"totalGlobalMem", sc.cluster.gpu.hbm_capacity.value()}}
             .dump()
      << "],\n\"distributedInfo\": "
      << nlohmann::json{{"rank", rank}, {"world_size", sc.cluster.num_gpus()}}.dump()
      << ",\n\"traceEvents\": [\n";
  bool first = true;
  // The JSON numbers are written as text with exactly three decimals.
  auto x = [&](const char* cat, const std::string& name, std::int64_t tid, std::int64_t start,
               std::int64_t dur, const nlohmann::json& args) {
    nlohmann::json e{{"ph", "X"}, {"cat", cat}, {"name", name}, {"pid", kPid}, {"tid", tid}};
    std::string s = e.dump();
    s.pop_back();  // the closing brace: ts and dur follow as exact decimals
    s += ",\"ts\":" + us(start) + ",\"dur\":" + us(dur);
    if (!args.empty()) s += ",\"args\":" + args.dump();
    s += "}";
    out << (first ? "" : ",\n") << s;
    first = false;
  };
  for (const auto& sl : r.timeline) {
    if (sl.rank != rank || sl.op == nullptr) continue;
    if (sl.lane != sim::Lane::kCompute && sl.lane != sim::Lane::kComm) continue;
    const std::int64_t start = sl.start.value() + kOffset;
    const std::int64_t end = sl.end.value() + kOffset;
    if (end <= start) continue;
    const bool comm = sl.lane == sim::Lane::kComm;
    const std::int64_t thread = comm ? 2 : 1;  // one launching thread per stream
    // A compute sub-op is its kernels, each after its launch gap as a GPU runs them: the
    // launches are all made before the sub-op starts, so every kernel waits in the queue and
    // its gap is the model's launch overhead (what `calibrate --from-trace` measures).
    // Communication sub-ops are one kernel each and carry no launch gap in the model.
    const std::int64_t n = std::max(1, sl.op->kernels);
    const std::int64_t gaps = std::min(sl.op->launch.value(), end - start - n);
    const std::int64_t first_launch = start - 100 * n - 100;
    x("user_annotation", phase_name(*sl.op), thread, first_launch - 100, 100 * n + 150, {});
    std::int64_t at = start;
    for (std::int64_t i = 0; i < n; ++i) {
      ++corr;
      // Integer shares: the remainders go to the last kernel and its gap.
      const std::int64_t gap = gaps / n + (i == n - 1 ? gaps % n : 0);
      const std::int64_t run =
          (end - start - gaps) / n + (i == n - 1 ? (end - start - gaps) % n : 0);
      x("cuda_runtime", "cudaLaunchKernel", thread, first_launch + 100 * i, 50,
        {{"correlation", corr}});
      at += gap;
      x("kernel", sl.op->name, 0, at, run,
        {{"device", 0}, {"stream", comm ? 20 : 7}, {"correlation", corr}});
      at += run;
    }
    last_end = std::max(last_end, end);
  }
  x("user_annotation", "ProfilerStep#1", 1, 0, last_end + kOffset, {});
  out << "\n],\n\"displayTimeUnit\": \"ms\"}\n";
}

}  // namespace hopsim::profiler::exporter
