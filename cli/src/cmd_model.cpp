// `hopsim model` and `hopsim memory`: what a model is made of, and what a plan needs per GPU.

#include <algorithm>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/enum_names.hpp"
#include "hopsim/core/workload/flops.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/core/workload/parameters.hpp"
#include "hopsim/core/workload/workload.hpp"
#include "hopsim/sim/runner/runner.hpp"
#include "table.hpp"

namespace hopsim::cli {
namespace {

std::string billions(std::int64_t n) {
  return fmt("%.3f B", static_cast<double>(n) / 1e9);
}
std::string gflop(Flops f) {
  return fmt("%.2f", f.value() / 1e9);
}
std::string gib(Bytes b) {
  return fmt("%.2f GiB", static_cast<double>(b.value()) / (1024.0 * 1024 * 1024));
}
std::string mib(Bytes b) {
  return fmt("%.1f", static_cast<double>(b.value()) / (1024.0 * 1024));
}

// How the tables spell the attention kinds (the model files spell them in lower case).
constexpr EnumNames<AttentionKind::kMla> kAttentionNames{{"MHA", "GQA", "MLA"}};

const char* attention_name(AttentionKind k) {
  return kAttentionNames.name(k, "MHA");
}

nlohmann::ordered_json op_json(const Op& op) {
  return {{"name", op.name},
          {"kind", to_string(op.kind)},
          {"dtype", op.dtype},
          {"m", op.m},
          {"n", op.n},
          {"k", op.k},
          {"groups", op.groups},
          {"flops_fwd", op.fwd.value()},
          {"flops_bwd_input", op.bwd_input.value()},
          {"flops_bwd_weight", op.bwd_weight.value()},
          {"bytes_read_fwd", op.bytes_fwd.read.value()},
          {"bytes_written_fwd", op.bytes_fwd.written.value()}};
}

void add_op_rows(Table& t, const std::string& part, const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    const std::string shape = op.m > 0 ? (op.groups > 1 ? std::to_string(op.groups) + "x" : "") +
                                             std::to_string(op.m) + "x" + std::to_string(op.n) +
                                             "x" + std::to_string(op.k)
                                       : "-";
    t.add({part + " " + op.name, to_string(op.kind), shape, gflop(op.fwd), gflop(op.bwd_input),
           gflop(op.bwd_weight), mib(op.bytes_fwd.read), mib(op.bytes_fwd.written), op.dtype});
  }
}

}  // namespace

void register_model(CLI::App& app, Io io) {
  auto* cmd = app.add_subcommand(
      "model",
      "Parameters, training FLOPs per token, KV cache and the per-layer op table of a model");
  struct Opts {
    std::string spec;
    int seq_len = 4096;
    int tokens = 4096;
    std::string precision = "fp8";
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option(
         "model", o->spec,
         "Shipped name (deepseek-v3, deepseek-v2-lite, llama3-70b), hopsim YAML or HF config.json")
      ->required();
  cmd->add_option("--seq-len", o->seq_len, "Sequence length for attention FLOPs")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--tokens", o->tokens, "Tokens per micro-batch for the op table")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--precision", o->precision, "GEMM precision of the op table")
      ->check(CLI::IsMember({"fp8", "bf16"}));
  cmd->add_flag("--json", o->json, "Print as JSON");
  cmd->callback([o, io] {
    const ModelConfig m = load_model(o->spec);
    const ParameterCount pc = count_parameters(m);
    const FlopsPerToken f = training_flops(m, o->seq_len, false);
    const KvCacheBytes kv = kv_cache_per_token(m, 2);
    WorkloadShape shape;
    shape.tokens = o->tokens;
    shape.seq_len = o->seq_len;
    shape.gemm_precision = o->precision == "fp8" ? Precision::kFp8 : Precision::kBf16;
    const auto layers = build_workload(m, shape);
    // One of each kind of layer is enough to show the op table.
    std::vector<const LayerWorkload*> shown;
    for (const auto& l : layers) {
      const bool seen = std::any_of(shown.begin(), shown.end(),
                                    [&](const LayerWorkload* s) { return s->kind == l.kind; });
      if (!seen) shown.push_back(&l);
    }
    if (o->json) {
      nlohmann::ordered_json j;
      j["model"] = m.name;
      j["parameters"] = {{"embedding", pc.embedding},
                         {"attention", pc.attention},
                         {"moe_routed", pc.moe_routed},
                         {"moe_shared", pc.moe_shared},
                         {"moe_gate", pc.moe_gate},
                         {"dense_ffn", pc.dense_ffn},
                         {"norms", pc.norms},
                         {"output_head", pc.output_head},
                         {"mtp", pc.mtp},
                         {"total", pc.total},
                         {"total_with_mtp", pc.total_with_mtp},
                         {"active_per_token", pc.active_per_token},
                         {"active_with_mtp", pc.active_with_mtp}};
      j["training_flops_per_token"] = {
          {"seq_len", o->seq_len},
          {"forward", (f.matmul_fwd + f.attention_fwd + f.other_fwd).value()},
          {"backward_input", (f.matmul_bwd_input + f.attention_bwd_input).value()},
          {"backward_weight", f.matmul_bwd_weight.value()},
          {"other_backward", f.other_bwd.value()},
          {"total", f.total().value()}};
      j["kv_cache_bytes_per_token"] = {{"this_model", kv.per_token.value()},
                                       {"mha_equivalent", kv.mha_equivalent.value()},
                                       {"gqa_equivalent", kv.gqa_equivalent.value()},
                                       {"gqa_groups", kv.gqa_groups}};
      auto& lj = j["layers"] = nlohmann::ordered_json::array();
      for (const auto* l : shown) {
        nlohmann::ordered_json e{{"kind", to_string(l->kind)}, {"layer", l->layer}};
        for (const auto& op : l->attention) e["attention"].push_back(op_json(op));
        for (const auto& op : l->mlp) e["mlp"].push_back(op_json(op));
        lj.push_back(e);
      }
      io.out << j.dump(2) << "\n";
      return;
    }
    io.out << "model " << m.name << ": " << m.n_layers << " layers, hidden " << m.hidden << ", "
           << attention_name(m.attention) << " attention, "
           << (m.moe ? std::to_string(m.moe->n_routed_experts) + " routed + " +
                           std::to_string(m.moe->n_shared_experts) + " shared experts, top-" +
                           std::to_string(m.moe->n_activated_experts)
                     : std::string("dense FFN"))
           << (m.mtp_depth ? ", MTP depth " + std::to_string(m.mtp_depth) : "") << "\n\n";
    Table p({"parameters", "count"});
    p.add({"embedding", billions(pc.embedding)});
    p.add({"attention (" + std::string(attention_name(m.attention)) + ")", billions(pc.attention)});
    if (m.moe) {
      p.add({"MoE routed experts", billions(pc.moe_routed)});
      p.add({"MoE shared experts", billions(pc.moe_shared)});
      p.add({"MoE router", billions(pc.moe_gate)});
    }
    p.add({"dense FFN", billions(pc.dense_ffn)});
    p.add({"norms", billions(pc.norms)});
    p.add({"output head", billions(pc.output_head)});
    if (m.mtp_depth) p.add({"MTP module (unique)", billions(pc.mtp)});
    p.add({"total (main model)", billions(pc.total)});
    if (m.mtp_depth) p.add({"total with MTP", billions(pc.total_with_mtp)});
    p.add({"active per token", billions(pc.active_per_token)});
    p.print(io.out);
    io.out << "\n";
    Table ft({"training GFLOP per token (seq " + std::to_string(o->seq_len) + ")", "value"});
    ft.add({"forward", gflop(f.matmul_fwd + f.attention_fwd + f.other_fwd)});
    ft.add({"backward for input (B)",
            gflop(f.matmul_bwd_input + f.attention_bwd_input + f.other_bwd)});
    ft.add({"backward for weights (W)", gflop(f.matmul_bwd_weight)});
    ft.add({"  of which matmuls (fwd+B+W)", gflop(f.matmul())});
    ft.add({"  of which attention core", gflop(f.attention())});
    ft.add({"total", gflop(f.total())});
    ft.print(io.out);
    io.out << "\n";
    Table kt({"KV cache per token (BF16, all layers)", "bytes"});
    kt.add({std::string(attention_name(m.attention)) + " (this model)",
            grouped(static_cast<double>(kv.per_token.value()))});
    kt.add({"MHA equivalent", grouped(static_cast<double>(kv.mha_equivalent.value()))});
    kt.add({"GQA equivalent (" + std::to_string(kv.gqa_groups) + " KV heads)",
            grouped(static_cast<double>(kv.gqa_equivalent.value()))});
    kt.print(io.out);
    io.out << "\nop table per micro-batch of " << o->tokens
           << " tokens on one GPU (no parallelism), " << o->precision
           << " GEMMs; GFLOP and MiB\n\n";
    Table ot({"op", "kind", "shape (MxNxK)", "fwd", "B", "W", "read", "written", "dtype"});
    for (const auto* l : shown) {
      const std::string tag =
          std::string(to_string(l->kind)) + (l->layer >= 0 ? " L" + std::to_string(l->layer) : "");
      add_op_rows(ot, tag, l->attention);
      add_op_rows(ot, tag, l->mlp);
    }
    ot.print(io.out);
  });
}

void register_memory(CLI::App& app, Io io) {
  auto* cmd =
      app.add_subcommand("memory", "Memory per GPU of a scenario's plan, and whether it fits");
  struct Opts {
    std::string scenario;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("scenario", o->scenario,
                  "Scenario YAML, shipped scenario name or - (standard input)")
      ->required();
  cmd->add_flag("--json", o->json, "Print as JSON");
  cmd->callback([o, io] {
    const Scenario sc = load_scenario_arg(o->scenario, io);
    validate_plan(sc);
    const auto ranks = sim::rank_memory(sc);
    if (o->json) {
      nlohmann::ordered_json j = nlohmann::ordered_json::array();
      for (const auto& r : ranks) {
        j.push_back({{"rank", r.rank},
                     {"stages", r.stages},
                     {"layers", r.layers},
                     {"weights", r.weights.value()},
                     {"gradients", r.gradients.value()},
                     {"master_weights", r.master_weights.value()},
                     {"optimizer_moments", r.optimizer_moments.value()},
                     {"activation_per_micro_batch", r.activation_per_micro_batch.value()},
                     {"in_flight", r.in_flight},
                     {"activations", r.activations.value()},
                     {"reserve", r.reserve.value()},
                     {"total", r.total.value()},
                     {"capacity", r.capacity.value()},
                     {"fits", r.fits}});
      }
      io.out << j.dump(2) << "\n";
      return;
    }
    const auto& p = sc.plan;
    io.out << "memory per GPU, " << sc.name << ": PP" << p.pp << " DP" << p.dp << " EP" << p.ep
           << " TP" << p.tp << ", " << to_string(p.schedule) << ", ZeRO-" << p.zero_stage
           << ", master " << to_string(p.optimizer.master_weights) << ", grads "
           << to_string(p.optimizer.gradients) << ", moments " << to_string(p.optimizer.moments)
           << ", recompute:" << (p.recompute.full ? " full" : "")
           << (p.recompute.rmsnorm ? " rmsnorm" : "")
           << (p.recompute.mla_up_projection ? " mla-up-proj" : "")
           << (p.recompute.swiglu ? " swiglu" : "") << "\n\n";
    Table t({"rank", "stages", "layers", "weights", "grads", "master", "moments", "act/mb",
             "in flight", "activations", "reserve", "total", "fits"});
    for (const auto& r : ranks) {
      std::string stages;
      for (int s : r.stages) stages += (stages.empty() ? "" : ",") + std::to_string(s);
      t.add({std::to_string(r.rank), stages, std::to_string(r.layers), gib(r.weights),
             gib(r.gradients), gib(r.master_weights), gib(r.optimizer_moments),
             gib(r.activation_per_micro_batch), fmt("%.0f", r.in_flight), gib(r.activations),
             gib(r.reserve), gib(r.total), r.fits ? "yes" : "NO"});
    }
    t.print(io.out);
    const MemoryBreakdown worst = worst_rank(ranks);
    io.out << "\nworst rank " << worst.rank << ": " << gib(worst.total) << " of "
           << gib(worst.capacity) << " ("
           << fmt("%.1f%%", 100.0 * static_cast<double>(worst.total.value()) /
                                static_cast<double>(worst.capacity.value()))
           << ") -> " << (worst.fits ? "fits" : "does NOT fit") << "\n";
  });
}

}  // namespace hopsim::cli
