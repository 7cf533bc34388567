#pragma once
//! Kernel classification: ordered regex rules (profiler/data/kernel_classes.yaml, extendable by
//! the user) map a kernel name to a class such as fp8_gemm, attention_fwd or nccl_comm.

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hopsim/profiler/trace/trace_model.hpp"

namespace hopsim::profiler::classify {

inline constexpr std::string_view kOtherClass = "other";
inline constexpr std::string_view kMemcpyClass = "memcpy";
inline constexpr std::string_view kMemsetClass = "memset";
//! Rules see at most this many leading characters of a kernel name.
inline constexpr std::size_t kMaxNameChars = 1024;

struct Rule {
  std::string klass;
  std::string pattern;
  bool case_sensitive = false;
  std::regex re;
};

//! Immutable after construction; classify() is a pure function of the rules and the name.
class KernelClassifier {
 public:
  //! Parses rules YAML (`version: 1`, `rules: [{class, pattern, case_sensitive?}]`,
  //! `communication: [...]`). Throws ConfigError naming the file and the rule on a bad regex,
  //! a missing key or an unknown key.
  static KernelClassifier from_yaml(std::string_view yaml_text, const std::string& file_name);
  static KernelClassifier from_file(const std::filesystem::path& file);
  //! The shipped rules: data_dir()/profiler/data/kernel_classes.yaml.
  static KernelClassifier shipped();

  //! Rules of `extra` are tried before this classifier's rules; communication classes are
  //! the union of both.
  [[nodiscard]] KernelClassifier with_rules_first(const KernelClassifier& extra) const;

  //! Class of one activity: memcpy/memset by kind, kernels by the first matching rule, else
  //! "other".
  [[nodiscard]] std::string classify(trace::ActivityKind kind, std::string_view name) const;
  [[nodiscard]] bool is_communication(std::string_view klass) const;
  [[nodiscard]] const std::vector<Rule>& rules() const { return rules_; }

 private:
  std::vector<Rule> rules_;
  std::set<std::string, std::less<>> communication_;
};

}  // namespace hopsim::profiler::classify
