#include "hopsim/measure/trace_output.hpp"

#include <algorithm>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "hopsim/profiler/calibrate/trace_schema.hpp"

namespace hopsim::measure {

namespace cal = profiler::calibrate;

namespace {

const PlannedMeasurement& planned(const Schedule& s, long long id) {
  // Ids are 1.. in run order, so the index is id - 1; checked, since `runs` come from outside.
  if (id < 1 || id > static_cast<long long>(s.runs.size()) ||
      s.runs[static_cast<std::size_t>(id - 1)].id != id)
    throw std::invalid_argument("measurement " + std::to_string(id) + " is not in the schedule");
  return s.runs[static_cast<std::size_t>(id - 1)];
}

std::int64_t ns(std::uint64_t t) {
  return static_cast<std::int64_t>(t);
}

void fill_measure(cal::MeasureTraceWriter& w, const Provenance& provenance,
                  const DeviceFacts& device, const Schedule& schedule,
                  const std::vector<MeasuredRun>& runs, const Recording& rec) {
  for (const auto& [k, v] : provenance) w.set_provenance(k, v);
  for (const auto& m : measurement_rows(schedule, runs)) w.add(m);
  for (const auto& [id, c] : rec.contexts)
    w.add(cal::ContextRow{c.context, c.device, c.green,
                          c.green ? std::optional<int>(c.sms) : std::nullopt, c.parent});
  for (const auto& k : kernel_rows(rec, device.sm_count)) w.add(k);
  for (const auto& c : rec.copies)
    w.add(cal::CopyRow{c.is_memset, c.kind, ns(c.bytes), ns(c.start), ns(c.end), c.device, c.stream,
                       c.context, c.correlation});
  for (const auto& a : rec.api)
    w.add(cal::RuntimeApiRow{a.cbid, ns(a.start), ns(a.end), a.process, a.thread, a.correlation});
}

}  // namespace

Provenance make_provenance(const DeviceFacts& device, const BuildFacts& build,
                           const Schedule& schedule, std::string_view date_utc,
                           std::string_view command_line) {
  return Provenance{
      {"format", "hopsim-measure-trace"},
      {"format_version", std::to_string(cal::kMeasureTraceVersion)},
      {"device_name", device.name},
      {"sm_count", std::to_string(device.sm_count)},
      {"compute_capability",
       std::to_string(device.cc_major) + "." + std::to_string(device.cc_minor)},
      {"sm_clock_mhz_max", std::to_string(device.sm_clock_khz / 1000)},
      {"memory_clock_mhz", std::to_string(device.memory_clock_khz / 1000)},
      {"memory_bus_width_bits", std::to_string(device.memory_bus_width_bits)},
      {"memory_bytes", std::to_string(device.memory_bytes)},
      {"driver_version", std::to_string(device.driver_version)},
      {"cuda_runtime_version", std::to_string(device.runtime_version)},
      {"cuda_toolkit_version", std::to_string(device.toolkit_version)},
      {"hopsim_git_commit", build.git_commit},
      {"hopsim_version", build.version},
      {"date_utc", std::string(date_utc)},
      {"command_line", "hopsim-measure " + std::string(command_line)},
      {"plan", schedule.plan_name},
      {"warmup", std::to_string(schedule.warmup)},
      {"repeats", std::to_string(schedule.repeats)},
  };
}

std::string utc_timestamp(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string shape_json(const PlanEntry& e, const std::string& note) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : e.shape) j[k] = v;
  if (!note.empty()) j["note"] = note;
  return j.dump();
}

std::vector<cal::MeasurementRow> measurement_rows(const Schedule& schedule,
                                                  const std::vector<MeasuredRun>& runs) {
  std::vector<cal::MeasurementRow> rows;
  rows.reserve(runs.size());
  for (const auto& r : runs) {
    const PlannedMeasurement& p = planned(schedule, r.id);
    const auto w = cal::work_of(p.entry);
    cal::MeasurementRow m;
    m.id = p.id;
    m.kernel_class = p.entry.kernel_class;
    m.label = p.entry.label;
    m.flops_basis = w.flops_basis;
    m.shape_json = shape_json(p.entry, r.note);
    m.flops = w.flops;
    m.bytes = w.bytes;
    m.partition_sms = r.sms;
    m.role = std::string(role_name(p.role));
    if (p.concurrent_with != 0) m.concurrent_with = p.concurrent_with;
    m.repeats = schedule.repeats;
    rows.push_back(std::move(m));
  }
  return rows;
}

std::vector<cal::KernelRow> kernel_rows(const Recording& rec, int device_sms) {
  std::vector<cal::KernelRow> rows;
  rows.reserve(rec.kernels.size());
  for (const auto& k : rec.kernels) {
    const auto ctx = rec.contexts.find(k.context);
    const bool green = ctx != rec.contexts.end() && ctx->second.green;
    cal::KernelRow row;
    row.name = k.name;
    row.start_ns = ns(k.start);
    row.end_ns = ns(k.end);
    row.device = k.device;
    row.stream = k.stream;
    row.context = k.context;
    row.correlation = k.correlation;
    row.grid = {k.grid[0], k.grid[1], k.grid[2]};
    row.block = {k.block[0], k.block[1], k.block[2]};
    row.registers = k.registers;
    row.shared_bytes = k.shared_bytes;
    row.green_ctx = green;
    row.green_ctx_sms = green ? ctx->second.sms : device_sms;
    if (const auto ext = rec.external_id.find(k.correlation); ext != rec.external_id.end()) {
      const Tag t = untag(ext->second);
      row.measurement_id = t.id;
      row.repeat = t.repeat;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void write_traces(const std::filesystem::path& out, const Provenance& provenance,
                  const DeviceFacts& device, const Schedule& schedule,
                  const std::vector<MeasuredRun>& runs, const Recording& rec) {
  cal::MeasureTraceWriter measure(out);
  fill_measure(measure, provenance, device, schedule, runs, rec);
  measure.commit();
}

std::vector<std::string> overlap_report(const Schedule& schedule,
                                        const std::vector<MeasuredRun>& runs,
                                        const Recording& rec) {
  // First start and last end of each (measurement, repeat)'s kernels.
  std::map<std::pair<long long, int>, std::pair<std::uint64_t, std::uint64_t>> span;
  for (const auto& k : rec.kernels) {
    const auto ext = rec.external_id.find(k.correlation);
    if (ext == rec.external_id.end()) continue;
    const Tag t = untag(ext->second);
    const auto [it, fresh] = span.try_emplace({t.id, t.repeat}, k.start, k.end);
    if (!fresh) {
      it->second.first = std::min(it->second.first, k.start);
      it->second.second = std::max(it->second.second, k.end);
    }
  }
  std::vector<std::string> lines;
  for (const auto& r : runs) {
    const PlannedMeasurement& p = planned(schedule, r.id);
    if (p.role != Role::kComputeConcurrent) continue;
    std::uint64_t overlap = 0;
    std::uint64_t compute = 0;
    for (int rep = 0; rep < schedule.repeats; ++rep) {
      const auto a = span.find({p.id, rep});
      const auto b = span.find({p.concurrent_with, rep});
      if (a == span.end() || b == span.end()) continue;
      const std::uint64_t lo = std::max(a->second.first, b->second.first);
      const std::uint64_t hi = std::min(a->second.second, b->second.second);
      overlap += hi > lo ? hi - lo : 0;
      compute += a->second.second - a->second.first;
    }
    const double pct =
        compute > 0 ? 100.0 * static_cast<double>(overlap) / static_cast<double>(compute) : 0.0;
    std::ostringstream o;
    o << (overlap == 0 ? "WARNING: no overlap: " : "overlap: ") << p.entry.label << " on " << r.sms
      << " SMs with a copy on the other SMs: " << std::fixed << std::setprecision(1) << pct
      << "% of its time";
    lines.push_back(o.str());
  }
  return lines;
}

}  // namespace hopsim::measure
