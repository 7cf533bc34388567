#include "table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace hopsim::cli {

void Table::print(std::ostream& out) const {
  // Cells often hold names from input files; a control character there would move the cursor or
  // recolour the terminal, so every cell is printed through printable().
  std::vector<std::vector<std::string>> rows;
  rows.reserve(rows_.size());
  for (const auto& r : rows_) {
    auto& shown = rows.emplace_back();
    for (const auto& cell : r) shown.push_back(printable(cell));
  }
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    for (std::size_t c = 0; c < r.size(); ++c) {
      const std::string pad(width[c] - r[c].size(), ' ');
      out << (c == 0 ? r[c] + pad : "  " + pad + r[c]);
    }
    out << "\n";
    if (i == 0) {
      std::size_t total = 0;
      for (std::size_t c = 0; c < width.size(); ++c) total += width[c] + (c ? 2 : 0);
      out << std::string(total, '-') << "\n";
    }
  }
}

}  // namespace hopsim::cli
