// The declarative YAML reading layer: types, defaults, suggestions and locations.

#include <catch2/catch.hpp>

#include "hopsim/core/config/yaml_reader.hpp"

using hopsim::ConfigError;
using hopsim::config::KeySpec;
using hopsim::config::MappingReader;
using hopsim::config::ValueKind;

namespace {

std::vector<KeySpec> plan_keys() {
  return {
      KeySpec{"pp", ValueKind::kPositiveInt, true, {}, false, {"pipeline_parallel"}},
      KeySpec{"zero", ValueKind::kNonNegativeInt, false, {}, false, {}},
      KeySpec{"rate", ValueKind::kPositiveNumber, false, {}, false, {}},
      KeySpec{"flag", ValueKind::kBool, false, {}, false, {}},
      KeySpec{"schedule", ValueKind::kEnum, false, {"1f1b", "dualpipe"}, false, {}},
      KeySpec{"recompute", ValueKind::kSequenceOfEnum, false, {"rmsnorm", "swiglu"}, false, {}}};
}

MappingReader read(const std::string& text, std::vector<KeySpec> keys = plan_keys()) {
  return MappingReader(hopsim::config::parse_yaml_text(text, "t.yaml"), "t.yaml", "plan",
                       std::move(keys));
}

std::string error_of(const std::string& text, std::vector<KeySpec> keys = plan_keys()) {
  try {
    (void)read(text, std::move(keys));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("edit distance and nearest key", "[config][yaml]") {
  CHECK(hopsim::config::edit_distance("kitten", "sitting") == 3);
  CHECK(hopsim::config::edit_distance("", "abc") == 3);
  CHECK(hopsim::config::edit_distance("pp", "pp") == 0);
  CHECK(hopsim::config::nearest("micro_batchs", {"micro_batches", "seq_len"}) == "micro_batches");
  CHECK(hopsim::config::nearest("Micro-Batches", {"micro_batches"}) == "micro_batches");
  // Too far from anything: no suggestion rather than a wrong one.
  CHECK(hopsim::config::nearest("banana", {"pp", "dp", "seq_len"}).empty());
}

TEST_CASE("typed getters return values and declared defaults", "[config][yaml]") {
  const auto r = read("pp: 16\nrate: 2.5e3\nflag: true\nschedule: dualpipe\nrecompute: [swiglu]\n");
  CHECK(r.get_int32("pp") == 16);
  CHECK(r.get_int32("zero", 7) == 7);
  CHECK(r.get_number("rate") == 2500.0);
  CHECK(r.get_bool("flag"));
  CHECK(r.get_string("schedule") == "dualpipe");
  CHECK(r.get_enum_list("recompute") == std::vector<std::string>{"swiglu"});
  CHECK(r.location("pp").line == 1);
  CHECK(r.location("pp").column == 5);
  CHECK(r.location("pp").key_path == "plan.pp");
  CHECK_THROWS_AS((void)r.get_int("undeclared"), std::logic_error);
}

TEST_CASE("bad values name file, line, column, key path and what was expected", "[config][yaml]") {
  CHECK(error_of("pp: 1.5\n") == "t.yaml:1:5: plan.pp: expected a positive integer, got '1.5'");
  CHECK(error_of("pp: 0\n") == "t.yaml:1:5: plan.pp: expected a positive integer, got '0'");
  CHECK(error_of("pp:\n") ==
        "t.yaml:1:1: plan.pp: expected a positive integer, got nothing (an empty value)");
  CHECK(error_of("pp: [1]\n") == "t.yaml:1:5: plan.pp: expected a positive integer, got a list");
  CHECK(error_of("pp: 99999999999999999999999\n").find("expected a positive integer") !=
        std::string::npos);
  CHECK(error_of("pp: 1\nzero: -1\n") ==
        "t.yaml:2:7: plan.zero: expected a non-negative integer, got '-1'");
  CHECK(error_of("pp: 1\nrate: nan\n") ==
        "t.yaml:2:7: plan.rate: expected a positive number, got 'nan'");
  CHECK(error_of("pp: 1\nflag: maybe\n") ==
        "t.yaml:2:7: plan.flag: expected true or false, got 'maybe'");
  CHECK(
      error_of("pp: 1\nrecompute: [rmsnorm, swigl]\n") ==
      "t.yaml:2:22: plan.recompute[1]: expected one of rmsnorm, swiglu, got 'swigl' (did you mean "
      "'swiglu'?)");
  CHECK(error_of("pp: 1\nrecompute: [rmsnorm, rmsnorm]\n").find("listed twice") !=
        std::string::npos);
}

TEST_CASE("unknown keys get a suggestion, or the list of valid keys", "[config][yaml]") {
  CHECK(error_of("pp: 1\nshedule: 1f1b\n") ==
        "t.yaml:2:1: plan.shedule: unknown key 'shedule' (did you mean 'schedule'?)");
  // An alias (another tool's spelling) suggests the key it stands for.
  CHECK(error_of("pipeline_parallel: 4\n") ==
        "t.yaml:1:1: plan.pipeline_parallel: unknown key 'pipeline_parallel' (did you mean 'pp'?)");
  CHECK(error_of("pp: 1\nbanana: 3\n") ==
        "t.yaml:2:1: plan.banana: unknown key 'banana'; valid keys here: pp, zero, rate, flag, "
        "schedule, recompute");
}

TEST_CASE("structure errors: not a mapping, empty, duplicate, missing", "[config][yaml]") {
  CHECK(error_of("- 1\n- 2\n").find("must be a mapping of keys, got a list") != std::string::npos);
  CHECK(error_of("").find("'plan' is empty") != std::string::npos);
  CHECK(error_of("pp: 1\npp: 2\n") == "t.yaml:2:1: plan.pp: duplicate key (first given at line 1)");
  CHECK(error_of("zero: 1\n") ==
        "t.yaml:1:1: plan: missing required key 'plan.pp' (a positive integer) in 'plan'");
}

TEST_CASE("sourced values need a non-empty source", "[config][yaml]") {
  const std::vector<KeySpec> keys = {KeySpec{"sms", ValueKind::kPositiveInt, true, {}, true, {}}};
  const auto r = read("sms: {value: 132, source: \"DeepSeek-V3 report p.20\"}\n", keys);
  CHECK(r.get_int32("sms") == 132);
  CHECK(r.source("sms") == "DeepSeek-V3 report p.20");
  CHECK(error_of("sms: 132\n", keys).find("needs its source") != std::string::npos);
  CHECK(error_of("sms: {value: 132}\n", keys).find("missing or empty 'source'") !=
        std::string::npos);
  CHECK(error_of("sms: {value: 132, source: \"\"}\n", keys).find("missing or empty 'source'") !=
        std::string::npos);
  CHECK(error_of("sms: {source: x}\n", keys).find("missing 'value'") != std::string::npos);
  CHECK(error_of("sms: {value: 132, source: x, sauce: y}\n", keys).find("did you mean 'source'") !=
        std::string::npos);
  CHECK(error_of("sms: {value: abc, source: x}\n", keys) ==
        "t.yaml:1:14: plan.sms: expected a positive integer, got 'abc'");
}

TEST_CASE("YAML syntax errors carry the parser's line and column", "[config][yaml]") {
  try {
    (void)hopsim::config::parse_yaml_text("a: 1\nb: [1, 2\n", "s.yaml");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.where().file == "s.yaml");
    // yaml-cpp notices the unclosed list only at the end of the input (line 3, column 1).
    CHECK(e.where().line == 3);
    CHECK(std::string(e.what()).find("YAML syntax error") != std::string::npos);
  }
  CHECK_THROWS_AS(hopsim::config::parse_yaml_file("/nonexistent/x.yaml"), ConfigError);
}
