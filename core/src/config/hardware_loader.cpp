// Hardware profiles: every number is written {value, source} and all keys are required, so a
// profile is complete and every figure can be traced (docs/CONFIG.md).

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/scenario_keys.hpp"
#include "hopsim/core/config/yaml_reader.hpp"
#include "internal.hpp"

namespace hopsim {
namespace config {
namespace {

KeySpec sourced(std::string name, ValueKind kind, std::vector<std::string> aliases = {}) {
  return KeySpec{std::move(name), kind, true, {}, true, std::move(aliases)};
}
KeySpec plain(std::string name, ValueKind kind, bool required,
              std::vector<std::string> choices = {}) {
  return KeySpec{std::move(name), kind, required, std::move(choices), false, {}};
}

Nanoseconds ns_of(const MappingReader& r, const std::string& key) {
  return Nanoseconds(r.get_int(key));
}

}  // namespace

GpuProfile read_gpu_profile(const YAML::Node& node, const std::string& file,
                            const std::string& key_path) {
  // The keys are declared once (scenario_keys.hpp, "hardware.gpu"): editors build on them too.
  const MappingReader r(node, file, key_path, scenario_keys("hardware.gpu"));
  GpuProfile g;
  g.name = r.get_string("name");
  g.sms = r.get_int32("sms");
  g.boost_clock_mhz = r.get_number("boost_clock_mhz");
  g.sustained_clock_mhz = r.get_number("sustained_clock_mhz");
  if (g.sustained_clock_mhz > g.boost_clock_mhz) {
    r.fail("sustained_clock_mhz", "sustained clock " + std::to_string(g.sustained_clock_mhz) +
                                      " MHz exceeds the boost clock " +
                                      std::to_string(g.boost_clock_mhz) + " MHz");
  }
  g.bf16_dense = tflops(r.get_number("bf16_dense_tflops"));
  g.fp8_dense = tflops(r.get_number("fp8_dense_tflops"));
  g.fp32_cuda_core = tflops(r.get_number("fp32_cuda_core_tflops"));
  g.hbm_capacity = Bytes(r.get_int("hbm_capacity_bytes"));
  g.hbm_bandwidth = gb_per_s(r.get_number("hbm_bandwidth_gb_per_s"));
  g.l2_cache = Bytes(r.get_int("l2_cache_bytes"));
  g.nvlink_bidirectional = gb_per_s(r.get_number("nvlink_bidirectional_gb_per_s"));
  g.nvlink_links = r.get_int32("nvlink_links");
  g.pcie_unidirectional = gb_per_s(r.get_number("pcie_unidirectional_gb_per_s"));
  g.tdp_watts = r.get_number("tdp_watts");
  g.sm_partition_granularity = r.get_int32("sm_partition_granularity");
  g.price_per_gpu_hour = r.get_number("price_per_gpu_hour", 0.0);
  return g;
}

NodeProfile read_node_profile(const YAML::Node& node, const std::string& file,
                              const std::string& key_path) {
  const MappingReader r(
      node, file, key_path,
      {plain("name", ValueKind::kString, true), plain("description", ValueKind::kString, false),
       sourced("gpus_per_node", ValueKind::kPositiveInt, {"gpus", "num_gpus"}),
       sourced("nvswitch", ValueKind::kBool),
       sourced("nics_per_node", ValueKind::kNonNegativeInt, {"nics"}),
       sourced("nic_unidirectional_gb_per_s", ValueKind::kPositiveNumber),
       sourced("nvlink_latency_ns", ValueKind::kNonNegativeInt),
       sourced("nic_latency_ns", ValueKind::kNonNegativeInt)});
  NodeProfile n;
  n.name = r.get_string("name");
  n.gpus_per_node = r.get_int32("gpus_per_node");
  n.nvswitch = r.get_bool("nvswitch");
  n.nics_per_node = r.get_int32("nics_per_node");
  n.nic_unidirectional = gb_per_s(r.get_number("nic_unidirectional_gb_per_s"));
  n.nvlink_latency = ns_of(r, "nvlink_latency_ns");
  n.nic_latency = ns_of(r, "nic_latency_ns");
  return n;
}

FabricProfile read_fabric_profile(const YAML::Node& node, const std::string& file,
                                  const std::string& key_path) {
  const MappingReader r(
      node, file, key_path,
      {plain("name", ValueKind::kString, true), plain("description", ValueKind::kString, false),
       plain("topology", ValueKind::kEnum, true, {"rail-optimized", "fat-tree"}),
       sourced("planes", ValueKind::kPositiveInt),
       sourced("oversubscription", ValueKind::kPositiveNumber),
       sourced("leaf_radix", ValueKind::kPositiveInt),
       sourced("link_unidirectional_gb_per_s", ValueKind::kPositiveNumber),
       sourced("switch_latency_ns", ValueKind::kNonNegativeInt)});
  FabricProfile f;
  f.name = r.get_string("name");
  f.topology = r.get_string("topology") == "fat-tree" ? FabricTopology::kFatTree
                                                      : FabricTopology::kRailOptimized;
  f.planes = r.get_int32("planes");
  f.oversubscription = r.get_number("oversubscription");
  if (f.oversubscription < 1.0) {
    r.fail("oversubscription",
           "oversubscription is downlink:uplink bandwidth and cannot be below 1 (got " +
               std::to_string(f.oversubscription) + ")");
  }
  f.leaf_radix = r.get_int32("leaf_radix");
  f.link_unidirectional = gb_per_s(r.get_number("link_unidirectional_gb_per_s"));
  f.switch_latency = ns_of(r, "switch_latency_ns");
  return f;
}

}  // namespace config

namespace {
template <class Read>
auto load_profile(const std::string& folder, const std::string& what, const std::string& spec,
                  Read read) {
  const auto path = config::resolve_data_file(folder, what, spec, {}, SourceLocation{});
  const auto file = path.string();
  return read(config::parse_yaml_file(path), file, std::string());
}
}  // namespace

GpuProfile load_gpu_profile(const std::string& spec) {
  return load_profile("hwprofiles/gpus", "GPU profile", spec, config::read_gpu_profile);
}
NodeProfile load_node_profile(const std::string& spec) {
  return load_profile("hwprofiles/nodes", "node profile", spec, config::read_node_profile);
}
FabricProfile load_fabric_profile(const std::string& spec) {
  return load_profile("hwprofiles/fabrics", "fabric profile", spec, config::read_fabric_profile);
}

}  // namespace hopsim
