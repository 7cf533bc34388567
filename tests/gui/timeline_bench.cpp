// Benchmarks (QBENCHMARK, offscreen): the time from a new window to its first prediction of the
// shipped DeepSeek-V3 scenario shown, and frames per second while panning the timeline of that
// 2048-GPU step (about 100,000 slices) at several zoom levels. A frame is one horizontal scroll
// step and a full synchronous repaint of the 1400 x 720 viewport. Reports, does not assert: the
// figures and the command are in docs/PERFORMANCE.md. ctest label: bench.

#include <QElapsedTimer>
#include <QScrollBar>
#include <QtTest/QtTest>

#include "main_window.hpp"
#include "prediction_worker.hpp"
#include "temp_path.hpp"
#include "timeline_view.hpp"

using hopsim::gui::Prediction;
using hopsim::gui::PredictionWorker;
using hopsim::gui::TimelineView;

class TimelineBench : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void first_prediction();
  void pan_data();
  void pan();

 private:
  std::shared_ptr<const Prediction> p_;
};

void TimelineBench::initTestCase() {
  p_ = std::make_shared<const Prediction>(
      PredictionWorker::run_now(hopsim::ScenarioTemplate("deepseek-v3-h800"), {}));
  QVERIFY2(p_->ok, p_->error.c_str());
  qInfo("deepseek-v3-h800: %zu slices over %d pipeline ranks", p_->run.result.timeline.size(),
        p_->scenario.plan.pp);
}

void TimelineBench::first_prediction() {
  // Window built, the shipped scenario opened (as at start), the prediction run on the worker
  // thread and applied to every view, timeline included.
  // Settings of its own: a fixed name would collide with a run beside it.
  const auto settings = hopsim::test::unique_temp_path("bench-settings.ini");
  QElapsedTimer clock;
  clock.start();
  QBENCHMARK_ONCE {
    hopsim::gui::MainWindow w(nullptr, QString::fromStdString(settings.string()));
    w.open_scenario("deepseek-v3-h800");
    QTRY_VERIFY_WITH_TIMEOUT(w.last() != nullptr && !w.worker().busy(), 20000);
  }
  qInfo("start to first prediction: %.0f ms", static_cast<double>(clock.nsecsElapsed()) / 1e6);
  std::filesystem::remove(settings);
}

void TimelineBench::pan_data() {
  QTest::addColumn<double>("zoom");
  QTest::newRow("whole step") << 1.0;
  QTest::newRow("zoom x8") << 8.0;
  QTest::newRow("zoom x64") << 64.0;
  QTest::newRow("zoom x512") << 512.0;
}

void TimelineBench::pan() {
  QFETCH(double, zoom);
  TimelineView view;
  view.resize(1400, 720);
  view.show();
  view.show_run(p_);
  if (zoom != 1.0) view.zoom(zoom);
  QApplication::processEvents();
  QScrollBar* bar = view.horizontalScrollBar();
  // One iteration drags through the whole step, left to right, in kFrames frames (at the
  // whole-step zoom there is nothing to scroll: every frame repaints the full step).
  constexpr int kFrames = 200;
  std::size_t boxes = 0;
  QElapsedTimer clock;
  clock.start();
  QBENCHMARK_ONCE {
    for (int f = 0; f < kFrames; ++f) {
      bar->setValue(bar->minimum() + (bar->maximum() - bar->minimum()) * f / (kFrames - 1));
      view.viewport()->repaint();
      boxes += view.painted_boxes();
    }
  }
  const double seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
  qInfo("zoom x%g: %.0f frames/s (%d frames; %.0f boxes drawn per frame for %d slices)", zoom,
        kFrames / seconds, kFrames, static_cast<double>(boxes) / kFrames, view.slice_count());
}

QTEST_MAIN(TimelineBench)
#include "timeline_bench.moc"
