#include "sqlite_util.hpp"

namespace hopsim::profiler::trace::sql {

Db::Db(const std::filesystem::path& file, int flags) : file_(file.string()) {
  // One connection per thread: no per-call mutex (it showed in the import profile).
  const int rc = sqlite3_open_v2(file_.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw TraceError(file_, "", "cannot open SQLite database: " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() {
  close();
}

void Db::close() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

void Db::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown SQLite error";
    sqlite3_free(err);
    if (work_exceeded_) throw TraceError(file_, "", stopped_message());
    throw TraceError(file_, "", "SQLite: " + msg);
  }
}

bool Db::has_table(std::string_view table) const {
  Stmt s(*this, "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?");
  s.bind(1, table);
  return s.step();
}

bool Db::has_plain_table(std::string_view table) const {
  Stmt s(*this, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  s.bind(1, table);
  return s.step();
}

namespace {
constexpr int kProgressEvery = 10000;  // instructions between progress-handler calls
}  // namespace

void Db::limit_work(std::int64_t steps, std::string why) {
  work_limit_ = steps;
  work_done_ = 0;
  work_exceeded_ = false;
  work_why_ = std::move(why);
  sqlite3_progress_handler(
      db_, kProgressEvery,
      [](void* p) -> int {
        auto* d = static_cast<Db*>(p);
        d->work_done_ += kProgressEvery;
        if (d->work_done_ > d->work_limit_) d->work_exceeded_ = true;
        return d->work_exceeded_ ? 1 : 0;
      },
      this);
}

// The importer's queries run about one virtual-machine instruction per byte of the tables they
// read (13.2 M for an 18 MB nsys export of 200,000 kernels and 200,000 runtime calls; 10.6 M for
// a 41 MB hopsim trace; counted with the sqlite3 shell's `.stats on`, docs/TRACES.md). Real files
// hold tables that are not read, so 20 per byte is ample for them, plus a fixed allowance for
// small files, and stops a hostile one within seconds per megabyte.
void Db::limit_work_to_file_size(std::string why) {
  constexpr std::int64_t kStepsPerByte = 20;
  constexpr std::int64_t kStepsBase = 100'000'000;
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(file_, ec);
  limit_work(kStepsBase + kStepsPerByte * (ec ? 0 : static_cast<std::int64_t>(bytes)),
             std::move(why));
}

std::string Db::stopped_message() const {
  return "stopped after " + std::to_string(work_done_) + " SQLite steps (limit " +
         std::to_string(work_limit_) + "): " + work_why_;
}

std::set<std::string> Db::columns(std::string_view table) const {
  Stmt s(*this, "SELECT name FROM pragma_table_info(?)");
  s.bind(1, table);
  std::set<std::string> out;
  while (s.step()) out.emplace(s.text(0));
  return out;
}

Stmt::Stmt(const Db& db, std::string_view sql) : db_(&db) {
  const int rc =
      sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &s_, nullptr);
  if (rc != SQLITE_OK) {
    throw TraceError(
        db.file(), "",
        "SQLite cannot prepare '" + std::string(sql) + "': " + sqlite3_errmsg(db.get()));
  }
}

Stmt::~Stmt() {
  sqlite3_finalize(s_);
}

void Stmt::check(int rc) const {
  if (rc != SQLITE_OK) fail();
}

void Stmt::fail() const {
  if (db_->work_exceeded_) throw TraceError(db_->file(), "", db_->stopped_message());
  throw TraceError(db_->file(), "", std::string("SQLite: ") + sqlite3_errmsg(db_->get()));
}

bool Stmt::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail();
}

void Stmt::run() {
  const int rc = sqlite3_step(s_);
  sqlite3_reset(s_);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) fail();
}

std::string_view Stmt::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p),
          static_cast<std::size_t>(sqlite3_column_bytes(s_, col))};
}

}  // namespace hopsim::profiler::trace::sql
