// Names and file paths are left out on purpose: two files that describe the same cluster, model
// and plan are the same configuration and must hash the same.

#include "hopsim/planner/canonical.hpp"

#include "hopsim/planner/hash.hpp"

namespace hopsim::planner {

nlohmann::ordered_json canonical_json(const Scenario& s) {
  using J = nlohmann::ordered_json;
  const auto& g = s.cluster.gpu;
  const auto& n = s.cluster.node;
  const auto& f = s.cluster.fabric;
  const auto& m = s.model;
  const auto& p = s.plan;
  J j;
  j["gpu"] = {{"sms", g.sms},
              {"boost_clock_mhz", g.boost_clock_mhz},
              {"sustained_clock_mhz", g.sustained_clock_mhz},
              {"bf16_dense", g.bf16_dense.value()},
              {"fp8_dense", g.fp8_dense.value()},
              {"fp32_cuda_core", g.fp32_cuda_core.value()},
              {"hbm_capacity", g.hbm_capacity.value()},
              {"hbm_bandwidth", g.hbm_bandwidth.value()},
              {"l2_cache", g.l2_cache.value()},
              {"nvlink_bidirectional", g.nvlink_bidirectional.value()},
              {"nvlink_links", g.nvlink_links},
              {"pcie_unidirectional", g.pcie_unidirectional.value()},
              {"tdp_watts", g.tdp_watts},
              {"sm_partition_granularity", g.sm_partition_granularity}};
  j["node"] = {{"gpus_per_node", n.gpus_per_node},
               {"nvswitch", n.nvswitch},
               {"nics_per_node", n.nics_per_node},
               {"nic_unidirectional", n.nic_unidirectional.value()},
               {"nvlink_latency", n.nvlink_latency.value()},
               {"nic_latency", n.nic_latency.value()}};
  j["fabric"] = {{"topology", static_cast<int>(f.topology)},
                 {"planes", f.planes},
                 {"oversubscription", f.oversubscription},
                 {"leaf_radix", f.leaf_radix},
                 {"link_unidirectional", f.link_unidirectional.value()},
                 {"switch_latency", f.switch_latency.value()}};
  j["nodes"] = s.cluster.num_nodes;
  J model = {{"n_layers", m.n_layers},
             {"hidden", m.hidden},
             {"vocab", m.vocab},
             {"n_heads", m.n_heads},
             {"n_kv_heads", m.n_kv_heads},
             {"head_dim", m.head_dim},
             {"attention", static_cast<int>(m.attention)},
             {"dense_inter_dim", m.dense_inter_dim},
             {"mtp_depth", m.mtp_depth},
             {"tie_embeddings", m.tie_embeddings}};
  if (m.mla) {
    model["mla"] = {{"q_lora_rank", m.mla->q_lora_rank},
                    {"kv_lora_rank", m.mla->kv_lora_rank},
                    {"qk_nope_head_dim", m.mla->qk_nope_head_dim},
                    {"qk_rope_head_dim", m.mla->qk_rope_head_dim},
                    {"v_head_dim", m.mla->v_head_dim}};
  }
  if (m.moe) {
    model["moe"] = {{"n_routed_experts", m.moe->n_routed_experts},
                    {"n_shared_experts", m.moe->n_shared_experts},
                    {"n_activated_experts", m.moe->n_activated_experts},
                    {"moe_inter_dim", m.moe->moe_inter_dim},
                    {"n_expert_groups", m.moe->n_expert_groups},
                    {"n_limited_groups", m.moe->n_limited_groups},
                    {"first_k_dense", m.moe->first_k_dense},
                    {"route_scale", m.moe->route_scale},
                    {"score_func", static_cast<int>(m.moe->score_func)}};
  }
  j["model"] = model;
  j["plan"] = {
      {"pp", p.pp},
      {"dp", p.dp},
      {"tp", p.tp},
      {"ep", p.ep},
      {"micro_batch_size", p.micro_batch_size},
      {"micro_batches", p.micro_batches},
      {"seq_len", p.seq_len},
      {"schedule", to_string(p.schedule)},
      {"virtual_stages", p.virtual_stages},
      {"comm_sms", p.comm_sms},
      {"zero_stage", p.zero_stage},
      {"recompute",
       {p.recompute.rmsnorm, p.recompute.mla_up_projection, p.recompute.swiglu, p.recompute.full}},
      {"gemm_precision", to_string(p.gemm_precision)},
      {"optimizer",
       {to_string(p.optimizer.master_weights), to_string(p.optimizer.gradients),
        to_string(p.optimizer.moments)}},
      {"node_limit", p.node_limit}};
  // Written only when on, so every scenario without it keeps its hash.
  if (p.fb_overlap) j["plan"]["fb_overlap"] = true;
  if (!p.overlap_grad_reduce) j["plan"]["overlap_grad_reduce"] = false;
  if (!p.layers_per_stage.empty()) j["plan"]["layers_per_stage"] = p.layers_per_stage;
  // Variation changes full-mode predictions, so it is part of the configuration. Written only
  // when enabled (the seed does nothing otherwise), so every scenario without it keeps its hash.
  if (p.variation.enabled()) {
    j["plan"]["variation"] = {{"kernel_time_cv", p.variation.kernel_time_cv},
                              {"routing_cv", p.variation.routing_cv},
                              {"seed", p.variation.seed}};
  }
  j["cost"] = {{"price_per_gpu_hour", s.cost.price_per_gpu_hour},
               {"pue", s.cost.pue},
               {"training_tokens", s.cost.training_tokens}};
  // Written only when given, so every scenario without it keeps its hash.
  if (const auto& i = s.cost.interruptions) {
    j["cost"]["interruptions"] = {{"gpu_hours_between", i->gpu_hours_between},
                                  {"minutes_lost", i->minutes_lost}};
  }
  return j;
}

std::string scenario_hash(const Scenario& s) {
  return short_hash(canonical_json(s).dump());
}

}  // namespace hopsim::planner
