#include "hopsim/planner/results_store.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../common/fault_injection.hpp"
#include "../common/raw_sql.hpp"
#include "hopsim/core/error.hpp"
#include "sweep_test_util.hpp"

using namespace hopsim::planner;

namespace {

StoredResult row(const std::string& key, std::int64_t index, const std::string& status) {
  StoredResult r = empty_result();
  r.key = key;
  r.index = index;
  r.config = R"({"plan.pp":"2"})";
  r.status = status;
  r.reason = status == "ok" ? "" : "needs 90.0 GiB, has 79.1 GiB, \"quoted\"";
  r.hopsim_version = "0.1.0";
  r.calibration_hash = "uncalibrated";
  if (status == "ok") {
    r.step_time_ms = 12.5;
    r.gpu_hours_per_trillion = 180000;
  }
  return r;
}

}  // namespace

TEST_CASE("the store keeps one row per configuration key", "[planner][store]") {
  const auto dir = hopsim::test::scratch_dir("store");
  ResultsStore s(dir / "r.db");
  CHECK(s.insert(row("a", 0, "ok")));
  CHECK(s.insert(row("b", 1, "infeasible")));
  CHECK_FALSE(s.insert(row("a", 0, "ok")));  // UNIQUE: the second insert changes nothing
  CHECK(s.count() == 2);
  const auto rows = s.rows();
  CHECK(rows[0].step_time_ms == 12.5);
  CHECK(std::isnan(rows[1].step_time_ms));  // not run: NULL, read back as NaN
  CHECK(rows[1].reason == row("b", 1, "infeasible").reason);
  CHECK(s.done_keys().count("b") == 1);
}

TEST_CASE("CSV export quotes reasons and leaves metrics of rows that did not run empty",
          "[planner][store]") {
  std::ostringstream out;
  write_csv(out, {row("a", 0, "ok"), row("b", 1, "infeasible")});
  const std::string csv = out.str();
  std::istringstream lines(csv);
  std::string header;
  std::string l1;
  std::string l2;
  std::getline(lines, header);
  std::getline(lines, l1);
  std::getline(lines, l2);
  CHECK(header.rfind("config_index,config_key,status,reason,config,", 0) == 0);
  CHECK(l1.rfind("0,a,ok,,\"{\"\"plan.pp\"\":\"\"2\"\"}\",", 0) == 0);
  CHECK_THAT(l1, Catch::Contains(",12.5,"));
  CHECK_THAT(l1, Catch::Contains(",180000,"));
  CHECK_THAT(l2, Catch::Contains("\"needs 90.0 GiB, has 79.1 GiB, \"\"quoted\"\"\""));
  // 8 identity columns + 17 metrics = 25 fields; an unrun row has 17 empty metric fields.
  CHECK(l2.substr(l2.size() - 16) == std::string(16, ','));
}

TEST_CASE("merging refuses databases of another sweep and deduplicates by key",
          "[planner][store]") {
  const auto dir = hopsim::test::scratch_dir("merge");
  ResultsStore a(dir / "a.db");
  ResultsStore b(dir / "b.db");
  ResultsStore c(dir / "c.db");
  a.claim({{"sweep_hash", "s1"}, {"hopsim_version", "0.1.0"}});
  b.claim({{"sweep_hash", "s1"}, {"hopsim_version", "0.1.0"}});
  c.claim({{"sweep_hash", "s2"}, {"hopsim_version", "0.1.0"}});
  a.insert(row("k1", 0, "ok"));
  b.insert(row("k1", 0, "ok"));
  b.insert(row("k2", 1, "ok"));
  ResultsStore out(dir / "out.db");
  CHECK(out.merge_from(a).added == 1);
  const auto st = out.merge_from(b);
  CHECK(st.added == 1);
  CHECK(st.duplicates == 1);
  CHECK(out.count() == 2);
  CHECK_THROWS_WITH(out.merge_from(c), Catch::Contains("sweep_hash"));
  CHECK_THROWS_WITH(c.claim({{"sweep_hash", "s1"}}), Catch::Contains("another file"));
}

TEST_CASE("merging: a key with different results is a conflict, refused unless a side is chosen",
          "[planner][store]") {
  const auto dir = hopsim::test::scratch_dir("merge-conflict");
  ResultsStore a(dir / "a.db");
  ResultsStore b(dir / "b.db");
  a.claim({{"sweep_hash", "s1"}});
  b.claim({{"sweep_hash", "s1"}});
  a.insert(row("k1", 0, "ok"));
  StoredResult other = row("k1", 0, "ok");
  other.step_time_ms = 13.0;  // the same configuration, run again with another result
  b.insert(other);
  b.insert(row("k2", 1, "ok"));
  {
    ResultsStore out(dir / "refuse.db");
    (void)out.merge_from(a);
    CHECK_THROWS_WITH(out.merge_from(b), Catch::Contains("1 configuration(s)") &&
                                             Catch::Contains("k1 (#0)") &&
                                             Catch::Contains("--prefer"));
    CHECK(out.count() == 1);  // nothing of b was written, k2 included
  }
  {
    ResultsStore out(dir / "existing.db");
    (void)out.merge_from(a);
    const auto st = out.merge_from(b, MergeConflicts::kExisting);
    CHECK(st.kept == 1);
    CHECK(st.added == 1);
    CHECK(out.rows().front().step_time_ms == 12.5);
  }
  {
    ResultsStore out(dir / "incoming.db");
    (void)out.merge_from(a);
    const auto st = out.merge_from(b, MergeConflicts::kIncoming);
    CHECK(st.replaced == 1);
    CHECK(out.count() == 2);
    CHECK(out.rows().front().step_time_ms == 13.0);
  }
  // An identical row (NaN metrics included) is a duplicate, not a conflict.
  ResultsStore c(dir / "c.db");
  c.claim({{"sweep_hash", "s1"}});
  c.insert(row("k3", 2, "infeasible"));
  ResultsStore out(dir / "nan.db");
  (void)out.merge_from(c);
  CHECK(out.merge_from(c).duplicates == 1);
}

TEST_CASE("merge inputs are opened read-only: an empty or foreign file is refused, not filled",
          "[planner][store]") {
  const auto dir = hopsim::test::scratch_dir("merge-readonly");
  const auto empty = dir / "empty.db";
  std::ofstream(empty).close();
  CHECK_THROWS_WITH(ResultsStore(empty, ResultsStore::Access::kReadOnly),
                    Catch::Contains("not a hopsim results database (no results table)"));
  CHECK(std::filesystem::file_size(empty) == 0);
}

TEST_CASE("a damaged results database is refused by resume, export and merge, not read",
          "[planner][store]") {
  // Issue "nothing lost, nothing silently wrong", finding 8: a corrupted database was not
  // noticed by resume, export or merge. Every open now runs PRAGMA quick_check first.
  const auto dir = hopsim::test::scratch_dir("store-damaged");
  const auto path = dir / "r.db";
  {
    ResultsStore s(path);
    for (int i = 0; i < 400; ++i) {
      StoredResult r = row("key-" + std::to_string(i), i, "ok");
      r.reason = std::string(200, 'x');  // enough rows for several b-tree pages
      CHECK(s.insert(r));
    }
  }
  CHECK(ResultsStore(path, ResultsStore::Access::kReadOnly).count() == 400);  // intact: read
  // Overwrite the b-tree page headers of pages 3 to 8 (SQLite's default 4 KiB pages), leaving
  // the schema page intact so that SQLite still opens the file: a torn write in the data.
  REQUIRE(std::filesystem::file_size(path) > 9 * 4096);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    for (int page = 3; page <= 8; ++page) {
      f.seekp((page - 1) * 4096);
      const std::string junk(16, '\x7f');
      f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
  }
  const std::string fragment = "the results database is damaged (PRAGMA quick_check: ";
  CHECK_THROWS_WITH(ResultsStore(path, ResultsStore::Access::kReadOnly),
                    Catch::Contains(fragment));                      // export, show, merge input
  CHECK_THROWS_WITH(ResultsStore(path), Catch::Contains(fragment));  // sweep resume, merge output
}

TEST_CASE("merging several inputs is all or nothing", "[planner][store]") {
  // Issue "nothing lost, nothing silently wrong", finding 8: a refused merge left a partial
  // output. A second input that conflicts with the first, or belongs to another sweep, now leaves
  // the output exactly as it was.
  const auto dir = hopsim::test::scratch_dir("merge-all");
  ResultsStore a(dir / "a.db");
  ResultsStore b(dir / "b.db");
  ResultsStore other_sweep(dir / "c.db");
  a.claim({{"sweep_hash", "s1"}, {"configurations", "3"}});
  b.claim({{"sweep_hash", "s1"}});
  other_sweep.claim({{"sweep_hash", "s2"}});
  a.insert(row("k1", 0, "ok"));
  a.insert(row("k2", 1, "ok"));
  StoredResult clash = row("k1", 0, "ok");
  clash.step_time_ms = 99.0;
  b.insert(clash);
  b.insert(row("k3", 2, "ok"));
  other_sweep.insert(row("k9", 0, "ok"));

  ResultsStore out(dir / "out.db");
  out.claim({{"sweep_hash", "s1"}});
  out.insert(row("k0", 5, "ok"));
  const auto before = out.rows();
  const auto meta_before = out.meta();
  CHECK_THROWS_WITH(out.merge_all({&a, &b}), Catch::Contains("or an earlier input") &&
                                                 Catch::Contains("k1 (#0)") &&
                                                 Catch::Contains("nothing was merged"));
  CHECK_THROWS_WITH(out.merge_all({&a, &other_sweep}), Catch::Contains("sweep_hash"));
  CHECK(out.rows().size() == before.size());  // neither a's rows nor its meta were written
  CHECK(out.meta() == meta_before);
  // With a side chosen, the inputs merge in order in one go.
  const auto st = out.merge_all({&a, &b}, MergeConflicts::kIncoming);
  REQUIRE(st.size() == 2);
  CHECK(st[0].added == 2);
  CHECK(st[1].replaced == 1);
  CHECK(st[1].added == 1);
  CHECK(out.count() == 4);
  CHECK(out.meta().at("configurations") == "3");
}

TEST_CASE("a merge that fills the disk fails and leaves the output as it was", "[planner][store]") {
  // The live database is written in place (it is extended and resumed), so its guarantee is
  // SQLite's transaction: the merge's one transaction rolls back. A full disk is simulated with
  // a file size limit, which the write-ahead log hits first.
  const auto dir = hopsim::test::scratch_dir("merge-full");
  ResultsStore in(dir / "in.db");
  in.claim({{"sweep_hash", "s1"}});
  for (int i = 0; i < 2000; ++i) {
    StoredResult r = row("k" + std::to_string(i), i, "infeasible");
    r.reason = std::string(1000, 'r');  // ~2 MB of rows
    in.insert(r);
  }
  ResultsStore out(dir / "out.db");
  out.claim({{"sweep_hash", "s1"}});
  out.insert(row("mine", 0, "ok"));
  {
    const hopsim::test::FileSizeLimit limit(256 * 1024);
    CHECK_THROWS_AS(out.merge_from(in), hopsim::ConfigError);
  }
  CHECK(out.count() == 1);
  CHECK(out.rows().front().key == "mine");
  // The file is whole: it opens (quick_check) and takes the merge once there is room.
  const ResultsStore reopened(dir / "out.db", ResultsStore::Access::kReadOnly);
  CHECK(reopened.count() == 1);
  CHECK(out.merge_from(in).added == 2000);
}

TEST_CASE("each swept key has a typed column beside the JSON; counts are integers",
          "[planner][store]") {
  const auto dir = hopsim::test::scratch_dir("store-typed");
  {
    ResultsStore s(dir / "r.db");
    StoredResult a = row("a", 0, "ok");
    a.config = R"({"plan.pp":"16","cost.price_per_gpu_hour":"2.5","plan.schedule":"dualpipe"})";
    a.num_gpus = 2048;
    CHECK(s.insert(a));
    // A key first seen on a later row gets its column then; earlier rows hold NULL there.
    StoredResult b = row("b", 1, "ok");
    b.config = R"({"plan.pp":"8","plan.ep":"64"})";
    CHECK(s.insert(b));
    CHECK(s.swept_columns() == std::vector<std::string>{"plan.pp", "cost.price_per_gpu_hour",
                                                        "plan.schedule", "plan.ep"});
    StoredResult bad = row("c", 2, "ok");
    bad.config = R"({"status":"1"})";
    CHECK_THROWS_AS(s.insert(bad), hopsim::ConfigError);
  }
  // Read back through SQLite itself, as a user's query would.
  const auto rows = hopsim::test::query(
      dir / "r.db",
      "SELECT typeof(\"plan.pp\"), \"plan.pp\", typeof(\"cost.price_per_gpu_hour\"), "
      "typeof(\"plan.schedule\"), \"plan.schedule\", typeof(\"plan.ep\"), typeof(num_gpus), "
      "num_gpus FROM results ORDER BY config_index");
  REQUIRE(rows.size() >= 2);
  CHECK(rows[0] == std::vector<std::string>{"integer", "16", "real", "text", "dualpipe", "null",
                                            "integer", "2048"});
  CHECK(rows[1][1] == "8");
  CHECK(rows[1][5] == "integer");
}
