#include "hopsim/sim/runner/execution_graph.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/sim/runner/pipeline_executor.hpp"
#include "hopsim/sim/runner/runner.hpp"

using namespace hopsim;
using namespace hopsim::sim;

// The oracle for the export is the pipeline executor itself, run independently: the graph,
// replayed by a separate engine loop that knows nothing of schedules, must end every rank when
// the executor does. A wrong dependency (a lane order, an F&B interleaving, a transfer, a
// gradient bucket) moves some rank's end.

namespace {

SubOp sub_op(const std::string& name, Lane lane, WorkClass cls, std::int64_t us, Component c,
             int slot) {
  SubOp so;
  so.name = name;
  so.lane = lane;
  so.cls = cls;
  so.duration = Nanoseconds(us * 1000);
  so.collective = cls == WorkClass::kEpComm;
  so.component = c;
  so.slot = slot;
  if (cls == WorkClass::kEpComm) so.traffic = PortTraffic{1e6 * static_cast<double>(us), 0, {}};
  return so;
}

// `n` made a point-to-point transfer on the network lane: a send to, or a receive from, GPU
// `peer`, matched by `tag`.
GraphNode transfer(GraphNode n, GraphNodeKind kind, int peer, std::uint32_t tag) {
  n.kind = kind;
  n.lane = GraphLane::kNetwork;
  n.peer = peer;
  n.tag = tag;
  return n;
}

// Two MoE layers per stage with unequal times, so that a misplaced dependency shows.
ChunkProgram two_layer_chunk(int stage) {
  ChunkProgram c;
  for (int slot = 0; slot < 2; ++slot) {
    const std::int64_t k = 1 + slot + stage % 3;
    const auto comp = [&](const char* n, std::int64_t t, Component cp) {
      return sub_op(n, Lane::kCompute, WorkClass::kCompute, t, cp, slot);
    };
    const auto comm = [&](const char* n, std::int64_t t, Component cp) {
      return sub_op(n, Lane::kComm, WorkClass::kEpComm, t, cp, slot);
    };
    c.forward.push_back(comp("attn", 3 * k, Component::kAttention));
    c.forward.push_back(comm("notify", 1, Component::kNotifyDispatch));
    c.forward.push_back(comm("dispatch", 2 * k, Component::kDispatch));
    c.forward.push_back(comp("mlp", 4 * k, Component::kMlp));
    c.forward.push_back(comm("combine", 2 * k + 1, Component::kCombine));
    c.backward_input.push_back(comm("combine.b", 2 * k, Component::kCombine));
    c.backward_input.push_back(comp("mlp.b", 4 * k, Component::kMlp));
    c.backward_input.push_back(comm("dispatch.b", 2 * k + 1, Component::kDispatch));
    c.backward_input.push_back(comp("attn.b", 3 * k + 1, Component::kAttention));
    c.backward_weight.push_back(comp("mlp.w", 3 * k, Component::kMlp));
    c.backward_weight.push_back(comp("attn.w", 2 * k, Component::kAttention));
    c.dp_sync.push_back(PortTraffic{1e7, 0, {}});
    c.dp_sync_time.push_back(Nanoseconds((7 + slot) * 1000));
  }
  // Backward chunks run their layers in reverse.
  std::reverse(c.backward_input.begin(), c.backward_input.end());
  std::reverse(c.backward_weight.begin(), c.backward_weight.end());
  return c;
}

PipelineProgram program_for(int stages) {
  PipelineProgram p;
  for (int s = 0; s < stages; ++s) p.stages.push_back(two_layer_chunk(s));
  p.pp_forward_transfer = Nanoseconds(1500);
  p.pp_backward_transfer = Nanoseconds(2500);
  p.network.pp_forward = PortTraffic{3e6, 0, {}};
  p.network.pp_backward = PortTraffic{3e6, 0, {}};
  return p;
}

void check_replay_equals_executor(const Schedule& s, const PipelineProgram& p, int replicas = 1,
                                  int group = 1) {
  ExecutorOptions o;
  o.replicas = replicas;
  o.collective_group = group;
  const ExecutionResult ran = execute_pipeline(s, p, o);
  const ExecutionGraph g = build_execution_graph(s, p, replicas, group);
  REQUIRE(g.gpus.size() == static_cast<std::size_t>(replicas * s.ranks));
  const GraphReplay rep = replay_graph(g);
  CHECK(rep.makespan == std::max(ran.makespan, ran.dp_sync_end));
  for (int r = 0; r < s.ranks; ++r) {
    INFO("rank " << r);
    CHECK(rep.finish[static_cast<std::size_t>(r)] == ran.ranks[static_cast<std::size_t>(r)].finish);
    CHECK(rep.busy[static_cast<std::size_t>(r)][0] ==
          ran.ranks[static_cast<std::size_t>(r)].lane_busy[0]);
    CHECK(rep.busy[static_cast<std::size_t>(r)][1] ==
          ran.ranks[static_cast<std::size_t>(r)].lane_busy[1]);
  }
  CHECK(rep.nodes >= ran.sub_ops_executed);
}

}  // namespace

TEST_CASE("execution graph: replayed, it ends every rank when the executor does",
          "[sim][runner][graph]") {
  const std::pair<ScheduleKind, ScheduleOptions> cases[] = {
      {ScheduleKind::k1F1B, {4, 8, 1}},      {ScheduleKind::kZbH1, {4, 8, 1}},
      {ScheduleKind::kDualPipe, {4, 12, 1}}, {ScheduleKind::kDualPipe, {8, 20, 1}},
      {ScheduleKind::kDualPipeV, {4, 8, 1}}, {ScheduleKind::kInterleaved1F1B, {4, 8, 2}},
  };
  for (const auto& [kind, opts] : cases) {
    const Schedule s = make_schedule(kind, opts);
    INFO("schedule " << static_cast<int>(kind) << " pp " << opts.pp);
    check_replay_equals_executor(s, program_for(s.stages));
    // The gradient buckets held to the rank's end (plan.overlap_grad_reduce: false).
    PipelineProgram late = program_for(s.stages);
    late.overlap_grad_reduce = false;
    check_replay_equals_executor(s, late);
  }
}

TEST_CASE("execution graph: replicas in EP groups rendezvous like the executor's full mode",
          "[sim][runner][graph]") {
  const Schedule s = make_schedule(ScheduleKind::kDualPipe, {4, 8, 1});
  const PipelineProgram p = program_for(s.stages);
  check_replay_equals_executor(s, p, 4, 2);
  const ExecutionGraph g = build_execution_graph(s, p, 4, 2);
  // Per pipeline rank: two EP groups of two replicas, one gradient group of all four, and a
  // TP group of one per GPU.
  CHECK(g.groups.size() == static_cast<std::size_t>(4 * 2 + 4 + 16));
  std::size_t pairs = 0, fours = 0;
  for (const auto& [id, members] : g.groups) {
    CHECK(id >= 1);
    if (members.size() == 2) {
      ++pairs;
      CHECK(members[1] - members[0] == 4);  // the same rank of consecutive replicas
    }
    if (members.size() == 4) ++fours;
  }
  CHECK(pairs == 8);
  CHECK(fours == 4);
}

TEST_CASE("execution graph: the DeepSeek-V3 step, exported and replayed, keeps its time",
          "[sim][runner][graph]") {
  const Scenario sc =
      load_scenario(std::string(HOPSIM_SOURCE_DIR) + "/scenarios/deepseek-v3-h800.yaml");
  const CostModel cm(sc.cluster.gpu, default_cost_parameters(sc.cluster.gpu));
  const CommTimes comm = communication_times(sc, cm);
  PipelineProgram p =
      build_pipeline_program(sc, cm, comm, pipeline_stages(sc.plan), nullptr, true, false);
  // The graph carries stand-alone durations; HBM interference is a run-time effect of overlap.
  p.network.comm_hbm_bytes_per_wire_byte = 0;
  const Schedule s = make_schedule(
      sc.plan.schedule, ScheduleOptions{sc.plan.pp, sc.plan.micro_batches, sc.plan.virtual_stages});
  check_replay_equals_executor(s, p);
  const ExecutionGraph g = build_execution_graph(s, p);
  std::size_t sends = 0, recvs = 0, all_to_all = 0, reduce_scatter = 0;
  for (const auto& gpu : g.gpus) {
    for (const GraphNode& n : gpu) {
      sends += n.kind == GraphNodeKind::kSend;
      recvs += n.kind == GraphNodeKind::kRecv;
      all_to_all +=
          n.kind == GraphNodeKind::kCollective && n.collective == CollectiveKind::kAllToAll;
      reduce_scatter +=
          n.kind == GraphNodeKind::kCollective && n.collective == CollectiveKind::kReduceScatter;
    }
  }
  CHECK(sends == recvs);
  CHECK(sends > 0);
  // Every MoE unit's forward and backward: notify + payload for dispatch and combine, per
  // micro-batch; 58 MoE layers and the MTP module (DeepSeek-V3 §4.2: 3 dense + 58 MoE layers).
  CHECK(all_to_all == static_cast<std::size_t>(59 * 8 * sc.plan.micro_batches));
  CHECK(reduce_scatter > 0);
}

TEST_CASE("execution graph replay: a graph that cannot complete is a located error",
          "[sim][runner][graph]") {
  ExecutionGraph g;
  g.gpus.resize(2);
  GraphNode a;
  a.id = 10;
  a.name = "a";
  a.duration = Nanoseconds(5);
  GraphNode b = a;
  b.id = 11;
  b.name = "b";
  SECTION("a cycle") {
    a.deps = {11};
    b.deps = {10};
    g.gpus[0] = {a, b};
    REQUIRE_THROWS_WITH(replay_graph(g), Catch::Contains("GPU 0, node 10 (a): never ran"));
  }
  SECTION("a dependency on a node the GPU lacks") {
    a.deps = {99};
    g.gpus[0] = {a};
    REQUIRE_THROWS_WITH(replay_graph(g), Catch::Contains("depends on node 99"));
  }
  SECTION("a receive without its send") {
    g.gpus[0] = {transfer(a, GraphNodeKind::kRecv, 1, 7)};
    REQUIRE_THROWS_WITH(replay_graph(g), Catch::Contains("no send from GPU 1 with tag 7"));
  }
  SECTION("a collective over a group the graph does not define") {
    a.kind = GraphNodeKind::kCollective;
    a.group = 3;
    g.gpus[0] = {a};
    REQUIRE_THROWS_WITH(replay_graph(g), Catch::Contains("the graph does not define"));
  }
  SECTION("a collective one member never reaches") {
    a.kind = GraphNodeKind::kCollective;
    a.group = 1;
    g.groups[1] = {0, 1};
    g.gpus[0] = {a};
    REQUIRE_THROWS_WITH(replay_graph(g), Catch::Contains("not every GPU of group 1"));
  }
  SECTION("a send matched with its receive, and a replay in id order") {
    const GraphNode r = transfer(b, GraphNodeKind::kRecv, 0, 7);
    GraphNode c = b;
    c.id = 12;
    c.deps = {11};
    g.gpus[0] = {transfer(a, GraphNodeKind::kSend, 1, 7)};
    g.gpus[1] = {c, r};
    const GraphReplay rep = replay_graph(g);
    CHECK(rep.makespan == Nanoseconds(10));  // send 5, then c 5
    CHECK(rep.finish[1] == Nanoseconds(10));
  }
}
