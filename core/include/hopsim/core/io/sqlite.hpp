#pragma once
//! hopsim's one wrapper over the SQLite C API (library hopsim_sqlite): a connection and its
//! prepared statements, which own their handles, bound the work a hostile file can cause and
//! report every failure with the file's name, as Error or as the caller's own exception type.

#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace hopsim::sqlite {

//! What failed. A caller that words its own messages (ErrorHandler) tells failures apart by it.
enum class Failure {
  kOpen,       //!< the file could not be opened
  kPrepare,    //!< a statement did not compile
  kStep,       //!< a statement failed while binding or running
  kExec,       //!< a script given to Db::exec failed
  kWorkLimit,  //!< the work limit (Db::limit_work) stopped a statement
};

//! A failure of SQLite on one file. what() reads "FILE: MESSAGE".
class Error : public std::runtime_error {
 public:
  Error(Failure failure, std::string file, std::string sql, std::string detail);
  [[nodiscard]] Failure failure() const { return failure_; }
  [[nodiscard]] const std::string& file() const { return file_; }
  //! The statement or script that failed; empty for kOpen.
  [[nodiscard]] const std::string& sql() const { return sql_; }
  //! SQLite's own words ("file is not a database"); for kWorkLimit "stopped after N SQLite steps
  //! (limit L): WHY".
  [[nodiscard]] const std::string& detail() const { return detail_; }
  //! what() without the file: "cannot open SQLite database: DETAIL", "SQLite cannot prepare
  //! 'SQL': DETAIL", "SQLite: DETAIL" (kStep, kExec), or the kWorkLimit detail as it is.
  [[nodiscard]] const std::string& message() const { return message_; }

 private:
  Failure failure_;
  std::string file_;
  std::string sql_;
  std::string detail_;
  std::string message_;
};

//! Called with every failure of a connection and of its statements, where the Error would be
//! thrown: a module throws its own exception type there (the profiler TraceError, the results
//! store ConfigError), so that its users and tests keep the messages they know. Should it
//! return, the Error is thrown.
using ErrorHandler = void (*)(const Error&);

enum class Open {
  kReadOnly,
  kReadWrite,
  kCreate,  //!< read-write, the file created when missing
};

//! One connection. Used by one thread at a time: it is opened without SQLite's per-call mutex
//! (which showed in the import profile). Extended result codes are on. Neither copied nor moved:
//! the work limit's progress handler points at it.
class Db {
 public:
  //! Opening is lazy in SQLite: a file that is not a database opens and fails at its first read
  //! (schema_error() says so early).
  Db(const std::filesystem::path& file, Open mode, ErrorHandler on_error = nullptr);
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  [[nodiscard]] const std::string& file() const { return file_; }
  //! Runs statements without results (a script of several is fine).
  void exec(const std::string& sql) const;
  //! A table or a view of that name exists.
  [[nodiscard]] bool has_table(std::string_view table) const;
  //! A plain table of that name exists (not a view: reading a view runs its query, which a
  //! hostile file can make recursive and endless).
  [[nodiscard]] bool has_plain_table(std::string_view table) const;
  //! The names of a table's columns.
  [[nodiscard]] std::set<std::string> columns(std::string_view table) const;
  //! Rows changed by the last INSERT, UPDATE or DELETE that completed.
  [[nodiscard]] std::int64_t changes() const;

  //! Bounds the work of every later statement: once SQLite has run more than `steps`
  //! virtual-machine instructions in all, the running statement stops and fails (kWorkLimit)
  //! with `why` and the count. A hostile file cannot make a reader run without end.
  void limit_work(std::int64_t steps, std::string why);
  //! limit_work with a budget for a reader of this file: 10^8 steps plus 20 per byte. Reading
  //! an nsys export or a hopsim trace takes about one step per byte of the tables read.
  void limit_work_to_file_size(std::string why);
  //! How long a statement waits for another connection's lock before it fails with "database
  //! is locked".
  void busy_timeout(int milliseconds);

  // The two checks below report rather than fail: their answer is the caller's to word.

  //! Empty when SQLite can read the file's schema, else SQLite's reason ("file is not a
  //! database").
  [[nodiscard]] std::string schema_error() const;
  //! "ok", or SQLite's first complaint about the file's structure (PRAGMA quick_check(1), which
  //! reads every page), or SQLite's reason when the check cannot run.
  [[nodiscard]] std::string quick_check() const;

  //! Closes now (so that the file can be renamed or removed); further use is a bug.
  void close();

 private:
  friend class Stmt;
  friend class Transaction;
  [[noreturn]] void fail(Failure failure, std::string sql, std::string detail) const;
  //! The statement failure now: kWorkLimit when the work limit stopped it, else `failure` with
  //! SQLite's message.
  [[noreturn]] void fail_statement(Failure failure, std::string sql) const;

  sqlite3* db_ = nullptr;
  std::string file_;
  ErrorHandler on_error_;
  std::int64_t work_limit_ = 0;
  std::int64_t work_done_ = 0;
  bool work_exceeded_ = false;
  std::string work_why_;
};

//! BEGIN IMMEDIATE (the write lock taken now, not at the first write) up to commit(); rolled
//! back when destroyed before commit(), as by an exception, so that nothing half-done stays.
class Transaction {
 public:
  explicit Transaction(const Db& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  const Db* db_;
  bool open_ = true;
};

//! A prepared statement of a Db, which must outlive it. Parameters count from 1, columns from 0.
class Stmt {
 public:
  Stmt(const Db& db, std::string_view sql);
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(s_, i, v)); }
  //! Binds text without copying it (SQLITE_STATIC), for bulk writers: `v` must stay alive and
  //! unchanged until the statement has been stepped. Text that dies sooner takes bind_copy.
  void bind(int i, std::string_view v) {
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
  }
  //! A temporary std::string would die before the step: refused at compile time (bind_copy).
  template <class S>
  requires std::same_as<S, std::string>
  void bind(int i, S&& v) = delete;
  //! Binds a copy of the text (SQLITE_TRANSIENT): `v` may die at once.
  void bind_copy(int i, std::string_view v) {
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  //! Named rather than overloaded: an `int` argument would be ambiguous between int64 and double.
  void bind_real(int i, double v) { check(sqlite3_bind_double(s_, i, v)); }
  void bind_null(int i) { check(sqlite3_bind_null(s_, i)); }
  //! Binds `values` to the parameters from `first` on, in order, and returns the number of the
  //! next parameter: integers and bool as INTEGER, floating point as REAL, text as a copy
  //! (bind_copy, so nothing bound can dangle), an empty std::optional as NULL.
  template <class... V>
  int bind_all(int first, const V&... values) {
    (bind_value(first++, values), ...);
    return first;
  }
  //! bind_all() from parameter 1, then run(): a row of an INSERT in one call.
  template <class... V>
  void run_with(const V&... values) {
    bind_all(1, values...);
    run();
  }

  //! Steps once; true while a row is available.
  bool step();
  //! Steps a statement without results to completion and resets it for the next bind.
  void run();
  //! run(), except that a constraint's refusal (UNIQUE, NOT NULL, CHECK, a trigger's
  //! RAISE(ABORT)) returns false instead of failing: the statement changed nothing.
  bool try_run();
  void reset() { sqlite3_reset(s_); }

  [[nodiscard]] std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  //! NaN for NULL (where SQLite would read 0).
  [[nodiscard]] double real(int col) const;
  [[nodiscard]] bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  [[nodiscard]] bool is_integer(int col) const {
    return sqlite3_column_type(s_, col) == SQLITE_INTEGER;
  }
  //! The column's text, NUL bytes included; empty for NULL. Valid until the next step, reset or
  //! read of the same column as another type.
  [[nodiscard]] std::string_view text(int col) const;

 private:
  template <class V>
  void bind_value(int i, const V& v) {
    if constexpr (requires {
                    v.has_value();
                    *v;
                  }) {
      if (v.has_value()) {
        bind_value(i, *v);
      } else {
        bind_null(i);
      }
    } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
      bind_copy(i, v);
    } else if constexpr (std::is_floating_point_v<V>) {
      bind_real(i, v);
    } else {
      static_assert(std::is_integral_v<V>, "bind_all binds integers, reals, text and optionals");
      bind(i, static_cast<std::int64_t>(v));
    }
  }
  void check(int rc) const {
    if (rc != SQLITE_OK) fail();
  }
  [[noreturn]] void fail() const;
  sqlite3_stmt* s_ = nullptr;
  const Db* db_;
};

}  // namespace hopsim::sqlite
