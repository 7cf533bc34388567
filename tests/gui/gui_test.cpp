// GUI tests (QTest, offscreen): the window runs predictions as a user edits, shows located
// errors, and fills the timeline. ctest label: gui.

#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QtTest/QtTest>

#include "main_window.hpp"
#include "timeline_view.hpp"

using hopsim::gui::MainWindow;

class GuiTest : public QObject {
  Q_OBJECT
 private slots:
  void an_edit_reruns_and_updates_the_metrics();
  void an_invalid_value_shows_the_located_error();
  void the_timeline_holds_every_executed_sub_op();
  void a_pinned_baseline_shows_the_change();
};

namespace {
// DeepSeek-V2-Lite on 16 GPUs: predicts in milliseconds.
constexpr const char* kScenario = "deepseek-v2-lite-16gpu";

void wait_for_prediction(MainWindow& w, std::uint64_t after) {
  QTRY_VERIFY_WITH_TIMEOUT(w.last() != nullptr && w.last()->request > after && !w.worker().busy(),
                           20000);
}
}  // namespace

void GuiTest::an_edit_reruns_and_updates_the_metrics() {
  MainWindow w;
  w.open_scenario(kScenario);
  wait_for_prediction(w, 0);
  const std::uint64_t first = w.last()->request;
  const QString step = w.metrics()->item(0, 0)->text();
  QSpinBox* mb = w.field("plan.micro_batches");
  QVERIFY(mb != nullptr);
  mb->setValue(mb->value() * 2);  // twice the tokens per step: a longer step
  wait_for_prediction(w, first);
  QVERIFY(w.error_text().isEmpty());
  QVERIFY(w.metrics()->item(0, 0)->text() != step);
  QCOMPARE(w.last()->scenario.plan.micro_batches, mb->value());
}

void GuiTest::an_invalid_value_shows_the_located_error() {
  MainWindow w;
  w.open_scenario(kScenario);
  wait_for_prediction(w, 0);
  const QString step = w.metrics()->item(0, 0)->text();
  w.field("plan.ep")->setValue(3);  // 3 does not divide the 64 experts
  QTRY_VERIFY_WITH_TIMEOUT(!w.error_text().isEmpty(), 20000);
  QVERIFY2(w.error_text().contains("plan.ep"), qPrintable(w.error_text()));
  QCOMPARE(w.metrics()->item(0, 0)->text(), step);  // the last good prediction stays
}

void GuiTest::the_timeline_holds_every_executed_sub_op() {
  MainWindow w;
  w.open_scenario(kScenario);
  wait_for_prediction(w, 0);
  const auto& slices = w.last()->run.result.timeline;
  QVERIFY(!slices.empty());
  QCOMPARE(w.timeline()->slice_count(), static_cast<int>(slices.size()));
  // A box per slice (row labels are drawn over the view, not scene items).
  QCOMPARE(w.timeline()->scene()->items().size(), static_cast<qsizetype>(slices.size()));
}

void GuiTest::a_pinned_baseline_shows_the_change() {
  MainWindow w;
  w.open_scenario(kScenario);
  wait_for_prediction(w, 0);
  const std::uint64_t first = w.last()->request;
  for (auto* b : w.findChildren<QPushButton*>()) {
    if (b->text() == "Pin as baseline") b->click();
  }
  QVERIFY(w.metrics()->item(0, 1)->text() != "—");
  w.field("plan.comm_sms")->setValue(w.field("plan.comm_sms")->value() + 8);
  wait_for_prediction(w, first);
  QVERIFY(w.metrics()->item(0, 2)->text().endsWith("%"));
}

QTEST_MAIN(GuiTest)
#include "gui_test.moc"
