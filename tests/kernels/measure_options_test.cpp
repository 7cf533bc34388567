// hopsim-measure's command line: what is accepted, and that every malformed line is refused
// with the argument named (the executable prints it with the usage and exits 2).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "hopsim/measure/options.hpp"

namespace hm = hopsim::measure;

namespace {

std::string refusal(const std::vector<std::string>& args) {
  try {
    (void)hm::parse_options(args);
  } catch (const hm::UsageError& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("hopsim-measure options: accepted lines", "[kernels][measure]") {
  const auto o = hm::parse_options({"plan.yaml", "-o", "t.sqlite", "--only", "gemm_fp8"});
  CHECK(o.plan_path == "plan.yaml");
  CHECK(o.out_path == "t.sqlite");
  CHECK(o.only == "gemm_fp8");
  CHECK_FALSE(o.dry_run);
  CHECK(o.command_line == "plan.yaml -o t.sqlite --only gemm_fp8");

  const auto d = hm::parse_options({"--dry-run", "plan.yaml"});
  CHECK(d.dry_run);
  CHECK(d.plan_path == "plan.yaml");
  CHECK(d.out_path.empty());

  CHECK(hm::parse_options({"--help"}).help);
  CHECK(hm::parse_options({"p.yaml", "--output", "x.sqlite"}).out_path == "x.sqlite");
}

TEST_CASE("hopsim-measure options: refused lines name the problem", "[kernels][measure]") {
  CHECK(refusal({"plan.yaml"}) == "missing -o TRACE.sqlite");
  CHECK(refusal({"-o", "t.sqlite"}) == "missing the measurement plan (PLAN.yaml)");
  CHECK(refusal({"plan.yaml", "-o"}) == "option -o needs a value");
  CHECK(refusal({"plan.yaml", "--dry-run", "--only"}) == "option --only needs a value");
  CHECK(refusal({"plan.yaml", "--dryrun"}) == "unknown option --dryrun");
  CHECK(refusal({"a.yaml", "b.yaml", "--dry-run"}) == "one plan only (got a.yaml and b.yaml)");
  CHECK(refusal({}) == "missing the measurement plan (PLAN.yaml)");
}
