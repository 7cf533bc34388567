// libFuzzer target for the Chakra execution-trace reader and the graph replay behind it. The
// input is one GPU's trace file: mutated lengths, messages, node types, attributes of the wrong
// type or range, dependencies on missing or cyclic nodes. Any input must decode and replay, or
// raise TraceError (the file) or PlanError (a graph that cannot complete).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/core/error.hpp"
#include "hopsim/profiler/chakra/chakra.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace chakra = hopsim::profiler::chakra;
  std::vector<std::string> names;
  try {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto decoded = chakra::decode_trace(bytes, 0, "fuzz.0.et", names);
    hopsim::sim::ExecutionGraph g;
    g.gpus.push_back(std::move(decoded.nodes));
    g.groups[chakra::kAllGpus] = {0};
    for (const auto& n : g.gpus[0]) {
      if (n.kind == hopsim::sim::GraphNodeKind::kCollective) g.groups[n.group] = {0};
    }
    (void)hopsim::sim::replay_graph(g);
  } catch (const hopsim::profiler::trace::TraceError&) {
  } catch (const hopsim::PlanError&) {
  }
  return 0;
}
