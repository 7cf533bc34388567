// read_trace + calibrate on a small SQLite file written here in hopsim-measure's layout.
// The kernel times come from a known curve (they test the pipeline, they are not measurements).

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <string>

#include "../common/raw_sql.hpp"
#include "../common/temp_path.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/profiler/calibrate/trace_input.hpp"
#include "hopsim/profiler/calibrate/trace_schema.hpp"

namespace cal = hopsim::profiler::calibrate;

namespace {

// rate = 1e15 * (sms/132) * (1 - exp(-W / 1e9)), three repeats at t, 1.1 t and 0.9 t (median t).
std::filesystem::path write_trace() {
  const auto path = hopsim::test::unique_temp_path("calibrate_trace_test.sqlite");
  std::filesystem::remove(path);
  std::string sql = cal::kMeasureTraceSchema;
  sql +=
      "INSERT INTO provenance VALUES ('device_name','synthetic'),('sm_count','132'),"
      "('driver_version','synthetic'),('hopsim_git_commit','synthetic'),"
      "('date_utc','2026-11-30T00:00:00Z'),('command_line','calibrate_trace_test');";
  int id = 0;
  long long kid = 0;
  for (int sms : {64, 96, 132})
    for (double w : {1e8, 1e9, 1e10, 1e11}) {
      ++id;
      const double t_ns = w / (1e15 * sms / 132.0 * -std::expm1(-w / 1e9)) * 1e9;
      sql += "INSERT INTO measurements VALUES (" + std::to_string(id) +
             ",'gemm_bf16','g','flops','{}'," + std::to_string(w) + ",0," + std::to_string(sms) +
             ",'alone',NULL,3);";
      int rep = 0;
      for (double f : {1.0, 1.1, 0.9}) {
        const auto dur = static_cast<long long>(std::llround(t_ns * f));
        sql +=
            "INSERT INTO kernels(id,name,start_ns,end_ns,device,stream,context,correlation,"
            "measurement_id,repeat) VALUES (" +
            std::to_string(++kid) + ",'k',1000," + std::to_string(1000 + dur) + ",0,1,1,1," +
            std::to_string(id) + "," + std::to_string(rep++) + ");";
      }
    }
  // A concurrent measurement is read but not fitted.
  sql +=
      "INSERT INTO measurements VALUES (100,'gemm_bf16','g','flops','{}',1e9,0,112,"
      "'compute_concurrent',101,1);"
      "INSERT INTO kernels(id,name,start_ns,end_ns,device,stream,context,correlation,"
      "measurement_id,repeat) VALUES (9999,'k',0,5000000,0,1,1,1,100,0);";
  hopsim::test::run_sql(path, sql);
  return path;
}

}  // namespace

TEST_CASE("calibrate reads a measure trace and recovers the curve", "[profiler][calibrate]") {
  const auto path = write_trace();
  const auto in = cal::read_trace(path);
  CHECK(in.provenance.at("sm_count") == "132");
  REQUIRE(in.points.size() == 13);
  CHECK(in.points[0].repeats == 3);
  std::vector<std::string> skipped;
  const auto c = cal::calibrate(in, cal::CalibrateOptions{{{"gemm_bf16", 989.4e12}}}, &skipped);
  std::filesystem::remove(path);
  CHECK(c.sm_count == 132);
  CHECK(c.device == "synthetic");
  REQUIRE(c.classes.size() == 1);
  const auto& g = c.classes[0];
  // Nanosecond rounding of the synthetic times is the only error.
  CHECK(g.rate_max == Approx(1e15).epsilon(1e-3));
  CHECK(g.sm_exponent == Approx(1.0).epsilon(1e-3));
  CHECK(g.work0 == Approx(1e9).epsilon(1e-3));
  CHECK(g.fit.points == 12);
  CHECK(g.nominal_peak == 989.4e12);
  CHECK(skipped.empty());
}

TEST_CASE("a file that is not a measure trace is rejected", "[profiler][calibrate]") {
  const auto path = hopsim::test::unique_temp_path("calibrate_not_trace.sqlite");
  std::filesystem::remove(path);
  hopsim::test::run_sql(path, "CREATE TABLE other(x)");
  CHECK_THROWS_WITH(cal::read_trace(path), Catch::Contains("not a hopsim-measure trace"));
  std::filesystem::remove(path);
  CHECK_THROWS_AS(cal::read_trace(path), hopsim::ConfigError);
}

TEST_CASE("calibrate refuses a trace that does not say what measured it", "[profiler][calibrate]") {
  const auto path = write_trace();
  hopsim::test::run_sql(path, "DELETE FROM provenance WHERE key IN ('driver_version', 'date_utc')");
  const auto in = cal::read_trace(path);
  std::filesystem::remove(path);
  try {
    (void)cal::calibrate(in, {});
    FAIL("calibrated a trace without provenance");
  } catch (const hopsim::ConfigError& e) {
    const std::string m = e.what();
    CHECK(m.find(path.string()) != std::string::npos);
    CHECK(m.find("driver_version, date_utc") != std::string::npos);
    CHECK(m.find("refusing") != std::string::npos);
  }
}
