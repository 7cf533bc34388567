#pragma once
//! The catalogue of problems an importer records and continues past, after Perfetto
//! trace_processor's stats: one entry per name, with its severity and what the importer does.

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/profiler/trace/trace_model.hpp"

namespace hopsim::profiler::import {

// Event-level damage is recorded here and the import goes on; file-level damage (malformed
// JSON, a damaged gzip stream, a missing table) stops it with a located error instead.
enum class Problem : std::uint8_t {
  kInvalidUtf8,           //!< bytes in a string that are not UTF-8: replaced by '?'
  kDuplicateKey,          //!< an event object names a field twice: the event is dropped
  kBadLaunchDims,         //!< grid/block not three positive integers: dims stored as unknown
  kDuplicateDevice,       //!< a device id described twice: the first description is kept
  kDuplicateActivity,     //!< a GPU activity identical to an earlier one: dropped
  kDuplicateRuntimeCall,  //!< a runtime call identical to an earlier one: dropped
  kNonIntegerValue,       //!< an Nsight row with text or a fraction in an integer column: dropped
  kCount
};

enum class Severity : std::uint8_t { kInfo, kDataLoss };

struct ProblemSpec {
  std::string_view name;
  Severity severity;
  std::string_view action;  //!< what the importer does, completing "<count> <name>: ..."
};

//! The catalogue entry of `p`.
[[nodiscard]] const ProblemSpec& spec(Problem p);
//! The problem with catalogue name `name`, if there is one.
[[nodiscard]] std::optional<Problem> problem_named(std::string_view name);
[[nodiscard]] std::string_view to_string(Severity s);

//! Counts problems by name and keeps where each was first seen. Cheap to record: the location
//! is built only for the first occurrence of a name.
class ProblemLog {
 public:
  //! Records one occurrence; `where` is called only for the first one of `p`.
  template <class Where>
  void record(Problem p, Where&& where) {
    Entry& e = entries_[static_cast<std::size_t>(p)];
    if (e.count++ == 0) e.first = where();
  }
  //! Adds n occurrences first seen at `first` (for problems counted elsewhere).
  void add(Problem p, std::int64_t n, std::string first);
  //! Adds every problem of `other` (counts summed, the earlier first location kept).
  void merge(const ProblemLog& other);
  //! Problems seen, in catalogue order, as the trace model stores them.
  [[nodiscard]] std::vector<trace::ImportProblem> entries() const;
  [[nodiscard]] std::int64_t count(Problem p) const {
    return entries_[static_cast<std::size_t>(p)].count;
  }

 private:
  struct Entry {
    std::int64_t count = 0;
    std::string first;
  };
  std::array<Entry, static_cast<std::size_t>(Problem::kCount)> entries_{};
};

//! The problems as a JSON array of {name, severity, count, first_location, action}, for every
//! JSON output that lists them (`import --json`, `trace summary --json`). `Json` is
//! nlohmann::json or nlohmann::ordered_json, whichever the output is built with.
template <class Json>
[[nodiscard]] Json problems_json(const std::vector<trace::ImportProblem>& problems) {
  Json out = Json::array();
  for (const auto& p : problems) {
    out.push_back({{"name", p.name},
                   {"severity", p.severity},
                   {"count", p.count},
                   {"first_location", p.first_location},
                   {"action", p.action}});
  }
  return out;
}

//! "invalid_utf8 (info): 3, first at 'name' of event 12: bytes replaced by '?'" (the location
//! passed through printable()): how the terminal and the GUI describe one problem.
[[nodiscard]] std::string describe(const trace::ImportProblem& p);

//! One line per problem under a heading, for terminals (names passed through printable());
//! nothing when `problems` is empty. `hopsim import` and `hopsim trace summary` print this.
void print_problems(std::ostream& out, const std::vector<trace::ImportProblem>& problems);

}  // namespace hopsim::profiler::import
