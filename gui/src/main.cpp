// hopsim-gui: the desktop what-if planner.
//   hopsim-gui [--calibration CAL] [--results DB] [--trace TRACE [--trace-rank R]] [SCENARIO]
//   hopsim-gui --screenshot OUT.png [--view NAME] [--results DB] [--trace TRACE [--trace-rank R]]
//              [--x COLUMN --y COLUMN] [--heatmap ROWS,COLUMNS] [SCENARIO]
//                                                           render one view headless and exit
// Views: summary, timeline, memory, whatif, sweeps (with --results: a sweep's results database),
// measured (with --trace: a Kineto or Nsight trace, or `hopsim import` output; --trace-rank
// picks a rank of a job database). SCENARIO: a shipped name or a
// YAML path (default deepseek-v3-h800).

#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <QTemporaryDir>
#include <cstdio>
#include <optional>

#include "main_window.hpp"
#include "measured_view.hpp"
#include "sweep_view.hpp"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("hopsim");
  QApplication::setApplicationName("hopsim-gui");
  QApplication::setApplicationVersion(HOPSIM_VERSION);
  QCommandLineParser cli;
  cli.setApplicationDescription("hopsim's desktop what-if planner");
  cli.addHelpOption();
  cli.addVersionOption();
  cli.addPositionalArgument("scenario", "Shipped scenario name or YAML path");
  QCommandLineOption shot("screenshot", "Render a view to a PNG and exit", "png");
  QCommandLineOption view(
      "view", "View for --screenshot: " + hopsim::gui::MainWindow::view_names().join(", "), "name",
      "summary");
  QCommandLineOption results("results", "Open a sweep's results database (Sweeps view)", "db");
  QCommandLineOption trace("trace",
                           "Open a trace (Kineto JSON, Nsight Systems export, `hopsim import` "
                           "output) in the Measured view",
                           "file");
  QCommandLineOption trace_rank("trace-rank",
                                "With --trace: the rank to show of a job database (`hopsim "
                                "import DIR`); default its first",
                                "rank");
  QCommandLineOption calibration(
      "calibration",
      "Predict with a calibration from `hopsim calibrate` (as the command line's --calibration)",
      "yaml");
  QCommandLineOption x("x", "Sweeps scatter: column on the x axis", "column");
  QCommandLineOption y("y", "Sweeps scatter: column on the y axis", "column", "step_time_ms");
  QCommandLineOption heat("heatmap",
                          "Sweeps heatmap: two swept columns as rows and columns, the best "
                          "step time in each cell",
                          "rows,columns");
  for (const auto* o : {&shot, &view, &results, &trace, &trace_rank, &calibration, &x, &y, &heat}) {
    cli.addOption(*o);
  }
  cli.process(app);
  std::optional<std::int64_t> rank;
  if (cli.isSet(trace_rank)) {
    bool number = false;
    rank = cli.value(trace_rank).toLongLong(&number);
    if (!number || *rank < 0) {
      std::fprintf(stderr, "hopsim-gui: --trace-rank: expected a rank (0, 1, ...), got '%s'\n",
                   qPrintable(cli.value(trace_rank)));
      return 2;
    }
  }
  const QStringList args = cli.positionalArguments();
  const QString scenario = args.isEmpty() ? QString("deepseek-v3-h800") : args.front();

  if (cli.isSet(shot)) {
    // Settings of its own: a screenshot neither reads nor changes the user's.
    const QTemporaryDir scratch;
    hopsim::gui::MainWindow w(nullptr, scratch.filePath("settings.ini"));
    w.resize(1500, 900);
    if (!hopsim::gui::MainWindow::view_names().contains(cli.value(view))) {
      std::fprintf(stderr, "hopsim-gui: unknown view '%s' (one of %s)\n",
                   qPrintable(cli.value(view)),
                   qPrintable(hopsim::gui::MainWindow::view_names().join(", ")));
      return 2;
    }
    bool ok = true;
    if (cli.isSet(calibration) && !w.open_calibration(cli.value(calibration))) {
      std::fprintf(stderr, "hopsim-gui: %s\n", qPrintable(w.error_text()));
      return 1;
    }
    if (cli.isSet(results)) {
      ok = w.open_results(cli.value(results)) && ok;
      if (cli.isSet(x) && !w.sweeps()->set_axes(cli.value(x), cli.value(y))) {
        std::fprintf(stderr, "hopsim-gui: --x/--y: not numeric columns of the database\n");
        ok = false;
      }
      const QStringList hm = cli.value(heat).split(',');
      if (cli.isSet(heat) &&
          (hm.size() != 2 || !w.sweeps()->set_heatmap(hm[0], hm[1], "step_time_ms"))) {
        std::fprintf(stderr, "hopsim-gui: --heatmap: expected two swept columns, ROWS,COLUMNS\n");
        ok = false;
      }
    }
    if (cli.isSet(trace)) ok = w.open_trace(cli.value(trace), rank) && ok;
    w.open_scenario(scenario);
    auto p = std::make_shared<const hopsim::gui::Prediction>(
        hopsim::gui::PredictionWorker::run_now(hopsim::ScenarioTemplate(scenario.toStdString()),
                                               w.overrides(), 0, w.calibration().cost_for));
    w.show_prediction(p);
    if (!p->ok) std::fprintf(stderr, "hopsim-gui: %s\n", p->error.c_str());
    ok = p->ok && ok;
    if (cli.value(view) == "whatif") w.run_whatif_now();
    if (cli.value(view) == "measured") w.measured()->compare_now();
    if (!w.sweeps()->message().isEmpty()) {
      std::fprintf(stderr, "hopsim-gui: %s\n", qPrintable(w.sweeps()->message()));
    }
    if (!w.measured()->message().isEmpty()) {
      std::fprintf(stderr, "hopsim-gui: %s\n", qPrintable(w.measured()->message()));
      ok = false;
    }
    w.select_view(cli.value(view));
    w.show();
    QApplication::processEvents();
    if (!w.grab().save(cli.value(shot))) {
      std::fprintf(stderr, "hopsim-gui: cannot write %s\n", qPrintable(cli.value(shot)));
      return 1;
    }
    return ok ? 0 : 1;
  }
  hopsim::gui::MainWindow w;
  if (!w.restored_geometry()) w.resize(1500, 900);
  w.show();
  if (cli.isSet(calibration)) (void)w.open_calibration(cli.value(calibration));
  w.open_scenario(scenario);
  if (cli.isSet(results) && w.open_results(cli.value(results))) w.select_view("sweeps");
  if (cli.isSet(trace) && w.open_trace(cli.value(trace), rank)) w.select_view("measured");
  return QApplication::exec();
}
