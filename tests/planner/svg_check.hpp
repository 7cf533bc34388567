#pragma once
// Runs tests/planner/check_svg.py (an independent Python check of an SVG chart: well-formed XML,
// geometry inside the viewBox, no overlapping texts) and parses what it reports.

#include <sys/wait.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "sweep_test_util.hpp"

namespace hopsim::test {

struct Rect {
  double x, y, w, h;
  std::string fill;
};

struct Checked {
  bool ok = false;
  std::string report;              //!< the checker's whole output
  std::vector<std::string> texts;  //!< parsed text content, document order
  std::vector<Rect> rects;         //!< document order
};

inline Checked check_svg(const std::string& svg) {
  const auto dir = hopsim::test::scratch_dir("svg");
  const auto file = dir / "chart.svg";
  const auto out = dir / "check.txt";
  write_bytes(file, svg);
  const std::string cmd = "python3 '" + std::string(HOPSIM_SOURCE_DIR) +
                          "/tests/planner/check_svg.py' '" + file.string() + "' > '" +
                          out.string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  Checked c;
  c.report = read_text(out);
  c.ok = WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
  std::istringstream lines(c.report);
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("text ", 0) == 0) c.texts.push_back(l.substr(5));
    if (l.rfind("rect ", 0) == 0) {
      std::istringstream r(l.substr(5));
      Rect x{};
      r >> x.x >> x.y >> x.w >> x.h >> x.fill;
      c.rects.push_back(x);
    }
  }
  return c;
}

}  // namespace hopsim::test
