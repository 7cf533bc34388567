// Tests for cli/src/progress.cpp: the bar's text, its byte counts, and the quiet time that keeps
// short work (most imports) from flashing a bar.

#include "progress.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using hopsim::cli::progress_bar;
using hopsim::cli::ProgressLine;

TEST_CASE("the bar counts items, or megabytes for bytes", "[cli][progress]") {
  // 12 of 40 after 4 s: 30%, 9 fills of 30, 28 left at 1/3 s each = 9.33 s ETA.
  const std::string items = progress_bar(12, 40, 4.0);
  CHECK(items == "\r[#########.....................] 12/40 30%  elapsed 0m04s  ETA 0m09s   ");
  CHECK_THAT(progress_bar(3, 8, 1.0, "files"), Catch::Contains("] 3/8 files 38%"));
  // 120,000,000 of 300,000,000 bytes: decimal megabytes, as `ls -l --si` and nsys report them.
  CHECK_THAT(progress_bar(120'000'000, 300'000'000, 2.0, "bytes"),
             Catch::Contains("] 120.0/300.0 MB 40%  elapsed 0m02s  ETA 0m03s"));
  CHECK_THAT(progress_bar(0, 10, 1.0), Catch::Contains("ETA ?"));
}

TEST_CASE("a progress line draws, ends its line once, and shares it between copies",
          "[cli][progress]") {
  std::ostringstream out;
  const ProgressLine line(out);
  const ProgressLine copy = line;  // what a callback holds
  line(1, 4);
  copy(2, 4);
  CHECK(out.str().find('\n') == std::string::npos);
  copy.end();  // an error arrives: the bar's line is ended before the message
  CHECK(out.str().back() == '\n');
  const auto before = out.str().size();
  line.end();  // nothing open any more
  CHECK(out.str().size() == before);
  line(4, 4);
  CHECK_THAT(out.str(), Catch::EndsWith("4/4 100%  elapsed 0m00s  ETA 0m00s   \n"));
}

TEST_CASE("work that ends inside the quiet time leaves no bar", "[cli][progress]") {
  std::ostringstream out;
  const ProgressLine line(out, "bytes", 3600.0);
  line(std::uint64_t{10}, std::uint64_t{100}, "bytes");
  line(std::uint64_t{100}, std::uint64_t{100}, "bytes");
  line.end();
  CHECK(out.str().empty());
}
