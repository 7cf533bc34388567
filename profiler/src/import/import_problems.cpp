#include "hopsim/profiler/import/import_problems.hpp"

#include "hopsim/core/format.hpp"

namespace hopsim::profiler::import {

namespace {

// One row per Problem, in enum order (checked by a test): the names are what users grep for and
// what the trace database stores, so they never change once released.
constexpr std::array<ProblemSpec, static_cast<std::size_t>(Problem::kCount)> kCatalogue{{
    {"invalid_utf8", Severity::kInfo, "invalid UTF-8 bytes in names replaced by '?'"},
    {"duplicate_key", Severity::kDataLoss,
     "events naming one field twice dropped (which value is meant is unknown)"},
    {"bad_launch_dims", Severity::kInfo,
     "grid/block sizes that are not three positive integers stored as unknown (0)"},
    {"duplicate_device", Severity::kInfo,
     "devices described again under the same id: the first description kept"},
    {"duplicate_gpu_activity", Severity::kInfo,
     "GPU activities identical to an earlier one (kind, device, stream, times, name, "
     "correlation) kept once"},
    {"duplicate_runtime_call", Severity::kInfo,
     "runtime calls identical to an earlier one (name, thread, times, correlation) kept once"},
    {"non_integer_value", Severity::kDataLoss,
     "rows with text, a fraction or NULL in an integer column dropped"},
}};

}  // namespace

const ProblemSpec& spec(Problem p) {
  return kCatalogue.at(static_cast<std::size_t>(p));
}

std::optional<Problem> problem_named(std::string_view name) {
  for (std::size_t i = 0; i < kCatalogue.size(); ++i) {
    if (kCatalogue[i].name == name) return static_cast<Problem>(i);
  }
  return std::nullopt;
}

std::string_view to_string(Severity s) {
  return s == Severity::kInfo ? "info" : "data_loss";
}

void ProblemLog::add(Problem p, std::int64_t n, std::string first) {
  if (n <= 0) return;
  Entry& e = entries_[static_cast<std::size_t>(p)];
  if (e.count == 0) e.first = std::move(first);
  e.count += n;
}

void ProblemLog::merge(const ProblemLog& other) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    add(static_cast<Problem>(i), other.entries_[i].count, other.entries_[i].first);
  }
}

std::vector<trace::ImportProblem> ProblemLog::entries() const {
  std::vector<trace::ImportProblem> out;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].count == 0) continue;
    const ProblemSpec& s = kCatalogue[i];
    out.push_back({std::string(s.name), std::string(to_string(s.severity)), entries_[i].count,
                   entries_[i].first, std::string(s.action)});
  }
  return out;
}

std::string describe(const trace::ImportProblem& p) {
  return p.name + " (" + p.severity + "): " + std::to_string(p.count) + ", first at " +
         printable(p.first_location) + ": " + p.action;
}

void print_problems(std::ostream& out, const std::vector<trace::ImportProblem>& problems) {
  if (problems.empty()) return;
  out << "  import problems (recorded; the import went on):\n";
  for (const auto& p : problems) out << "    " << describe(p) << "\n";
}

}  // namespace hopsim::profiler::import
