// SQLite in WAL mode with synchronous=NORMAL: a committed transaction survives the writer being
// killed (only power loss could lose the last few), which is the failure a sweep has to survive.

#include "hopsim/planner/results_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "hopsim/core/error.hpp"
#include "hopsim/core/format.hpp"

namespace hopsim::planner {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void fail(sqlite3* db, const std::filesystem::path& path, const std::string& what) {
  throw ConfigError(SourceLocation{path.string(), 0, 0, ""},
                    what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

class Statement {
 public:
  Statement(sqlite3* db, const std::filesystem::path& path, const std::string& sql)
      : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st_, nullptr) != SQLITE_OK) {
      fail(db, path, "cannot prepare '" + sql + "'");
    }
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() { return st_; }
  void bind(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(st_, i, v); }
  void bind(int i, double v) {
    if (std::isnan(v)) {
      sqlite3_bind_null(st_, i);
    } else {
      sqlite3_bind_double(st_, i, v);
    }
  }
  //! SQLITE_ROW or SQLITE_DONE; anything else throws.
  int step() {
    const int rc = sqlite3_step(st_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_CONSTRAINT) fail(db_, path_, "query");
    return rc;
  }
  std::string text(int col) {
    const auto* p = sqlite3_column_text(st_, col);
    return p != nullptr ? reinterpret_cast<const char*>(p) : "";
  }
  double real(int col) {
    return sqlite3_column_type(st_, col) == SQLITE_NULL ? kNaN : sqlite3_column_double(st_, col);
  }

 private:
  sqlite3* db_;
  const std::filesystem::path& path_;
  sqlite3_stmt* st_ = nullptr;
};

void exec(sqlite3* db, const std::filesystem::path& path, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    throw ConfigError(SourceLocation{path.string(), 0, 0, ""}, "'" + sql + "': " + msg);
  }
}

const char* const kTextColumns[] = {"config_key",     "config_index",    "config",
                                    "status",         "reason",          "scenario_hash",
                                    "hopsim_version", "calibration_hash"};

std::string column_list() {
  std::string s;
  for (const char* c : kTextColumns) s += std::string(s.empty() ? "" : ", ") + c;
  for (const auto& m : metric_columns()) s += std::string(", ") + m.name;
  return s + ", result_json";
}

StoredResult read_row(Statement& st) {
  StoredResult r;
  r.key = st.text(0);
  r.index = sqlite3_column_int64(st.get(), 1);
  r.config = st.text(2);
  r.status = st.text(3);
  r.reason = st.text(4);
  r.scenario_hash = st.text(5);
  r.hopsim_version = st.text(6);
  r.calibration_hash = st.text(7);
  int col = 8;
  for (const auto& m : metric_columns()) r.*m.member = st.real(col++);
  r.result_json = st.text(col);
  return r;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string number(double v) {
  if (std::isnan(v)) return "";
  return fmt("%.10g", v);
}

// Keys whose values must agree between shards that are merged.
const char* const kProvenanceKeys[] = {"sweep_hash", "hopsim_version", "calibration_hash", "mode"};

}  // namespace

const std::vector<MetricColumn>& metric_columns() {
  static const std::vector<MetricColumn> kColumns = {
      {"step_time_ms", &StoredResult::step_time_ms},
      {"tokens_per_second_per_gpu", &StoredResult::tokens_per_second_per_gpu},
      {"mfu_bf16", &StoredResult::mfu_bf16},
      {"mfu_fp8", &StoredResult::mfu_fp8},
      {"bubble_fraction", &StoredResult::bubble_fraction},
      {"exposed_comm_fraction", &StoredResult::exposed_comm_fraction},
      {"memory_gib", &StoredResult::memory_gib},
      {"memory_capacity_gib", &StoredResult::memory_capacity_gib},
      {"gpu_hours_per_trillion", &StoredResult::gpu_hours_per_trillion},
      {"days_per_trillion", &StoredResult::days_per_trillion},
      {"dollars_per_trillion", &StoredResult::dollars_per_trillion},
      {"energy_kwh_per_trillion", &StoredResult::energy_kwh_per_trillion},
      {"avg_power_watts", &StoredResult::avg_power_watts},
      {"num_gpus", &StoredResult::num_gpus, true},
      {"price_per_gpu_hour", &StoredResult::price_per_gpu_hour},
      {"training_tokens", &StoredResult::training_tokens},
      {"pue", &StoredResult::pue}};
  return kColumns;
}

StoredResult empty_result() {
  StoredResult r;
  for (const auto& m : metric_columns()) r.*m.member = kNaN;
  return r;
}

namespace {

// "ok", or SQLite's first complaint about the file's structure. quick_check reads every page
// (linear in the size) but skips the index-content cross-check of integrity_check: enough to
// notice a torn or overwritten file before resume, export or merge trusts it.
std::string quick_check(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, nullptr) != SQLITE_OK) {
    return sqlite3_errmsg(db);
  }
  std::string out;
  const int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const auto* t = sqlite3_column_text(st, 0);
    out = t != nullptr ? reinterpret_cast<const char*>(t) : "";
  } else {
    out = sqlite3_errmsg(db);
  }
  sqlite3_finalize(st);
  return out;
}

// Closes `db` and throws when the file fails quick_check (a constructor cannot rely on the
// destructor to close it).
void require_intact(sqlite3*& db, const std::filesystem::path& path) {
  const std::string verdict = quick_check(db);
  if (verdict == "ok") return;
  sqlite3_close(db);
  db = nullptr;
  throw ConfigError(SourceLocation{path.string(), 0, 0, ""},
                    "the results database is damaged (PRAGMA quick_check: " + verdict +
                        "); nothing was read from it: restore it from a copy or a shard, or "
                        "run the sweep again into a new file");
}

}  // namespace

ResultsStore::ResultsStore(const std::filesystem::path& path, Access access) : path_(path) {
  if (access == Access::kReadWrite) {
    ResultsStore rw(path);
    std::swap(db_, rw.db_);
    return;
  }
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw ConfigError(SourceLocation{path.string(), 0, 0, ""}, "cannot open the database: " + msg);
  }
  // The constructor's body is not a constructed object yet: close before any throw.
  const char* check =
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'results'";
  sqlite3_stmt* st = nullptr;
  const bool prepared = sqlite3_prepare_v2(db_, check, -1, &st, nullptr) == SQLITE_OK;
  const bool row = prepared && sqlite3_step(st) == SQLITE_ROW;
  const bool ok = row && sqlite3_column_int(st, 0) == 1;
  // A readable file without the table (an empty file is a valid empty database) says so; a
  // file SQLite cannot read gives SQLite's reason.
  std::string msg = ok || row ? "no results table" : sqlite3_errmsg(db_);
  sqlite3_finalize(st);
  if (!ok) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw ConfigError(SourceLocation{path.string(), 0, 0, ""},
                      "not a hopsim results database (" + msg + ")");
  }
  require_intact(db_, path_);
  sqlite3_busy_timeout(db_, 10000);
}

ResultsStore::ResultsStore(const std::filesystem::path& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw ConfigError(SourceLocation{path.string(), 0, 0, ""}, "cannot open the database: " + msg);
  }
  require_intact(db_, path_);  // resuming into a damaged file would bury the damage
  sqlite3_busy_timeout(db_, 10000);
  exec(db_, path_, "PRAGMA journal_mode=WAL");
  exec(db_, path_, "PRAGMA synchronous=NORMAL");
  std::string ddl =
      "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS results (config_key TEXT NOT NULL UNIQUE, "
      "config_index INTEGER NOT NULL, config TEXT NOT NULL, status TEXT NOT NULL, "
      "reason TEXT NOT NULL, scenario_hash TEXT NOT NULL, hopsim_version TEXT NOT NULL, "
      "calibration_hash TEXT NOT NULL";
  for (const auto& m : metric_columns()) {
    ddl += std::string(", ") + m.name + (m.integer ? " INTEGER" : " REAL");
  }
  ddl += ", result_json TEXT NOT NULL);";
  exec(db_, path_, ddl);
}

ResultsStore::~ResultsStore() {
  sqlite3_close(db_);
}

std::map<std::string, std::string> ResultsStore::meta() const {
  std::map<std::string, std::string> out;
  Statement st(db_, path_, "SELECT key, value FROM meta");
  while (st.step() == SQLITE_ROW) out[st.text(0)] = st.text(1);
  return out;
}

void ResultsStore::claim(const std::map<std::string, std::string>& values) {
  const auto have = meta();
  for (const auto& [k, v] : values) {
    auto it = have.find(k);
    if (it == have.end()) continue;
    if (it->second != v) {
      throw ConfigError(SourceLocation{path_.string(), 0, 0, ""},
                        "this database holds results with " + k + " = " + it->second + ", not " +
                            v + "; write to another file (-o) or delete this one");
    }
  }
  exec(db_, path_, "BEGIN IMMEDIATE");
  try {
    for (const auto& [k, v] : values) {
      if (have.count(k) != 0) continue;
      Statement st(db_, path_, "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)");
      st.bind(1, k);
      st.bind(2, v);
      st.step();
    }
    exec(db_, path_, "COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::unordered_set<std::string> ResultsStore::done_keys() const {
  std::unordered_set<std::string> out;
  Statement st(db_, path_, "SELECT config_key FROM results");
  while (st.step() == SQLITE_ROW) out.insert(st.text(0));
  return out;
}

namespace {

// A swept value as SQL sees it: an integer, a number or text. Sweep values are kept as written
// in the spec ("16", "0.5", "dualpipe"); the JSON blob keeps those strings.
struct SweptValue {
  enum class Kind { kInteger, kReal, kText } kind = Kind::kText;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;
};

SweptValue typed(const std::string& v) {
  SweptValue out;
  out.text = v;
  // strtoll and strtod skip leading blanks; " 16" stays text, as written.
  if (v.empty() || std::isspace(static_cast<unsigned char>(v.front()))) return out;
  const char* b = v.c_str();
  char* end = nullptr;
  errno = 0;
  const long long i = std::strtoll(b, &end, 10);
  if (errno == 0 && *end == '\0') {
    out.kind = SweptValue::Kind::kInteger;
    out.integer = i;
    return out;
  }
  errno = 0;
  const double d = std::strtod(b, &end);
  if (errno == 0 && *end == '\0' && std::isfinite(d)) {
    out.kind = SweptValue::Kind::kReal;
    out.real = d;
  }
  return out;
}

std::string quoted(const std::string& name) {
  std::string q = "\"";
  for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// The columns every results table has (identity, status, metrics, the result JSON), as opposed
// to the swept keys' columns.
bool is_fixed_column(const std::string& name) {
  if (name == "result_json") return true;
  for (const char* c : kTextColumns) {
    if (name == c) return true;
  }
  for (const auto& m : metric_columns()) {
    if (name == m.name) return true;
  }
  return false;
}

std::vector<std::string> table_columns(sqlite3* db, const std::filesystem::path& path) {
  std::vector<std::string> cols;
  Statement st(db, path, "SELECT name FROM pragma_table_info('results') ORDER BY cid");
  while (st.step() == SQLITE_ROW) cols.push_back(st.text(0));
  return cols;
}

}  // namespace

std::vector<std::string> ResultsStore::swept_columns() const {
  std::vector<std::string> out;
  for (auto& c : table_columns(db_, path_)) {
    if (!is_fixed_column(c)) out.push_back(std::move(c));
  }
  return out;
}

bool ResultsStore::insert(const StoredResult& r) {
  std::vector<std::pair<std::string, SweptValue>> swept;
  if (!r.config.empty()) {
    const auto j = nlohmann::ordered_json::parse(r.config, nullptr, false);
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        swept.emplace_back(k, typed(v.is_string() ? v.get<std::string>() : v.dump()));
      }
    }
  }
  if (!swept.empty()) {
    const std::vector<std::string> have = table_columns(db_, path_);
    for (const auto& [k, v] : swept) {
      if (is_fixed_column(k)) {
        throw ConfigError(SourceLocation{path_.string(), 0, 0, k},
                          "swept key '" + k + "' has the name of a results column");
      }
      if (std::find(have.begin(), have.end(), k) != have.end()) continue;
      const char* type = v.kind == SweptValue::Kind::kInteger ? "INTEGER"
                         : v.kind == SweptValue::Kind::kReal  ? "REAL"
                                                              : "TEXT";
      exec(db_, path_, "ALTER TABLE results ADD COLUMN " + quoted(k) + " " + type);
    }
  }

  std::string sql = "INSERT OR IGNORE INTO results (" + column_list();
  for (const auto& [k, v] : swept) sql += ", " + quoted(k);
  sql += ") VALUES (";
  const std::size_t n = std::size(kTextColumns) + metric_columns().size() + 1 + swept.size();
  for (std::size_t i = 1; i <= n; ++i) sql += (i > 1 ? ", ?" : "?") + std::to_string(i);
  sql += ")";
  Statement st(db_, path_, sql);
  st.bind(1, r.key);
  st.bind(2, r.index);
  st.bind(3, r.config);
  st.bind(4, r.status);
  st.bind(5, r.reason);
  st.bind(6, r.scenario_hash);
  st.bind(7, r.hopsim_version);
  st.bind(8, r.calibration_hash);
  int i = 9;
  for (const auto& m : metric_columns()) st.bind(i++, r.*m.member);
  st.bind(i++, r.result_json);
  for (const auto& [k, v] : swept) {
    switch (v.kind) {
      case SweptValue::Kind::kInteger:
        st.bind(i++, v.integer);
        break;
      case SweptValue::Kind::kReal:
        st.bind(i++, v.real);
        break;
      case SweptValue::Kind::kText:
        st.bind(i++, v.text);
        break;
    }
  }
  st.step();  // autocommit: the row is its own transaction
  return sqlite3_changes(db_) > 0;
}

std::vector<StoredResult> ResultsStore::rows() const {
  std::vector<StoredResult> out;
  Statement st(db_, path_,
               "SELECT " + column_list() + " FROM results ORDER BY config_index, config_key");
  while (st.step() == SQLITE_ROW) out.push_back(read_row(st));
  return out;
}

std::size_t ResultsStore::count() const {
  Statement st(db_, path_, "SELECT COUNT(*) FROM results");
  st.step();
  return static_cast<std::size_t>(sqlite3_column_int64(st.get(), 0));
}

namespace {

// Same configuration, same results: everything but where and when it ran.
bool same_result(const StoredResult& a, const StoredResult& b) {
  if (a.status != b.status || a.reason != b.reason || a.config != b.config ||
      a.scenario_hash != b.scenario_hash || a.calibration_hash != b.calibration_hash) {
    return false;
  }
  for (const auto& m : metric_columns()) {
    const double x = a.*m.member;
    const double y = b.*m.member;
    if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
  }
  return true;
}

}  // namespace

MergeStats ResultsStore::merge_from(const ResultsStore& other, MergeConflicts conflicts) {
  return merge_all({&other}, conflicts).front();
}

std::vector<MergeStats> ResultsStore::merge_all(const std::vector<const ResultsStore*>& inputs,
                                                MergeConflicts conflicts) {
  // Everything is decided in memory first: each input's provenance and conflicts against what is
  // stored and against the inputs before it. Only when all pass is anything written, in one
  // transaction, so a refused input leaves the database as it was (all or nothing).
  std::map<std::string, std::string> known = meta();
  std::map<std::string, std::string> provenance;  // new meta keys to record
  std::map<std::string, StoredResult> here;
  for (auto& r : rows()) here.emplace(r.key, std::move(r));
  struct Write {
    const StoredResult* row;
    bool replace;
  };
  std::vector<std::vector<StoredResult>> incoming;
  incoming.reserve(inputs.size());
  std::vector<Write> writes;
  std::vector<MergeStats> stats(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const ResultsStore& other = *inputs[i];
    const auto theirs = other.meta();
    for (const char* k : kProvenanceKeys) {
      const auto t = theirs.find(k);
      if (t == theirs.end()) continue;
      const auto m = known.find(k);
      if (m != known.end() && m->second != t->second) {
        throw ConfigError(SourceLocation{other.path().string(), 0, 0, ""},
                          std::string("cannot merge: ") + k + " is " + t->second + " here but " +
                              m->second + " in " + path_.string() + " (nothing was merged)");
      }
    }
    for (const auto& [k, v] : theirs) {
      if (k == "shard" || known.count(k) != 0) continue;
      known[k] = v;
      provenance[k] = v;
    }
    incoming.push_back(other.rows());
    std::vector<const StoredResult*> clashing;
    for (const auto& r : incoming.back()) {
      const auto it = here.find(r.key);
      if (it != here.end() && !same_result(it->second, r)) clashing.push_back(&r);
    }
    if (!clashing.empty() && conflicts == MergeConflicts::kRefuse) {
      std::string keys;
      for (std::size_t c = 0; c < clashing.size() && c < 10; ++c) {
        keys += (c > 0 ? ", " : "") + clashing[c]->key + " (#" +
                std::to_string(clashing[c]->index) + ")";
      }
      throw ConfigError(
          SourceLocation{other.path().string(), 0, 0, ""},
          "cannot merge: " + std::to_string(clashing.size()) + " configuration(s) are stored in " +
              path_.string() + (i > 0 ? " or an earlier input" : "") +
              " with different results: " + keys + (clashing.size() > 10 ? ", ..." : "") +
              "; choose a side with --prefer existing|incoming (nothing was merged)");
    }
    for (const auto& r : incoming.back()) {
      const auto it = here.find(r.key);
      if (it == here.end()) {
        writes.push_back({&r, false});
        here.emplace(r.key, r);
        ++stats[i].added;
      } else if (same_result(it->second, r)) {
        ++stats[i].duplicates;
      } else if (conflicts == MergeConflicts::kIncoming) {
        writes.push_back({&r, true});
        it->second = r;
        ++stats[i].replaced;
      } else {
        ++stats[i].kept;
      }
    }
  }
  exec(db_, path_, "BEGIN IMMEDIATE");
  try {
    for (const auto& [k, v] : provenance) {
      Statement st(db_, path_, "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)");
      st.bind(1, k);
      st.bind(2, v);
      st.step();
    }
    for (const Write& w : writes) {
      if (w.replace) {
        Statement del(db_, path_, "DELETE FROM results WHERE config_key = ?1");
        del.bind(1, w.row->key);
        del.step();
      }
      (void)insert(*w.row);
    }
    exec(db_, path_, "COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return stats;
}

void write_csv(std::ostream& out, const std::vector<StoredResult>& rows) {
  out << "config_index,config_key,status,reason,config,scenario_hash,hopsim_version,"
         "calibration_hash";
  for (const auto& m : metric_columns()) out << "," << m.name;
  out << "\n";
  for (const auto& r : rows) {
    out << r.index << "," << r.key << "," << r.status << "," << csv_field(r.reason) << ","
        << csv_field(r.config) << "," << r.scenario_hash << "," << r.hopsim_version << ","
        << r.calibration_hash;
    for (const auto& m : metric_columns()) out << "," << number(r.*m.member);
    out << "\n";
  }
}

}  // namespace hopsim::planner
