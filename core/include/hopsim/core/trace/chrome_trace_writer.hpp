#pragma once
//! Streams a Chrome trace (JSON "traceEvents" array, opens in Perfetto) to an ostream.
//! Events are written as they come, so a large run's timeline never sits whole in memory.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "hopsim/core/units.hpp"

namespace hopsim {

class ChromeTraceWriter {
 public:
  //! Begins the JSON document. The writer does not own `out`; it must outlive the writer.
  explicit ChromeTraceWriter(std::ostream& out);
  ChromeTraceWriter(const ChromeTraceWriter&) = delete;
  ChromeTraceWriter& operator=(const ChromeTraceWriter&) = delete;
  ~ChromeTraceWriter();

  //! Names a process (pid) and a thread (tid) track; Perfetto shows these names.
  void process_name(int pid, std::string_view name);
  void thread_name(int pid, int tid, std::string_view name);
  //! A complete ("X") event. Times are integer ns; written as microseconds with 3 decimals so
  //! that no precision is lost and output is byte-identical across runs.
  void complete(int pid, int tid, std::string_view name, std::string_view category,
                Nanoseconds start, Nanoseconds duration, std::string_view args_json = {});
  //! A flow arrow from (pid, tid) at `from` to (to_pid, to_tid) at `to` ("s" then "f"): it
  //! leaves the slice enclosing `from` and arrives at the next slice on the target track that
  //! starts at or after `to` (the Chrome trace format's default binding).
  void flow(std::uint64_t id, std::string_view name, int pid, int tid, Nanoseconds from, int to_pid,
            int to_tid, Nanoseconds to);
  //! A counter ("C") sample.
  void counter(int pid, std::string_view name, Nanoseconds t, double value);
  //! Closes the array and the document; called by the destructor if not called before.
  void finish();
  [[nodiscard]] std::uint64_t events_written() const { return events_; }

 private:
  void begin_event();
  std::ostream& out_;
  std::uint64_t events_ = 0;
  bool finished_ = false;
};

//! Writes `s` as a JSON string literal (with quotes), escaping what JSON requires.
void write_json_string(std::ostream& out, std::string_view s);
//! Integer nanoseconds as a decimal microsecond string with exactly 3 decimals ("12.345").
std::string ns_to_us_string(Nanoseconds t);

}  // namespace hopsim
