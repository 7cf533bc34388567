#include "hopsim/planner/expression.hpp"

#include <catch2/catch.hpp>
#include <map>

#include "hopsim/core/error.hpp"

using hopsim::ConfigError;
using hopsim::planner::Expression;
using hopsim::planner::ExprValue;

namespace {

hopsim::planner::ExprLookup vars(std::map<std::string, ExprValue> m) {
  return [m](const std::string& n) -> std::optional<ExprValue> {
    auto it = m.find(n);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("constraint expressions evaluate with the usual precedence", "[planner][expression]") {
  const auto v = vars({{"pp", ExprValue::of(16)},
                       {"dp", ExprValue::of(128)},
                       {"tp", ExprValue::of(1)},
                       {"nodes", ExprValue::of(256)},
                       {"plan.schedule", ExprValue::of(std::string("dualpipe"))}});
  // 16 * 128 * 1 = 2048 = 256 * 8
  CHECK(Expression("pp * dp * tp == nodes * 8").holds(v));
  CHECK_FALSE(Expression("pp * dp * tp == nodes * 4").holds(v));
  CHECK(Expression("1 + 2 * 3").evaluate(v).number == 7);
  CHECK(Expression("(1 + 2) * 3").evaluate(v).number == 9);
  CHECK(Expression("dp % pp == 0 && pp <= 16").holds(v));  // 128 % 16 = 0
  CHECK(Expression("pp > 16 || !(tp != 1)").holds(v));
  CHECK(Expression("plan.schedule == 'dualpipe' and not (pp < 2)").holds(v));
  CHECK(Expression("-pp + 17 == 1").holds(v));
  CHECK(Expression("dp / pp == 8").holds(v));  // 128 / 16
}

TEST_CASE("constraint errors say what and where", "[planner][expression]") {
  const auto v = vars({{"pp", ExprValue::of(16)}, {"dp", ExprValue::of(0)}});
  auto message = [&](const std::string& src) {
    try {
      (void)Expression(src).evaluate(v, {"pp", "dp"});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(message("pp *"), Catch::Contains("column 5") && Catch::Contains("expected a value"));
  CHECK_THAT(message("pp = 16"), Catch::Contains("compare with '=='"));
  CHECK_THAT(message("ppp == 1"),
             Catch::Contains("unknown name 'ppp'") && Catch::Contains("did you mean 'pp'"));
  CHECK_THAT(message("pp / dp"), Catch::Contains("division by zero"));
  CHECK_THAT(message("pp == 'x'"), Catch::Contains("compares a string with a number"));
  CHECK_THAT(message("(pp == 1"), Catch::Contains("expected ')'"));
  CHECK_THAT(message("1 < pp < 3"), Catch::Contains("do not chain"));
  CHECK_THAT(message("pp $ 2"), Catch::Contains("unexpected character '$'"));
  // Syntax errors are found when the constraint is read, before any configuration.
  CHECK_THROWS_AS(Expression("pp * * 2"), ConfigError);
}
