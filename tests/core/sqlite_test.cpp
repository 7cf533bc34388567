// Tests for core/src/io/sqlite.cpp, the one wrapper over SQLite's C API: every failure names the
// file and says what failed in SQLite's words, values go in and out unchanged (checked against
// the C API itself), the work limit stops a query that would never end.

#include "hopsim/core/io/sqlite.hpp"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "../common/endless_query.hpp"
#include "../common/temp_dir.hpp"

namespace fs = std::filesystem;
namespace sq = hopsim::sqlite;
using hopsim::test::TempDir;

namespace {

// What a caller's ErrorHandler throws: its own type, with the wrapper's facts.
struct CallerError {
  sq::Failure failure;
  std::string file;
  std::string message;
};

void throw_caller_error(const sq::Error& e) {
  throw CallerError{e.failure(), e.file(), e.message()};
}

// One value of column `col` of the first row of `sql`, read through the C API (the oracle for
// what the wrapper wrote).
std::string raw_text(const fs::path& file, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const auto* p = static_cast<const char*>(sqlite3_column_blob(st, 0));
  std::string out(p != nullptr ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

}  // namespace

// Text bound without a copy must outlive the step: a temporary string is refused at compile time,
// a named one is taken, and bind_copy takes either.
template <class T>
concept binds_without_copy = requires(sq::Stmt& s, T&& v) {
  s.bind(1, std::forward<T>(v));
};
template <class T>
concept binds_a_copy = requires(sq::Stmt& s, T&& v) {
  s.bind_copy(1, std::forward<T>(v));
};
static_assert(!binds_without_copy<std::string>);
static_assert(binds_without_copy<const std::string&>);
static_assert(binds_without_copy<std::string_view>);
static_assert(binds_a_copy<std::string>);

TEST_CASE("a file that cannot be opened is named in the error", "[core][sqlite]") {
  const TempDir dir("sqlite");
  const fs::path missing = dir / "no-such-folder" / "x.sqlite";
  try {
    const sq::Db db(missing, sq::Open::kReadOnly);
    FAIL("opened a file in a folder that does not exist");
  } catch (const sq::Error& e) {
    CHECK(e.failure() == sq::Failure::kOpen);
    CHECK(e.file() == missing.string());
    CHECK(e.message() == "cannot open SQLite database: unable to open database file");
    CHECK(std::string(e.what()) == missing.string() + ": " + e.message());
  }
  // kReadWrite does not create; kCreate does.
  CHECK_THROWS_AS(sq::Db(dir / "new.sqlite", sq::Open::kReadWrite), sq::Error);
  CHECK_FALSE(fs::exists(dir / "new.sqlite"));
  { const sq::Db created(dir / "new.sqlite", sq::Open::kCreate); }
  CHECK(fs::exists(dir / "new.sqlite"));
}

TEST_CASE("a statement that does not compile quotes itself and SQLite's reason", "[core][sqlite]") {
  const TempDir dir("sqlite");
  const sq::Db db(dir / "db.sqlite", sq::Open::kCreate);
  try {
    const sq::Stmt s(db, "SELEC 1");
    FAIL("prepared a syntax error");
  } catch (const sq::Error& e) {
    CHECK(e.failure() == sq::Failure::kPrepare);
    CHECK(e.sql() == "SELEC 1");
    CHECK(e.message() == "SQLite cannot prepare 'SELEC 1': near \"SELEC\": syntax error");
  }
  try {
    db.exec("CREATE TABLE t(a); CREATE TABLE t(a);");
    FAIL("created a table twice");
  } catch (const sq::Error& e) {
    CHECK(e.failure() == sq::Failure::kExec);
    CHECK(e.message() == "SQLite: table t already exists");
  }
}

TEST_CASE("an error handler raises the caller's own exception type", "[core][sqlite]") {
  const TempDir dir("sqlite");
  const fs::path file = dir / "db.sqlite";
  const sq::Db db(file, sq::Open::kCreate, throw_caller_error);
  db.exec("CREATE TABLE t(a INTEGER NOT NULL)");
  try {
    sq::Stmt s(db, "INSERT INTO t(a) VALUES (NULL)");
    s.run();
    FAIL("stored NULL in a NOT NULL column");
  } catch (const CallerError& e) {
    CHECK(e.failure == sq::Failure::kStep);
    CHECK(e.file == file.string());
    CHECK(e.message == "SQLite: NOT NULL constraint failed: t.a");
  }
  CHECK_THROWS_AS(sq::Db(dir / "none" / "x", sq::Open::kReadOnly, throw_caller_error), CallerError);
}

TEST_CASE("values bound go in and come out unchanged", "[core][sqlite]") {
  const TempDir dir("sqlite");
  const fs::path file = dir / "db.sqlite";
  const std::string with_nul("a\0b", 3);
  {
    const sq::Db db(file, sq::Open::kCreate);
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, s TEXT, c TEXT, r REAL)");
    sq::Stmt ins(db, "INSERT INTO t(id, i, s, c, r) VALUES (?, ?, ?, ?, ?)");
    ins.bind(1, std::int64_t{1});
    ins.bind(2, std::int64_t{-9'007'199'254'740'993});  // not exact as a double
    ins.bind(3, std::string_view(with_nul));
    {
      std::string dies = "copied";
      ins.bind_copy(4, dies);
      dies.assign("XXXXXX");  // the statement holds its own copy
    }
    ins.bind_real(5, 0.1);
    ins.run();  // and reset: the same statement takes the next row
    ins.bind(1, std::int64_t{2});
    for (int i = 2; i <= 5; ++i) ins.bind_null(i);
    ins.run();
    CHECK(db.changes() == 1);
  }
  // The C API reads what the wrapper wrote.
  CHECK(raw_text(file, "SELECT s FROM t WHERE id = 1") == with_nul);
  CHECK(raw_text(file, "SELECT c FROM t WHERE id = 1") == "copied");
  CHECK(raw_text(file, "SELECT CAST(i AS TEXT) FROM t WHERE id = 1") == "-9007199254740993");
  CHECK(raw_text(file, "SELECT typeof(r) || ' ' || (r = 0.1) FROM t WHERE id = 1") == "real 1");

  const sq::Db db(file, sq::Open::kReadOnly);
  sq::Stmt s(db, "SELECT id, i, s, c, r FROM t ORDER BY id");
  REQUIRE(s.step());
  CHECK(s.i64(0) == 1);
  CHECK(s.is_integer(1));
  CHECK(s.i64(1) == -9'007'199'254'740'993);
  CHECK(s.text(2) == with_nul);  // NUL bytes included
  CHECK(s.text(3) == "copied");
  CHECK_FALSE(s.is_null(4));
  CHECK(s.real(4) == 0.1);
  REQUIRE(s.step());
  for (int c = 1; c <= 4; ++c) CHECK(s.is_null(c));
  CHECK_FALSE(s.is_integer(1));
  CHECK(s.text(2).empty());
  CHECK(std::isnan(s.real(4)));  // NULL is not 0
  CHECK(std::isnan(s.real(1)));
  CHECK_FALSE(s.step());
}

TEST_CASE("bind_all and run_with bind a row by the values' types", "[core][sqlite]") {
  const TempDir dir("sqlite");
  const fs::path file = dir / "db.sqlite";
  {
    const sq::Db db(file, sq::Open::kCreate);
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, b INTEGER, s TEXT, r REAL, o)");
    sq::Stmt ins(db, "INSERT INTO t(id, i, b, s, r, o) VALUES (?, ?, ?, ?, ?, ?)");
    // A temporary string is copied, so it may die before the step.
    ins.run_with(1, -9'007'199'254'740'993LL, true, std::string("temporary"), 0.1,
                 std::optional<int>(7));
    // bind_all returns the next parameter; an empty optional binds NULL.
    const int next = ins.bind_all(1, std::int64_t{2}, 3U, false, "literal");
    CHECK(next == 5);
    CHECK(ins.bind_all(next, 2.5, std::optional<std::string>()) == 7);
    ins.run();
  }
  CHECK(raw_text(file,
                 "SELECT group_concat(id || ' ' || i || ' ' || b || ' ' || s || ' ' || typeof(r) "
                 "|| ' ' || r || ' ' || typeof(o) || ' ' || ifnull(o, 'NULL'), '; ') FROM t") ==
        "1 -9007199254740993 1 temporary real 0.1 integer 7; 2 3 0 literal real 2.5 null NULL");
}

TEST_CASE("try_run reports a constraint's refusal instead of failing", "[core][sqlite]") {
  const TempDir dir("sqlite");
  const sq::Db db(dir / "db.sqlite", sq::Open::kCreate);
  db.exec("CREATE TABLE t(k TEXT UNIQUE)");
  sq::Stmt ins(db, "INSERT INTO t(k) VALUES (?)");
  ins.bind(1, std::string_view("a"));
  CHECK(ins.try_run());
  CHECK(db.changes() == 1);
  ins.bind(1, std::string_view("a"));
  CHECK_FALSE(ins.try_run());
  CHECK_THROWS_WITH(ins.run(), Catch::Contains("UNIQUE constraint failed: t.k"));
  sq::Stmt count(db, "SELECT count(*) FROM t");
  REQUIRE(count.step());
  CHECK(count.i64(0) == 1);
}

TEST_CASE("a transaction not committed is rolled back", "[core][sqlite]") {
  const TempDir dir("sqlite");
  const sq::Db db(dir / "db.sqlite", sq::Open::kCreate);
  db.exec("CREATE TABLE t(a)");
  try {
    const sq::Transaction tx(db);
    db.exec("INSERT INTO t VALUES (1)");
    throw std::runtime_error("between the write and the commit");
  } catch (const std::runtime_error&) {
  }
  {
    sq::Transaction tx(db);
    db.exec("INSERT INTO t VALUES (2)");
    tx.commit();
  }
  sq::Stmt s(db, "SELECT group_concat(a) FROM t");
  REQUIRE(s.step());
  CHECK(s.text(0) == "2");
}

TEST_CASE("the work limit stops an endless recursive query and says why", "[core][sqlite]") {
  const TempDir dir("sqlite");
  const fs::path file = dir / "db.sqlite";
  sq::Db db(file, sq::Open::kCreate);
  db.limit_work(1'000'000, "too much work");
  const auto e = hopsim::test::endless_query_error<sq::Error>(db);
  REQUIRE(e);  // the endless query did not finish
  CHECK(e->failure() == sq::Failure::kWorkLimit);
  CHECK(e->file() == file.string());
  // The progress handler counts in steps of 10,000, so it stops just past the limit.
  CHECK(e->message() == "stopped after 1010000 SQLite steps (limit 1000000): too much work");
}

TEST_CASE("tables, views and columns", "[core][sqlite]") {
  const TempDir dir("sqlite");
  const sq::Db db(dir / "db.sqlite", sq::Open::kCreate);
  db.exec(
      "CREATE TABLE t(id INTEGER, name TEXT, \"odd name\" REAL);"
      "CREATE VIEW v AS SELECT id FROM t;");
  CHECK(db.has_table("t"));
  CHECK(db.has_plain_table("t"));
  CHECK(db.has_table("v"));
  CHECK_FALSE(db.has_plain_table("v"));  // reading a view runs the file's own query
  CHECK_FALSE(db.has_table("nothing"));
  CHECK(db.columns("t") == std::set<std::string>{"id", "name", "odd name"});
  CHECK(db.columns("nothing").empty());
}

TEST_CASE("checks that report: a file that is not SQLite, a sound file", "[core][sqlite]") {
  const TempDir dir("sqlite");
  const fs::path junk = dir / "junk.sqlite";
  std::ofstream(junk) << std::string(4096, 'x');
  const sq::Db bad(junk, sq::Open::kReadOnly);  // opening is lazy: this succeeds
  CHECK(bad.schema_error() == "file is not a database");
  CHECK(bad.quick_check() == "file is not a database");

  const sq::Db good(dir / "good.sqlite", sq::Open::kCreate);
  good.exec("CREATE TABLE t(a); INSERT INTO t VALUES (1);");
  CHECK(good.schema_error().empty());
  CHECK(good.quick_check() == "ok");
}
