#include "hopsim/sim/runner/result_json.hpp"

namespace hopsim::sim {

nlohmann::ordered_json to_json(const SimResult& r) {
  nlohmann::ordered_json j;
  j["scenario"] = r.scenario;
  j["step_time_ns"] = r.step_time.value();
  j["pipeline_time_ns"] = r.pipeline_time.value();
  j["dp_exposed_ns"] = r.dp_exposed.value();
  j["optimizer_time_ns"] = r.optimizer_time.value();
  j["tokens_per_step"] = r.tokens_per_step;
  j["tokens_per_second"] = r.tokens_per_second;
  j["tokens_per_second_per_gpu"] = r.tokens_per_second_per_gpu;
  j["model_flops_per_step"] = r.model_flops_per_step;
  j["tflops_per_gpu"] = r.tflops_per_gpu;
  j["mfu_bf16_nominal"] = r.mfu_bf16;
  j["mfu_fp8_nominal"] = r.mfu_fp8;
  j["bubble_fraction"] = r.bubble_fraction;
  j["exposed_comm_fraction"] = r.exposed_comm_fraction;
  j["compute_utilisation"] = r.compute_utilisation;
  j["comm_utilisation"] = r.comm_utilisation;
  j["compute_sms"] = r.compute_sms;
  j["comm_sms"] = r.comm_sms;
  j["layers_per_stage"] = r.layers_per_stage;
  j["comm"] = {{"dispatch_ns", r.comm.dispatch.value()},
               {"combine_ns", r.comm.combine.value()},
               {"dispatch_backward_ns", r.comm.dispatch_backward.value()},
               {"combine_backward_ns", r.comm.combine_backward.value()},
               {"pp_forward_ns", r.comm.pp_forward.value()},
               {"pp_backward_ns", r.comm.pp_backward.value()},
               {"ep_bottleneck", r.comm.ep_bottleneck},
               {"ep_bottleneck_gb_per_s", r.comm.ep_bottleneck_gbps}};
  j["comm"]["notify_dispatch_ns"] = r.comm.notify_dispatch.value();
  j["comm"]["notify_combine_ns"] = r.comm.notify_combine.value();
  nlohmann::ordered_json pairs = nlohmann::ordered_json::array();
  for (Nanoseconds t : r.pair_time_per_rank) pairs.push_back(t.value());
  j["pair_time_per_rank_ns"] = pairs;
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const LayerComponents& l : r.layers) {
    layers.push_back({{"unit", l.unit},
                      {"kind", l.kind},
                      {"attention_f_ns", l.attention_f.value()},
                      {"attention_b_ns", l.attention_b.value()},
                      {"attention_w_ns", l.attention_w.value()},
                      {"mlp_f_ns", l.mlp_f.value()},
                      {"mlp_b_ns", l.mlp_b.value()},
                      {"mlp_w_ns", l.mlp_w.value()},
                      {"dispatch_f_ns", l.dispatch_f.value()},
                      {"dispatch_b_ns", l.dispatch_b.value()},
                      {"combine_f_ns", l.combine_f.value()},
                      {"combine_b_ns", l.combine_b.value()},
                      {"notify_ns", l.notify.value()},
                      {"non_gemm_ns", l.non_gemm.value()},
                      {"kernels", l.kernels}});
  }
  j["layers"] = layers;
  j["cost"] = {{"effective_training_time", r.effective_training_time},
               {"gpu_hours_per_trillion_tokens", r.gpu_hours_per_trillion},
               {"days_per_trillion_tokens", r.days_per_trillion},
               {"dollars_per_trillion_tokens", r.dollars_per_trillion},
               {"energy_kwh_per_trillion_tokens", r.energy_kwh_per_trillion},
               {"avg_power_watts_per_gpu", r.avg_power_watts}};
  j["engine"] = {{"mode", r.mode == SimMode::kFull ? "full" : "symmetry"},
                 {"pipeline_ranks", r.execution.ranks.size()},
                 {"events", r.execution.engine_events},
                 {"sub_ops", r.execution.sub_ops_executed},
                 {"variation",
                  {{"kernel_time_cv", r.variation.kernel_time_cv},
                   {"routing_cv", r.variation.routing_cv},
                   {"seed", r.variation.seed}}}};
  j["cost_model"] = r.cost_source;
  j["warnings"] = r.warnings;
  return j;
}

}  // namespace hopsim::sim
