#pragma once
//! SQLite files written and read through SQLite's own C API, not hopsim's wrapper: the independent
//! way tests build database fixtures and check what hopsim wrote. Errors throw with SQLite's words.

#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace hopsim::test {

//! Runs an SQL script on the SQLite file `file`, created when missing.
inline void run_sql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(file.string().c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + file.string());
  }
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error(file.string() + ": " + msg);
}

using Rows = std::vector<std::vector<std::string>>;

//! Every row of the query `sql` on `file` (opened read-only), each value as text; NULL reads
//! "NULL".
inline Rows query(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + file.string());
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    const std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error(sql + ": " + msg);
  }
  Rows rows;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      const auto* t = sqlite3_column_text(st, c);
      row.emplace_back(t == nullptr ? "NULL" : reinterpret_cast<const char*>(t));
    }
    rows.push_back(std::move(row));
  }
  const std::string msg = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db);
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (!msg.empty()) throw std::runtime_error(sql + ": " + msg);
  return rows;
}

}  // namespace hopsim::test
