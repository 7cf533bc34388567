// SQLite in WAL mode with synchronous=NORMAL: a committed transaction survives the writer being
// killed (only power loss could lose the last few), which is the failure a sweep has to survive.

#include "hopsim/planner/results_store.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "hopsim/core/error.hpp"
#include "hopsim/core/format.hpp"
#include "hopsim/core/io/sqlite.hpp"

namespace hopsim::planner {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw ConfigError(SourceLocation{path.string(), 0, 0, ""}, what);
}

// SQLite's failures on a results database as ConfigError, in the store's own words (the
// sqlite::ErrorHandler of its connection).
[[noreturn]] void throw_config_error(const sqlite::Error& e) {
  switch (e.failure()) {
    case sqlite::Failure::kOpen:
      fail(e.file(), "cannot open the database: " + e.detail());
    case sqlite::Failure::kPrepare:
      fail(e.file(), "cannot prepare '" + e.sql() + "': " + e.detail());
    case sqlite::Failure::kExec:
      fail(e.file(), "'" + e.sql() + "': " + e.detail());
    case sqlite::Failure::kStep:
    case sqlite::Failure::kWorkLimit:  // the store sets no work limit
      break;
  }
  fail(e.file(), "query: " + e.detail());
}

// A metric that did not run (NaN) is stored as NULL. The store's few strings are bound as copies
// (bind_copy): nothing it writes is bulk, and no later edit can leave a view dangling.
void bind_number(sqlite::Stmt& st, int i, double v) {
  if (std::isnan(v)) {
    st.bind_null(i);
  } else {
    st.bind_real(i, v);
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

StoredResult read_row(const sqlite::Stmt& st) {
  StoredResult r;
  r.key = st.text(0);
  r.index = st.i64(1);
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

// Records one provenance value in `meta` unless the key has one: a row a constraint refuses is
// skipped, as OR IGNORE skips a duplicate.
void put_meta(const sqlite::Db& db, const std::string& key, const std::string& value) {
  sqlite::Stmt st(db, "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)");
  st.bind_all(1, key, value);
  st.try_run();
}

// Throws when the file fails quick_check. quick_check reads every page (linear in the size) but
// skips the index-content cross-check of integrity_check: enough to notice a torn or
// overwritten file before resume, export or merge trusts it.
void require_intact(const sqlite::Db& db, const std::filesystem::path& path) {
  const std::string verdict = db.quick_check();
  if (verdict == "ok") return;
  fail(path, "the results database is damaged (PRAGMA quick_check: " + verdict +
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
  db_ = std::make_unique<sqlite::Db>(path, sqlite::Open::kReadOnly, throw_config_error);
  // A readable file without the table (an empty file is a valid empty database) says so; a
  // file SQLite cannot read gives SQLite's reason.
  std::string why = db_->schema_error();
  if (why.empty() && !db_->has_plain_table("results")) why = "no results table";
  if (!why.empty()) fail(path_, "not a hopsim results database (" + why + ")");
  require_intact(*db_, path_);
  db_->busy_timeout(10000);
}

ResultsStore::ResultsStore(const std::filesystem::path& path)
    : path_(path),
      db_(std::make_unique<sqlite::Db>(path, sqlite::Open::kCreate, throw_config_error)) {
  require_intact(*db_, path_);  // resuming into a damaged file would bury the damage
  db_->busy_timeout(10000);
  db_->exec("PRAGMA journal_mode=WAL");
  db_->exec("PRAGMA synchronous=NORMAL");
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
  db_->exec(ddl);
}

ResultsStore::~ResultsStore() = default;

std::map<std::string, std::string> ResultsStore::meta() const {
  std::map<std::string, std::string> out;
  sqlite::Stmt st(*db_, "SELECT key, value FROM meta");
  while (st.step()) out[std::string(st.text(0))] = st.text(1);
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
  sqlite::Transaction tx(*db_);
  for (const auto& [k, v] : values) {
    if (have.count(k) != 0) continue;
    put_meta(*db_, k, v);
  }
  tx.commit();
}

std::unordered_set<std::string> ResultsStore::done_keys() const {
  std::unordered_set<std::string> out;
  sqlite::Stmt st(*db_, "SELECT config_key FROM results");
  while (st.step()) out.emplace(st.text(0));
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

std::vector<std::string> table_columns(const sqlite::Db& db) {
  std::vector<std::string> cols;
  sqlite::Stmt st(db, "SELECT name FROM pragma_table_info('results') ORDER BY cid");
  while (st.step()) cols.emplace_back(st.text(0));
  return cols;
}

}  // namespace

std::vector<std::string> ResultsStore::swept_columns() const {
  std::vector<std::string> out;
  for (auto& c : table_columns(*db_)) {
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
    const std::vector<std::string> have = table_columns(*db_);
    for (const auto& [k, v] : swept) {
      if (is_fixed_column(k)) {
        throw ConfigError(SourceLocation{path_.string(), 0, 0, k},
                          "swept key '" + k + "' has the name of a results column");
      }
      if (std::find(have.begin(), have.end(), k) != have.end()) continue;
      const char* type = v.kind == SweptValue::Kind::kInteger ? "INTEGER"
                         : v.kind == SweptValue::Kind::kReal  ? "REAL"
                                                              : "TEXT";
      db_->exec("ALTER TABLE results ADD COLUMN " + quoted(k) + " " + type);
    }
  }

  std::string sql = "INSERT OR IGNORE INTO results (" + column_list();
  for (const auto& [k, v] : swept) sql += ", " + quoted(k);
  sql += ") VALUES (";
  const std::size_t n = std::size(kTextColumns) + metric_columns().size() + 1 + swept.size();
  for (std::size_t i = 1; i <= n; ++i) sql += (i > 1 ? ", ?" : "?") + std::to_string(i);
  sql += ")";
  sqlite::Stmt st(*db_, sql);
  int i = st.bind_all(1, r.key, r.index, r.config, r.status, r.reason, r.scenario_hash,
                      r.hopsim_version, r.calibration_hash);
  for (const auto& m : metric_columns()) bind_number(st, i++, r.*m.member);
  st.bind_copy(i++, r.result_json);
  for (const auto& [k, v] : swept) {
    switch (v.kind) {
      case SweptValue::Kind::kInteger:
        st.bind(i++, v.integer);
        break;
      case SweptValue::Kind::kReal:
        bind_number(st, i++, v.real);
        break;
      case SweptValue::Kind::kText:
        st.bind_copy(i++, v.text);
        break;
    }
  }
  // Autocommit: the row is its own transaction. A row a constraint refuses is not stored.
  return st.try_run() && db_->changes() > 0;
}

std::vector<StoredResult> ResultsStore::rows() const {
  std::vector<StoredResult> out;
  sqlite::Stmt st(*db_,
                  "SELECT " + column_list() + " FROM results ORDER BY config_index, config_key");
  while (st.step()) out.push_back(read_row(st));
  return out;
}

std::size_t ResultsStore::count() const {
  sqlite::Stmt st(*db_, "SELECT COUNT(*) FROM results");
  st.step();
  return static_cast<std::size_t>(st.i64(0));
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
  sqlite::Transaction tx(*db_);
  for (const auto& [k, v] : provenance) {
    put_meta(*db_, k, v);
  }
  for (const Write& w : writes) {
    if (w.replace) {
      sqlite::Stmt del(*db_, "DELETE FROM results WHERE config_key = ?1");
      del.bind_copy(1, w.row->key);
      del.try_run();
    }
    (void)insert(*w.row);
  }
  tx.commit();
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
