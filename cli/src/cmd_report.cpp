// `hopsim report`: cost reports (HTML, Markdown, JSON) from scenarios or sweep databases.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "commands.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/core/io/atomic_file.hpp"
#include "hopsim/core/utf8.hpp"
#include "hopsim/frontend/calibration_ref.hpp"
#include "hopsim/planner/report.hpp"

namespace hopsim::cli {

void register_report(CLI::App& app, Io io) {
  auto* cmd =
      app.add_subcommand("report",
                         "Cost report (GPU-hours, days, dollars, energy; H800 vs H100; published "
                         "comparison; step timeline) from scenarios or a sweep database");
  struct Opts {
    std::vector<std::string> inputs;
    std::string output;
    std::string format;
    bool json = false;
    bool no_counterpart = false;
    bool no_timeline = false;
    std::string calibration;
    std::string css;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("inputs", o->inputs,
                  "Scenarios (shipped names or YAML; several = a comparison) or one sweep .db")
      ->required();
  cmd->add_option("-o,--output", o->output, "Output file (default or -: standard output)");
  cmd->add_option("--format", o->format, "html, md or json (default: from -o's extension, else md)")
      ->check(CLI::IsMember({"html", "md", "json"}));
  cmd->add_flag("--no-counterpart", o->no_counterpart,
                "Do not add the same scenario on the other GPU (H800 <-> H100)");
  cmd->add_flag("--no-timeline", o->no_timeline, "Leave out the step timeline");
  cmd->add_flag("--json", o->json, "The report as JSON (the same as --format json)");
  cmd->add_option("--calibration", o->calibration,
                  "Calibration YAML from `hopsim calibrate` for every scenario of the report "
                  "(its sha256 is shown as provenance)");
  cmd->add_option("--css", o->css,
                  "A stylesheet inlined after hopsim's own in an HTML report, to restyle it "
                  "(docs/REPORTS.md: chart shapes carry a class per legend entry, .k-forward)")
      ->check(CLI::ExistingFile);
  cmd->callback([o, io] {
    namespace fs = std::filesystem;
    std::string format = o->format;
    if (o->json) {
      if (!format.empty() && format != "json") {
        throw CLI::ValidationError("--json", "conflicts with --format " + format);
      }
      format = "json";
    }
    if (format.empty()) {
      // The extension decides; one hopsim cannot write (.pdf, .png) is refused rather than
      // filled with Markdown under the wrong name.
      const std::string ext =
          o->output == kStdio ? std::string() : fs::path(o->output).extension().string();
      if (ext == ".html" || ext == ".htm") {
        format = "html";
      } else if (ext == ".json") {
        format = "json";
      } else if (ext == ".md" || ext == ".markdown" || ext.empty()) {
        format = "md";
      } else {
        throw CLI::ValidationError(
            "-o", "cannot write a '" + ext + "' report; use .html, .md or .json (or --format " +
                      "html|md|json); for a PDF, print the HTML report from a browser");
      }
    }
    std::string css;
    if (!o->css.empty()) {
      if (format != "html") throw CLI::ValidationError("--css", "applies to HTML reports only");
      std::ifstream in(o->css, std::ios::binary);
      css.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (!in && !in.eof()) throw ConfigError(SourceLocation{o->css, 0, 0, ""}, "cannot read");
      if (const auto bad = first_invalid_utf8(css.data(), css.size()); bad < css.size()) {
        throw ConfigError(SourceLocation{o->css, 0, 0, ""},
                          "not UTF-8 text (byte " + std::to_string(bad) + ")");
      }
    }
    planner::Report r;
    const bool db = o->inputs.size() == 1 && fs::path(o->inputs[0]).extension() == ".db";
    if (db) {
      if (!fs::exists(o->inputs[0])) {
        throw ConfigError(SourceLocation{o->inputs[0], 0, 0, ""}, "no such database");
      }
      const planner::ResultsStore store(o->inputs[0]);
      r = planner::sweep_report(store);
    } else {
      planner::ReportOptions ro;
      ro.counterpart = !o->no_counterpart;
      ro.timeline = !o->no_timeline && format == "html";
      ro.calibration = frontend::load_calibration_ref(o->calibration);
      r = planner::scenario_report(o->inputs, ro);
    }
    std::string html;
    if (format == "html") {
      try {
        html = planner::render_html(r, css);
      } catch (const std::invalid_argument& e) {
        throw ConfigError(SourceLocation{o->css, 0, 0, ""}, e.what());
      }
    }
    const std::string text = format == "html"   ? html
                             : format == "json" ? planner::render_json(r).dump(2) + "\n"
                                                : planner::render_markdown(r);
    if (o->output.empty() || o->output == kStdio) {
      io.out << text;
      return;
    }
    io::write_file_atomically(o->output, text);
    io.out << "wrote " << o->output << " (" << format << ")\n";
  });
}

}  // namespace hopsim::cli
