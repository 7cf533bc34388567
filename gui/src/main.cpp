// hopsim-gui: the desktop what-if planner.
//   hopsim-gui [SCENARIO]                             interactive
//   hopsim-gui --screenshot OUT.png [--view NAME] [SCENARIO]
//                                                     render one view headless and exit
// Views: summary, timeline, memory, whatif. SCENARIO: a shipped name or a YAML path
// (default deepseek-v3-h800).

#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <cstdio>

#include "main_window.hpp"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("hopsim-gui");
  QApplication::setApplicationVersion(HOPSIM_VERSION);
  QCommandLineParser cli;
  cli.setApplicationDescription("hopsim's desktop what-if planner");
  cli.addHelpOption();
  cli.addVersionOption();
  cli.addPositionalArgument("scenario", "Shipped scenario name or YAML path");
  QCommandLineOption shot("screenshot", "Render a view to a PNG and exit", "png");
  QCommandLineOption view("view", "View for --screenshot: summary, timeline, memory, whatif",
                          "name", "summary");
  cli.addOption(shot);
  cli.addOption(view);
  cli.process(app);
  const QStringList args = cli.positionalArguments();
  const QString scenario = args.isEmpty() ? QString("deepseek-v3-h800") : args.front();

  hopsim::gui::MainWindow w;
  w.resize(1500, 900);
  if (cli.isSet(shot)) {
    w.open_scenario(scenario);
    auto p = std::make_shared<const hopsim::gui::Prediction>(hopsim::gui::PredictionWorker::run_now(
        hopsim::ScenarioTemplate(scenario.toStdString()), w.overrides()));
    w.show_prediction(p);
    if (!p->ok) std::fprintf(stderr, "hopsim-gui: %s\n", p->error.c_str());
    if (cli.value(view) == "whatif") w.run_whatif_now();
    w.select_view(cli.value(view));
    w.show();
    QApplication::processEvents();
    if (!w.grab().save(cli.value(shot))) {
      std::fprintf(stderr, "hopsim-gui: cannot write %s\n", qPrintable(cli.value(shot)));
      return 1;
    }
    return p->ok ? 0 : 1;
  }
  w.show();
  w.open_scenario(scenario);
  return QApplication::exec();
}
