#include "hopsim/profiler/import/nsys.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "hopsim/core/io/sqlite.hpp"
#include "hopsim/core/utf8.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"
#include "sql_rows.hpp"

namespace hopsim::profiler::import {

using trace::TraceError;

namespace {

constexpr const char* kKernel = "CUPTI_ACTIVITY_KIND_KERNEL";
constexpr const char* kMemcpy = "CUPTI_ACTIVITY_KIND_MEMCPY";
constexpr const char* kMemset = "CUPTI_ACTIVITY_KIND_MEMSET";
constexpr const char* kRuntime = "CUPTI_ACTIVITY_KIND_RUNTIME";
constexpr const char* kNvtx = "NVTX_EVENTS";
constexpr const char* kGpuInfo = "TARGET_INFO_GPU";

void require(const sqlite::Db& db, const std::string& table,
             std::initializer_list<const char*> cols, const std::set<std::string>& have) {
  for (const char* c : cols) {
    if (!have.contains(c)) {
      throw TraceError(db.file(), "table " + table,
                       std::string("column '") + c +
                           "' is missing (not an nsys SQLite export "
                           "this importer understands)");
    }
  }
}

std::int64_t or_default(const sqlite::Stmt& s, int col, std::int64_t dflt) {
  return s.is_null(col) ? dflt : s.i64(col);
}

// nsys packs process and thread ids into globalTid: pid in bits 24..47, tid in bits 0..23.
std::int64_t pid_of(std::int64_t global_tid) {
  return (global_tid >> 24) & 0xFFFFFF;
}
std::int64_t tid_of(std::int64_t global_tid) {
  return global_tid & 0xFFFFFF;
}

// Whether the export has `table` as a plain table. A view of that name is refused: reading it
// runs a query the file chose, which can recurse without end while SQLite's temporary file
// fills the disk.
bool has_table(const sqlite::Db& db, const char* table) {
  if (db.has_plain_table(table)) return true;
  if (db.has_table(table)) {
    throw TraceError(db.file(), std::string("table ") + table,
                     "is a view, not a table: an nsys export holds plain tables");
  }
  return false;
}

// A row's integer columns must hold integers (or NULL, read as "unknown" where the importer
// allows it); otherwise the row is dropped and counted: nsys writes integers there, and SQLite
// would read text as 0 (a phantom 0-0 activity). Each column comes with its name, for the
// location of the first such row.
class IntegerCheck {
 public:
  IntegerCheck(ProblemLog& log, const char* table) : log_(log), table_(table) {}
  bool ok(const sqlite::Stmt& s, std::int64_t rowid,
          std::initializer_list<std::pair<int, const char*>> cols) {
    for (const auto& c : cols) {
      if (s.is_integer(c.first) || s.is_null(c.first)) continue;
      log_.record(Problem::kNonIntegerValue,
                  [&] { return row_where(table_, rowid) + " column " + c.second; });
      return false;
    }
    return true;
  }

 private:
  ProblemLog& log_;
  const char* table_;
};

// A name as valid UTF-8: invalid bytes replaced by '?' in `scratch` and counted.
std::string_view valid_name(std::string_view name, std::string& scratch, ProblemLog& log,
                            const char* table, std::int64_t rowid) {
  if (first_invalid_utf8(name.data(), name.size()) == name.size()) return name;
  scratch.assign(name);
  const auto n = replace_invalid_utf8(scratch.data(), scratch.size());
  log.add(Problem::kInvalidUtf8, static_cast<std::int64_t>(n), row_where(table, rowid));
  return scratch;
}

std::string_view name_or_throw(const sqlite::Db& db, const sqlite::Stmt& s, int col,
                               const char* table, std::int64_t rowid, std::string& scratch,
                               ProblemLog& log) {
  if (s.is_null(col)) {
    throw TraceError(db.file(), row_where(table, rowid), "name id not found in StringIds");
  }
  return valid_name(s.text(col), scratch, log, table, rowid);
}

//! Rows read of the tables the import reads, for ImportProgress. The total is each table's
//! largest rowid (an index lookup, where count(*) would scan the table); nsys writes rows with
//! consecutive rowids, so it is the row count there and an upper bound anywhere else.
class RowProgress {
 public:
  RowProgress(const sqlite::Db& db, const ImportProgress& progress,
              std::initializer_list<const char*> tables)
      : progress_(progress) {
    if (!progress_) return;
    for (const char* t : tables) {
      if (!has_table(db, t)) continue;
      sqlite::Stmt s(db, std::string("SELECT max(rowid) FROM ") + t);
      if (s.step() && !s.is_null(0) && s.i64(0) > 0) total_ += static_cast<std::uint64_t>(s.i64(0));
    }
  }
  void row() {
    if (total_ > 0 && ++done_ % kEvery == 0) progress_(std::min(done_, total_ - 1), total_, "rows");
  }

 private:
  static constexpr std::uint64_t kEvery = std::uint64_t{1} << 16;
  const ImportProgress& progress_;
  std::uint64_t total_ = 0;
  std::uint64_t done_ = 0;
};

}  // namespace

bool looks_like_nsys(const std::filesystem::path& file) {
  try {
    sqlite::Db db(file, sqlite::Open::kReadOnly, trace::throw_trace_error);
    return db.has_table("StringIds") && db.has_table(kKernel);  // views refused on import
  } catch (const TraceError&) {
    return false;
  }
}

ImportStats import_nsys(const std::filesystem::path& file, trace::TraceSink& sink,
                        const ImportProgress& progress) {
  if (!std::filesystem::is_regular_file(file)) throw TraceError(file.string(), "", "no such file");
  sqlite::Db db(file, sqlite::Open::kReadOnly, trace::throw_trace_error);
  // Reject a non-database early with SQLite's own words ("file is not a database").
  db.exec("SELECT count(*) FROM sqlite_master");
  ImportStats st;
  st.format = TraceFormat::kNsysSqlite;
  st.input_bytes = static_cast<std::int64_t>(std::filesystem::file_size(file));
  db.limit_work_to_file_size(
      "reading this file takes far more work than an nsys export of its size (about "
      "one step per byte); is it a real export?");
  std::string scratch;  // a name with invalid UTF-8, repaired
  if (!has_table(db, "StringIds")) {
    throw TraceError(db.file(), "", "table 'StringIds' is missing: not an nsys SQLite export");
  }
  require(db, "StringIds", {"id", "value"}, db.columns("StringIds"));
  if (!has_table(db, kKernel)) {
    throw TraceError(db.file(), "",
                     "table CUPTI_ACTIVITY_KIND_KERNEL is missing: the report has no CUDA "
                     "kernels (was it recorded with --trace=cuda?)");
  }

  RowProgress rows(db, progress, {kKernel, kMemcpy, kMemset, kRuntime, kNvtx});

  {  // Devices first, so a summary can name them.
    if (has_table(db, kGpuInfo)) {
      const auto cols = db.columns(kGpuInfo);
      require(db, kGpuInfo, {"id", "name"}, cols);
      std::string q = "SELECT rowid, id, name";
      q += cols.contains("smCount") ? ", smCount" : ", NULL";
      q += cols.contains("totalMemory") ? ", totalMemory" : ", NULL";
      q += cols.contains("computeMajor") ? ", computeMajor" : ", NULL";
      q += cols.contains("computeMinor") ? ", computeMinor" : ", NULL";
      q += cols.contains("clockRate") ? ", clockRate" : ", NULL";
      q += " FROM TARGET_INFO_GPU ORDER BY id";
      sqlite::Stmt s(db, q);
      IntegerCheck ints(st.problems, kGpuInfo);
      while (s.step()) {
        trace::DeviceInfo d;
        const auto row = s.i64(0);
        if (s.is_null(1)) throw TraceError(db.file(), row_where(kGpuInfo, row), "NULL id");
        if (!ints.ok(s, row,
                     {{1, "id"},
                      {3, "smCount"},
                      {4, "totalMemory"},
                      {5, "computeMajor"},
                      {6, "computeMinor"},
                      {7, "clockRate"}})) {
          continue;
        }
        d.id = s.i64(1);
        d.name = std::string(valid_name(s.text(2), scratch, st.problems, kGpuInfo, row));
        d.sm_count = or_default(s, 3, 0);
        d.total_memory_bytes = or_default(s, 4, 0);
        d.compute_major = or_default(s, 5, 0);
        d.compute_minor = or_default(s, 6, 0);
        // nsys records clockRate in Hz; the trace model keeps kHz like CUDA's device attribute.
        d.clock_khz = or_default(s, 7, 0) / 1000;
        sink.add_device(d);
        ++st.devices;
      }
    }
  }

  {  // Kernels.
    const auto cols = db.columns(kKernel);
    require(db, kKernel, {"start", "end", "deviceId", "streamId", "correlationId"}, cols);
    const char* name_col = cols.contains("demangledName") ? "demangledName"
                           : cols.contains("shortName")   ? "shortName"
                                                          : nullptr;
    if (name_col == nullptr) {
      throw TraceError(db.file(), std::string("table ") + kKernel,
                       "neither 'demangledName' nor 'shortName' column is present");
    }
    const bool dims = cols.contains("gridX") && cols.contains("gridY") && cols.contains("gridZ") &&
                      cols.contains("blockX") && cols.contains("blockY") && cols.contains("blockZ");
    std::string q =
        "SELECT k.rowid, k.start, k.end, k.deviceId, k.streamId, k.correlationId, s.value";
    q += dims ? ", k.gridX, k.gridY, k.gridZ, k.blockX, k.blockY, k.blockZ" : "";
    q += std::string(" FROM ") + kKernel + " k LEFT JOIN StringIds s ON s.id = k." + name_col +
         " ORDER BY k.start, k.rowid";
    sqlite::Stmt s(db, q);
    IntegerCheck ints(st.problems, kKernel);
    while (s.step()) {
      const auto row = s.i64(0);
      if (!ints.ok(
              s, row,
              {{1, "start"}, {2, "end"}, {3, "deviceId"}, {4, "streamId"}, {5, "correlationId"}}) ||
          (dims && !ints.ok(s, row,
                            {{7, "gridX"},
                             {8, "gridY"},
                             {9, "gridZ"},
                             {10, "blockX"},
                             {11, "blockY"},
                             {12, "blockZ"}}))) {
        continue;
      }
      check_times(db, kKernel, row, s.is_null(1), s.is_null(2), s.i64(1), s.i64(2));
      trace::GpuActivity a;
      a.kind = trace::ActivityKind::kKernel;
      a.start = Nanoseconds(s.i64(1));
      a.end = Nanoseconds(s.i64(2));
      a.device = or_default(s, 3, -1);
      a.stream = or_default(s, 4, -1);
      a.correlation = or_default(s, 5, -1);
      a.name = name_or_throw(db, s, 6, kKernel, row, scratch, st.problems);
      if (dims) {
        a.grid = {or_default(s, 7, 0), or_default(s, 8, 0), or_default(s, 9, 0)};
        a.block = {or_default(s, 10, 0), or_default(s, 11, 0), or_default(s, 12, 0)};
      }
      sink.add_activity(a);
      ++st.kernels;
      rows.row();
    }
  }

  // Memcpy and memset: nsys stores no name, so hopsim names them like Kineto does.
  for (const bool is_copy : {true, false}) {
    const char* table = is_copy ? kMemcpy : kMemset;
    if (!has_table(db, table)) continue;
    const auto cols = db.columns(table);
    require(db, table, {"start", "end", "deviceId", "streamId", "correlationId", "bytes"}, cols);
    const bool has_kind = is_copy && cols.contains("copyKind");
    std::string q = "SELECT rowid, start, end, deviceId, streamId, correlationId, bytes";
    q += has_kind ? ", copyKind" : ", NULL";
    q += std::string(" FROM ") + table + " ORDER BY start, rowid";
    sqlite::Stmt s(db, q);
    IntegerCheck ints(st.problems, table);
    while (s.step()) {
      const auto row = s.i64(0);
      if (!ints.ok(s, row,
                   {{1, "start"},
                    {2, "end"},
                    {3, "deviceId"},
                    {4, "streamId"},
                    {5, "correlationId"},
                    {6, "bytes"},
                    {7, "copyKind"}})) {
        continue;
      }
      check_times(db, table, row, s.is_null(1), s.is_null(2), s.i64(1), s.i64(2));
      trace::GpuActivity a;
      a.kind = is_copy ? trace::ActivityKind::kMemcpy : trace::ActivityKind::kMemset;
      a.start = Nanoseconds(s.i64(1));
      a.end = Nanoseconds(s.i64(2));
      a.device = or_default(s, 3, -1);
      a.stream = or_default(s, 4, -1);
      a.correlation = or_default(s, 5, -1);
      a.bytes = or_default(s, 6, -1);
      // CUPTI_ActivityMemcpyKind: 1 HtoD, 2 DtoH, 8 DtoD, 10 PtoP.
      std::string_view name = "Memset";
      if (is_copy) {
        switch (or_default(s, 7, 0)) {
          case 1:
            name = "Memcpy HtoD";
            break;
          case 2:
            name = "Memcpy DtoH";
            break;
          case 8:
            name = "Memcpy DtoD";
            break;
          case 10:
            name = "Memcpy PtoP";
            break;
          default:
            name = "Memcpy";
        }
      }
      a.name = name;
      sink.add_activity(a);
      ++(is_copy ? st.memcpys : st.memsets);
      rows.row();
    }
  }

  if (has_table(db, kRuntime)) {
    const auto cols = db.columns(kRuntime);
    require(db, kRuntime, {"start", "end", "globalTid", "correlationId", "nameId"}, cols);
    sqlite::Stmt s(db,
                   "SELECT r.rowid, r.start, r.end, r.globalTid, r.correlationId, s.value FROM "
                   "CUPTI_ACTIVITY_KIND_RUNTIME r LEFT JOIN StringIds s ON s.id = r.nameId"
                   " ORDER BY r.start, r.rowid");
    IntegerCheck ints(st.problems, kRuntime);
    while (s.step()) {
      const auto row = s.i64(0);
      if (!ints.ok(s, row, {{1, "start"}, {2, "end"}, {3, "globalTid"}, {4, "correlationId"}})) {
        continue;
      }
      check_times(db, kRuntime, row, s.is_null(1), s.is_null(2), s.i64(1), s.i64(2));
      trace::RuntimeCall r;
      r.start = Nanoseconds(s.i64(1));
      r.end = Nanoseconds(s.i64(2));
      const auto gtid = or_default(s, 3, -1);
      r.pid = gtid < 0 ? -1 : pid_of(gtid);
      r.tid = gtid < 0 ? -1 : tid_of(gtid);
      r.correlation = or_default(s, 4, -1);
      r.name = name_or_throw(db, s, 5, kRuntime, row, scratch, st.problems);
      sink.add_runtime(r);
      ++st.runtime_calls;
      rows.row();
    }
  }

  if (has_table(db, kNvtx)) {
    const auto cols = db.columns(kNvtx);
    require(db, kNvtx, {"start", "end", "eventType", "globalTid"}, cols);
    const bool text = cols.contains("text");
    const bool text_id = cols.contains("textId");
    if (!text && !text_id) {
      throw TraceError(db.file(), std::string("table ") + kNvtx,
                       "neither 'text' nor 'textId' column is present");
    }
    // eventType 59 = push/pop range, 60 = start/end range; markers (34) have no duration.
    std::string q = "SELECT n.rowid, n.start, n.end, n.globalTid, ";
    q += text && text_id ? "COALESCE(n.text, s.value)" : (text ? "n.text" : "s.value");
    q += " FROM NVTX_EVENTS n";
    q += text_id ? " LEFT JOIN StringIds s ON s.id = n.textId" : "";
    q += " WHERE n.eventType IN (59, 60) ORDER BY n.start, n.rowid";
    sqlite::Stmt s(db, q);
    IntegerCheck ints(st.problems, kNvtx);
    while (s.step()) {
      const auto row = s.i64(0);
      if (!ints.ok(s, row, {{1, "start"}, {2, "end"}, {3, "globalTid"}})) continue;
      check_times(db, kNvtx, row, s.is_null(1), s.is_null(2), s.i64(1), s.i64(2));
      trace::Annotation a;
      a.source = trace::RangeSource::kNvtx;
      a.start = Nanoseconds(s.i64(1));
      a.end = Nanoseconds(s.i64(2));
      const auto gtid = or_default(s, 3, -1);
      a.pid = gtid < 0 ? -1 : pid_of(gtid);
      a.tid = gtid < 0 ? -1 : tid_of(gtid);
      a.name = s.is_null(4) ? std::string_view("<unnamed NVTX range>")
                            : valid_name(s.text(4), scratch, st.problems, kNvtx, row);
      sink.add_annotation(a);
      ++st.annotations;
      rows.row();
    }
  }
  sink.set_info("source_format", "nsys_sqlite");
  sink.set_info("source_file", file.filename().string());
  return st;
}

}  // namespace hopsim::profiler::import
