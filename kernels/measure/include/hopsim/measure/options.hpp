#pragma once
//! hopsim-measure's command line as a value: which plan, which trace file, which class, and
//! whether to only list. Parsed without a GPU, so usage errors are tested everywhere.

#include <stdexcept>
#include <string>
#include <vector>

namespace hopsim::measure {

struct Options {
  std::string plan_path;
  std::string out_path;  //!< empty only with dry_run or help
  std::string only;      //!< kernel class to restrict the run to; empty: the whole plan
  bool dry_run = false;
  bool help = false;
  //! The arguments as given, joined by spaces, for the trace's provenance.
  std::string command_line;
};

//! A command line that cannot be run; what() says which argument and why.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! `args` are argv[1..]. Throws UsageError on unknown options, a missing value, a second plan,
//! or a missing plan or -o (unless --dry-run or --help).
[[nodiscard]] Options parse_options(const std::vector<std::string>& args);

//! The one-paragraph usage text printed for --help and after a UsageError.
[[nodiscard]] std::string usage_text();

}  // namespace hopsim::measure
