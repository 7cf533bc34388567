#pragma once
//! The query that never ends on its own, with which the SQLite tests check the work limit: core's
//! wrapper directly, and the profiler's readers through their error handler.

#include <optional>

#include "hopsim/core/io/sqlite.hpp"

namespace hopsim::test {

//! Counts without end: only the work limit (Db::limit_work) stops it.
inline constexpr const char* kEndlessQuery =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

//! What stepping the endless query on `db` throws as `E`; nothing if it finished. Any other
//! exception passes through (and fails the test).
template <class E>
std::optional<E> endless_query_error(const sqlite::Db& db) {
  sqlite::Stmt s(db, kEndlessQuery);
  try {
    (void)s.step();
  } catch (const E& e) {
    return e;
  }
  return std::nullopt;
}

}  // namespace hopsim::test
