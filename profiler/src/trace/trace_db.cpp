#include "hopsim/profiler/trace/trace_db.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hopsim/core/io/atomic_file.hpp"
#include "hopsim/core/io/sqlite.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"

namespace hopsim::profiler::trace {

namespace {

// One schema for imported traces and for hopsim's own CUPTI recordings (docs/TRACES.md).
constexpr const char* kSchema = R"sql(
PRAGMA application_id = 1213223764;
CREATE TABLE strings(id INTEGER PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE traces(id INTEGER PRIMARY KEY, rank INTEGER NOT NULL, file TEXT NOT NULL);
CREATE TABLE provenance(trace_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(trace_id, key));
CREATE TABLE devices(trace_id INTEGER NOT NULL, id INTEGER NOT NULL, name TEXT NOT NULL,
  sm_count INTEGER NOT NULL, total_memory_bytes INTEGER NOT NULL, compute_major INTEGER NOT NULL,
  compute_minor INTEGER NOT NULL, clock_khz INTEGER NOT NULL, PRIMARY KEY(trace_id, id));
CREATE TABLE gpu_activities(id INTEGER PRIMARY KEY, trace_id INTEGER NOT NULL,
  kind INTEGER NOT NULL, device INTEGER NOT NULL, stream INTEGER NOT NULL,
  start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  name_id INTEGER NOT NULL REFERENCES strings(id), correlation INTEGER NOT NULL,
  grid_x INTEGER NOT NULL, grid_y INTEGER NOT NULL, grid_z INTEGER NOT NULL,
  block_x INTEGER NOT NULL, block_y INTEGER NOT NULL, block_z INTEGER NOT NULL,
  bytes INTEGER NOT NULL);
CREATE TABLE runtime_calls(id INTEGER PRIMARY KEY, trace_id INTEGER NOT NULL,
  name_id INTEGER NOT NULL REFERENCES strings(id), driver INTEGER NOT NULL, pid INTEGER NOT NULL,
  tid INTEGER NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  correlation INTEGER NOT NULL);
CREATE TABLE annotations(id INTEGER PRIMARY KEY, trace_id INTEGER NOT NULL,
  name_id INTEGER NOT NULL REFERENCES strings(id), source INTEGER NOT NULL, pid INTEGER NOT NULL,
  tid INTEGER NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL);
CREATE TABLE flow_events(id INTEGER PRIMARY KEY, trace_id INTEGER NOT NULL,
  flow_id INTEGER NOT NULL, phase TEXT NOT NULL,
  category_id INTEGER NOT NULL REFERENCES strings(id), pid INTEGER NOT NULL,
  tid INTEGER NOT NULL, ts_ns INTEGER NOT NULL);
CREATE TABLE flow_links(runtime_id INTEGER NOT NULL REFERENCES runtime_calls(id),
  activity_id INTEGER NOT NULL REFERENCES gpu_activities(id));
CREATE TABLE import_problems(trace_id INTEGER NOT NULL, name TEXT NOT NULL,
  severity TEXT NOT NULL, count INTEGER NOT NULL, first_location TEXT NOT NULL,
  action TEXT NOT NULL, PRIMARY KEY(trace_id, name));
)sql";

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Rows are buffered and written kRows at a time by one multi-row INSERT: one statement step per
// 64 rows instead of one per row, which the import profile showed as SQLite's main cost.
// Memory stays bounded (64 rows per table).
class Batch {
 public:
  static constexpr std::size_t kRows = 64;
  //! `text_col`: index of a column holding a character code, bound as a one-character TEXT.
  Batch(const sqlite::Db& db, std::string head, std::size_t ncols, int text_col = -1)
      : db_(&db),
        head_(std::move(head)),
        ncols_(ncols),
        text_col_(text_col),
        full_(db, sql_for(kRows)) {
    vals_.reserve(kRows * ncols_);
  }
  template <class... T>
  void add(T... v) {
    (vals_.push_back(static_cast<std::int64_t>(v)), ...);
    if (vals_.size() == kRows * ncols_) flush();
  }
  void flush() {
    const std::size_t rows = vals_.size() / ncols_;
    if (rows == kRows) {
      write(full_);
    } else if (rows > 0) {
      sqlite::Stmt part(*db_, sql_for(rows));
      write(part);
    }
    vals_.clear();
  }

 private:
  [[nodiscard]] std::string sql_for(std::size_t rows) const {
    std::string tuple = "(";
    for (std::size_t c = 0; c < ncols_; ++c) tuple += c == 0 ? "?" : ",?";
    tuple += ")";
    std::string q = head_ + " VALUES ";
    for (std::size_t r = 0; r < rows; ++r) q += (r == 0 ? "" : ",") + tuple;
    return q;
  }
  void write(sqlite::Stmt& s) {
    for (std::size_t i = 0; i < vals_.size(); ++i) {
      const int param = static_cast<int>(i) + 1;
      if (static_cast<int>(i % ncols_) == text_col_) {
        s.bind(param, std::string_view(&kChars[static_cast<unsigned char>(vals_[i])], 1));
      } else {
        s.bind(param, vals_[i]);
      }
    }
    s.run();
  }
  static constexpr std::array<char, 256> kChars = [] {
    std::array<char, 256> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<char>(i);
    return a;
  }();

  const sqlite::Db* db_;
  std::string head_;
  std::size_t ncols_;
  int text_col_;
  sqlite::Stmt full_;
  std::vector<std::int64_t> vals_;
};

}  // namespace

struct TraceWriter::Impl {
  // Declared first, so destroyed last: when anything below throws (the constructor included),
  // the database is closed before `file` removes the temporary file.
  io::AtomicFile file;
  std::filesystem::path tmp;
  sqlite::Db db;
  bool ready;  // set up before the statements below are prepared against the schema
  sqlite::Stmt ins_string;
  Batch activities;
  Batch runtime;
  Batch annotations;
  Batch flows;
  sqlite::Stmt ins_device;
  sqlite::Stmt ins_info;
  sqlite::Stmt ins_problem;
  std::unordered_map<std::string, std::int64_t, TransparentHash, std::equal_to<>> ids;
  std::int64_t ac2g_omitted = 0;  // of the current trace
  //! One per trace written: what it says about itself (provenance `source_file`, `rank`).
  struct Part {
    std::string file;
    std::optional<std::int64_t> claimed_rank;
  };
  std::vector<Part> parts{Part{}};
  [[nodiscard]] std::int64_t trace_id() const {
    return static_cast<std::int64_t>(parts.size()) - 1;
  }

  static io::AtomicFile open_output(std::filesystem::path out) {
    try {
      return io::AtomicFile(std::move(out));
    } catch (const io::IoError& e) {
      throw TraceError(e.path().string(), "", e.reason());
    }
  }
  static bool setup(const sqlite::Db& db) {
    // The output is written once and renamed into place, so durability during the write buys
    // nothing; journal off and no syncs make the bulk insert several times faster.
    db.exec(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=65536;"
        "PRAGMA cache_size=-65536; PRAGMA locking_mode=EXCLUSIVE;");
    db.exec(kSchema);
    db.exec("BEGIN");
    return true;
  }

  explicit Impl(std::filesystem::path out)
      : file(open_output(std::move(out))),
        tmp(file.external_path()),
        db(tmp, sqlite::Open::kCreate, throw_trace_error),
        ready(setup(db)),
        ins_string(db, "INSERT INTO strings(id, value) VALUES (?, ?)"),
        activities(db,
                   "INSERT INTO gpu_activities(trace_id, kind, device, stream, start_ns, end_ns,"
                   " name_id, correlation, grid_x, grid_y, grid_z, block_x, block_y, block_z,"
                   " bytes)",
                   15),
        runtime(db,
                "INSERT INTO runtime_calls(trace_id, name_id, driver, pid, tid, start_ns, end_ns,"
                " correlation)",
                8),
        annotations(
            db, "INSERT INTO annotations(trace_id, name_id, source, pid, tid, start_ns, end_ns)",
            7),
        flows(db, "INSERT INTO flow_events(trace_id, flow_id, phase, category_id, pid, tid, ts_ns)",
              7, 2),
        ins_device(db,
                   "INSERT OR REPLACE INTO devices(trace_id, id, name, sm_count,"
                   " total_memory_bytes, compute_major, compute_minor, clock_khz)"
                   " VALUES (?,?,?,?,?,?,?,?)"),
        ins_info(db, "INSERT OR REPLACE INTO provenance(trace_id, key, value) VALUES (?, ?, ?)"),
        ins_problem(db,
                    "INSERT OR REPLACE INTO import_problems(trace_id, name, severity, count,"
                    " first_location, action) VALUES (?, ?, ?, ?, ?, ?)") {}

  std::int64_t intern(std::string_view s) {
    if (auto it = ids.find(s); it != ids.end()) return it->second;
    const auto id = static_cast<std::int64_t>(ids.size()) + 1;
    ins_string.bind(1, id);
    ins_string.bind(2, s);
    ins_string.run();
    ids.emplace(std::string(s), id);
    return id;
  }
};

TraceWriter::TraceWriter(std::filesystem::path out)
    : impl_(std::make_unique<Impl>(std::move(out))) {
  start_trace_info();
}

void TraceWriter::start_trace_info() {
  set_info("schema_version", std::to_string(kSchemaVersion));
  set_info("importer_version", kImporterVersion);
}

void TraceWriter::end_trace_info() {
  if (impl_->ac2g_omitted > 0) set_info("ac2g_flows_omitted", std::to_string(impl_->ac2g_omitted));
  impl_->ac2g_omitted = 0;
}

void TraceWriter::next_trace() {
  end_trace_info();
  impl_->parts.emplace_back();
  start_trace_info();
}

// Impl's member order closes the database before the temporary file is removed.
TraceWriter::~TraceWriter() = default;

void TraceWriter::add_activity(const GpuActivity& a) {
  const auto name = impl_->intern(a.name);
  impl_->activities.add(impl_->trace_id(), static_cast<std::int64_t>(a.kind), a.device, a.stream,
                        a.start.value(), a.end.value(), name, a.correlation, a.grid.x, a.grid.y,
                        a.grid.z, a.block.x, a.block.y, a.block.z, a.bytes);
}

void TraceWriter::add_runtime(const RuntimeCall& r) {
  const auto name = impl_->intern(r.name);
  impl_->runtime.add(impl_->trace_id(), name, r.driver ? 1 : 0, r.pid, r.tid, r.start.value(),
                     r.end.value(), r.correlation);
}

void TraceWriter::add_annotation(const Annotation& a) {
  const auto name = impl_->intern(a.name);
  impl_->annotations.add(impl_->trace_id(), name, static_cast<std::int64_t>(a.source), a.pid, a.tid,
                         a.start.value(), a.end.value());
}

void TraceWriter::add_flow(const FlowEvent& f) {
  // Kineto's ac2g arrows (launch -> GPU) carry the correlation id as their flow id, and their
  // ends are the launch's and the kernel's start: flow_links holds the same facts. They were 40%
  // of all rows, so they are counted (provenance "ac2g_flows_omitted") instead of stored.
  if (f.category == "ac2g") {
    ++impl_->ac2g_omitted;
    return;
  }
  const auto cat = impl_->intern(f.category);
  impl_->flows.add(impl_->trace_id(), f.id, static_cast<unsigned char>(f.phase), cat, f.pid, f.tid,
                   f.ts.value());
}

void TraceWriter::add_device(const DeviceInfo& d) {
  impl_->ins_device.run_with(impl_->trace_id(), d.id, d.name, d.sm_count, d.total_memory_bytes,
                             d.compute_major, d.compute_minor, d.clock_khz);
}

void TraceWriter::add_problem(const ImportProblem& p) {
  impl_->ins_problem.run_with(impl_->trace_id(), p.name, p.severity, p.count, p.first_location,
                              p.action);
}

void TraceWriter::set_info(std::string_view key, std::string_view value) {
  auto& part = impl_->parts.back();
  if (key == "source_file") part.file = value;
  if (key == "rank") part.claimed_rank = parse_rank(value);
  auto& s = impl_->ins_info;
  s.bind(1, impl_->trace_id());
  s.bind(2, key);
  s.bind(3, value);
  s.run();
}

void TraceWriter::commit() {
  impl_->activities.flush();
  impl_->runtime.flush();
  impl_->annotations.flush();
  impl_->flows.flush();
  end_trace_info();
  auto& db = impl_->db;
  // Each trace's rank: the one it claims (Kineto distributedInfo.rank) when every trace claims
  // a different one, else its position among the traces written (docs/TRACES.md).
  const auto& parts = impl_->parts;
  std::map<std::int64_t, int> claims;  // rank -> traces claiming it
  std::size_t unclaimed = 0;
  for (const auto& p : parts) {
    if (p.claimed_rank) {
      ++claims[*p.claimed_rank];
    } else {
      ++unclaimed;
    }
  }
  const bool use_claims = claims.size() == parts.size();  // every trace a rank of its own
  rank_note_.clear();
  if (!use_claims && parts.size() > 1) {
    std::string why;
    if (unclaimed > 0) {
      why = std::to_string(unclaimed) + " of " + std::to_string(parts.size()) +
            " traces claim no rank (distributedInfo.rank)";
    }
    for (const auto& [rank, n] : claims) {
      if (n < 2) continue;
      why += (why.empty() ? "" : "; ") + std::string("rank ") + std::to_string(rank) +
             " is claimed by " + std::to_string(n) + " traces";
    }
    rank_note_ = why + ": each trace's rank is its position among the inputs instead";
  }
  sqlite::Stmt ins_trace(db, "INSERT INTO traces(id, rank, file) VALUES (?, ?, ?)");
  traces_.clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto id = static_cast<std::int64_t>(i);
    traces_.push_back({id, use_claims ? *parts[i].claimed_rank : id, parts[i].file});
    ins_trace.run_with(traces_.back().id, traces_.back().rank, traces_.back().file);
  }
  // `+r.correlation`: without it SQLite carries `>= 0` over to a.correlation and searches the
  // index by that range instead of by equality, which made the join quadratic.
  db.exec(
      "CREATE INDEX gpu_activities_correlation ON gpu_activities(trace_id, correlation);"
      "INSERT INTO flow_links(runtime_id, activity_id) SELECT r.id, a.id FROM runtime_calls r"
      " JOIN gpu_activities a ON a.trace_id = r.trace_id AND a.correlation = r.correlation"
      " WHERE +r.correlation >= 0 ORDER BY r.id, a.id;"
      "COMMIT;");
  db.close();
  try {
    impl_->file.commit();  // fsync, then rename into place
  } catch (const io::IoError& e) {
    throw TraceError(e.path().string(), "", e.reason());
  }
}

bool is_hopsim_trace(const std::filesystem::path& file) {
  try {
    sqlite::Db db(file, sqlite::Open::kReadOnly, throw_trace_error);
    return db.has_table("provenance") && db.has_table("gpu_activities") && db.has_table("strings");
  } catch (const TraceError&) {
    return false;
  }
}

namespace {

void require_columns(const sqlite::Db& db, std::string_view table,
                     std::initializer_list<std::string_view> cols) {
  if (!db.has_table(table)) {
    throw TraceError(db.file(), "",
                     "not a hopsim trace: table '" + std::string(table) + "' is missing");
  }
  // A view would run a query the file chose (a recursive one never ends): hopsim writes tables.
  if (!db.has_plain_table(table)) {
    throw TraceError(db.file(), "table " + std::string(table),
                     "is a view, not a table: not a trace hopsim wrote");
  }
  const auto have = db.columns(table);
  for (auto c : cols) {
    if (!have.contains(std::string(c))) {
      throw TraceError(db.file(), "table " + std::string(table),
                       "column '" + std::string(c) + "' is missing");
    }
  }
}

}  // namespace

namespace {

//! An open trace database, checked, with the layout it was written in: version 2 holds several
//! traces (a `traces` table, a `trace_id` column in every table of events), version 1 one.
struct OpenTrace {
  sqlite::Db db;
  bool multi = false;  // version 2 layout
  std::vector<TraceEntry> entries;

  explicit OpenTrace(const std::filesystem::path& file)
      : db(checked_open(file)), multi(db.has_table("traces")) {
    // A hostile file cannot make the reader run without end (the bound the Nsight importer uses).
    db.limit_work_to_file_size(
        "reading this file takes far more work than a hopsim trace of its size");
    require_columns(db, "strings", {"id", "value"});
    if (multi) {
      require_columns(db, "traces", {"id", "rank", "file"});
      sqlite::Stmt s(db, "SELECT id, rank, file FROM traces ORDER BY id");
      while (s.step()) entries.push_back({s.i64(0), s.i64(1), std::string(s.text(2))});
      if (entries.empty()) throw TraceError(db.file(), "table traces", "holds no trace");
    } else {
      // Version 1: one trace; its rank is the one it claims, else 0.
      require_columns(db, "provenance", {"key", "value"});
      TraceEntry e{0, 0, ""};
      sqlite::Stmt s(db, "SELECT key, value FROM provenance WHERE key IN ('rank', 'source_file')");
      while (s.step()) {
        if (s.text(0) == "source_file") {
          e.file = std::string(s.text(1));
        } else {
          e.rank = parse_rank(s.text(1)).value_or(0);
        }
      }
      entries.push_back(std::move(e));
    }
  }

  static sqlite::Db checked_open(const std::filesystem::path& file) {
    if (!std::filesystem::is_regular_file(file)) {
      throw TraceError(file.string(), "", "no such trace file");
    }
    return sqlite::Db(file, sqlite::Open::kReadOnly, throw_trace_error);
  }

  //! The trace of `rank`, or the only one; a located error naming the ranks held otherwise.
  [[nodiscard]] const TraceEntry& pick(std::optional<std::int64_t> rank) const {
    std::string held;
    for (const auto& e : entries) held += (held.empty() ? "" : ", ") + std::to_string(e.rank);
    if (!rank) {
      if (entries.size() == 1) return entries.front();
      throw TraceError(db.file(), "table traces",
                       "holds " + std::to_string(entries.size()) + " traces (ranks " + held +
                           "): name one (--trace-rank)");
    }
    for (const auto& e : entries) {
      if (e.rank == *rank) return e;
    }
    throw TraceError(db.file(), "table traces",
                     "holds no trace of rank " + std::to_string(*rank) + " (ranks " + held + ")");
  }

  //! " WHERE trace_id = N" for version 2, nothing for version 1.
  [[nodiscard]] std::string only(const TraceEntry& e) const {
    return multi ? " WHERE trace_id = " + std::to_string(e.id) : std::string();
  }
};

}  // namespace

namespace {

//! The position of `id` in ascending `ids`, if there.
std::optional<std::size_t> row_of(const std::vector<std::int64_t>& ids, std::int64_t id) {
  const auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it == ids.end() || *it != id) return std::nullopt;
  return static_cast<std::size_t>(it - ids.begin());
}

}  // namespace

std::vector<TraceEntry> list_traces(const std::filesystem::path& file) {
  return OpenTrace(file).entries;
}

Trace load_trace(const std::filesystem::path& file, std::optional<std::int64_t> rank) {
  OpenTrace open(file);
  const sqlite::Db& db = open.db;
  const TraceEntry& entry = open.pick(rank);
  const std::string only = open.only(entry);
  require_columns(db, "provenance", {"key", "value"});
  require_columns(db, "devices",
                  {"id", "name", "sm_count", "total_memory_bytes", "compute_major", "compute_minor",
                   "clock_khz"});
  require_columns(db, "gpu_activities",
                  {"id", "kind", "device", "stream", "start_ns", "end_ns", "name_id", "correlation",
                   "grid_x", "grid_y", "grid_z", "block_x", "block_y", "block_z", "bytes"});
  require_columns(db, "runtime_calls",
                  {"id", "name_id", "driver", "pid", "tid", "start_ns", "end_ns", "correlation"});
  require_columns(db, "annotations",
                  {"id", "name_id", "source", "pid", "tid", "start_ns", "end_ns"});
  require_columns(db, "flow_events",
                  {"id", "flow_id", "phase", "category_id", "pid", "tid", "ts_ns"});
  require_columns(db, "flow_links", {"runtime_id", "activity_id"});
  if (open.multi) {
    for (auto table : {"provenance", "devices", "gpu_activities", "runtime_calls", "annotations",
                       "flow_events"}) {
      require_columns(db, table, {"trace_id"});
    }
  }

  Trace t;
  {
    sqlite::Stmt s(db, "SELECT key, value FROM provenance" + only);
    while (s.step()) t.provenance[std::string(s.text(0))] = std::string(s.text(1));
  }
  if (auto it = t.provenance.find("schema_version"); it != t.provenance.end()) {
    if (std::atoi(it->second.c_str()) > kSchemaVersion) {
      throw TraceError(file.string(), "",
                       "trace schema version " + it->second +
                           " is newer than this hopsim understands (" +
                           std::to_string(kSchemaVersion) + ")");
    }
  }
  std::unordered_map<std::int64_t, std::string_view> str;
  {
    sqlite::Stmt s(db, "SELECT id, value FROM strings");
    while (s.step()) str.emplace(s.i64(0), t.keep(s.text(1)));
  }
  auto name_of = [&](std::int64_t id, std::string_view table, std::int64_t row) {
    auto it = str.find(id);
    if (it == str.end()) {
      throw TraceError(file.string(), "table " + std::string(table) + " row " + std::to_string(row),
                       "string id " + std::to_string(id) + " not in table strings");
    }
    return it->second;
  };
  // An enum stored as its integer (values 0 to `last`); any other number is refused at its row.
  auto enum_of = [&]<class E>(std::int64_t v, E last, std::string_view what, std::string_view table,
                              std::int64_t row) {
    if (v < 0 || v > static_cast<std::int64_t>(last)) {
      throw TraceError(file.string(), "table " + std::string(table) + " row " + std::to_string(row),
                       "unknown " + std::string(what) + " " + std::to_string(v));
    }
    return static_cast<E>(v);
  };
  {
    sqlite::Stmt s(db,
                   "SELECT id, name, sm_count, total_memory_bytes, compute_major, compute_minor,"
                   " clock_khz FROM devices" +
                       only + " ORDER BY id");
    while (s.step()) {
      t.devices.push_back(
          {s.i64(0), std::string(s.text(1)), s.i64(2), s.i64(3), s.i64(4), s.i64(5), s.i64(6)});
    }
  }
  // Row ids in the order read (ascending: ORDER BY id): a link's ends are found by binary
  // search, 8 bytes a row where a hash map took about 40 (the load's peak memory).
  std::vector<std::int64_t> act_ids;
  {
    sqlite::Stmt s(
        db,
        "SELECT id, kind, device, stream, start_ns, end_ns, name_id, correlation, grid_x,"
        " grid_y, grid_z, block_x, block_y, block_z, bytes FROM gpu_activities" +
            only + " ORDER BY id");
    while (s.step()) {
      GpuActivity a;
      a.kind =
          enum_of(s.i64(1), ActivityKind::kMemset, "activity kind", "gpu_activities", s.i64(0));
      a.device = s.i64(2);
      a.stream = s.i64(3);
      a.start = Nanoseconds(s.i64(4));
      a.end = Nanoseconds(s.i64(5));
      a.name = name_of(s.i64(6), "gpu_activities", s.i64(0));
      a.correlation = s.i64(7);
      a.grid = {s.i64(8), s.i64(9), s.i64(10)};
      a.block = {s.i64(11), s.i64(12), s.i64(13)};
      a.bytes = s.i64(14);
      act_ids.push_back(s.i64(0));
      t.activities.push_back(a);
    }
  }
  std::vector<std::int64_t> rt_ids;
  {
    sqlite::Stmt s(db,
                   "SELECT id, name_id, driver, pid, tid, start_ns, end_ns, correlation"
                   " FROM runtime_calls" +
                       only + " ORDER BY id");
    while (s.step()) {
      RuntimeCall r;
      r.name = name_of(s.i64(1), "runtime_calls", s.i64(0));
      r.driver = s.i64(2) != 0;
      r.pid = s.i64(3);
      r.tid = s.i64(4);
      r.start = Nanoseconds(s.i64(5));
      r.end = Nanoseconds(s.i64(6));
      r.correlation = s.i64(7);
      rt_ids.push_back(s.i64(0));
      t.runtime.push_back(r);
    }
  }
  {
    sqlite::Stmt s(db, "SELECT id, name_id, source, pid, tid, start_ns, end_ns FROM annotations" +
                           only + " ORDER BY id");
    while (s.step()) {
      Annotation a;
      a.name = name_of(s.i64(1), "annotations", s.i64(0));
      a.source = enum_of(s.i64(2), RangeSource::kNvtx, "range source", "annotations", s.i64(0));
      a.pid = s.i64(3);
      a.tid = s.i64(4);
      a.start = Nanoseconds(s.i64(5));
      a.end = Nanoseconds(s.i64(6));
      t.annotations.push_back(a);
    }
  }
  {
    sqlite::Stmt s(db, "SELECT id, flow_id, phase, category_id, pid, tid, ts_ns FROM flow_events" +
                           only + " ORDER BY id");
    while (s.step()) {
      FlowEvent f;
      f.id = s.i64(1);
      const auto ph = s.text(2);
      f.phase = ph.empty() ? '?' : ph[0];
      f.category = name_of(s.i64(3), "flow_events", s.i64(0));
      f.pid = s.i64(4);
      f.tid = s.i64(5);
      f.ts = Nanoseconds(s.i64(6));
      t.flows.push_back(f);
    }
  }
  {
    // Version 2: the links of this trace only (both ends carry its trace_id).
    sqlite::Stmt s(db, open.multi ? "SELECT l.rowid, l.runtime_id, l.activity_id FROM flow_links l"
                                    " JOIN runtime_calls r ON r.id = l.runtime_id"
                                    " WHERE r.trace_id = " +
                                        std::to_string(entry.id) + " ORDER BY l.rowid"
                                  : "SELECT rowid, runtime_id, activity_id FROM flow_links"
                                    " ORDER BY rowid");
    while (s.step()) {
      const auto r = row_of(rt_ids, s.i64(1));
      const auto a = row_of(act_ids, s.i64(2));
      if (!r || !a) {
        throw TraceError(file.string(), "table flow_links row " + std::to_string(s.i64(0)),
                         "refers to a missing runtime call or activity");
      }
      t.links.push_back({*r, *a});
    }
  }
  // Traces written before the problem catalogue have no such table: no problems recorded.
  if (db.has_table("import_problems")) {
    require_columns(db, "import_problems",
                    {"name", "severity", "count", "first_location", "action"});
    if (open.multi) require_columns(db, "import_problems", {"trace_id"});
    sqlite::Stmt s(db, "SELECT name, severity, count, first_location, action FROM import_problems" +
                           only + " ORDER BY rowid");
    while (s.step()) {
      t.problems.push_back({std::string(s.text(0)), std::string(s.text(1)), s.i64(2),
                            std::string(s.text(3)), std::string(s.text(4))});
    }
  }
  return t;
}

}  // namespace hopsim::profiler::trace
