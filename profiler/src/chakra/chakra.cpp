#include "hopsim/profiler/chakra/chakra.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>

#include "chakra_et.pb.h"
#include "hopsim/core/io/atomic_file.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"

namespace hopsim::profiler::chakra {

using trace::TraceError;
namespace pb = ChakraProtoMsg;

namespace {

// Attribute names: ASTRA-sim's (mlcommons/chakra src/feeder/et_feeder_node.cpp reads them with
// these value types) and hopsim's own, for an exact read back.
constexpr const char* kIsCpuOp = "is_cpu_op";              // bool
constexpr const char* kNumOps = "num_ops";                 // int64
constexpr const char* kCommType = "comm_type";             // int64
constexpr const char* kCommSize = "comm_size";             // int64
constexpr const char* kCommSrc = "comm_src";               // int32
constexpr const char* kCommDst = "comm_dst";               // int32
constexpr const char* kCommTag = "comm_tag";               // int32
constexpr const char* kPgName = "pg_name";                 // string
constexpr const char* kDurationNs = "hopsim_duration_ns";  // uint64
constexpr const char* kLane = "hopsim_lane";               // int32: GraphLane
constexpr const char* kClass = "hopsim_class";             // int32: WorkClass
constexpr const char* kSchemaVersion = "0.0.4";            // the Chakra schema version written

// Larger than any message hopsim writes by far; a length above it is a damaged file, not a
// node to allocate for.
constexpr std::uint32_t kMaxMessage = 64u << 20;
// A node longer than this is not a kernel or a transfer (and sums of them stay in range).
constexpr std::uint64_t kMaxDurationNs = 1'000'000'000'000ull;  // 1000 s

template <class T>
void set_attr(pb::Node& n, const char* name, T value) {
  pb::AttributeProto* a = n.add_attr();
  a->set_name(name);
  if constexpr (std::is_same_v<T, bool>) {
    a->set_bool_val(value);
  } else if constexpr (std::is_same_v<T, std::int32_t>) {
    a->set_int32_val(value);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    a->set_int64_val(value);
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    a->set_uint64_val(value);
  } else {
    a->set_string_val(std::string(value));
  }
}

void append_delimited(std::string& out, const google::protobuf::MessageLite& m) {
  const std::size_t size = m.ByteSizeLong();
  std::uint64_t v = size;
  do {
    auto byte = static_cast<unsigned char>(v & 0x7F);
    v >>= 7;
    if (v != 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (v != 0);
  const std::size_t at = out.size();
  out.resize(at + size);
  m.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(out.data() + at));
}

pb::NodeType node_type(sim::GraphNodeKind k) {
  switch (k) {
    case sim::GraphNodeKind::kCompute:
      return pb::COMP_NODE;
    case sim::GraphNodeKind::kCollective:
      return pb::COMM_COLL_NODE;
    case sim::GraphNodeKind::kSend:
      return pb::COMM_SEND_NODE;
    case sim::GraphNodeKind::kRecv:
      return pb::COMM_RECV_NODE;
  }
  return pb::INVALID_NODE;
}

// Reads one varint length; false at a clean end of file.
bool read_length(std::string_view bytes, std::size_t& pos, std::uint32_t& length,
                 const std::string& file) {
  if (pos == bytes.size()) return false;
  std::uint64_t v = 0;
  const std::size_t start = pos;
  for (int shift = 0;; shift += 7) {
    if (pos == bytes.size()) {
      throw TraceError(file, "byte " + std::to_string(start), "the file ends inside a length");
    }
    if (shift > 28) {
      throw TraceError(file, "byte " + std::to_string(start), "a message length over 5 bytes");
    }
    const auto b = static_cast<unsigned char>(bytes[pos++]);
    v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (v > kMaxMessage) {
    throw TraceError(file, "byte " + std::to_string(start),
                     "a message of " + std::to_string(v) + " bytes (over " +
                         std::to_string(kMaxMessage) + "): not a Chakra trace");
  }
  if (v > bytes.size() - pos) {
    throw TraceError(file, "byte " + std::to_string(start),
                     "a message of " + std::to_string(v) + " bytes but only " +
                         std::to_string(bytes.size() - pos) + " are left (truncated file?)");
  }
  length = static_cast<std::uint32_t>(v);
  return true;
}

// A node's attributes by name; a name given twice keeps the first, as ASTRA-sim's feeder does
// for the known ones.
class Attrs {
 public:
  Attrs(const pb::Node& n, std::string where, const std::string& file)
      : where_(std::move(where)), file_(file) {
    for (const pb::AttributeProto& a : n.attr()) by_name_.try_emplace(a.name(), &a);
  }
  [[nodiscard]] bool has(const char* name) const { return by_name_.contains(name); }

  // Any integer form, checked against [lo, hi].
  [[nodiscard]] std::int64_t integer(const char* name, std::int64_t lo, std::int64_t hi,
                                     std::int64_t otherwise) const {
    const auto it = by_name_.find(name);
    if (it == by_name_.end()) return otherwise;
    const pb::AttributeProto& a = *it->second;
    long double v = 0;
    switch (a.value_case()) {
      case pb::AttributeProto::kInt32Val:
        v = a.int32_val();
        break;
      case pb::AttributeProto::kInt64Val:
        v = static_cast<long double>(a.int64_val());
        break;
      case pb::AttributeProto::kUint32Val:
        v = a.uint32_val();
        break;
      case pb::AttributeProto::kUint64Val:
        v = static_cast<long double>(a.uint64_val());
        break;
      case pb::AttributeProto::kBoolVal:
        v = a.bool_val() ? 1 : 0;
        break;
      default:
        throw TraceError(file_, where_,
                         std::string("attribute ") + name + ": expected an integer value");
    }
    if (v < static_cast<long double>(lo) || v > static_cast<long double>(hi)) {
      throw TraceError(file_, where_,
                       std::string("attribute ") + name + " = " +
                           (v < 0 ? std::to_string(static_cast<std::int64_t>(v))
                                  : std::to_string(static_cast<std::uint64_t>(v))) +
                           ": expected " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    return static_cast<std::int64_t>(v);
  }

  [[nodiscard]] std::string text(const char* name) const {
    const auto it = by_name_.find(name);
    if (it == by_name_.end()) return {};
    if (it->second->value_case() != pb::AttributeProto::kStringVal) {
      throw TraceError(file_, where_, std::string("attribute ") + name + ": expected a string");
    }
    return it->second->string_val();
  }

 private:
  std::unordered_map<std::string, const pb::AttributeProto*> by_name_;
  std::string where_;
  const std::string& file_;
};

int group_of(const std::string& pg, std::vector<std::string>& names) {
  if (pg.empty()) return kAllGpus;
  int id = 0;
  const auto [end, ec] = std::from_chars(pg.data(), pg.data() + pg.size(), id);
  if (ec == std::errc() && end == pg.data() + pg.size() && id >= 0 && id < 1'000'000) return id;
  const auto it = std::find(names.begin(), names.end(), pg);
  if (it != names.end()) return 1'000'000 + static_cast<int>(it - names.begin());
  names.push_back(pg);
  return 1'000'000 + static_cast<int>(names.size() - 1);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw TraceError(p.string(), "", "cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw TraceError(p.string(), "", "read failed");
  return std::move(s).str();
}

std::filesystem::path trace_path(const std::filesystem::path& prefix, std::size_t gpu) {
  return prefix.string() + "." + std::to_string(gpu) + ".et";
}

std::filesystem::path groups_path(const std::filesystem::path& prefix) {
  return prefix.string() + ".comm_groups.json";
}

}  // namespace

std::string encode_trace(const std::vector<sim::GraphNode>& nodes, int gpu,
                         const std::string& source) {
  std::string out;
  pb::GlobalMetadata meta;
  meta.set_version(kSchemaVersion);
  auto* a = meta.add_attr();
  a->set_name("hopsim_source");
  a->set_string_val(source);
  a = meta.add_attr();
  a->set_name("hopsim_gpu");
  a->set_int64_val(gpu);
  append_delimited(out, meta);
  pb::Node n;
  for (const sim::GraphNode& g : nodes) {
    n.Clear();
    n.set_id(g.id);
    n.set_name(g.name);
    n.set_type(node_type(g.kind));
    for (std::uint64_t d : g.deps) n.add_data_deps(d);
    // Chakra counts whole microseconds; hopsim_duration_ns keeps the nanoseconds.
    n.set_duration_micros(static_cast<std::uint64_t>((g.duration.value() + 500) / 1000));
    set_attr(n, kIsCpuOp, false);
    if (g.kind == sim::GraphNodeKind::kCompute) {
      set_attr(n, kNumOps, static_cast<std::int64_t>(std::llround(g.flops.value())));
    } else {
      set_attr(n, kCommSize, static_cast<std::int64_t>(g.bytes.value()));
    }
    if (g.kind == sim::GraphNodeKind::kCollective) {
      set_attr(n, kCommType, static_cast<std::int64_t>(g.collective));
      set_attr(n, kPgName, std::to_string(g.group));
    }
    if (g.kind == sim::GraphNodeKind::kSend || g.kind == sim::GraphNodeKind::kRecv) {
      const bool send = g.kind == sim::GraphNodeKind::kSend;
      set_attr(n, kCommSrc, static_cast<std::int32_t>(send ? gpu : g.peer));
      set_attr(n, kCommDst, static_cast<std::int32_t>(send ? g.peer : gpu));
      set_attr(n, kCommTag, static_cast<std::int32_t>(g.tag));
    }
    set_attr(n, kDurationNs, static_cast<std::uint64_t>(g.duration.value()));
    set_attr(n, kLane, static_cast<std::int32_t>(g.lane));
    set_attr(n, kClass, static_cast<std::int32_t>(g.cls));
    append_delimited(out, n);
  }
  return out;
}

struct TraceWriter::Impl {
  std::filesystem::path prefix;
  std::string source;
  // Written beside their targets, renamed at finish(); AtomicFile removes its temp file when
  // destroyed uncommitted.
  std::vector<io::AtomicFile> pending;
  WrittenTraces written;
};

TraceWriter::TraceWriter(std::filesystem::path prefix, std::string source)
    : impl_(std::make_unique<Impl>()) {
  impl_->prefix = std::move(prefix);
  impl_->source = std::move(source);
}

TraceWriter::~TraceWriter() = default;

void TraceWriter::add(const std::vector<sim::GraphNode>& nodes) {
  Impl& m = *impl_;
  const std::size_t gpu = m.pending.size();
  const std::string bytes = encode_trace(nodes, static_cast<int>(gpu), m.source);
  io::AtomicFile f(trace_path(m.prefix, gpu));
  f.write(bytes);
  f.finish_writing();  // no descriptor kept per file: an export may have thousands
  m.written.traces.push_back(f.target());
  m.written.nodes += nodes.size();
  m.written.bytes += bytes.size();
  m.pending.push_back(std::move(f));
}

WrittenTraces TraceWriter::finish(const std::map<int, std::vector<int>>& groups) {
  Impl& m = *impl_;
  // One group per line: {"1": [0, 16, 32], ...}
  std::string text = "{";
  for (const auto& [id, members] : groups) {
    text += (text.size() > 1 ? ",\n \"" : "\n \"") + std::to_string(id) + "\": [";
    for (std::size_t i = 0; i < members.size(); ++i) {
      text += (i > 0 ? ", " : "") + std::to_string(members[i]);
    }
    text += "]";
  }
  text += "\n}\n";
  io::AtomicFile g(groups_path(m.prefix));
  g.write(text);
  g.finish_writing();
  m.written.groups = g.target();
  m.pending.push_back(std::move(g));
  std::size_t committed = 0;
  try {
    for (io::AtomicFile& f : m.pending) {
      f.commit();
      ++committed;
    }
  } catch (...) {
    for (std::size_t i = 0; i < committed; ++i) {
      std::error_code ec;
      std::filesystem::remove(m.pending[i].target(), ec);
    }
    throw;
  }
  m.pending.clear();
  return m.written;
}

WrittenTraces write_traces(const sim::ExecutionGraph& graph, const std::filesystem::path& prefix,
                           const std::string& source) {
  TraceWriter w(prefix, source);
  for (const auto& gpu : graph.gpus) w.add(gpu);
  return w.finish(graph.groups);
}

DecodedTrace decode_trace(std::string_view bytes, int gpu, const std::string& file,
                          std::vector<std::string>& names) {
  DecodedTrace out;
  std::size_t pos = 0;
  std::uint32_t length = 0;
  if (!read_length(bytes, pos, length, file)) {
    throw TraceError(file, "", "empty file (a Chakra trace starts with its global metadata)");
  }
  pb::GlobalMetadata meta;
  if (!meta.ParseFromArray(bytes.data() + pos, static_cast<int>(length))) {
    throw TraceError(file, "byte " + std::to_string(pos),
                     "the global metadata does not parse as a Chakra GlobalMetadata message");
  }
  out.version = meta.version();
  pos += length;
  std::set<std::uint64_t> ids;
  pb::Node n;
  while (true) {
    const std::size_t at = pos;
    if (!read_length(bytes, pos, length, file)) break;
    const std::string where =
        "byte " + std::to_string(at) + ", node " + std::to_string(out.nodes.size());
    if (!n.ParseFromArray(bytes.data() + pos, static_cast<int>(length))) {
      throw TraceError(file, where, "does not parse as a Chakra Node message");
    }
    pos += length;
    const std::string named = where + " (id " + std::to_string(n.id()) + ")";
    if (!ids.insert(n.id()).second) throw TraceError(file, named, "node id used twice");
    const Attrs attrs(n, named, file);
    sim::GraphNode g;
    g.id = n.id();
    g.name = n.name();
    for (std::uint64_t d : n.data_deps()) g.deps.push_back(d);
    for (std::uint64_t d : n.ctrl_deps()) {
      if (std::find(g.deps.begin(), g.deps.end(), d) == g.deps.end()) g.deps.push_back(d);
    }
    if (n.duration_micros() > kMaxDurationNs / 1000) {
      throw TraceError(file, named,
                       "duration_micros " + std::to_string(n.duration_micros()) +
                           " is over 1000 s: not one kernel or transfer");
    }
    g.duration =
        Nanoseconds(attrs.integer(kDurationNs, 0, static_cast<std::int64_t>(kMaxDurationNs),
                                  static_cast<std::int64_t>(n.duration_micros() * 1000)));
    const std::int64_t max_i64 = std::numeric_limits<std::int64_t>::max();
    const std::int64_t max_i32 = std::numeric_limits<std::int32_t>::max();
    switch (n.type()) {
      case pb::COMP_NODE:
        g.kind = sim::GraphNodeKind::kCompute;
        g.lane = sim::GraphLane::kCompute;
        g.flops = Flops(static_cast<double>(attrs.integer(kNumOps, 0, max_i64, 0)));
        break;
      case pb::COMM_COLL_NODE:
        g.kind = sim::GraphNodeKind::kCollective;
        g.lane = sim::GraphLane::kComm;
        g.cls = sim::WorkClass::kEpComm;
        if (!attrs.has(kCommType)) throw TraceError(file, named, "collective without comm_type");
        g.collective = static_cast<sim::CollectiveKind>(
            attrs.integer(kCommType, 0, sim::kCollectiveKindCount - 1, 0));
        g.group = group_of(attrs.text(kPgName), names);
        break;
      case pb::COMM_SEND_NODE:
      case pb::COMM_RECV_NODE: {
        const bool send = n.type() == pb::COMM_SEND_NODE;
        g.kind = send ? sim::GraphNodeKind::kSend : sim::GraphNodeKind::kRecv;
        g.lane = sim::GraphLane::kNetwork;
        g.cls = sim::WorkClass::kPpComm;
        const char* peer = send ? kCommDst : kCommSrc;
        if (!attrs.has(peer)) {
          throw TraceError(file, named,
                           std::string(send ? "send" : "receive") + " without " + peer);
        }
        g.peer = static_cast<int>(attrs.integer(peer, 0, max_i32, 0));
        const char* self = send ? kCommSrc : kCommDst;
        const std::int64_t me = attrs.integer(self, 0, max_i32, gpu);
        if (me != gpu) {
          throw TraceError(file, named,
                           std::string(self) + " = " + std::to_string(me) + " but this is GPU " +
                               std::to_string(gpu) + "'s trace");
        }
        g.tag = static_cast<std::uint32_t>(attrs.integer(kCommTag, 0, max_i32, 0));
        break;
      }
      case pb::INVALID_NODE:
      case pb::METADATA_NODE:
      case pb::MEM_LOAD_NODE:
      case pb::MEM_STORE_NODE:
        // No time on the GPU's SMs: kept for the dependencies they carry.
        g.kind = sim::GraphNodeKind::kCompute;
        g.lane = sim::GraphLane::kNetwork;
        break;
      default:
        throw TraceError(file, named,
                         "node type " + std::to_string(static_cast<int>(n.type())) +
                             " is not one hopsim replays (COMP, COMM_COLL, COMM_SEND, "
                             "COMM_RECV, MEM_LOAD, MEM_STORE, METADATA, INVALID)");
    }
    if (g.kind != sim::GraphNodeKind::kCompute) {
      g.bytes = Bytes(attrs.integer(kCommSize, 0, max_i64, 0));
      // A receive's time is its send's.
      if (g.kind != sim::GraphNodeKind::kRecv && g.bytes.value() > 0 && g.duration.value() == 0) {
        ++out.untimed_comm;
      }
    }
    if (attrs.has(kLane)) g.lane = static_cast<sim::GraphLane>(attrs.integer(kLane, 0, 2, 0));
    if (attrs.has(kClass)) {
      g.cls = static_cast<sim::WorkClass>(attrs.integer(kClass, 0, sim::kWorkClassCount - 1, 0));
    }
    out.nodes.push_back(std::move(g));
  }
  // Dependencies must name nodes of this file (the replay would stop there, without a place).
  for (const sim::GraphNode& g : out.nodes) {
    for (std::uint64_t d : g.deps) {
      if (!ids.contains(d)) {
        throw TraceError(file, "node id " + std::to_string(g.id) + " (" + g.name + ")",
                         "depends on node " + std::to_string(d) + ", which the file lacks");
      }
    }
  }
  return out;
}

ReadTraces read_traces(const std::filesystem::path& prefix) {
  ReadTraces r;
  std::vector<std::string> names;
  for (std::size_t q = 0;; ++q) {
    const std::filesystem::path p = trace_path(prefix, q);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) break;
    DecodedTrace t = decode_trace(read_file(p), static_cast<int>(q), p.string(), names);
    r.untimed_comm += t.untimed_comm;
    r.graph.gpus.push_back(std::move(t.nodes));
    r.files.push_back(p);
  }
  if (r.files.empty()) {
    throw TraceError(trace_path(prefix, 0).string(), "",
                     "no such trace (a Chakra workload is <prefix>.0.et, <prefix>.1.et, ...)");
  }
  const int gpus = static_cast<int>(r.graph.gpus.size());
  const std::filesystem::path gp = groups_path(prefix);
  std::error_code ec;
  if (std::filesystem::is_regular_file(gp, ec)) {
    r.groups_from_file = true;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(gp));
    } catch (const nlohmann::json::parse_error& e) {
      throw TraceError(gp.string(), "byte " + std::to_string(e.byte), "not JSON");
    }
    if (!j.is_object()) throw TraceError(gp.string(), "", "expected an object: group id -> GPUs");
    for (const auto& [key, members] : j.items()) {
      int id = 0;
      const auto [end, perr] = std::from_chars(key.data(), key.data() + key.size(), id);
      if (perr != std::errc() || end != key.data() + key.size() || id < 0) {
        throw TraceError(gp.string(), "key \"" + key + "\"", "expected a group id (a number)");
      }
      if (!members.is_array()) {
        throw TraceError(gp.string(), "key \"" + key + "\"", "expected an array of GPU numbers");
      }
      std::vector<int>& v = r.graph.groups[id];
      for (const auto& m : members) {
        if (!m.is_number_integer() || m.get<std::int64_t>() < 0 || m.get<std::int64_t>() >= gpus) {
          throw TraceError(
              gp.string(), "key \"" + key + "\"",
              "member " + m.dump() + " is not a GPU of the " + std::to_string(gpus) + " traces");
        }
        v.push_back(m.get<int>());
      }
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
    }
  } else {
    // Without the file, a group is every GPU that names it.
    for (int q = 0; q < gpus; ++q) {
      for (const sim::GraphNode& n : r.graph.gpus[static_cast<std::size_t>(q)]) {
        if (n.kind != sim::GraphNodeKind::kCollective || n.group == kAllGpus) continue;
        auto& v = r.graph.groups[n.group];
        if (v.empty() || v.back() != q) v.push_back(q);
      }
    }
  }
  if (!r.graph.groups.contains(kAllGpus)) {
    auto& all = r.graph.groups[kAllGpus];
    for (int q = 0; q < gpus; ++q) all.push_back(q);
  }
  return r;
}

std::uint64_t time_untimed_comm(sim::ExecutionGraph& graph, double bytes_per_second) {
  std::uint64_t set = 0;
  for (auto& gpu : graph.gpus) {
    for (sim::GraphNode& n : gpu) {
      if (n.kind == sim::GraphNodeKind::kCompute || n.kind == sim::GraphNodeKind::kRecv ||
          n.bytes.value() <= 0 || n.duration.value() > 0) {
        continue;
      }
      const double ns = static_cast<double>(n.bytes.value()) / bytes_per_second * 1e9;
      n.duration = Nanoseconds(static_cast<std::int64_t>(
          std::llround(std::min(ns, static_cast<double>(kMaxDurationNs)))));
      ++set;
    }
  }
  return set;
}

}  // namespace hopsim::profiler::chakra
