// `hopsim collective`: time and bandwidth of one collective on H800 and H100 clusters, per link
// class, with algorithm and bus bandwidth as nccl-tests defines them.

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/sim/collective/collective.hpp"
#include "table.hpp"

namespace hopsim::cli {
namespace {

ClusterProfile cluster_for(const std::string& hw, int nodes) {
  // Short names map to the shipped profiles; anything else is a GPU profile name or path.
  ClusterProfile c;
  if (hw == "h800" || hw == "h100") {
    c.gpu = load_gpu_profile(hw + "-sxm5");
    c.node = load_node_profile("hgx-" + hw + "-8gpu");
  } else {
    c.gpu = load_gpu_profile(hw);
    c.node = load_node_profile("hgx-h100-8gpu");
  }
  c.fabric = load_fabric_profile("ib-ndr-rail-optimized");
  c.num_nodes = nodes;
  return c;
}

}  // namespace

void register_collective(CLI::App& app, Io io) {
  auto* cmd =
      app.add_subcommand("collective", "Time and bandwidth of one collective, H800 vs H100");
  struct Opts {
    std::vector<std::string> hw{"h800", "h100"};
    std::string op = "dispatch";
    // The MoE flags set the spec directly, so its defaults are this command's defaults.
    sim::MoeCommSpec moe;
    int ranks = 8;
    double megabytes = 256;
    std::string fidelity = "flow";
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--hw", o->hw, "GPU kinds to compare: h800, h100, or a GPU profile (repeatable)");
  cmd->add_option("--op", o->op,
                  "dispatch, combine, allreduce, allreduce-tree, reducescatter, allgather, p2p")
      ->check(CLI::IsMember({"dispatch", "combine", "allreduce", "allreduce-tree", "reducescatter",
                             "allgather", "p2p"}));
  cmd->add_option("--ep", o->moe.ep_ranks, "MoE: expert-parallel ranks")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--tokens", o->moe.tokens_per_rank, "MoE: tokens per rank")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--hidden", o->moe.hidden, "MoE: hidden size")->check(CLI::PositiveNumber);
  cmd->add_option("--topk", o->moe.top_k, "MoE: experts per token")->check(CLI::PositiveNumber);
  cmd->add_option("--node-limit", o->moe.node_limit,
                  "MoE: at most M nodes per token (0 = no limit)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--experts", o->moe.num_experts, "MoE: routed experts")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--comm-sms", o->moe.comm_sms, "SMs held by the communication kernel")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--ranks", o->ranks, "Other collectives: ranks (consecutive GPUs)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--size-mb", o->megabytes, "Other collectives: buffer size per rank in MB")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--fidelity", o->fidelity, "flow (max-min fair sharing) or analytical")
      ->check(CLI::IsMember({"flow", "analytical"}));
  cmd->add_flag("--json", o->json, "Print as JSON");
  cmd->callback([o, io, cmd] {
    // Every flag is honoured or rejected: MoE sizes mean nothing to a ring, and the reverse.
    const bool moe_op = o->op == "dispatch" || o->op == "combine";
    for (const char* flag :
         {"--ep", "--tokens", "--hidden", "--topk", "--node-limit", "--experts"}) {
      if (!moe_op && cmd->count(flag) > 0) {
        throw CLI::ValidationError(flag, std::string("applies to --op dispatch or combine, not ") +
                                             o->op + (o->op == "p2p" ? "" : "; use --ranks"));
      }
    }
    for (const char* flag : {"--ranks", "--size-mb"}) {
      if ((moe_op || (o->op == "p2p" && std::string(flag) == "--ranks")) && cmd->count(flag) > 0) {
        throw CLI::ValidationError(flag, std::string("does not apply to --op ") + o->op +
                                             (moe_op ? "; use --ep and --tokens" : " (two ranks)"));
      }
    }
    sim::NetworkOptions net;
    net.fidelity = o->fidelity == "flow" ? sim::Fidelity::kFlow : sim::Fidelity::kAnalytical;
    net.comm_sms = o->moe.comm_sms;
    const bool moe = o->op == "dispatch" || o->op == "combine";
    const int gpus = moe ? o->moe.ep_ranks : (o->op == "p2p" ? 2 : o->ranks);
    std::vector<std::pair<std::string, sim::CollectiveResult>> results;
    for (const auto& hw : o->hw) {
      const int per_node = cluster_for(hw, 1).node.gpus_per_node;
      const ClusterProfile c = cluster_for(hw, std::max(1, (gpus + per_node - 1) / per_node));
      const Bytes size(static_cast<std::int64_t>(o->megabytes * 1e6));
      sim::CollectiveResult r;
      if (moe) {
        sim::MoeCommSpec spec = o->moe;
        spec.scale_bytes = sim::fp8_scale_bytes_per_token(spec.hidden);
        r = o->op == "dispatch" ? sim::moe_dispatch(c, spec, net) : sim::moe_combine(c, spec, net);
      } else if (o->op == "p2p") {
        r = sim::p2p(c, 0, std::min(c.num_gpus() - 1, per_node), size, net);
      } else {
        const auto group = sim::GroupSpec::rail_aligned(o->ranks, c.node.gpus_per_node);
        if (o->op == "allreduce") r = sim::all_reduce(c, group, size, sim::Algorithm::kRing, net);
        if (o->op == "allreduce-tree")
          r = sim::all_reduce(c, group, size, sim::Algorithm::kTree, net);
        if (o->op == "reducescatter") r = sim::reduce_scatter(c, group, size, net);
        if (o->op == "allgather") r = sim::all_gather(c, group, size, net);
      }
      results.emplace_back(c.gpu.name, r);
    }
    if (o->json) {
      nlohmann::ordered_json j = nlohmann::ordered_json::array();
      for (const auto& [name, r] : results) {
        nlohmann::ordered_json e{{"gpu", name},
                                 {"algorithm", r.algorithm},
                                 {"ranks", r.ranks},
                                 {"bytes_per_rank", r.bytes_per_rank.value()},
                                 {"time_ns", r.time.value()},
                                 {"algbw_gb_per_s", r.algorithm_bandwidth.value() / kGiga},
                                 {"busbw_gb_per_s", r.bus_bandwidth.value() / kGiga},
                                 {"bottleneck", std::string(sim::to_string(r.bottleneck))},
                                 {"bottleneck_gb_per_s", r.bottleneck_bandwidth.value() / kGiga}};
        for (int k = 0; k < sim::kNumLinkClasses; ++k) {
          const auto& u = r.per_class[static_cast<std::size_t>(k)];
          if (u.links_used == 0) continue;
          e["links"][std::string(sim::to_string(static_cast<sim::LinkClass>(k)))] = {
              {"bytes", u.bytes.value()},
              {"busiest_link_bytes", u.busiest_link_bytes.value()},
              {"effective_gb_per_s", u.effective_bandwidth.value() / kGiga},
              {"capacity_gb_per_s", u.link_capacity.value() / kGiga},
              {"links_used", u.links_used}};
        }
        j.push_back(e);
      }
      io.out << j.dump(2) << "\n";
      return;
    }
    std::vector<std::string> head{
        o->op + (moe ? " EP" + std::to_string(o->moe.ep_ranks) : " x" + std::to_string(gpus))};
    for (const auto& [name, r] : results) head.push_back(name);
    Table t(head);
    auto row = [&](const std::string& label,
                   const std::function<std::string(const sim::CollectiveResult&)>& f) {
      std::vector<std::string> cells{label};
      for (const auto& [name, r] : results) cells.push_back(f(r));
      t.add(cells);
    };
    row("algorithm", [](const auto& r) { return r.algorithm; });
    row("time", [](const auto& r) { return fmt("%.1f us", to_us(r.time)); });
    row("size per rank", [](const auto& r) {
      return fmt("%.2f MB", static_cast<double>(r.bytes_per_rank.value()) / 1e6);
    });
    row("algorithm bandwidth",
        [](const auto& r) { return fmt("%.1f GB/s", r.algorithm_bandwidth.value() / kGiga); });
    if (moe) {
      // DeepEP's tests count the own node's tokens as RDMA bytes although they go over NVLink.
      row("bandwidth as DeepEP reports it",
          [](const auto& r) { return fmt("%.1f GB/s", r.reported_bandwidth.value() / kGiga); });
      row("busiest link bandwidth",
          [](const auto& r) { return fmt("%.1f GB/s", r.bus_bandwidth.value() / kGiga); });
    } else {
      row("bus bandwidth (nccl-tests)",
          [](const auto& r) { return fmt("%.1f GB/s", r.bus_bandwidth.value() / kGiga); });
    }
    row("bottleneck link class",
        [](const auto& r) { return std::string(sim::to_string(r.bottleneck)); });
    for (int k = 0; k < sim::kNumLinkClasses; ++k) {
      const auto cls = static_cast<sim::LinkClass>(k);
      const bool used = std::any_of(results.begin(), results.end(), [k](const auto& p) {
        return p.second.per_class[static_cast<std::size_t>(k)].links_used > 0;
      });
      if (!used) continue;
      row(std::string(sim::to_string(cls)) + ": busiest link, effective / capacity",
          [k](const auto& r) {
            const auto& u = r.per_class[static_cast<std::size_t>(k)];
            return fmt("%.1f", u.effective_bandwidth.value() / kGiga) + " / " +
                   fmt("%.1f GB/s", u.link_capacity.value() / kGiga);
          });
    }
    t.print(io.out);
  });
}

}  // namespace hopsim::cli
