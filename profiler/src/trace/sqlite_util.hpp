#pragma once
//! Small RAII wrappers over the SQLite C API shared by the trace writer, the trace reader and the
//! Nsight Systems importer (internal to hopsim_profiler).

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "hopsim/profiler/trace/trace_error.hpp"

namespace hopsim::profiler::trace::sql {

class Db {
 public:
  Db(const std::filesystem::path& file, int flags);
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();
  [[nodiscard]] sqlite3* get() const { return db_; }
  [[nodiscard]] const std::string& file() const { return file_; }
  //! Runs statements without results; throws TraceError with the SQLite message.
  void exec(const char* sql) const;
  //! A table or a view of that name exists.
  [[nodiscard]] bool has_table(std::string_view table) const;
  //! A plain table of that name exists (not a view: reading a view runs its query, which a
  //! hostile file can make recursive and endless).
  [[nodiscard]] bool has_plain_table(std::string_view table) const;
  //! Bounds the work of every later statement: once SQLite has run more than `steps`
  //! virtual-machine instructions in all, the running statement stops and throws TraceError
  //! with `why` and the count. A hostile file cannot make a reader run without end.
  void limit_work(std::int64_t steps, std::string why);
  //! limit_work with a budget for a reader of this file: 10^8 steps plus 20 per byte. Reading
  //! an nsys export or a hopsim trace takes about one step per byte of the tables read.
  void limit_work_to_file_size(std::string why);
  [[nodiscard]] std::set<std::string> columns(std::string_view table) const;
  //! Closes now (so the file can be renamed or removed); further use is a bug.
  void close();

 private:
  [[nodiscard]] std::string stopped_message() const;
  friend class Stmt;

  sqlite3* db_ = nullptr;
  std::string file_;
  std::int64_t work_limit_ = 0;
  std::int64_t work_done_ = 0;
  bool work_exceeded_ = false;
  std::string work_why_;
};

class Stmt {
 public:
  Stmt(const Db& db, std::string_view sql);
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(s_, i, v)); }
  void bind(int i, std::string_view v) {
    // SQLITE_STATIC: callers keep the text alive until the statement is stepped (run()/step()).
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
  }
  //! Named rather than overloaded: an `int` argument would be ambiguous between int64 and double.
  void bind_real(int i, double v) { check(sqlite3_bind_double(s_, i, v)); }
  void bind_null(int i) { check(sqlite3_bind_null(s_, i)); }
  //! Steps once; true while a row is available.
  bool step();
  //! Steps a statement without results to completion and resets it for the next bind.
  void run();
  void reset() { sqlite3_reset(s_); }

  [[nodiscard]] std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  [[nodiscard]] bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  [[nodiscard]] bool is_integer(int col) const {
    return sqlite3_column_type(s_, col) == SQLITE_INTEGER;
  }
  [[nodiscard]] std::string_view text(int col) const;

 private:
  void check(int rc) const;
  [[noreturn]] void fail() const;
  sqlite3_stmt* s_ = nullptr;
  const Db* db_;
};

}  // namespace hopsim::profiler::trace::sql
