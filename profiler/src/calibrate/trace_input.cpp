#include "hopsim/profiler/calibrate/trace_input.hpp"

#include <algorithm>

#include "hopsim/core/error.hpp"
#include "hopsim/core/io/sqlite.hpp"

namespace hopsim::profiler::calibrate {

namespace {

[[noreturn]] void fail(const std::filesystem::path& p, const std::string& msg) {
  throw ConfigError(SourceLocation{p.string(), 0, 0, ""}, msg);
}

// SQLite's failures on the trace as calibrate's ConfigError: a query that does not compile means
// the tables of a hopsim-measure trace are not there.
[[noreturn]] void throw_config_error(const sqlite::Error& e) {
  switch (e.failure()) {
    case sqlite::Failure::kOpen:
      fail(e.file(), "cannot open trace as SQLite");
    case sqlite::Failure::kPrepare:
      fail(e.file(), "not a hopsim-measure trace (docs/KERNELS.md): " + e.detail());
    default:
      fail(e.file(), "cannot read the trace: " + e.detail());
  }
}

// SQLite reads NULL as 0: a measurement without work, or a repeat without a time, that
// calibrate then skips.
double column_real(const sqlite::Stmt& s, int i) {
  return s.is_null(i) ? 0.0 : s.real(i);
}

}  // namespace

TraceInput read_trace(const std::filesystem::path& trace_sqlite) {
  if (!std::filesystem::exists(trace_sqlite)) fail(trace_sqlite, "trace file does not exist");
  const sqlite::Db db(trace_sqlite, sqlite::Open::kReadOnly, throw_config_error);
  TraceInput in;
  in.source = trace_sqlite.string();
  {
    sqlite::Stmt s(db, "SELECT key, value FROM provenance");
    while (s.step()) in.provenance[std::string(s.text(0))] = std::string(s.text(1));
  }
  // One duration per (measurement, repeat): first start to last end of the kernels it launched.
  sqlite::Stmt s(db,
                 "SELECT m.id, m.kernel_class, m.label, m.basis, m.role, m.partition_sms, "
                 "m.flops, m.bytes, k.rep, k.t "
                 "FROM measurements m JOIN (SELECT measurement_id, repeat AS rep, "
                 "MAX(end_ns) - MIN(start_ns) AS t FROM kernels "
                 "WHERE measurement_id IS NOT NULL GROUP BY measurement_id, repeat) k "
                 "ON k.measurement_id = m.id ORDER BY m.id, k.t");
  std::vector<double> times;
  MeasuredPoint cur;
  auto flush = [&] {
    if (times.empty()) return;
    const std::size_t n = times.size();
    cur.median_seconds =
        (n % 2 == 1 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2])) * 1e-9;
    cur.repeats = static_cast<int>(n);
    in.points.push_back(cur);
    times.clear();
  };
  while (s.step()) {
    const long long id = s.i64(0);
    if (times.empty() || id != cur.measurement_id) {
      flush();
      cur = MeasuredPoint{};
      cur.measurement_id = id;
      cur.kernel_class = std::string(s.text(1));
      cur.label = std::string(s.text(2));
      const std::string basis(s.text(3));
      if (basis != "flops" && basis != "bytes")
        fail(trace_sqlite, "measurement " + std::to_string(id) + " has basis '" + basis +
                               "' (expected flops or bytes)");
      cur.basis = basis == "flops" ? WorkBasis::kFlops : WorkBasis::kBytes;
      cur.role = std::string(s.text(4));
      cur.partition_sms = static_cast<int>(s.i64(5));
      cur.work = column_real(s, basis == "flops" ? 6 : 7);
    }
    const double t = column_real(s, 9);
    if (t > 0) times.push_back(t);
  }
  flush();
  return in;
}

Calibration calibrate(const TraceInput& in, const CalibrateOptions& opt,
                      std::vector<std::string>* skipped) {
  Calibration c;
  c.provenance = in.provenance;
  if (const auto it = in.provenance.find("device_name"); it != in.provenance.end())
    c.device = it->second;
  if (const auto it = in.provenance.find("sm_count"); it != in.provenance.end())
    c.sm_count = std::stoi(it->second);
  const std::string where = in.source.empty() ? "trace" : in.source;
  if (c.sm_count <= 0)
    throw ConfigError(SourceLocation{where, 0, 0, "provenance.sm_count"},
                      "trace provenance lacks a positive sm_count");
  // A calibration is only as good as what it says it measured: which GPU, driver and build,
  // when and by which command (hopsim measure records all of them). Without them it is refused.
  std::string missing;
  for (const char* key :
       {"device_name", "driver_version", "hopsim_git_commit", "date_utc", "command_line"}) {
    const auto it = in.provenance.find(key);
    if (it == in.provenance.end() || it->second.empty()) {
      missing += std::string(missing.empty() ? "" : ", ") + key;
    }
  }
  if (!missing.empty()) {
    throw ConfigError(SourceLocation{where, 0, 0, "provenance"},
                      "the trace's provenance lacks " + missing +
                          ": a calibration must say which GPU, driver, build, date and command "
                          "measured it (hopsim measure records them); refusing to calibrate");
  }
  std::map<std::string, std::pair<WorkBasis, std::vector<Sample>>> by_class;
  for (const auto& p : in.points) {
    if (p.role != "alone" || p.median_seconds <= 0 || p.work <= 0) continue;
    auto& entry = by_class[p.kernel_class];
    entry.first = p.basis;
    entry.second.push_back(Sample{p.partition_sms, p.work, p.median_seconds});
  }
  for (const auto& [cls, entry] : by_class) {
    if (entry.second.size() < 2) {
      if (skipped != nullptr) skipped->push_back(cls);
      continue;
    }
    if (cls == opt.hbm_class) c.hbm = fit_bandwidth_curve(entry.second);
    if (cls == opt.copy_class) c.copy = fit_bandwidth_curve(entry.second);
    ClassCurve cc = fit_class_curve(cls, entry.first, entry.second, c.sm_count);
    for (const auto& [prefix, peak] : opt.nominal_peaks)
      if (cls.rfind(prefix, 0) == 0) cc.nominal_peak = peak;
    c.classes.push_back(cc);
  }
  return c;
}

}  // namespace hopsim::profiler::calibrate
