#include "hopsim/core/workload/placement.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "hopsim/core/error.hpp"
#include "hopsim/core/workload/workload.hpp"

namespace hopsim {
namespace {

double training_flops(const LayerWorkload& u) {
  return u.fwd_flops().value() + u.bwd_input_flops().value() + u.bwd_weight_flops().value();
}

}  // namespace

StagePlacement place_stages(const ModelConfig& m, const ParallelPlan& plan, int stages,
                            int gpus_per_node) {
  const int layers = m.n_layers;
  const int mtp = m.mtp_depth;
  if (stages < 1) throw PlanError("pipeline: at least one stage expected");
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
        prefix[static_cast<std::size_t>(l)] +
        training_flops(units[static_cast<std::size_t>(l) + 1]);
  }
  const double first_extra = training_flops(units.front());
  double last_extra = training_flops(units.back());
  for (int d = 0; d < mtp; ++d) {
    last_extra += training_flops(units[static_cast<std::size_t>(layers + 1 + d)]);
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
  StagePlacement p;
  p.first.assign(S, 0);
  p.count.assign(S, 0);
  int end = layers;
  for (int s = stages - 1; s >= 0; --s) {
    const int start = s == 0 ? 0 : cut[static_cast<std::size_t>(s)][static_cast<std::size_t>(end)];
    p.first[static_cast<std::size_t>(s)] = start;
    p.count[static_cast<std::size_t>(s)] = end - start;
    end = start;
  }
  p.count.back() += mtp;  // MTP blocks follow the last main layer
  return p;
}

}  // namespace hopsim
