#include "hopsim/profiler/trace/trace_model.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "hopsim/core/enum_names.hpp"
#include "hopsim/core/io/sqlite.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"

namespace hopsim::profiler::trace {

constexpr EnumNames<ActivityKind::kMemset> kActivityKindNames{{"kernel", "memcpy", "memset"}};
constexpr EnumNames<RangeSource::kNvtx> kRangeSourceNames{
    {"user_annotation", "gpu_user_annotation", "cpu_op", "nvtx"}};

std::string_view to_string(ActivityKind k) {
  return kActivityKindNames.name(k, "unknown");
}

std::string_view to_string(RangeSource s) {
  return kRangeSourceNames.name(s, "unknown");
}

std::optional<std::int64_t> parse_rank(std::string_view value) {
  std::int64_t v = 0;
  const char* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, v);
  if (ec != std::errc{} || ptr != end || v < 0) return std::nullopt;
  return v;
}

std::optional<std::int64_t> claimed_rank(const Provenance& p) {
  const auto it = p.find("rank");
  return it == p.end() ? std::nullopt : parse_rank(it->second);
}

namespace {
std::string format_error(const std::string& file, const std::string& where,
                         const std::string& message) {
  std::string out = file;
  if (!where.empty()) out += (out.empty() ? "" : ": ") + where;
  if (!out.empty()) out += ": ";
  return out + message;
}
}  // namespace

TraceError::TraceError(std::string file, std::string where, std::string message)
    : std::runtime_error(format_error(file, where, message)),
      file_(std::move(file)),
      where_(std::move(where)),
      message_(std::move(message)) {}

void throw_trace_error(const sqlite::Error& e) {
  throw TraceError(e.file(), "", e.message());
}

std::string_view CollectingSink::intern(std::string_view s) {
  if (auto it = interned_.find(s); it != interned_.end()) return it->second;
  std::string_view kept = trace_.keep(s);
  interned_.emplace(kept, kept);
  return kept;
}

void CollectingSink::add_activity(const GpuActivity& a) {
  keep_with_name(trace_.activities, a, &GpuActivity::name);
}

void CollectingSink::add_runtime(const RuntimeCall& r) {
  keep_with_name(trace_.runtime, r, &RuntimeCall::name);
}

void CollectingSink::add_annotation(const Annotation& a) {
  keep_with_name(trace_.annotations, a, &Annotation::name);
}

void CollectingSink::add_flow(const FlowEvent& f) {
  keep_with_name(trace_.flows, f, &FlowEvent::category);
}

void CollectingSink::add_device(const DeviceInfo& d) {
  trace_.devices.push_back(d);
}

void CollectingSink::add_problem(const ImportProblem& p) {
  trace_.problems.push_back(p);
}

void CollectingSink::set_info(std::string_view key, std::string_view value) {
  trace_.provenance[std::string(key)] = std::string(value);
}

Trace CollectingSink::finish() {
  link_by_correlation(trace_);
  interned_.clear();
  Trace out = std::move(trace_);
  trace_ = Trace{};
  return out;
}

void link_by_correlation(Trace& trace) {
  std::unordered_multimap<std::int64_t, std::size_t> by_corr;
  by_corr.reserve(trace.activities.size());
  for (std::size_t i = 0; i < trace.activities.size(); ++i) {
    if (trace.activities[i].correlation >= 0) by_corr.emplace(trace.activities[i].correlation, i);
  }
  trace.links.clear();
  for (std::size_t r = 0; r < trace.runtime.size(); ++r) {
    const auto corr = trace.runtime[r].correlation;
    if (corr < 0) continue;
    auto [lo, hi] = by_corr.equal_range(corr);
    for (auto it = lo; it != hi; ++it) trace.links.push_back({r, it->second});
  }
  std::sort(trace.links.begin(), trace.links.end(), [](const FlowLink& a, const FlowLink& b) {
    return a.runtime_index != b.runtime_index ? a.runtime_index < b.runtime_index
                                              : a.activity_index < b.activity_index;
  });
}

}  // namespace hopsim::profiler::trace
