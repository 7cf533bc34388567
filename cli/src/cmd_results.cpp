// `hopsim results`: look into, export and merge sweep databases.

#include "commands.hpp"
#include "hopsim/core/io/atomic_file.hpp"
#include "hopsim/planner/results_store.hpp"
#include "table.hpp"

namespace hopsim::cli {

void register_results(CLI::App& app, Io io) {
  auto* cmd = app.add_subcommand("results", "Export, merge or summarise sweep result databases");
  cmd->require_subcommand(1);

  auto* exp = cmd->add_subcommand("export", "Write a results database as CSV");
  auto db = std::make_shared<std::string>();
  auto out_path = std::make_shared<std::string>();
  exp->add_option("db", *db, "Results database")->required()->check(CLI::ExistingFile);
  exp->add_option("-o,--output", *out_path, "CSV file (default: standard output)");
  exp->callback([db, out_path, io] {
    const planner::ResultsStore store(*db);
    if (out_path->empty()) {
      planner::write_csv(io.out, store.rows());
      return;
    }
    // Created before the rows are read, so an unwritable path fails before any work.
    io::AtomicFile f(*out_path);
    const auto rows = store.rows();
    planner::write_csv(f.stream(), rows);
    f.commit();
    io.out << "wrote " << rows.size() << " rows to " << *out_path << "\n";
  });

  auto* merge = cmd->add_subcommand(
      "merge",
      "Combine shard databases into one (deduplicated by configuration key; provenance "
      "must match)");
  auto target = std::make_shared<std::string>();
  auto sources = std::make_shared<std::vector<std::string>>();
  merge->add_option("output", *target, "Database to create or extend")->required();
  merge->add_option("inputs", *sources, "Shard databases")->required()->check(CLI::ExistingFile);
  merge->callback([target, sources, io] {
    planner::ResultsStore out(*target);
    std::size_t added = 0;
    std::size_t dup = 0;
    for (const auto& s : *sources) {
      const planner::ResultsStore in(s);
      const auto st = out.merge_from(in);
      io.out << s << ": " << st.added << " rows added, " << st.duplicates << " already present\n";
      added += st.added;
      dup += st.duplicates;
    }
    io.out << *target << ": " << out.count() << " rows (" << added << " added, " << dup
           << " duplicates skipped)\n";
  });

  auto* show = cmd->add_subcommand("show", "Summarise a results database: counts and best rows");
  auto show_db = std::make_shared<std::string>();
  auto top = std::make_shared<int>(10);
  show->add_option("db", *show_db, "Results database")->required()->check(CLI::ExistingFile);
  show->add_option("--top", *top, "Rows to list, cheapest GPU-hours first");
  show->callback([show_db, top, io] {
    const planner::ResultsStore store(*show_db);
    auto rows = store.rows();
    std::map<std::string, int> counts;
    for (const auto& r : rows) ++counts[r.status];
    for (const auto& [k, v] : store.meta()) io.out << printable(k) << ": " << printable(v) << "\n";
    io.out << rows.size() << " rows:";
    for (const auto& [k, v] : counts) io.out << " " << v << " " << k;
    io.out << "\n\n";
    std::erase_if(rows, [](const auto& r) { return r.status != "ok"; });
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.gpu_hours_per_trillion < b.gpu_hours_per_trillion;
    });
    Table t({"#", "configuration", "step ms", "GPU-h/1T", "USD/1T", "MFU", "mem GiB"});
    for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < *top; ++i) {
      const auto& r = rows[i];
      t.add({std::to_string(r.index), r.config, fmt("%.1f", r.step_time_ms),
             grouped(r.gpu_hours_per_trillion), grouped(r.dollars_per_trillion),
             fmt("%.1f%%", 100 * r.mfu_bf16), fmt("%.1f", r.memory_gib)});
    }
    t.print(io.out);
  });
}

}  // namespace hopsim::cli
