#include "hopsim/core/workload/placement.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "hopsim/core/error.hpp"
#include "hopsim/core/workload/workload.hpp"

namespace hopsim {
double training_flops(const LayerWorkload& u) {
  return u.fwd_flops().value() + u.bwd_input_flops().value() + u.bwd_weight_flops().value();
}

StagePlacement place_stages(const Scenario& sc, int stages) {
  const GpuProfile& g = sc.cluster.gpu;
  const bool known =
      g.fp8_dense.value() > 0 && g.bf16_dense.value() > 0 && g.hbm_bandwidth.value() > 0;
  auto roofline = [&g, known](const LayerWorkload& u) {
    if (!known) return training_flops(u);
    double t = 0;
    for (const auto* part : {&u.attention, &u.mlp}) {
      for (const Op& op : *part) {
        const double peak = op.dtype == "fp8" ? g.fp8_dense.value() : g.bf16_dense.value();
        const double hbm = g.hbm_bandwidth.value();
        t += std::max(op.fwd.value() / peak,
                      static_cast<double>(op.bytes_fwd.total().value()) / hbm);
        t += std::max(op.bwd_input.value() / peak,
                      static_cast<double>(op.bytes_bwd_input.total().value()) / hbm);
        t += std::max(op.bwd_weight.value() / peak,
                      static_cast<double>(op.bytes_bwd_weight.total().value()) / hbm);
      }
    }
    return t;
  };
  return place_stages(sc.model, sc.plan, stages, roofline, sc.cluster.node.gpus_per_node);
}

std::string layout_problem(const ModelConfig& m, const std::vector<int>& layers_per_stage,
                           int stages) {
  const auto n = static_cast<int>(layers_per_stage.size());
  if (n != stages) {
    return "layers_per_stage lists " + std::to_string(n) + " stage" + (n == 1 ? "" : "s") +
           " but the plan has " + std::to_string(stages) +
           " (PP, times virtual_stages for interleaved-1f1b, times 2 for dualpipev): give one "
           "count per stage, or leave layers_per_stage out (or []) to balance by cost";
  }
  long long sum = 0;
  for (int s = 0; s < n; ++s) {
    const int c = layers_per_stage[static_cast<std::size_t>(s)];
    const bool may_be_empty = s == n - 1 && m.mtp_depth > 0;
    if (c < (may_be_empty ? 0 : 1)) {
      return "layers_per_stage[" + std::to_string(s) + "] = " + std::to_string(c) +
             ": every stage needs a layer" +
             (may_be_empty ? "" : " (only a last stage holding MTP modules may have none)");
    }
    sum += c;
  }
  if (sum != m.n_layers) {
    return "layers_per_stage adds up to " + std::to_string(sum) + " layers but the model '" +
           m.name + "' has " + std::to_string(m.n_layers) + " (MTP modules are not counted)";
  }
  return {};
}

StagePlacement place_stages(const ModelConfig& m, const ParallelPlan& plan, int stages,
                            const std::function<double(const LayerWorkload&)>& unit_cost,
                            int gpus_per_node) {
  const int layers = m.n_layers;
  const int mtp = m.mtp_depth;
  if (stages < 1) throw PlanError("pipeline: at least one stage expected");
  if (!plan.layers_per_stage.empty()) {
    if (const std::string why = layout_problem(m, plan.layers_per_stage, stages); !why.empty()) {
      throw PlanError("pipeline: " + why);
    }
    StagePlacement p;
    for (int c : plan.layers_per_stage) {
      p.first.push_back(p.first.empty() ? 0 : p.first.back() + p.count.back());
      p.count.push_back(c);
    }
    p.count.back() += mtp;  // MTP blocks follow the last main layer
    return p;
  }
  if (stages > layers + (mtp > 0 ? 1 : 0)) {
    throw PlanError("pipeline has " + std::to_string(stages) + " stages but the model only " +
                    std::to_string(layers + mtp) +
                    " transformer blocks (layers + MTP): at least one per stage");
  }
  const std::vector<LayerWorkload> units = build_workload(m, shape_from_plan(plan, gpus_per_node));
  // units: embedding, layers..., MTP modules..., head.
  std::vector<double> prefix(static_cast<std::size_t>(layers) + 1, 0.0);
  for (int l = 0; l < layers; ++l) {
    prefix[static_cast<std::size_t>(l) + 1] =
        prefix[static_cast<std::size_t>(l)] + unit_cost(units[static_cast<std::size_t>(l) + 1]);
  }
  const double first_extra = unit_cost(units.front());
  double last_extra = unit_cost(units.back());
  for (int d = 0; d < mtp; ++d) {
    last_extra += unit_cost(units[static_cast<std::size_t>(layers + 1 + d)]);
  }
  auto cost = [&](int s, int from, int to) {  // stage s holds main layers [from, to)
    double c = prefix[static_cast<std::size_t>(to)] - prefix[static_cast<std::size_t>(from)];
    if (s == 0) c += first_extra;
    if (s == stages - 1) c += last_extra;
    return c;
  };
  // best[s][i]: the cheapest bottleneck for layers [0, i) on stages 0..s; cut[s][i]: where stage
  // s starts in it. Classic linear partition, O(stages x layers^2).
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const auto S = static_cast<std::size_t>(stages);
  const auto L = static_cast<std::size_t>(layers);
  std::vector<std::vector<double>> best(S, std::vector<double>(L + 1, kInf));
  std::vector<std::vector<int>> cut(S, std::vector<int>(L + 1, 0));
  for (int i = 1; i <= layers; ++i) best[0][static_cast<std::size_t>(i)] = cost(0, 0, i);
  if (stages == 1 && mtp > 0) best[0][0] = cost(0, 0, 0);
  for (int s = 1; s < stages; ++s) {
    const bool last = s == stages - 1;
    for (int i = s; i <= layers; ++i) {
      // Stage s takes [j, i): at least one layer, or none when it is the last and holds MTP.
      const int j_max = (last && mtp > 0) ? i : i - 1;
      for (int j = s; j <= j_max; ++j) {
        const double prev = best[static_cast<std::size_t>(s) - 1][static_cast<std::size_t>(j)];
        const double v = std::max(prev, cost(s, j, i));
        if (v < best[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)]) {
          best[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)] = v;
          cut[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)] = j;
        }
      }
    }
  }
  // Stage boundaries: stage s holds main layers [bound[s], bound[s + 1]).
  std::vector<int> bound(S + 1, 0);
  bound[S] = layers;
  for (int s = stages - 1, end = layers; s > 0; --s) {
    end = cut[static_cast<std::size_t>(s)][static_cast<std::size_t>(end)];
    bound[static_cast<std::size_t>(s)] = end;
  }
  StagePlacement p;
  p.first.assign(S, 0);
  p.count.assign(S, 0);
  for (std::size_t s = 0; s < S; ++s) {
    p.first[s] = bound[s];
    p.count[s] = bound[s + 1] - bound[s];
  }
  p.count.back() += mtp;  // MTP blocks follow the last main layer
  return p;
}

}  // namespace hopsim
