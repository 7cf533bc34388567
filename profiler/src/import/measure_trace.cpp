#include "hopsim/profiler/import/measure_trace.hpp"

#include <map>
#include <set>
#include <string>
#include <tuple>

#include "hopsim/core/io/sqlite.hpp"
#include "hopsim/core/utf8.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"
#include "sql_rows.hpp"

namespace hopsim::profiler::import {

using trace::TraceError;

namespace {

void require(const sqlite::Db& db, const char* table, std::initializer_list<const char*> cols) {
  if (!db.has_plain_table(table)) {
    throw TraceError(db.file(), std::string("table ") + table,
                     "missing (not a hopsim-measure trace this reader understands)");
  }
  const std::set<std::string> have = db.columns(table);
  for (const char* c : cols) {
    if (!have.contains(c)) {
      throw TraceError(db.file(), std::string("table ") + table,
                       std::string("column '") + c + "' is missing");
    }
  }
}

// Start and end of a row (its id in column 0), checked as every SQLite importer checks them.
std::pair<Nanoseconds, Nanoseconds> times(const sqlite::Db& db, const sqlite::Stmt& s,
                                          const char* table, int col) {
  check_times(db, table, s.i64(0), s.is_null(col), s.is_null(col + 1),
              s.is_null(col) ? 0 : s.i64(col), s.is_null(col + 1) ? 0 : s.i64(col + 1));
  return {Nanoseconds(s.i64(col)), Nanoseconds(s.i64(col + 1))};
}

// Text as UTF-8: a byte that starts no well-formed sequence becomes '?' (same length).
std::string valid_text(std::string_view v) {
  std::string s(v);
  (void)replace_invalid_utf8(s.data(), s.size());
  return s;
}

}  // namespace

bool looks_like_measure_trace(const std::filesystem::path& file) {
  try {
    sqlite::Db db(file, sqlite::Open::kReadOnly, trace::throw_trace_error);
    return db.has_plain_table("measurements") && db.has_plain_table("kernels") &&
           db.has_plain_table("provenance");
  } catch (const TraceError&) {
    return false;
  }
}

ImportStats import_measure_trace(const std::filesystem::path& file, trace::TraceSink& sink) {
  if (!std::filesystem::is_regular_file(file)) throw TraceError(file.string(), "", "no such file");
  sqlite::Db db(file, sqlite::Open::kReadOnly, trace::throw_trace_error);
  db.exec("SELECT count(*) FROM sqlite_master");
  db.limit_work_to_file_size("reading a hopsim-measure trace");
  require(db, "provenance", {"key", "value"});
  require(db, "kernels",
          {"id", "name", "start_ns", "end_ns", "device", "stream", "correlation", "grid_x",
           "grid_y", "grid_z", "block_x", "block_y", "block_z"});
  ImportStats st;
  st.format = TraceFormat::kMeasureTrace;
  st.input_bytes = static_cast<std::int64_t>(std::filesystem::file_size(file));

  // Provenance, and the device it names (hopsim-measure records one GPU, device 0).
  std::map<std::string, std::string> prov;
  {
    sqlite::Stmt s(db, "SELECT key, value FROM provenance ORDER BY key");
    while (s.step()) {
      if (s.is_null(0) || s.is_null(1)) continue;
      prov[valid_text(s.text(0))] = valid_text(s.text(1));
    }
  }
  for (const auto& [k, v] : prov) {
    if (k != "format" && k != "format_version") sink.set_info(k, v);
  }
  sink.set_info("source_format", "hopsim_measure_trace");
  sink.set_info("source_file", file.filename().string());
  const auto number = [&](const char* key) -> std::int64_t {
    const auto it = prov.find(key);
    if (it == prov.end()) return 0;
    try {
      return std::stoll(it->second);
    } catch (const std::exception&) {
      return 0;
    }
  };
  trace::DeviceInfo dev;
  dev.id = 0;
  dev.name = prov.contains("device_name") ? prov.at("device_name") : std::string("unknown");
  dev.sm_count = number("sm_count");
  dev.total_memory_bytes = number("memory_bytes");
  dev.clock_khz = number("sm_clock_mhz_max") * 1000;
  const auto cc = prov.find("compute_capability");
  if (cc != prov.end() && cc->second.size() >= 3 && cc->second[1] == '.') {
    dev.compute_major = cc->second[0] - '0';
    dev.compute_minor = cc->second[2] - '0';
  }
  sink.add_device(dev);
  st.devices = 1;

  {
    sqlite::Stmt s(db,
                   "SELECT id, start_ns, end_ns, name, device, stream, correlation, grid_x, "
                   "grid_y, grid_z, block_x, block_y, block_z FROM kernels ORDER BY start_ns, id");
    while (s.step()) {
      trace::GpuActivity a;
      a.kind = trace::ActivityKind::kKernel;
      std::tie(a.start, a.end) = times(db, s, "kernels", 1);
      const std::string name = s.is_null(3) ? std::string("?") : valid_text(s.text(3));
      a.name = name;
      a.device = s.is_null(4) ? 0 : s.i64(4);
      a.stream = s.is_null(5) ? 0 : s.i64(5);
      a.correlation = s.is_null(6) ? -1 : s.i64(6);
      const auto dim = [&](int c) { return s.is_null(c) ? 0 : s.i64(c); };
      a.grid = trace::Dim3{dim(7), dim(8), dim(9)};
      a.block = trace::Dim3{dim(10), dim(11), dim(12)};
      sink.add_activity(a);
      ++st.kernels;
    }
  }
  for (const char* table : {"memcpy", "memset"}) {
    if (!db.has_plain_table(table)) continue;
    require(db, table, {"id", "bytes", "start_ns", "end_ns", "device", "stream", "correlation"});
    sqlite::Stmt s(db, std::string("SELECT id, start_ns, end_ns, bytes, device, stream, "
                                   "correlation FROM ") +
                           table + " ORDER BY start_ns, id");
    const bool copy = std::string_view(table) == "memcpy";
    while (s.step()) {
      trace::GpuActivity a;
      a.kind = copy ? trace::ActivityKind::kMemcpy : trace::ActivityKind::kMemset;
      std::tie(a.start, a.end) = times(db, s, table, 1);
      a.name = copy ? "memcpy" : "memset";
      a.bytes = s.is_null(3) ? 0 : s.i64(3);
      a.device = s.is_null(4) ? 0 : s.i64(4);
      a.stream = s.is_null(5) ? 0 : s.i64(5);
      a.correlation = s.is_null(6) ? -1 : s.i64(6);
      sink.add_activity(a);
      ++(copy ? st.memcpys : st.memsets);
    }
  }
  if (db.has_plain_table("runtime_api")) {
    require(db, "runtime_api",
            {"id", "cbid", "start_ns", "end_ns", "process", "thread", "correlation"});
    sqlite::Stmt s(db,
                   "SELECT id, start_ns, end_ns, cbid, process, thread, correlation FROM "
                   "runtime_api ORDER BY start_ns, id");
    while (s.step()) {
      trace::RuntimeCall r;
      std::tie(r.start, r.end) = times(db, s, "runtime_api", 1);
      const std::string name = "cbid_" + std::to_string(s.is_null(3) ? 0 : s.i64(3));
      r.name = name;
      r.pid = s.is_null(4) ? 0 : s.i64(4);
      r.tid = s.is_null(5) ? 0 : s.i64(5);
      r.correlation = s.is_null(6) ? -1 : s.i64(6);
      sink.add_runtime(r);
      ++st.runtime_calls;
    }
  }
  return st;
}

}  // namespace hopsim::profiler::import
