#include "hopsim/profiler/export/kineto_export.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// A kernel name the shipped classifier (profiler/data/kernel_classes.yaml) files under each class
// the model predicts (runner's predicted_class_times), so that `compare` and the GUI hold an
// exported trace class by class. Names of real libraries where the class has one (DeepEP's
// namespace, NCCL's prefix), else hopsim's own.
std::string kernel_name(std::string_view trace_class) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"fp8_gemm", "hopsim::fp8_gemm"},
      {"bf16_gemm", "hopsim::bf16_gemm"},
      {"grouped_gemm", "hopsim::m_grouped_gemm"},
      {"wgrad_gemm", "hopsim::wgrad_gemm"},
      {"attention_fwd", "hopsim::flash_fwd"},
      {"attention_bwd", "hopsim::flash_bwd"},
      {"moe_routing", "hopsim::router_topk"},
      {"norm", "hopsim::rmsnorm"},
      {"fp8_cast", "hopsim::fp8_cast"},
      {"elementwise", "hopsim::elementwise"},
      // The forward dispatch's notify: DeepEP's layout kernel, then the count exchange.
      {"deepep_layout", "deep_ep::get_dispatch_layout"},
      {"deepep_notify", "deep_ep::internode::notify_dispatch"},
  };
  for (const auto& [cls, name] : kNames) {
    if (cls == trace_class) return std::string(name);
  }
  return "hopsim::" + std::string(trace_class);
}

// A communication sub-op's kernel as DeepEP or NCCL names it. DeepEP's backward runs the other
// direction's kernel: the gradient of a combine travels the dispatch pattern, and the reverse.
// Only the forward dispatch computes a layout and exchanges counts (`notify_dispatch`); the other
// calls reuse it (`cached_notify`).
std::string comm_kernel_name(const sim::SubOp& op) {
  if (op.cls == sim::WorkClass::kTpComm) return "ncclDevKernel_AllReduce_Sum_bf16_RING_LL";
  const bool backward = sim::sub_op_pass(op) == 'B';
  switch (op.component) {
    case sim::Component::kNotifyDispatch:
      return backward ? "deep_ep::internode::cached_notify" : "deep_ep::internode::notify_dispatch";
    case sim::Component::kNotifyCombine:
      return "deep_ep::internode::cached_notify";
    case sim::Component::kDispatch:
      return backward ? "deep_ep::internode::combine" : "deep_ep::internode::dispatch";
    case sim::Component::kCombine:
      return backward ? "deep_ep::internode::dispatch" : "deep_ep::internode::combine";
    default:
      return op.name;
  }
}

// The kernels of one slice of the timeline: name, op and run time each. A compute sub-op's run
// time (the slice less its launch gaps; the engine may have stretched it) goes to its ops as the
// engine stretched them: the run less the HBM interference is shared in proportion to the ops'
// run times in this slice (the modelled ones, routed ops' at the slice's routing load,
// Stretch::routed_load, so a busy rank's experts take the extra time and its shared
// expert does not; kernel-time variation scales every op alike), and the interference goes to
// the memory-bound ops, which it slowed, in proportion to theirs. Each op's share is spread over
// its kernels; integer remainders go to the last kernel so the runs add up to `run` exactly.
struct ExportedKernel {
  std::string name;
  std::string op;
  std::int64_t run = 0;
};
// How many kernels a sub-op is written as: its parts' kernels, else its own count (at least one).
std::int64_t kernel_count(const sim::SubOp& op) {
  if (op.parts.empty()) return std::max(1, op.kernels);
  std::int64_t n = 0;
  for (const auto& p : op.parts) n += std::max(1, p.kernels);
  return n;
}

// `total` ns over the parts in proportion to `weight` (parts of weight 0 get none), as integers
// that add up to `total`: the remainder goes to the last part of positive weight.
template <class Weight>
std::vector<std::int64_t> shares(const std::vector<sim::SubOpKernels>& parts, std::int64_t total,
                                 Weight weight) {
  std::vector<std::int64_t> out(parts.size(), 0);
  double sum = 0;
  for (const auto& p : parts) sum += weight(p);
  if (total == 0) return out;
  double before = 0;
  std::int64_t given = 0;
  std::size_t last = parts.size() - 1;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const double w = weight(parts[i]);
    if (sum > 0 && w <= 0) continue;
    before += w;
    const auto upto =
        sum > 0 ? static_cast<std::int64_t>(static_cast<double>(total) * before / sum) : total;
    out[i] = upto - given;
    given = upto;
    last = i;
  }
  out[last] += total - given;
  return out;
}

std::vector<ExportedKernel> slice_kernels(const sim::SubOp& op, std::int64_t run,
                                          const sim::TimelineSlice& sl) {
  const std::int64_t n = kernel_count(op);
  std::vector<ExportedKernel> out;
  out.reserve(static_cast<std::size_t>(n));
  if (op.parts.empty()) {
    for (std::int64_t i = 0; i < n; ++i) {
      out.push_back({op.lane == sim::Lane::kComm ? comm_kernel_name(op) : op.name, "",
                     run / n + (i == n - 1 ? run % n : 0)});
    }
    return out;
  }
  const auto stretched = [&sl](const sim::SubOpKernels& p) {
    return static_cast<double>(p.run.value()) * (p.routed ? sl.stretch.routed_load : 1.0);
  };
  const bool slowed = std::any_of(op.parts.begin(), op.parts.end(),
                                  [](const sim::SubOpKernels& p) { return p.memory_bound; });
  const std::int64_t interference =
      slowed ? std::clamp<std::int64_t>(sl.stretch.interference.value(), 0, run) : 0;
  const auto own = shares(op.parts, run - interference, stretched);
  const auto extra = shares(op.parts, interference, [&](const sim::SubOpKernels& p) {
    return p.memory_bound ? stretched(p) : 0.0;
  });
  for (std::size_t i = 0; i < op.parts.size(); ++i) {
    const auto& p = op.parts[i];
    const std::int64_t mine = own[i] + extra[i];
    const std::int64_t k = std::max(1, p.kernels);
    for (std::int64_t j = 0; j < k; ++j) {
      out.push_back({kernel_name(p.trace_class), p.op, mine / k + (j == k - 1 ? mine % k : 0)});
    }
  }
  return out;
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
    const std::int64_t n = kernel_count(*sl.op);
    // The launch gaps ran at the slice's kernel-time factor too (Stretch::time_scale).
    const std::int64_t gaps = std::min<std::int64_t>(
        std::llround(static_cast<double>(sl.op->launch.value()) * sl.stretch.time_scale),
        end - start - n);
    const std::int64_t first_launch = start - 100 * n - 100;
    x("user_annotation", phase_name(*sl.op), thread, first_launch - 100, 100 * n + 150, {});
    const std::vector<ExportedKernel> kernels = slice_kernels(*sl.op, end - start - gaps, sl);
    std::int64_t at = start;
    for (std::int64_t i = 0; i < n; ++i) {
      ++corr;
      // Integer shares: the remainder goes to the last kernel's gap.
      const std::int64_t gap = gaps / n + (i == n - 1 ? gaps % n : 0);
      const ExportedKernel& k = kernels[static_cast<std::size_t>(i)];
      x("cuda_runtime", "cudaLaunchKernel", thread, first_launch + 100 * i, 50,
        {{"correlation", corr}});
      at += gap;
      nlohmann::json args{{"device", 0}, {"stream", comm ? 20 : 7}, {"correlation", corr}};
      if (!k.op.empty()) args["hopsim_op"] = sl.op->name + "/" + k.op;
      x("kernel", k.name, 0, at, k.run, args);
      at += k.run;
    }
    last_end = std::max(last_end, end);
  }
  x("user_annotation", "ProfilerStep#1", 1, 0, last_end + kOffset, {});
  out << "\n],\n\"displayTimeUnit\": \"ms\"}\n";
}

}  // namespace hopsim::profiler::exporter
