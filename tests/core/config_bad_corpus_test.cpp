// Every file in tests/data/config/bad/ must fail with the message its line in EXPECTED.txt
// names: one file per error class, so a regression in any message shows up by name.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../common/temp_dir.hpp"
#include "hopsim/core/config/loader.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path kBad = fs::path(HOPSIM_TEST_DATA_DIR) / "config" / "bad";

struct Case {
  std::string file;
  std::string loader;
  std::vector<std::string> expected;
};

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (auto pos = s.find(sep); pos != std::string::npos; pos = s.find(sep, start)) {
    out.push_back(trim(s.substr(start, pos - start)));
    start = pos + sep.size();
  }
  out.push_back(trim(s.substr(start)));
  return out;
}

std::vector<Case> read_manifest() {
  std::ifstream in(kBad / "EXPECTED.txt");
  REQUIRE(in.good());
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const auto cols = split(line, " | ");
    REQUIRE(cols.size() == 3);
    cases.push_back(Case{cols[0], cols[1], split(cols[2], " && ")});
  }
  return cases;
}

//! Runs the loader the manifest names; returns the error text ("" if nothing was thrown).
std::string error_of(const Case& c) {
  const fs::path p = kBad / c.file;
  try {
    if (c.loader == "scenario") {
      (void)hopsim::load_scenario(p);
    } else if (c.loader == "plan") {
      // The file itself is well-formed; only the plan's feasibility check may fail.
      const auto s = hopsim::load_scenario(p);
      try {
        hopsim::validate_plan(s);
      } catch (const hopsim::PlanError& e) {
        return e.what();
      }
    } else if (c.loader == "gpu") {
      (void)hopsim::load_gpu_profile(p.string());
    } else if (c.loader == "model") {
      (void)hopsim::load_model(p.string());
    } else {
      FAIL("unknown loader in EXPECTED.txt: " << c.loader);
    }
  } catch (const hopsim::ConfigError& e) {
    if (c.loader == "plan") return std::string("unexpected ConfigError: ") + e.what();
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("every malformed config produces its expected message", "[config][corpus]") {
  const auto cases = read_manifest();
  for (const auto& c : cases) {
    SECTION(c.file) {
      const std::string msg = error_of(c);
      INFO("file: " << c.file << "\nmessage: " << msg);
      REQUIRE_FALSE(msg.empty());
      for (const auto& want : c.expected) {
        INFO("expected fragment: " << want);
        CHECK(msg.find(want) != std::string::npos);
      }
    }
  }
}

TEST_CASE("every file in the bad corpus is listed in EXPECTED.txt", "[config][corpus]") {
  std::set<std::string> listed;
  for (const auto& c : read_manifest()) listed.insert(c.file);
  for (const auto& entry : fs::directory_iterator(kBad)) {
    const std::string name = entry.path().filename().string();
    if (name == "EXPECTED.txt") continue;
    INFO(name);
    CHECK(listed.count(name) == 1);
  }
}

TEST_CASE("a shipped scenario cut at any byte loads or fails with a ConfigError",
          "[config][corpus]") {
  // Cheap robustness check in the spirit of a fuzzer: every prefix of a real file must either
  // be a valid scenario or be rejected with a located message; nothing else may escape.
  const fs::path src = fs::path(HOPSIM_SOURCE_DIR) / "scenarios" / "deepseek-v2-lite-16gpu.yaml";
  const std::string text = hopsim::test::read_text(src);
  REQUIRE(text.size() > 100);
  const fs::path tmp = hopsim::test::unique_temp_path("truncated_scenario.yaml");
  // Every prefix either loads or is a ConfigError (anything else escapes and fails the test), and
  // a prefix that has not reached the required `model:` key yet must be rejected: it cannot
  // describe a scenario. The whole file loads.
  const auto rejects = [&](const std::string& content) {
    std::ofstream(tmp, std::ios::binary | std::ios::trunc) << content;
    try {
      (void)hopsim::load_scenario(tmp);
    } catch (const hopsim::ConfigError&) {
      return true;
    }
    return false;
  };
  int must_reject = 0, rejected_of_those = 0;
  for (std::size_t n = 0; n < text.size(); n += 7) {
    const std::string prefix = text.substr(0, n);
    const bool rejected = rejects(prefix);
    if (prefix.find("\nmodel:") == std::string::npos) {
      ++must_reject;
      if (rejected) ++rejected_of_those;
    }
  }
  CHECK_FALSE(rejects(text));
  fs::remove(tmp);
  REQUIRE(must_reject > 10);
  CHECK(rejected_of_those == must_reject);
}
