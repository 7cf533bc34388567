#include "hopsim/sim/runner/runner.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../core/model_presets.hpp"
#include "cluster_presets.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/sim/collective/collective.hpp"
#include "hopsim/sim/runner/result_json.hpp"
#include "hopsim/sim/runner/variation.hpp"

using namespace hopsim;
using namespace hopsim::sim;

namespace {

// The published DeepSeek-V3 pre-training plan (DeepSeek-V3 report §3.1-§3.2, §3.5.1, §4.2: 2048
// H800, PP16, EP64, ZeRO-1 DP, DualPipe, 20 communication SMs, 4K sequences; derived: 15360 / DP
// 128 = 120 micro-batches per pipeline per step).
// The published plan as shipped (scenarios/deepseek-v3-h800.yaml: the fixture cannot drift from
// it), on `cluster`.
Scenario deepseek_v3(const ClusterProfile& cluster) {
  Scenario s = load_scenario(std::string(HOPSIM_SOURCE_DIR) + "/scenarios/deepseek-v3-h800.yaml");
  s.name = "deepseek-v3 " + cluster.gpu.name;
  s.cluster = cluster;
  return s;
}

// DeepSeek-V3 cut to 7 layers on `nodes` H800 nodes: quick enough to simulate every GPU.
Scenario small_deepseek(int nodes, int pp, int dp, int ep, int micro_batches) {
  Scenario sc = deepseek_v3(test::h800_cluster(nodes));
  sc.model.n_layers = 7;
  sc.plan.pp = pp;
  sc.plan.dp = dp;
  sc.plan.ep = ep;
  sc.plan.micro_batches = micro_batches;
  return sc;
}

}  // namespace

TEST_CASE("runner: DeepSeek-V3 on 2048 H800 runs and its accounting is consistent",
          "[sim][runner]") {
  const Scenario sc = deepseek_v3(test::h800_cluster(256));
  const SimResult r = run_scenario(sc);
  CHECK(r.step_time == r.pipeline_time + r.dp_exposed + r.optimizer_time);
  // 15360 sequences of 4096 tokens per step (DeepSeek-V3 report §4.2, p.22-23).
  CHECK(r.tokens_per_step == Approx(15360.0 * 4096));
  CHECK(r.tokens_per_second_per_gpu == Approx(r.tokens_per_step / to_seconds(r.step_time) / 2048));
  // The share of the wall clock that trains, by hand from the scenario's cost.interruptions:
  // 2048 GPUs / 45,566 GPU-hours = 0.044946 interruptions an hour, 16.7 / 60 = 0.27833 hours
  // lost each: 1.2510% lost, E = 0.98749.
  CHECK(r.effective_training_time == Approx(0.98749).epsilon(1e-5));
  // GPU-hours per trillion tokens follow from throughput and that share:
  // 1e12 / (tokens/s/GPU) / 3600 / E.
  CHECK(r.gpu_hours_per_trillion ==
        Approx(1e12 / r.tokens_per_second_per_gpu / 3600.0 / 0.98749).epsilon(1e-5));
  CHECK(r.mfu_bf16 > 0.0);
  CHECK(r.mfu_bf16 < 1.0);
  CHECK(r.bubble_fraction >= 0.0);
  CHECK(r.compute_utilisation <= 1.0);
  // 62 blocks (61 layers + 1 MTP) over 16 stages, placed as the memory model places them: each
  // DualPipe rank holds stage r and stage 15 - r.
  REQUIRE(r.layers_per_stage.size() == 16);
  const auto held = rank_memory(sc);
  REQUIRE(held.size() == 16);
  int total = 0;
  for (int rank = 0; rank < 16; ++rank) {
    const int mine = r.layers_per_stage[static_cast<std::size_t>(rank)] +
                     r.layers_per_stage[static_cast<std::size_t>(15 - rank)];
    CHECK(held[static_cast<std::size_t>(rank)].layers == mine);
    total += r.layers_per_stage[static_cast<std::size_t>(rank)];
  }
  CHECK(total == 62);
}

TEST_CASE("runner: H100's faster NVLink never makes a step slower", "[sim][runner]") {
  const SimResult h800 = run_scenario(deepseek_v3(test::h800_cluster(256)));
  const SimResult h100 = run_scenario(deepseek_v3(test::h100_cluster(256)));
  CHECK(h100.step_time <= h800.step_time);
  CHECK(h100.comm.dispatch <= h800.comm.dispatch);
}

TEST_CASE("runner: DualPipe beats 1F1B on the DeepSeek-V3 plan", "[sim][runner]") {
  Scenario dual = deepseek_v3(test::h800_cluster(256));
  Scenario one = dual;
  one.plan.schedule = ScheduleKind::k1F1B;
  CHECK(run_scenario(dual).step_time < run_scenario(one).step_time);
}

TEST_CASE("runner: same inputs give byte-identical timelines", "[sim][runner]") {
  Scenario sc = deepseek_v3(test::h800_cluster(256));
  sc.plan.micro_batches = 32;
  std::ostringstream a, b;
  RunOptions o;
  o.trace = &a;
  const auto ra = run_scenario(sc, o);
  o.trace = &b;
  const auto rb = run_scenario(sc, o);
  CHECK(ra.step_time == rb.step_time);
  CHECK(a.str() == b.str());
  const auto doc = nlohmann::json::parse(a.str());
  CHECK(doc.at("traceEvents").size() > 1000);
}

TEST_CASE("runner: the collected timeline keeps every pipeline send, neighbour to neighbour",
          "[sim][runner]") {
  // Hand derivation: every micro-batch's activations cross the PP - 1 stage boundaries once
  // forward and its gradients once back, in either DualPipe direction: 2 (PP - 1) M sends.
  for (const ScheduleKind kind : {ScheduleKind::k1F1B, ScheduleKind::kDualPipe}) {
    Scenario sc = deepseek_v3(test::h800_cluster(256));
    sc.plan.micro_batches = 32;
    sc.plan.schedule = kind;
    INFO(to_string(kind));
    RunOptions o;
    o.collect_timeline = true;
    const SimResult r = run_scenario(sc, o);
    CHECK(r.transfers.size() == std::size_t{2} * (sc.plan.pp - 1) * sc.plan.micro_batches);
    // Forward sends leave toward the direction's next stage, backward ones come back; each
    // lands on a neighbouring rank, takes time, and the receiver computes after it arrives.
    std::vector<Nanoseconds> last_compute_end(static_cast<std::size_t>(sc.plan.pp));
    for (const TimelineSlice& t : r.timeline) {
      auto& e = last_compute_end[static_cast<std::size_t>(t.rank)];
      if (t.lane == Lane::kCompute) e = std::max(e, t.end);
    }
    int forward = 0;
    for (const TransferEvent& t : r.transfers) {
      CHECK(std::abs(t.to_rank - t.from_rank) == 1);
      CHECK(t.end > t.start);
      CHECK(t.end <= last_compute_end[static_cast<std::size_t>(t.to_rank)]);
      forward += t.forward ? 1 : 0;
    }
    CHECK(forward == (sc.plan.pp - 1) * sc.plan.micro_batches);
  }
}

TEST_CASE("runner: the timeline says what each slice did and draws PP sends as flows",
          "[sim][runner]") {
  Scenario sc = deepseek_v3(test::h800_cluster(256));
  sc.plan.micro_batches = 32;
  std::ostringstream out;
  RunOptions o;
  o.trace = &out;
  (void)run_scenario(sc, o);
  const auto doc = nlohmann::json::parse(out.str());
  std::map<std::int64_t, int> flow_ends;
  int sends = 0, computes = 0, comms = 0;
  std::map<std::pair<int, std::string>, std::vector<double>> counters;
  std::map<std::int64_t, std::pair<double, double>> expert_flows;
  for (const auto& e : doc.at("traceEvents")) {
    const std::string ph = e.value("ph", "");
    const std::string flow_name = e.value("name", "");
    if ((ph == "s" || ph == "f") && flow_name.find("experts") != std::string::npos) {
      // Payload to the experts -> the expert computation: starts inside the payload, ends at
      // the computation's start, on the same rank.
      auto& f = expert_flows[e.at("id").get<std::int64_t>()];
      (ph == "s" ? f.first : f.second) = e.at("ts").get<double>();
      continue;
    }
    if (ph == "s" || ph == "f") flow_ends[e.at("id").get<std::int64_t>()] += ph == "s" ? 1 : 2;
    if (ph == "C") {
      counters[{e.at("pid").get<int>(), e.at("name").get<std::string>()}].push_back(
          e.at("args").at("value").get<double>());
    }
    if (ph != "X") continue;
    CHECK(e.at("tid").get<int>() != 3);  // no link lane repeating the communication partition
    const std::string cat = e.value("cat", "");
    if (cat == "pp_comm") ++sends;
    const auto& a = e.contains("args") ? e.at("args") : nlohmann::json::object();
    const double dur_s = e.at("dur").get<double>() * 1e-6;
    if (cat == "compute" && a.contains("flops") && dur_s > 1e-4) {
      // Achieved TFLOPS as written = FLOPs / duration (recomputed here from the event's own dur).
      CHECK(a.at("tflops").get<double>() ==
            Approx(a.at("flops").get<double>() / dur_s / 1e12).margin(0.06));
      CHECK(a.at("sms").get<int>() == 132 - sc.plan.comm_sms);
      ++computes;
    }
    if (cat == "ep_comm" && a.contains("bytes") && dur_s > 1e-4) {
      CHECK(a.at("gb_per_s").get<double>() ==
            Approx(a.at("bytes").get<double>() / dur_s / 1e9).margin(0.06));
      CHECK(a.at("sms").get<int>() == sc.plan.comm_sms);
      ++comms;
    }
  }
  CHECK(computes > 100);
  CHECK(comms > 100);
  // Port counters: a share of the port for every rank, idle at the end, never over capacity;
  // the EP payloads of this plan are NIC-bound (docs/VALIDATION.md), so the NIC runs near full.
  double nic_peak = 0;
  for (int r = 0; r < sc.plan.pp; ++r) {
    const auto& nic = counters[{r, "NIC send (% of port; EP + PP)"}];
    REQUIRE_FALSE(nic.empty());
    CHECK(nic.back() == 0);
    for (double v : nic) {
      CHECK(v >= 0);
      CHECK(v <= 100);
      nic_peak = std::max(nic_peak, v);
    }
  }
  CHECK(nic_peak > 90);
  // HBM in use: its peak on every rank is the memory model's total less the reserve. The model
  // counts PP+1 activations in flight for DualPipe (DeepSeek-V3 report Table 2, a closed form);
  // the counter counts the (micro-batch, stage) pairs the simulated schedule actually holds.
  const auto held = rank_memory(sc);
  for (int r = 0; r < sc.plan.pp; ++r) {
    const auto& hbm = counters[{r, "HBM in use (GiB)"}];
    REQUIRE_FALSE(hbm.empty());
    const MemoryBreakdown& m = held[static_cast<std::size_t>(r)];
    const double gib = static_cast<double>(1 << 30);
    const double peak = *std::max_element(hbm.begin(), hbm.end());
    INFO("rank " << r);
    CHECK(peak == Approx(static_cast<double>((m.total - m.reserve).value()) / gib).margin(0.006));
    // Empty again at the end: every activation freed.
    CHECK(hbm.back() ==
          Approx(static_cast<double>(
                     (m.total - m.reserve - m.activations + m.loss_activations).value()) /
                 gib)
              .margin(0.006));
  }
  // One arrow per MoE unit, micro-batch and pass (forward dispatch, backward of combine):
  // DeepSeek-V3 has 58 MoE layers (61 less the first 3 dense) and one MoE MTP module.
  CHECK(expert_flows.size() == static_cast<std::size_t>(sc.plan.micro_batches) * (58 + 1) * 2);
  for (const auto& [id, f] : expert_flows) CHECK(f.second >= f.first);
  // One flow per PP send, each with its start and its end.
  CHECK(static_cast<int>(flow_ends.size()) == sends);
  for (const auto& [id, ends] : flow_ends) CHECK(ends == 3);
}

TEST_CASE("runner: full mode equals symmetry mode on symmetric input", "[sim][runner]") {
  // A smaller plan keeps the full simulation quick: 64 GPUs, PP4, DP16, EP8.
  const Scenario sc = small_deepseek(8, 4, 16, 8, 16);
  const SimResult sym = run_scenario(sc);
  RunOptions full;
  full.mode = SimMode::kFull;
  const SimResult all = run_scenario(sc, full);
  CHECK(all.pipeline_time == sym.pipeline_time);
  CHECK(all.step_time == sym.step_time);
}

namespace {

// DeepSeek-V3 on 2048 H800 with 32 micro-batches: the breakdown tests' scenario.
Scenario breakdown_scenario() {
  Scenario sc = deepseek_v3(test::h800_cluster(256));
  sc.plan.micro_batches = 32;
  return sc;
}

// The predicted breakdowns count transfers at their stand-alone durations and without HBM
// interference between the partitions; the run they are held against does the same.
SimResult run_without_sharing(const Scenario& sc) {
  RunOptions fixed;
  fixed.shared_network = false;
  fixed.cost = default_cost_parameters(sc.cluster.gpu);
  fixed.cost->comm_hbm_bytes_per_wire_byte = 0;
  return run_scenario(sc, fixed);
}

}  // namespace

TEST_CASE("runner: the optimizer row is AdamW on the ZeRO shard, then FP8 weights re-quantised",
          "[sim][runner]") {
  // Hand derivation of the bytes (DeepSeek-V3 report §3.3: FP32 master weights and gradients,
  // BF16 moments; FP8 weights with one FP32 scale per 128x128 block): the rank's ZeRO-1 shard
  // (dense parameters over DP 128, experts over DP 2) reads its gradient (4 B), reads and writes
  // the master weight (8 B) and both moments (8 B) and writes the BF16 working copy (2 B); then
  // the weights of its FP8 GEMMs are read in BF16 and written in FP8 with their scales. Not
  // re-quantised (§3.3, DeepSeek-V3 config_671B.json): the norms, 2 x 7168 + 1536 + 512 = 16,384
  // a layer; on the rank with the ends, the embedding and the output head (129,280 x 7168 each),
  // the final norm (7168) and MTP's norms and projection (3 x 7168 + 2 x 7168^2). Two
  // memory-bound kernels at 3,000 of the H800's 3,350 GB/s on all 132 SMs (FlashMLA README at
  // 414a2f3), each with a 2 us launch.
  const Scenario sc = breakdown_scenario();
  const CostModel cm(sc.cluster.gpu, default_cost_parameters(sc.cluster.gpu));
  const auto held = memory_per_rank(sc, stage_placement(sc, cm));
  for (int rank : {0, 5}) {
    const MemoryBreakdown& mb = held[static_cast<std::size_t>(rank)];
    const double shard = static_cast<double>(mb.dense_parameters / 128 + mb.expert_parameters / 2);
    double fp8 =
        static_cast<double>(mb.dense_parameters + mb.expert_parameters) - 16'384.0 * mb.layers;
    if (rank == 0) fp8 -= 2 * 129'280.0 * 7168 + 7168 + 3 * 7168 + 2 * 7168.0 * 7168;
    const double update = shard * (4 + 8 + 8 + 2) / 3000e9 + 2e-6;
    const double requant = fp8 * (2 + 1 + 4.0 / (128 * 128)) / 3000e9 + 2e-6;
    INFO("rank " << rank);
    CHECK(to_seconds(predicted_class_times(sc, {}, rank).at("optimizer")) ==
          Approx(update + requant).epsilon(1e-6));
  }
  // With BF16 GEMMs nothing is re-quantised, and a BF16 master is the working copy itself: the
  // update reads the gradient and the master (2 B each here), writes the master and moves both
  // moments (8 B).
  Scenario bf16 = sc;
  bf16.plan.gemm_precision = Precision::kBf16;
  bf16.plan.optimizer.master_weights = StateDtype::kBf16;
  bf16.plan.optimizer.gradients = StateDtype::kBf16;
  const auto held16 = memory_per_rank(bf16, stage_placement(bf16, cm));
  const MemoryBreakdown& mb = held16[5];
  const double shard = static_cast<double>(mb.dense_parameters / 128 + mb.expert_parameters / 2);
  CHECK(to_seconds(predicted_class_times(bf16, {}, 5).at("optimizer")) ==
        Approx(shard * (2 + 4 + 8) / 3000e9 + 2e-6).epsilon(1e-6));
}

TEST_CASE("runner: class breakdown adds up to what the engine executed", "[sim][runner]") {
  // The per-class prediction (for comparison with traces) and the executed timeline come from the
  // same op costs: per rank, compute classes sum to the compute lane's busy time and DeepEP
  // communication to the communication lane's. The prediction counts transfers at their
  // stand-alone durations and without HBM interference, so the run does too.
  const Scenario sc = breakdown_scenario();
  const SimResult r = run_without_sharing(sc);
  for (int rank : {0, 5, 15}) {
    const auto classes = predicted_class_times(sc, {}, rank);
    Nanoseconds compute{0}, deepep{0};
    for (const auto& [name, t] : classes) {
      if (name == "optimizer") continue;  // after the pipeline, in SimResult::optimizer_time
      (name.starts_with("deepep_") ? deepep : compute) += t;
    }
    INFO("rank " << rank);
    CHECK(compute == r.execution.ranks[static_cast<std::size_t>(rank)].lane_busy[0]);
    // The optimizer row is the local update alone: with ZeRO the step's optimizer time adds the
    // parameter all-gather, so the update of the slowest rank is at most that.
    REQUIRE(classes.count("optimizer") == 1);
    CHECK(classes.at("optimizer") > Nanoseconds(0));
    CHECK(classes.at("optimizer") <= r.optimizer_time);
    // The class rows hold kernel time: the launch gap of DeepEP's layout kernel (inside the
    // forward dispatch's notify, on the communication lane) is in none of them; the component
    // groups keep it as dispatch_f's launch gaps.
    const auto groups = predicted_component_group_times(sc, {}, rank);
    const Nanoseconds layout_launches = groups.at("dispatch_f").at(kLaunchGaps);
    CHECK(layout_launches > Nanoseconds(0));
    CHECK(deepep + layout_launches ==
          r.execution.ranks[static_cast<std::size_t>(rank)].lane_busy[1]);
    for (const char* k :
         {"fp8_gemm", "grouped_gemm", "wgrad_gemm", "attention_fwd", "attention_bwd", "norm",
          "elementwise", "deepep_dispatch", "deepep_combine", "deepep_notify"}) {
      INFO(k);
      CHECK(classes.at(k).value() > 0);
    }
  }
}

TEST_CASE("runner: component breakdown adds up to what the engine executed", "[sim][runner]") {
  // The per-component prediction (for annotated traces) sums each unit's part costs; the engine
  // executed the sub-ops of the chunk programs. Per rank, the six compute components must add up
  // to the compute lane's busy time and the four DeepEP components (notify included) to the
  // communication lane's: two different aggregations of the same costs.
  const Scenario sc = breakdown_scenario();
  const SimResult r = run_without_sharing(sc);
  for (int rank : {0, 7, 15}) {
    const auto parts = predicted_component_times(sc, {}, rank);
    Nanoseconds compute{0}, comm{0};
    for (const auto& [name, t] : parts) {
      (name.starts_with("dispatch") || name.starts_with("combine") ? comm : compute) += t;
    }
    // The component times leave the launch gaps out (a trace's annotation holds kernel
    // durations); the lanes ran them.
    for (const auto& [name, groups] : predicted_component_group_times(sc, {}, rank)) {
      const auto launch = groups.find(kLaunchGaps);
      if (launch == groups.end()) continue;
      (name.starts_with("dispatch") || name.starts_with("combine") ? comm : compute) +=
          launch->second;
    }
    INFO("rank " << rank);
    CHECK(parts.size() == 10);
    CHECK(compute == r.execution.ranks[static_cast<std::size_t>(rank)].lane_busy[0]);
    CHECK(comm == r.execution.ranks[static_cast<std::size_t>(rank)].lane_busy[1]);
  }
}

TEST_CASE("runner: rail-aligned DP ring keeps node-to-node hops on their rail", "[sim][runner]") {
  // 128 GPUs on 16 nodes (one DeepSeek-V3 pipeline stage). A snake order (0..7, 15..8, ...) joins
  // GPUs of the same local index across nodes, so no hop crosses rails through the spine and the
  // ring runs at the NIC's achievable 45 GB/s (50 GB/s x 0.9, docs/NETWORK.md). The plain order
  // sends every node-to-node hop across rails and is limited by leaf uplinks.
  const ClusterProfile c = test::h800_cluster(16);
  const GroupSpec snake = GroupSpec::rail_aligned(128, 8);
  REQUIRE(snake.gpus[8] == 15);  // node 1 runs 15..8
  REQUIRE(snake.gpus[15] == 8);
  NetworkOptions net;
  const auto rs_snake = reduce_scatter(c, snake, Bytes(1'000'000'000), net);
  const auto rs_plain = reduce_scatter(c, GroupSpec::contiguous(128), Bytes(1'000'000'000), net);
  CHECK(rs_snake.bus_bandwidth.value() / kGiga == Approx(45.0).epsilon(0.05));
  CHECK(rs_plain.bus_bandwidth < rs_snake.bus_bandwidth);
}

TEST_CASE("variation: expected slowest of N normals against published order statistics",
          "[sim][runner][variation]") {
  // Closed forms: E[max of 2] = 1/sqrt(pi), E[max of 3] = 3/(2 sqrt(pi)). Tippett (1925),
  // "On the extreme individuals and the range of samples taken from a normal population",
  // Biometrika 17, table of mean largest values: n = 50: 2.2491, n = 100: 2.5076.
  CHECK(expected_max_normal(1) == 0.0);
  CHECK(expected_max_normal(2) == Approx(1.0 / std::sqrt(M_PI)).epsilon(1e-6));
  CHECK(expected_max_normal(3) == Approx(1.5 / std::sqrt(M_PI)).epsilon(1e-6));
  CHECK(expected_max_normal(50) == Approx(2.2491).epsilon(1e-3));
  CHECK(expected_max_normal(100) == Approx(2.5076).epsilon(1e-3));
}

TEST_CASE("variation: keyed draws are standard normal and reproducible",
          "[sim][runner][variation]") {
  double sum = 0, sq = 0;
  constexpr int kN = 200000;
  for (int i = 0; i < kN; ++i) {
    const double z = keyed_normal(7, static_cast<std::uint64_t>(i), 1, 2, 3);
    sum += z;
    sq += z * z;
  }
  CHECK(sum / kN == Approx(0.0).margin(0.01));
  CHECK(sq / kN == Approx(1.0).epsilon(0.01));
  CHECK(keyed_normal(7, 1, 2, 3, 4) == keyed_normal(7, 1, 2, 3, 4));
  CHECK(keyed_normal(7, 1, 2, 3, 4) != keyed_normal(8, 1, 2, 3, 4));
}

TEST_CASE("variation: off, both modes agree; on, stragglers slow both and full mode is seeded",
          "[sim][runner][variation]") {
  // Either kind of variation: kernel time, or routing (the busiest rank's routed experts and
  // payloads).
  const bool routing = GENERATE(false, true);
  INFO((routing ? "routing_cv" : "kernel_time_cv"));
  Scenario sc = small_deepseek(8, 4, 16, 8, 16);
  RunOptions full;
  full.mode = SimMode::kFull;
  const SimResult sym0 = run_scenario(sc);
  const SimResult full0 = run_scenario(sc, full);
  CHECK(full0.step_time == sym0.step_time);
  (routing ? sc.plan.variation.routing_cv : sc.plan.variation.kernel_time_cv) = 0.05;
  const SimResult sym = run_scenario(sc);
  const SimResult all = run_scenario(sc, full);
  CHECK(sym.step_time > sym0.step_time);
  CHECK(all.step_time > full0.step_time);
  CHECK(run_scenario(sc, full).step_time == all.step_time);
  sc.plan.variation.seed = 2;
  CHECK(run_scenario(sc, full).step_time != all.step_time);
}

TEST_CASE(
    "variation: symmetry mode waits for the expected slowest peer at each notify and for "
    "the expected busiest receiver in each payload (hand derivation)",
    "[sim][runner][variation]") {
  Scenario sc = small_deepseek(8, 4, 16, 8, 16);
  sc.plan.variation.routing_cv = 0.1;
  // Symmetry mode, by hand (docs/COST_MODEL.md "Variation"): with kernel-time CV k and routing
  // CV r, a notify that follows compute C with routed part R waits E[max of EP normals] x
  // sqrt((k C)^2 + (r R)^2) more than without variation (the two spreads independent; E[max]
  // is Tippett's order statistic, tested above), and every payload lasts 1 + r E[max] times
  // its balanced time. Checked for every notify and payload of the forward chains and of the
  // backward (input-gradient) chains.
  const CostModel cm(sc.cluster.gpu, default_cost_parameters(sc.cluster.gpu));
  const CommTimes comm = communication_times(sc, cm);
  const int stages = pipeline_stages(sc.plan);
  sc.plan.variation.kernel_time_cv = 0.03;
  const PipelineProgram on = build_pipeline_program(sc, cm, comm, stages, nullptr);
  sc.plan.variation.routing_cv = 0;
  sc.plan.variation.kernel_time_cv = 0;
  const PipelineProgram off = build_pipeline_program(sc, cm, comm, stages, nullptr);
  const double e_max = expected_max_normal(sc.plan.ep);
  int notifies = 0, routed_notifies = 0, payloads = 0;
  for (std::size_t st = 0; st < on.stages.size(); ++st) {
    for (auto chain : {&ChunkProgram::forward, &ChunkProgram::backward_input}) {
      const auto& a = on.stages[st].*chain;
      const auto& b = off.stages[st].*chain;
      REQUIRE(a.size() == b.size());
      for (std::size_t i = 1; i < a.size(); ++i) {
        const bool notify = a[i].component == Component::kNotifyDispatch ||
                            a[i].component == Component::kNotifyCombine;
        const bool payload =
            a[i].component == Component::kDispatch || a[i].component == Component::kCombine;
        if (notify) {
          // The compute just before it in the chain (notifies follow a compute sub-op here:
          // TP is 1, so no all-reduce sits between).
          const SubOp& c = a[i - 1];
          const double k =
              c.cls == WorkClass::kCompute ? 0.03 * static_cast<double>(c.duration.value()) : 0.0;
          const double r =
              c.cls == WorkClass::kCompute ? 0.1 * static_cast<double>(c.routed.value()) : 0.0;
          INFO(a[i].name);
          CHECK(static_cast<double>(a[i].duration.value() - b[i].duration.value()) ==
                Approx(e_max * std::sqrt(k * k + r * r)).margin(1.0));
          ++notifies;
          if (r > 0) ++routed_notifies;
        } else if (payload) {
          INFO(a[i].name);
          CHECK(
              static_cast<double>(a[i].duration.value()) ==
              Approx((1.0 + 0.1 * e_max) * static_cast<double>(b[i].duration.value())).margin(1.0));
          ++payloads;
        }
      }
    }
  }
  CHECK(notifies > 0);
  CHECK(routed_notifies > 0);
  CHECK(payloads > 0);
}

TEST_CASE(
    "runner: the shared step network agrees with stand-alone transfers where no port is "
    "shared, and costs time where PP sends meet the all-to-all",
    "[sim][runner][network]") {
  // One pipeline stage (PP1, 1F1B): EP payloads run one at a time on each GPU's ports, so flows
  // alone must reproduce the stand-alone durations exactly.
  Scenario sc = small_deepseek(8, 1, 64, 64, 4);
  sc.plan.schedule = ScheduleKind::k1F1B;
  RunOptions fixed;
  fixed.shared_network = false;
  CHECK(run_scenario(sc).pipeline_time == run_scenario(sc, fixed).pipeline_time);
  // DualPipe on PP4 across nodes: activations and gradients cross the same NICs as the EP
  // payloads of the overlapped chunk, so sharing can only lengthen the step.
  const Scenario dual = small_deepseek(32, 4, 64, 64, 16);
  const SimResult shared = run_scenario(dual);
  const SimResult alone = run_scenario(dual, fixed);
  CHECK(shared.pipeline_time > alone.pipeline_time);
}

TEST_CASE("runner: a payload on the comm partition slows compute's memory-bound kernels",
          "[sim][runner]") {
  // Partitions interfere (no published figure): with HBM sharing on, the step can only be longer
  // and only by a fraction of the memory-bound time.
  Scenario sc = deepseek_v3(test::h800_cluster(256));
  sc.plan.micro_batches = 32;
  RunOptions off;
  off.cost = default_cost_parameters(sc.cluster.gpu);
  off.cost->comm_hbm_bytes_per_wire_byte = 0;
  const SimResult with = run_scenario(sc);
  const SimResult without = run_scenario(sc, off);
  CHECK(with.pipeline_time > without.pipeline_time);
  CHECK(to_seconds(with.pipeline_time) < 1.05 * to_seconds(without.pipeline_time));
}

TEST_CASE("runner: interruptions stretch a run's wall clock, not its step", "[sim][runner]") {
  // Hand derivation: 16 GPUs interrupted once per 160 GPU-hours is 0.1 interruptions an hour;
  // losing 30 minutes each, 5% of the wall clock does not train, and every cost per token grows
  // by 1 / 0.95 while the step itself does not change.
  Scenario sc =
      load_scenario(std::string(HOPSIM_SOURCE_DIR) + "/scenarios/deepseek-v2-lite-16gpu.yaml");
  REQUIRE_FALSE(sc.cost.interruptions.has_value());
  const SimResult none = run_scenario(sc);
  CHECK(none.effective_training_time == 1.0);
  sc.cost.interruptions = Interruptions{160.0, 30.0};
  const SimResult some = run_scenario(sc);
  CHECK(some.step_time == none.step_time);
  CHECK(some.tokens_per_second_per_gpu == none.tokens_per_second_per_gpu);
  CHECK(some.effective_training_time == Approx(0.95));
  CHECK(some.gpu_hours_per_trillion == Approx(none.gpu_hours_per_trillion / 0.95));
  CHECK(some.days_per_trillion == Approx(none.days_per_trillion / 0.95));
  CHECK(some.dollars_per_trillion == Approx(none.dollars_per_trillion / 0.95));
  CHECK(some.energy_kwh_per_trillion == Approx(none.energy_kwh_per_trillion / 0.95));
  // 16 GPUs / 16 GPU-hours = one an hour, each losing the hour: nothing trains.
  sc.cost.interruptions = Interruptions{16.0, 60.0};
  CHECK_THROWS_AS(run_scenario(sc), PlanError);
  // Stops that lose nothing cost nothing, however often they come (a rate that overflows to
  // infinity must not turn 0 minutes into NaN).
  sc.cost.interruptions = Interruptions{1e-310, 0.0};
  CHECK(effective_training_time(sc.cost, 16) == 1.0);
  CHECK(run_scenario(sc).gpu_hours_per_trillion == Approx(none.gpu_hours_per_trillion));
}

TEST_CASE("runner: DeepSeek-V3 GPU-hours against the published 180K (validation)",
          "[sim][runner][validation]") {
  // Validation, not consistency: no constant was set from this figure. DeepSeek-V3 report §1 and
  // Table 1: 180K H800 GPU-hours per trillion tokens on the published plan, the pre-training's
  // wall-clock GPU-hours (2,664K) over its 14.8T tokens; the scenario's interruptions come from
  // Llama 3's published count (arXiv 2407.21783 §3.3.4), not from this figure. hopsim is known to
  // be optimistic (docs/VALIDATION.md: -16.1% on 2026-12-02); the band fails a model that drifts
  // further from the figure in either direction, and must narrow as the model improves.
  const Scenario sc =
      load_scenario(std::string(HOPSIM_SOURCE_DIR) + "/scenarios/deepseek-v3-h800.yaml");
  const SimResult r = run_scenario(sc);
  const double error = r.gpu_hours_per_trillion / 180e3 - 1.0;
  INFO("GPU-hours per 1T tokens " << r.gpu_hours_per_trillion << " (" << 100 * error << "%)");
  CHECK(error > -0.20);
  CHECK(error < 0.10);
}

TEST_CASE(
    "runner: DeepSeek-V3 on 1024 H100 with Megatron-Core against NVIDIA's measured run "
    "(validation)",
    "[sim][runner][validation]") {
  // Validation, not consistency: no constant was set from this figure, and hopsim's defaults
  // were fixed before it was looked at; the F&B pairs and the explicit layout the recipe needs
  // were built in the session that found it (docs/VALIDATION.md says how blind that is).
  // NVIDIA measured 1297 tokens/s per GPU (338 model TFLOP/s with per-tensor FP8; 330 with
  // DeepSeek's blockwise FP8, which hopsim models: 1266 tokens/s by proportion) for DeepSeek-V3 on
  // 1024 H100 (NVIDIA-NeMo/Megatron-Bridge docs/performance-summary-archive.md @0a25f911, 25.09
  // NeMo Container, DGX-H100 table, "DeepSeekV3 (dropless)"); the scenario is that row's plan and
  // recipe. The band is the 10%; on 2026-12-02 hopsim predicted 1282.0 (-1.2%), with the
  // recipe's unoverlapped gradient reduce-scatter.
  const Scenario sc = load_scenario(std::string(HOPSIM_SOURCE_DIR) +
                                    "/scenarios/validation/deepseek-v3-h100-megatron.yaml");
  REQUIRE(sc.plan.fb_overlap);
  const SimResult r = run_scenario(sc);
  // The recipe's layout "Et|(tt|)*30mL", as simulated: 1 layer, 30 stages of 2, the MTP module.
  std::vector<int> layout(32, 2);
  layout.front() = 1;
  layout.back() = 1;
  CHECK(r.layers_per_stage == layout);
  const double error = r.tokens_per_second_per_gpu / 1297.0 - 1.0;
  INFO("tokens/s per GPU " << r.tokens_per_second_per_gpu << " (" << 100 * error << "%)");
  CHECK(std::abs(error) < 0.10);
  // The recipe overlaps a forward and a backward micro-batch; without that the all-to-all is
  // exposed and the step longer.
  Scenario apart = sc;
  apart.plan.fb_overlap = false;
  const SimResult a = run_scenario(apart);
  CHECK(a.exposed_comm_fraction > r.exposed_comm_fraction);
  CHECK(a.step_time > r.step_time);
}

TEST_CASE("runner: memory and the runner place the same layers on every pipeline rank",
          "[sim][runner]") {
  // One placement (core place_stages costed by sim::stage_placement): the layers the memory
  // model counts on each rank equal the layers the runner simulated on that rank's stages.
  const std::string laid_out =
      std::string(HOPSIM_SOURCE_DIR) + "/scenarios/validation/deepseek-v3-h100-megatron.yaml";
  for (const std::string& name :
       {std::string("deepseek-v3-h800"), std::string("deepseek-v2-lite-16gpu"), laid_out}) {
    INFO(name);
    const Scenario sc = load_scenario_spec(name);
    const SimResult r = run_scenario(sc);
    const auto ranks = rank_memory(sc);
    REQUIRE(static_cast<int>(ranks.size()) == sc.plan.pp);
    for (const MemoryBreakdown& mb : ranks) {
      int simulated = 0;
      for (int st : hopsim::stages_of_rank(sc.plan, mb.rank)) {
        simulated += r.layers_per_stage[static_cast<std::size_t>(st)];
      }
      CHECK(mb.layers == simulated);
    }
  }
}

TEST_CASE("runner: a run stopped at a bound says so, and a bound past the end changes nothing",
          "[sim][runner]") {
  const Scenario sc = small_deepseek(4, 4, 8, 8, 8);
  const SimResult full = run_scenario(sc);
  REQUIRE_FALSE(full.stopped);
  RunOptions o;
  o.stop_after = Nanoseconds(full.pipeline_time.value() / 2);
  const SimResult half = run_scenario(sc, o);
  CHECK(half.stopped);
  CHECK(half.pipeline_time == o.stop_after);  // a lower bound on the real makespan
  CHECK(half.step_time == o.stop_after);
  o.stop_after = full.pipeline_time;  // the last event is at the makespan: it still runs
  const SimResult at_end = run_scenario(sc, o);
  CHECK_FALSE(at_end.stopped);
  CHECK(to_json(at_end).dump() == to_json(full).dump());
}

TEST_CASE("runner: a port only the gradient sync crosses gets the hardware's capacity",
          "[sim][runner]") {
  // PP1, DP16 over two nodes, EP8 inside a node: no EP, PP or TP traffic reaches the NIC, so
  // the step network had no NIC capacity and the DP reduce-scatter ran at a 1 B/s placeholder
  // and the run threw "time out of range" (found by plan search on DeepSeek-V2-Lite: 3 of its
  // plans were "rejected by the runner").
  Scenario sc = small_deepseek(2, 1, 16, 8, 8);
  sc.plan.schedule = ScheduleKind::k1F1B;  // DualPipe needs two stages
  const SimResult r = run_scenario(sc);
  CHECK(r.step_time > r.pipeline_time);
  CHECK(to_seconds(r.dp_exposed) < 10.0);  // it was effectively infinite
  CHECK(to_seconds(r.step_time) < 60.0);
}

TEST_CASE("runner: full mode traces the chosen replicas, each as its own ranks", "[sim][runner]") {
  Scenario sc = small_deepseek(8, 4, 16, 8, 16);
  sc.plan.variation.kernel_time_cv = 0.05;
  RunOptions o;
  o.mode = SimMode::kFull;
  std::ostringstream out;
  o.trace = &out;
  o.trace_replicas = {3, 0, 3};  // order and repeats do not matter
  (void)run_scenario(sc, o);
  const auto doc = nlohmann::json::parse(out.str());
  std::map<int, std::string> names;
  std::map<int, double> last_end;  // per process: when its compute partition last finished
  for (const auto& e : doc.at("traceEvents")) {
    if (e.value("ph", "") == "M" && e.at("name") == "process_name") {
      names[e.at("pid").get<int>()] = e.at("args").at("name").get<std::string>();
    }
    if (e.value("ph", "") == "X" && e.at("tid").get<int>() == 0) {
      const int pid = e.at("pid").get<int>();
      last_end[pid] = std::max(last_end[pid], e.at("ts").get<double>() + e.at("dur").get<double>());
    }
  }
  // Replica 0 then replica 3, four pipeline ranks each.
  REQUIRE(names.size() == 8);
  CHECK(names[0] == "GPU rank 0 (pipeline rank, pipeline replica 0)");
  CHECK(names[7] == "GPU rank 3 (pipeline rank, pipeline replica 3)");
  REQUIRE(last_end.size() == 8);
  // With variation the two replicas' ranks finish at different times (seeded draws).
  bool differ = false;
  for (int r = 0; r < 4; ++r) differ = differ || last_end[r] != last_end[4 + r];
  CHECK(differ);

  o.trace_replicas = {16};  // DP 16 x TP 1: replicas 0..15
  std::ostringstream none;
  o.trace = &none;
  CHECK_THROWS_AS(run_scenario(sc, o), PlanError);
  o.mode = SimMode::kSymmetry;
  o.trace_replicas = {1};
  CHECK_THROWS_AS(run_scenario(sc, o), PlanError);
}
