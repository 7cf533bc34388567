#pragma once
//! Plain-text tables for terminal output: columns padded to their widest cell.

#include <ostream>
#include <string>
#include <vector>

#include "hopsim/core/format.hpp"

namespace hopsim::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  //! First column left-aligned, the rest right-aligned (numbers). Cells pass through
  //! printable(): control characters print as \xNN.
  void print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// Number formatting and escaping have one home (core/format.hpp); the CLI's tables use it
// unqualified.
using hopsim::fmt;
using hopsim::grouped;
using hopsim::printable;

}  // namespace hopsim::cli
