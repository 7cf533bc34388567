#include "hopsim/profiler/calibrate/trace_input.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <memory>

#include "hopsim/core/error.hpp"

namespace hopsim::profiler::calibrate {

namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtCloser>;

[[noreturn]] void fail(const std::filesystem::path& p, const std::string& msg) {
  throw ConfigError(SourceLocation{p.string(), 0, 0, ""}, msg);
}

Stmt prepare(sqlite3* db, const std::filesystem::path& p, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
    fail(p, std::string("not a hopsim-measure trace (docs/KERNELS.md): ") + sqlite3_errmsg(db));
  return Stmt(s);
}

std::string column_text(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
}

}  // namespace

TraceInput read_trace(const std::filesystem::path& trace_sqlite) {
  if (!std::filesystem::exists(trace_sqlite)) fail(trace_sqlite, "trace file does not exist");
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(trace_sqlite.string().c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    const Db guard(raw);
    fail(trace_sqlite, "cannot open trace as SQLite");
  }
  const Db db(raw);
  TraceInput in;
  {
    const Stmt s = prepare(db.get(), trace_sqlite, "SELECT key, value FROM provenance");
    while (sqlite3_step(s.get()) == SQLITE_ROW)
      in.provenance[column_text(s.get(), 0)] = column_text(s.get(), 1);
  }
  // One duration per (measurement, repeat): first start to last end of the kernels it launched.
  const Stmt s = prepare(db.get(), trace_sqlite,
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
  while (sqlite3_step(s.get()) == SQLITE_ROW) {
    const long long id = sqlite3_column_int64(s.get(), 0);
    if (times.empty() || id != cur.measurement_id) {
      flush();
      cur = MeasuredPoint{};
      cur.measurement_id = id;
      cur.kernel_class = column_text(s.get(), 1);
      cur.label = column_text(s.get(), 2);
      const std::string basis = column_text(s.get(), 3);
      if (basis != "flops" && basis != "bytes")
        fail(trace_sqlite, "measurement " + std::to_string(id) + " has basis '" + basis +
                               "' (expected flops or bytes)");
      cur.basis = basis == "flops" ? WorkBasis::kFlops : WorkBasis::kBytes;
      cur.role = column_text(s.get(), 4);
      cur.partition_sms = sqlite3_column_int(s.get(), 5);
      cur.work = sqlite3_column_double(s.get(), basis == "flops" ? 6 : 7);
    }
    const double t = sqlite3_column_double(s.get(), 9);
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
  if (c.sm_count <= 0)
    throw ConfigError(SourceLocation{"trace", 0, 0, "provenance.sm_count"},
                      "trace provenance lacks a positive sm_count");
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
