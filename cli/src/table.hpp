#pragma once
//! Plain-text tables for terminal output: columns padded to their widest cell.

#include <ostream>
#include <string>
#include <vector>

namespace hopsim::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  //! First column left-aligned, the rest right-aligned (numbers).
  void print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

//! printf-style formatting into a std::string.
[[nodiscard]] std::string fmt(const char* format, double v);
//! Thousands-grouped integer ("180,000").
[[nodiscard]] std::string grouped(double v);

}  // namespace hopsim::cli
