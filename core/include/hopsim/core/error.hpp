#pragma once
//! Errors raised at boundaries (config files, traces, CLI). Each carries where and why.

#include <stdexcept>
#include <string>

namespace hopsim {

//! Where in an input file something was found. line/column are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  std::string key_path;  //!< e.g. "plan.pp" or "model.moe.n_routed_experts"
};

//! A problem in user input (config, scenario, plan). what() is the full, user-facing message:
//! "file:line:col: key.path: message (did you mean 'x'?)".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(SourceLocation where, std::string message, std::string suggestion = {});
  [[nodiscard]] const SourceLocation& where() const { return where_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] const std::string& suggestion() const { return suggestion_; }

 private:
  SourceLocation where_;
  std::string message_;
  std::string suggestion_;
};

//! A plan that is well-formed but impossible (divisibility, sizes, partitions).
class PlanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace hopsim
