#pragma once
// Checks the SQLite-based importers (nsys exports, hopsim-measure traces) make of each row: where
// a row is, for messages, and that its start and end are present and in order.

#include <cstdint>
#include <string>

#include "hopsim/core/io/sqlite.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"

namespace hopsim::profiler::import {

inline std::string row_where(const char* table, std::int64_t rowid) {
  return std::string("table ") + table + " row " + std::to_string(rowid);
}

inline void check_times(const sqlite::Db& db, const char* table, std::int64_t rowid,
                        bool start_null, bool end_null, std::int64_t start, std::int64_t end) {
  using trace::TraceError;
  if (start_null || end_null)
    throw TraceError(db.file(), row_where(table, rowid), "start or end is NULL");
  if (start < 0) throw TraceError(db.file(), row_where(table, rowid), "negative start");
  if (end < start) throw TraceError(db.file(), row_where(table, rowid), "end before start");
}

}  // namespace hopsim::profiler::import
