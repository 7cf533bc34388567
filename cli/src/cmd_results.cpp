// `hopsim results`: look into, export and merge sweep databases.

#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "commands.hpp"
#include "hopsim/core/io/atomic_file.hpp"
#include "hopsim/planner/results_store.hpp"
#include "table.hpp"

namespace hopsim::cli {

namespace {

// A stored row as JSON: index, configuration, status, the reason when asked, and every metric
// (null where not finite).
nlohmann::ordered_json row_json(const planner::StoredResult& r, bool with_reason = false) {
  nlohmann::ordered_json x{
      {"index", r.index}, {"config", nlohmann::json::parse(r.config)}, {"status", r.status}};
  if (with_reason) x["reason"] = r.reason;
  for (const auto& m : planner::metric_columns()) {
    const double v = r.*m.member;
    x[m.name] = std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json();
  }
  return x;
}

}  // namespace

void register_results(CLI::App& app, Io io) {
  auto* cmd = app.add_subcommand("results", "Export, merge or summarise sweep result databases");
  cmd->require_subcommand(1);

  auto* exp = cmd->add_subcommand("export", "Write a results database as CSV");
  auto db = std::make_shared<std::string>();
  auto out_path = std::make_shared<std::string>();
  exp->add_option("db", *db, "Results database")->required()->check(CLI::ExistingFile);
  exp->add_option("-o,--output", *out_path, "CSV file (default or -: standard output)");
  auto export_json = std::make_shared<bool>(false);
  exp->add_flag("--json", *export_json,
                "Every row as JSON (configuration, status, reason and metrics) instead of CSV");
  exp->callback([db, out_path, export_json, io] {
    const planner::ResultsStore store(*db);
    const auto write = [&](std::ostream& out, const std::vector<planner::StoredResult>& rows) {
      if (!*export_json) {
        planner::write_csv(out, rows);
        return;
      }
      nlohmann::ordered_json j = nlohmann::ordered_json::array();
      for (const auto& r : rows) {
        j.push_back(row_json(r, true));
      }
      out << j.dump(2) << "\n";
    };
    if (out_path->empty() || *out_path == kStdio) {
      write(io.out, store.rows());
      return;
    }
    // Created before the rows are read, so an unwritable path fails before any work.
    io::AtomicFile f(*out_path);
    const auto rows = store.rows();
    write(f.stream(), rows);
    f.commit();
    io.out << "wrote " << rows.size() << " rows to " << *out_path << "\n";
  });

  auto* merge = cmd->add_subcommand(
      "merge",
      "Combine shard databases into one (deduplicated by configuration key; provenance "
      "must match)");
  auto target = std::make_shared<std::string>();
  auto sources = std::make_shared<std::vector<std::string>>();
  auto prefer = std::make_shared<std::string>("refuse");
  merge->add_option("output", *target, "Database to create or extend")->required();
  merge->add_option("inputs", *sources, "Shard databases")->required()->check(CLI::ExistingFile);
  merge
      ->add_option("--prefer", *prefer,
                   "A configuration stored on both sides with different results: refuse (the "
                   "default), keep the existing row, or take the incoming one")
      ->check(CLI::IsMember({"refuse", "existing", "incoming"}));
  auto merge_json = std::make_shared<bool>(false);
  merge->add_flag("--json", *merge_json, "Print the merge's counts and missing indices as JSON");
  merge->callback([target, sources, prefer, merge_json, io] {
    namespace fs = std::filesystem;
    const auto conflicts = *prefer == "existing"   ? planner::MergeConflicts::kExisting
                           : *prefer == "incoming" ? planner::MergeConflicts::kIncoming
                                                   : planner::MergeConflicts::kRefuse;
    // A refused merge into a new database leaves nothing behind.
    const bool created = !fs::exists(*target);
    auto remove_created = [&] {
      if (!created) return;
      std::error_code ec;
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(*target + suffix, ec);
    };
    std::size_t added = 0, dup = 0, replaced = 0, kept = 0;
    std::ostringstream text;
    nlohmann::ordered_json j{{"output", *target}, {"inputs", nlohmann::json::array()}};
    try {
      planner::ResultsStore out(*target);
      // Inputs are read, never created or changed: an empty or foreign file is refused. All of
      // them merge in one transaction, or none does.
      std::vector<std::unique_ptr<const planner::ResultsStore>> inputs;
      std::vector<const planner::ResultsStore*> views;
      for (const auto& s : *sources) {
        inputs.push_back(std::make_unique<const planner::ResultsStore>(
            s, planner::ResultsStore::Access::kReadOnly));
        views.push_back(inputs.back().get());
      }
      const auto all = out.merge_all(views, conflicts);
      for (std::size_t i = 0; i < all.size(); ++i) {
        const auto& st = all[i];
        text << (*sources)[i] << ": " << st.added << " rows added, " << st.duplicates
             << " already present";
        if (st.replaced + st.kept > 0) {
          text << ", " << st.replaced << " conflicting replaced, " << st.kept
               << " conflicting kept";
        }
        text << "\n";
        j["inputs"].push_back({{"path", (*sources)[i]},
                               {"added", st.added},
                               {"duplicates", st.duplicates},
                               {"replaced", st.replaced},
                               {"kept", st.kept}});
        added += st.added;
        dup += st.duplicates;
        replaced += st.replaced;
        kept += st.kept;
      }
      text << *target << ": " << out.count() << " rows (" << added << " added, " << dup
           << " duplicates skipped";
      if (replaced + kept > 0) text << ", " << replaced << " replaced, " << kept << " kept";
      text << ")\n";
      j["rows"] = out.count();
      // What the shards still miss, when the sweep recorded its size.
      const auto meta = out.meta();
      const auto total = meta.find("configurations");
      if (total != meta.end()) {
        const std::size_t want = std::stoul(total->second);
        std::set<std::int64_t> have;
        for (const auto& r : out.rows()) have.insert(r.index);
        std::vector<std::int64_t> missing;
        for (std::int64_t i = 0; i < static_cast<std::int64_t>(want); ++i) {
          if (have.count(i) == 0) missing.push_back(i);
        }
        if (missing.empty()) {
          text << "complete: all " << want << " configurations of the sweep are present\n";
        } else {
          text << "incomplete: " << missing.size() << " of " << want
               << " configurations missing (indices";
          for (std::size_t i = 0; i < missing.size() && i < 20; ++i) text << " " << missing[i];
          text << (missing.size() > 20 ? " ..." : "")
               << "); a shard I/N holds the indices with index % N == I\n";
        }
        j["configurations"] = want;
        j["missing"] = missing;
      }
      if (*merge_json) {
        io.out << j.dump(2) << "\n";
      } else {
        io.out << text.str();
      }
    } catch (...) {
      remove_created();
      throw;
    }
  });

  auto* show = cmd->add_subcommand("show", "Summarise a results database: counts and best rows");
  auto show_db = std::make_shared<std::string>();
  auto top = std::make_shared<int>(10);
  show->add_option("db", *show_db, "Results database")->required()->check(CLI::ExistingFile);
  show->add_option("--top", *top, "Rows to list, cheapest GPU-hours first");
  auto show_json = std::make_shared<bool>(false);
  show->add_flag("--json", *show_json,
                 "Print as JSON (every row that did not run, with its reason)");
  show->callback([show_db, top, show_json, io] {
    // A viewer opens read-only: a mistaken path is refused, never turned into a database.
    const planner::ResultsStore store(*show_db, planner::ResultsStore::Access::kReadOnly);
    auto rows = store.rows();
    std::map<std::string, int> counts;
    std::map<std::string, int> reasons;  // of the rows that did not run, by reason
    for (const auto& r : rows) {
      ++counts[r.status];
      if (r.status != "ok") ++reasons[r.reason];
    }
    std::vector<planner::StoredResult> not_ok;
    for (const auto& r : rows) {
      if (r.status != "ok") not_ok.push_back(r);
    }
    std::erase_if(rows, [](const auto& r) { return r.status != "ok"; });
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.gpu_hours_per_trillion < b.gpu_hours_per_trillion;
    });
    if (*show_json) {
      nlohmann::ordered_json j;
      j["database"] = *show_db;
      j["meta"] = store.meta();
      j["rows"] = rows.size() + not_ok.size();
      j["by_status"] = counts;
      j["best"] = nlohmann::ordered_json::array();
      for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < *top; ++i) {
        j["best"].push_back(row_json(rows[i]));
      }
      j["not_run"] = nlohmann::ordered_json::array();
      for (const auto& r : not_ok) {
        j["not_run"].push_back({{"index", r.index},
                                {"config", nlohmann::json::parse(r.config)},
                                {"status", r.status},
                                {"reason", r.reason}});
      }
      io.out << j.dump(2) << "\n";
      return;
    }
    for (const auto& [k, v] : store.meta()) io.out << printable(k) << ": " << printable(v) << "\n";
    io.out << rows.size() + not_ok.size() << " rows:";
    for (const auto& [k, v] : counts) io.out << " " << v << " " << k;
    io.out << "\n\n";
    Table t({"#", "configuration", "step ms", "GPU-h/1T", "USD/1T", "MFU", "mem GiB"});
    for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < *top; ++i) {
      const auto& r = rows[i];
      t.add({std::to_string(r.index), r.config, fmt("%.1f", r.step_time_ms),
             grouped(r.gpu_hours_per_trillion), grouped(r.dollars_per_trillion),
             fmt("%.1f%%", 100 * r.mfu_bf16), fmt("%.1f", r.memory_gib)});
    }
    t.print(io.out);
    if (!reasons.empty()) {
      // Why the others did not run, most frequent first (the full list: --json).
      std::vector<std::pair<int, std::string>> by_count;
      for (const auto& [reason, n] : reasons) by_count.emplace_back(-n, reason);
      std::sort(by_count.begin(), by_count.end());
      io.out << "\nnot run, by reason:\n";
      for (std::size_t i = 0; i < by_count.size() && i < 10; ++i) {
        std::string reason = by_count[i].second;
        if (reason.size() > 160) reason = reason.substr(0, 157) + "...";
        io.out << "  " << -by_count[i].first << " x " << printable(reason) << "\n";
      }
      if (by_count.size() > 10)
        io.out << "  ... " << by_count.size() - 10 << " more reasons (--json)\n";
    }
  });
}

}  // namespace hopsim::cli
