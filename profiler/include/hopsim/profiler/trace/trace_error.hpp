#pragma once
//! The error every importer and the trace reader raise: names the file and where in it (byte
//! offset for JSON, table and row for SQLite) the problem was found.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace hopsim::sqlite {
class Error;
}  // namespace hopsim::sqlite

namespace hopsim::profiler::trace {

class TraceError : public std::runtime_error {
 public:
  //! `where` is already formatted ("byte 1234", "table CUPTI_ACTIVITY_KIND_KERNEL row 17"); empty
  //! when the problem concerns the whole file.
  TraceError(std::string file, std::string where, std::string message);
  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] const std::string& where() const { return where_; }
  [[nodiscard]] const std::string& message() const { return message_; }

 private:
  std::string file_;
  std::string where_;
  std::string message_;
};

//! A failure of SQLite as the TraceError for the whole file, in the wrapper's words ("SQLite:
//! file is not a database"): the sqlite::ErrorHandler of every database the profiler opens.
[[noreturn]] void throw_trace_error(const sqlite::Error& e);

}  // namespace hopsim::profiler::trace
