#include "hopsim/core/io/sqlite.hpp"

#include <limits>
#include <system_error>
#include <utility>

namespace hopsim::sqlite {

namespace {

std::string message_for(Failure failure, const std::string& sql, const std::string& detail) {
  switch (failure) {
    case Failure::kOpen:
      return "cannot open SQLite database: " + detail;
    case Failure::kPrepare:
      return "SQLite cannot prepare '" + sql + "': " + detail;
    case Failure::kStep:
    case Failure::kExec:
      return "SQLite: " + detail;
    case Failure::kWorkLimit:
      break;
  }
  return detail;
}

int open_flags(Open mode) {
  switch (mode) {
    case Open::kReadOnly:
      return SQLITE_OPEN_READONLY;
    case Open::kReadWrite:
      return SQLITE_OPEN_READWRITE;
    case Open::kCreate:
      break;
  }
  return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
}

// Runs `sql` up to its first row: "" with that row's first column in `value`, or SQLite's reason
// when it cannot run or yields no row. For the checks that report rather than fail.
std::string first_row(sqlite3* db, const char* sql, std::string& value) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) return sqlite3_errmsg(db);
  std::string why;
  if (sqlite3_step(st) == SQLITE_ROW) {
    const auto* t = sqlite3_column_text(st, 0);
    value = t != nullptr ? reinterpret_cast<const char*>(t) : "";
  } else {
    why = sqlite3_errmsg(db);
  }
  sqlite3_finalize(st);
  return why;
}

constexpr int kProgressEvery = 10000;  // instructions between progress-handler calls

}  // namespace

Error::Error(Failure failure, std::string file, std::string sql, std::string detail)
    : std::runtime_error(file + ": " + message_for(failure, sql, detail)),
      failure_(failure),
      file_(std::move(file)),
      sql_(std::move(sql)),
      detail_(std::move(detail)),
      message_(message_for(failure_, sql_, detail_)) {}

Db::Db(const std::filesystem::path& file, Open mode, ErrorHandler on_error)
    : file_(file.string()), on_error_(on_error) {
  const int rc =
      sqlite3_open_v2(file_.c_str(), &db_, open_flags(mode) | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    // Without a handle SQLite could not even allocate one: its words for the code.
    std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    fail(Failure::kOpen, "", std::move(msg));
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

void Db::fail(Failure failure, std::string sql, std::string detail) const {
  const Error e(failure, file_, std::move(sql), std::move(detail));
  if (on_error_ != nullptr) on_error_(e);
  throw e;
}

void Db::fail_statement(Failure failure, std::string sql) const {
  if (work_exceeded_) {
    fail(Failure::kWorkLimit, std::move(sql),
         "stopped after " + std::to_string(work_done_) + " SQLite steps (limit " +
             std::to_string(work_limit_) + "): " + work_why_);
  }
  fail(failure, std::move(sql), sqlite3_errmsg(db_));
}

void Db::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown SQLite error";
    sqlite3_free(err);
    if (work_exceeded_) fail_statement(Failure::kExec, sql);
    fail(Failure::kExec, sql, std::move(msg));
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

std::set<std::string> Db::columns(std::string_view table) const {
  Stmt s(*this, "SELECT name FROM pragma_table_info(?)");
  s.bind(1, table);
  std::set<std::string> out;
  while (s.step()) out.emplace(s.text(0));
  return out;
}

std::int64_t Db::changes() const {
  return sqlite3_changes64(db_);
}

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

void Db::busy_timeout(int milliseconds) {
  sqlite3_busy_timeout(db_, milliseconds);
}

std::string Db::schema_error() const {
  std::string count;
  return first_row(db_, "SELECT count(*) FROM sqlite_master", count);
}

std::string Db::quick_check() const {
  std::string verdict;
  const std::string why = first_row(db_, "PRAGMA quick_check(1)", verdict);
  return why.empty() ? verdict : why;
}

Transaction::Transaction(const Db& db) : db_(&db) {
  db.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  // Errors are ignored: this runs while an exception is on its way, which says what went wrong.
  if (open_) sqlite3_exec(db_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_->exec("COMMIT");
  open_ = false;
}

Stmt::Stmt(const Db& db, std::string_view sql) : db_(&db) {
  const int rc = sqlite3_prepare_v2(db.db_, sql.data(), static_cast<int>(sql.size()), &s_, nullptr);
  if (rc != SQLITE_OK) db.fail(Failure::kPrepare, std::string(sql), sqlite3_errmsg(db.db_));
}

Stmt::~Stmt() {
  sqlite3_finalize(s_);
}

void Stmt::fail() const {
  const char* sql = sqlite3_sql(s_);
  db_->fail_statement(Failure::kStep, sql != nullptr ? sql : "");
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

bool Stmt::try_run() {
  const int rc = sqlite3_step(s_);
  sqlite3_reset(s_);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return true;
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return false;  // extended codes: CONSTRAINT_UNIQUE, ...
  fail();
}

double Stmt::real(int col) const {
  if (is_null(col)) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(s_, col);
}

std::string_view Stmt::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p),
          static_cast<std::size_t>(sqlite3_column_bytes(s_, col))};
}

}  // namespace hopsim::sqlite
