#include "hopsim/profiler/chakra/chakra.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>

#include "chakra_et.pb.h"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"
#include "hopsim/sim/runner/runner.hpp"
#include "trace_test_util.hpp"

using namespace hopsim;
using namespace hopsim::profiler;
using hopsim::profiler::test::TempDir;
namespace pb = ChakraProtoMsg;

namespace {

// A trace as ASTRA-sim's own tools write one, built here with the schema's messages directly
// (not hopsim's encoder): varint length, message, for the metadata and each node.
class TraceBuilder {
 public:
  TraceBuilder() {
    pb::GlobalMetadata m;
    m.set_version("0.0.4");
    put(m);
  }
  pb::Node& node(std::uint64_t id, pb::NodeType type, std::uint64_t micros,
                 std::initializer_list<std::uint64_t> deps = {}) {
    nodes_.emplace_back();
    pb::Node& n = nodes_.back();
    n.set_id(id);
    n.set_name("n" + std::to_string(id));
    n.set_type(type);
    n.set_duration_micros(micros);
    for (auto d : deps) n.add_data_deps(d);
    return n;
  }
  // A send or receive of `bytes` from GPU `src` to GPU `dst`, matched by `tag`.
  pb::Node& p2p(std::uint64_t id, pb::NodeType type, std::uint64_t micros,
                std::initializer_list<std::uint64_t> deps, std::int32_t src, std::int32_t dst,
                std::int32_t tag, std::int64_t bytes) {
    pb::Node& n = node(id, type, micros, deps);
    attr_i32(n, "comm_src", src);
    attr_i32(n, "comm_dst", dst);
    attr_i32(n, "comm_tag", tag);
    attr_i64(n, "comm_size", bytes);
    return n;
  }
  // A collective of `bytes` over the GPUs of the trace.
  pb::Node& collective(std::uint64_t id, std::uint64_t micros,
                       std::initializer_list<std::uint64_t> deps, pb::CollectiveCommType type,
                       std::int64_t bytes) {
    pb::Node& n = node(id, pb::COMM_COLL_NODE, micros, deps);
    attr_i64(n, "comm_type", type);
    attr_i64(n, "comm_size", bytes);
    return n;
  }
  static void attr_i64(pb::Node& n, const char* name, std::int64_t v) {
    auto* a = n.add_attr();
    a->set_name(name);
    a->set_int64_val(v);
  }
  static void attr_i32(pb::Node& n, const char* name, std::int32_t v) {
    auto* a = n.add_attr();
    a->set_name(name);
    a->set_int32_val(v);
  }
  std::string bytes() {
    std::string out = head_;
    for (const pb::Node& n : nodes_) append(out, n);
    return out;
  }
  void write(const std::filesystem::path& p) {
    std::ofstream f(p, std::ios::binary);
    f << bytes();
  }

 private:
  static void append(std::string& out, const google::protobuf::MessageLite& m) {
    std::string body = m.SerializeAsString();
    std::uint64_t v = body.size();
    do {
      char b = static_cast<char>(v & 0x7F);
      v >>= 7;
      if (v != 0) b = static_cast<char>(b | 0x80);
      out.push_back(b);
    } while (v != 0);
    out += body;
  }
  void put(const google::protobuf::MessageLite& m) { append(head_, m); }
  std::string head_;
  std::vector<pb::Node> nodes_;
};

sim::ExecutionGraph tiny_graph() {
  const Scenario sc = load_scenario(std::string(HOPSIM_SOURCE_DIR) + "/tests/data/sweep/tiny.yaml");
  return sim::scenario_execution_graph(sc, 8);  // whole EP groups: 8 replicas of 2 ranks
}

}  // namespace

TEST_CASE("chakra: a graph written as traces reads back node for node", "[profiler][chakra]") {
  const sim::ExecutionGraph g = tiny_graph();
  REQUIRE(g.gpus.size() == 16);
  TempDir dir;
  const auto written = chakra::write_traces(g, dir / "tiny", "test");
  CHECK(written.traces.size() == 16);
  CHECK(written.traces[3] == dir / "tiny.3.et");
  CHECK(written.groups == dir / "tiny.comm_groups.json");
  const chakra::ReadTraces back = chakra::read_traces(dir / "tiny");
  CHECK(back.groups_from_file);
  CHECK(back.untimed_comm == 0);
  REQUIRE(back.graph.gpus.size() == g.gpus.size());
  for (std::size_t q = 0; q < g.gpus.size(); ++q) {
    REQUIRE(back.graph.gpus[q].size() == g.gpus[q].size());
    for (std::size_t i = 0; i < g.gpus[q].size(); ++i) {
      const sim::GraphNode& a = g.gpus[q][i];
      const sim::GraphNode& b = back.graph.gpus[q][i];
      INFO("GPU " << q << " node " << a.id << " " << a.name);
      CHECK(b.id == a.id);
      CHECK(b.name == a.name);
      CHECK(b.kind == a.kind);
      CHECK(b.lane == a.lane);
      CHECK(b.cls == a.cls);
      CHECK(b.duration == a.duration);
      CHECK(b.flops.value() == static_cast<double>(std::llround(a.flops.value())));
      CHECK(b.bytes == a.bytes);
      CHECK(b.deps == a.deps);
      if (a.kind == sim::GraphNodeKind::kCollective) {
        CHECK(b.collective == a.collective);
        CHECK(b.group == a.group);
      }
      if (a.kind == sim::GraphNodeKind::kSend || a.kind == sim::GraphNodeKind::kRecv) {
        CHECK(b.peer == a.peer);
        CHECK(b.tag == a.tag);
      }
    }
  }
  // The groups file holds the export's groups; reading adds "every GPU" for pg_name-less ones.
  for (const auto& [id, members] : g.groups) CHECK(back.graph.groups.at(id) == members);
  CHECK(back.graph.groups.at(chakra::kAllGpus).size() == 16);
  // And the replay of what was read equals the replay of what was written.
  const sim::GraphReplay x = sim::replay_graph(g);
  const sim::GraphReplay y = sim::replay_graph(back.graph);
  CHECK(x.makespan == y.makespan);
  CHECK(x.finish == y.finish);
}

TEST_CASE("chakra: a trace from elsewhere replays to its hand-derived time", "[profiler][chakra]") {
  // Two GPUs, times in µs, no hopsim attributes. GPU 0: compute a (10) -> send to GPU 1 (tag 5,
  // 4) and compute b (3) -> all-reduce over both GPUs (2). GPU 1: compute c (1) -> receive
  // (tag 5) -> compute d (6) -> all-reduce (2).
  // By hand: the send ends at 14; d runs 14..20; GPU 0 reaches the all-reduce at 13, GPU 1 at
  // 20; it runs 20..22 on both. Makespan 22 µs.
  TempDir dir;
  TraceBuilder g0, g1;
  g0.node(1, pb::COMP_NODE, 10);
  g0.p2p(2, pb::COMM_SEND_NODE, 4, {1}, 0, 1, 5, 1 << 20);
  g0.node(3, pb::COMP_NODE, 3, {1});
  g0.collective(4, 2, {3}, pb::ALL_REDUCE, 4096);
  g1.node(7, pb::COMP_NODE, 1);
  g1.p2p(8, pb::COMM_RECV_NODE, 0, {7}, 0, 1, 5, 1 << 20);
  g1.node(9, pb::COMP_NODE, 6, {8});
  g1.collective(10, 2, {9}, pb::ALL_REDUCE, 4096);
  g0.write(dir / "w.0.et");
  g1.write(dir / "w.1.et");
  const chakra::ReadTraces t = chakra::read_traces(dir / "w");
  CHECK_FALSE(t.groups_from_file);
  REQUIRE(t.graph.gpus.size() == 2);
  const sim::GraphReplay rep = sim::replay_graph(t.graph);
  CHECK(rep.makespan == Nanoseconds(22'000));
  CHECK(rep.finish[0] == Nanoseconds(22'000));
  CHECK(rep.finish[1] == Nanoseconds(22'000));
  // Compute busy: a + b on GPU 0, c + d on GPU 1. The all-reduce holds GPU 0's comm lane from
  // 13 but counts as busy from when its group met (as the executor counts a collective).
  CHECK(rep.busy[0][0] == Nanoseconds(13'000));
  CHECK(rep.busy[1][0] == Nanoseconds(7'000));
  CHECK(rep.busy[0][1] == Nanoseconds(2'000));
}

TEST_CASE("chakra: communication with bytes but no time is counted and can be timed by size",
          "[profiler][chakra]") {
  TempDir dir;
  TraceBuilder g;
  g.collective(1, 0, {}, pb::ALL_GATHER, 50'000'000);
  g.write(dir / "u.0.et");
  chakra::ReadTraces t = chakra::read_traces(dir / "u");
  CHECK(t.untimed_comm == 1);
  CHECK(chakra::time_untimed_comm(t.graph, 50e9) == 1);  // 50 MB at 50 GB/s: 1 ms
  CHECK(sim::replay_graph(t.graph).makespan == Nanoseconds(1'000'000));
}

TEST_CASE("chakra: malformed traces are located errors", "[profiler][chakra]") {
  std::vector<std::string> names;
  const auto error_of = [&](const std::string& bytes) -> std::string {
    try {
      (void)chakra::decode_trace(bytes, 0, "x.0.et", names);
    } catch (const trace::TraceError& e) {
      CHECK(e.file() == "x.0.et");
      return e.where() + ": " + e.message();
    }
    return "no error";
  };
  CHECK_THAT(error_of(""), Catch::Contains("empty file"));
  CHECK_THAT(error_of("\xff\xff\xff\xff\x0f"), Catch::Contains("not a Chakra trace"));
  CHECK_THAT(error_of("\x05\x0a\x01"), Catch::Contains("truncated"));
  {
    TraceBuilder b;
    b.node(1, pb::COMP_NODE, 1, {42});
    CHECK_THAT(error_of(b.bytes()), Catch::Contains("depends on node 42, which the file lacks"));
  }
  {
    TraceBuilder b;
    b.node(1, pb::COMP_NODE, 1);
    b.node(1, pb::COMP_NODE, 1);
    CHECK_THAT(error_of(b.bytes()), Catch::Contains("node 1 (id 1): node id used twice"));
  }
  {
    TraceBuilder b;
    b.node(1, static_cast<pb::NodeType>(42), 1);
    CHECK_THAT(error_of(b.bytes()), Catch::Contains("node type 42 is not one hopsim replays"));
  }
  {
    TraceBuilder b;
    auto& s = b.node(1, pb::COMM_SEND_NODE, 1);
    TraceBuilder::attr_i32(s, "comm_src", 3);
    TraceBuilder::attr_i32(s, "comm_dst", 1);
    CHECK_THAT(error_of(b.bytes()), Catch::Contains("comm_src = 3 but this is GPU 0's trace"));
  }
  {
    TraceBuilder b;
    auto& s = b.node(1, pb::COMM_COLL_NODE, 1);
    TraceBuilder::attr_i64(s, "comm_type", 12);
    CHECK_THAT(error_of(b.bytes()), Catch::Contains("attribute comm_type = 12: expected 0..9"));
  }
  {
    TraceBuilder b;
    b.node(1, pb::COMP_NODE, 2'000'000'000);
    CHECK_THAT(error_of(b.bytes()), Catch::Contains("is over 1000 s"));
  }
  {
    TempDir dir;
    TraceBuilder b;
    b.node(1, pb::COMP_NODE, 1);
    b.write(dir / "g.0.et");
    std::ofstream(dir / "g.comm_groups.json") << R"({"1": [0, 5]})";
    REQUIRE_THROWS_WITH(chakra::read_traces(dir / "g"),
                        Catch::Contains("member 5 is not a GPU of the 1 traces"));
  }
}
