// GUI tests (QTest, offscreen): the window runs predictions as a user edits, shows located
// errors, fills the timeline, opens sweeps' results databases and imported traces, saves and
// exports, asks before losing edits, and survives bad files. ctest label: gui.

#include <QBarSet>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QHorizontalBarSeries>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableView>
#include <QTableWidget>
#include <QtTest/QtTest>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "aligned_timeline.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/scenario_keys.hpp"
#include "hopsim/frontend/calibration_ref.hpp"
#include "hopsim/planner/canonical.hpp"
#include "hopsim/planner/results_store.hpp"
#include "hopsim/planner/sweep.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "main_window.hpp"
#include "measured_view.hpp"
#include "results_model.hpp"
#include "sweep_view.hpp"
#include "temp_dir.hpp"
#include "timeline_view.hpp"
#include "yaml_view.hpp"

using hopsim::gui::MainWindow;
namespace fs = std::filesystem;

namespace {

// DeepSeek-V2-Lite on 16 GPUs: predicts in milliseconds.
constexpr const char* kScenario = "deepseek-v2-lite-16gpu";
const std::string kData = HOPSIM_TEST_DATA_DIR;

// A window whose questions are answered by the test, with settings of its own.
class TestWindow : public MainWindow {
 public:
  explicit TestWindow(const QString& settings = {})
      : MainWindow(nullptr, settings.isEmpty() ? fresh_settings() : settings) {}

  static QString fresh_settings() {
    return QString::fromStdString(hopsim::test::unique_temp_path("gui-settings.ini").string());
  }

  UnsavedChoice answer = UnsavedChoice::kCancel;
  QString save_path;
  int asked = 0;

 protected:
  UnsavedChoice confirm_unsaved() override {
    ++asked;
    return answer;
  }
  QString choose_save_path(const QString&, const QString&) override { return save_path; }
};

void wait_for_prediction(MainWindow& w, std::uint64_t after) {
  QTRY_VERIFY_WITH_TIMEOUT(w.last() != nullptr && w.last()->request > after && !w.worker().busy(),
                           20000);
}

// Where most cases start: the test scenario open and its first prediction done.
void open_predicted(MainWindow& w) {
  w.open_scenario(kScenario);
  wait_for_prediction(w, 0);
}

// The tiny sweep of tests/data/sweep (12 configurations, 6 infeasible), run into a folder of
// its own: the base scenario (tiny.yaml) is therefore not next to the database.
fs::path tiny_sweep_db() {
  const fs::path dir = hopsim::test::unique_temp_path("gui-sweep");
  fs::create_directories(dir);
  const fs::path db = dir / "tiny-sweep.db";
  const auto spec = hopsim::planner::load_sweep_spec(kData + "/sweep/tiny-sweep.yaml");
  hopsim::planner::ResultsStore store(db);
  hopsim::planner::SweepOptions o;
  o.jobs = 1;
  (void)hopsim::planner::run_sweep(spec, store, o);
  return db;
}

// The small AlexNet Kineto trace, imported as `hopsim import` does.
fs::path alexnet_trace() {
  const fs::path out = hopsim::test::unique_temp_path("gui-alexnet.sqlite");
  (void)hopsim::profiler::import::import_trace(kData + "/traces/kineto/a100-alexnet-small.json.gz",
                                               out);
  return out;
}

QString q(const fs::path& p) {
  return QString::fromStdString(p.string());
}

int column(const hopsim::gui::SweepView& v, const char* name) {
  return v.model()->column_of(name);
}

}  // namespace

class GuiTest : public QObject {
  Q_OBJECT
 private slots:
  void an_edit_reruns_and_updates_the_metrics();
  void an_invalid_value_shows_the_located_error();
  void the_timeline_holds_every_executed_sub_op();
  void merging_keeps_every_slice_inside_a_box();
  void a_pinned_baseline_shows_the_change();
  void a_results_database_fills_a_sortable_filterable_table();
  void a_row_opens_as_a_scenario();
  void an_unreadable_database_or_trace_shows_a_message();
  void a_trace_is_measured_beside_the_prediction();
  void a_job_database_shows_one_rank_at_a_time();
  void a_calibration_is_used_by_every_view();
  void closing_with_unsaved_edits_asks();
  void save_writes_yaml_that_loads_back_to_the_same_scenario();
  void a_broken_scenario_opens_with_its_error_and_nothing_lost();
  void recent_files_and_window_settings_are_kept();
  void the_html_report_and_png_show_the_current_scenario();
  void screenshots_of_the_new_views_render();
  void a_shipped_scenario_opened_by_path_is_named();
  void the_whatif_study_shows_as_bars();
  void a_dropped_config_json_becomes_the_model();
  void the_fields_are_the_loaders_declarations();
  void cost_inputs_and_recompute_are_edited_in_place();
  void a_boolean_setting_is_a_checkbox();
  void interruption_fields_follow_the_document();
  void variation_typed_in_reaches_the_prediction();
  void clicking_a_scatter_point_selects_its_row();
  void pipeline_sends_show_as_arrows();
  void the_trace_and_a_predicted_rank_share_a_time_axis();
  void a_broken_file_is_fixed_in_the_yaml_view();
  void a_gpu_figure_typed_in_makes_a_custom_gpu();
  void only_the_published_plan_is_held_to_its_figure();
};

void GuiTest::an_edit_reruns_and_updates_the_metrics() {
  TestWindow w;
  open_predicted(w);
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
  TestWindow w;
  open_predicted(w);
  const QString step = w.metrics()->item(0, 0)->text();
  w.field("plan.ep")->setValue(3);  // 3 does not divide the 64 experts
  QTRY_VERIFY_WITH_TIMEOUT(!w.error_text().isEmpty(), 20000);
  QVERIFY2(w.error_text().contains("plan.ep"), qPrintable(w.error_text()));
  QCOMPARE(w.metrics()->item(0, 0)->text(), step);  // the last good prediction stays
}

void GuiTest::the_timeline_holds_every_executed_sub_op() {
  TestWindow w;
  w.resize(1200, 800);
  w.show();
  w.select_view("timeline");
  open_predicted(w);
  const auto& slices = w.last()->run.result.timeline;
  QVERIFY(!slices.empty());
  hopsim::gui::TimelineView& t = *w.timeline();
  QCOMPARE(t.slice_count(), static_cast<int>(slices.size()));

  // The whole step fits the width: sub-pixel ops are merged, so fewer boxes than slices.
  t.viewport()->repaint();
  const std::size_t fitted = t.painted_boxes();
  QVERIFY(fitted > 0);
  QVERIFY2(fitted < slices.size(), qPrintable(QString("%1 boxes").arg(fitted)));

  // Zoomed in on one op: the box under the cursor is that op.
  const hopsim::sim::TimelineSlice& target = slices[slices.size() / 2];
  t.zoom(2000);
  const double mid_ms = hopsim::to_ms(target.start + (target.end - target.start) / 2);
  const double row = hopsim::gui::TimelineView::row(target.rank, static_cast<int>(target.lane));
  t.centerOn(QPointF(mid_ms * 4.0, (row + 0.5) * 18.0));  // kPixelsPerMs, kRowHeight
  const QPoint at = t.mapFromScene(QPointF(mid_ms * 4.0, (row + 0.5) * 18.0));
  const hopsim::sim::TimelineSlice* hit = t.slice_at(at);
  QVERIFY(hit != nullptr);
  QCOMPARE(hit->start, target.start);
  QCOMPARE(hit->rank, target.rank);
  QVERIFY(t.slice_at(QPoint(at.x(), -1000)) == nullptr);
}

void GuiTest::merging_keeps_every_slice_inside_a_box() {
  TestWindow w;
  open_predicted(w);
  const auto& slices = w.last()->run.result.timeline;
  // Per row (rank, lane): slices by start and the running maximum of their ends.
  std::map<int, std::vector<std::size_t>> rows;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    rows[hopsim::gui::TimelineView::row(slices[i].rank, static_cast<int>(slices[i].lane))]
        .push_back(i);
  }
  double step = 0;
  for (const auto& s : slices) step = std::max(step, static_cast<double>(s.end.value()));
  std::size_t merged_total = 0;
  for (auto& [r, order] : rows) {
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return slices[a].start < slices[b].start;
    });
    std::vector<double> max_end;
    double m = 0;
    for (std::size_t i : order) max_end.push_back(m = std::max(m, double(slices[i].end.value())));
    // No merging below a pixel of zero width: one box per slice, exactly its extent.
    const auto exact = hopsim::gui::merge_row(slices, order, max_end, -1, step + 1, 0);
    QCOMPARE(exact.size(), order.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
      QCOMPARE(exact[k].start, double(slices[order[k]].start.value()));
      QCOMPARE(exact[k].end, double(slices[order[k]].end.value()));
    }
    // A pixel of 1/1000 of the step: fewer boxes, every slice inside one, none dropped.
    const double pixel = step / 1000;
    const auto runs = hopsim::gui::merge_row(slices, order, max_end, -1, step + 1, pixel);
    QVERIFY(runs.size() <= order.size());
    merged_total += order.size() - runs.size();
    for (std::size_t i : order) {
      const double a = double(slices[i].start.value());
      const double b = double(slices[i].end.value());
      QVERIFY(std::any_of(runs.begin(), runs.end(),
                          [&](const auto& run) { return run.start <= a && b <= run.end; }));
    }
    for (std::size_t k = 1; k < runs.size(); ++k) {
      // Two boxes less than a pixel apart are both wider than a pixel.
      if (runs[k].start - runs[k - 1].end < pixel) {
        QVERIFY(runs[k].end - runs[k].start >= pixel ||
                runs[k - 1].end - runs[k - 1].start >= pixel);
      }
    }
    // A window: only slices that reach into it.
    const auto window =
        hopsim::gui::merge_row(slices, order, max_end, step / 2, step / 2 + pixel * 10, 0);
    for (const auto& run : window) QVERIFY(run.end > step / 2 && run.start < step / 2 + pixel * 10);
  }
  QVERIFY(merged_total > 0);
}

void GuiTest::a_pinned_baseline_shows_the_change() {
  TestWindow w;
  open_predicted(w);
  const std::uint64_t first = w.last()->request;
  for (auto* b : w.findChildren<QPushButton*>()) {
    if (b->text() == "Pin as baseline") b->click();
  }
  QVERIFY(w.metrics()->item(0, 1)->text() != "—");
  w.field("plan.comm_sms")->setValue(w.field("plan.comm_sms")->value() + 8);
  wait_for_prediction(w, first);
  QVERIFY(w.metrics()->item(0, 2)->text().endsWith("%"));
}

void GuiTest::a_results_database_fills_a_sortable_filterable_table() {
  const fs::path db = tiny_sweep_db();
  const auto rows = hopsim::planner::ResultsStore(db).rows();
  QCOMPARE(rows.size(), std::size_t{12});  // the spec's own arithmetic (tiny-sweep.yaml)
  int ok = 0;
  double fastest = INFINITY, slowest = 0;
  int ok_pp2 = 0;
  for (const auto& r : rows) {
    if (r.status != "ok") continue;
    ++ok;
    fastest = std::min(fastest, r.step_time_ms);
    slowest = std::max(slowest, r.step_time_ms);
    if (r.config.find("\"plan.pp\":\"2\"") != std::string::npos) ++ok_pp2;
  }
  QVERIFY(ok > 1 && ok_pp2 > 0 && ok_pp2 < ok);

  TestWindow w;
  QVERIFY(w.open_results(q(db)));
  hopsim::gui::SweepView& v = *w.sweeps();
  auto* proxy = v.proxy();
  QCOMPARE(proxy->rowCount(), 12);
  const int step = column(v, "step_time_ms");
  const int status = column(v, "status");
  const int pp = column(v, "plan.pp");
  QVERIFY(step >= 0 && status >= 0 && pp >= 0);

  // Sorting by a metric: numbers in order, rows that did not run after every number.
  v.table()->sortByColumn(step, Qt::AscendingOrder);
  QCOMPARE(proxy->index(0, step).data(hopsim::gui::ResultsModel::kSortRole).toDouble(), fastest);
  double previous = -INFINITY;
  for (int r = 0; r < proxy->rowCount(); ++r) {
    const QVariant x = proxy->index(r, step).data(hopsim::gui::ResultsModel::kSortRole);
    if (r < ok) {
      QVERIFY(x.isValid());
      QVERIFY(x.toDouble() >= previous);
      previous = x.toDouble();
    } else {
      QVERIFY(!x.isValid());
      QCOMPARE(proxy->index(r, status).data().toString(), QString("infeasible"));
    }
  }
  v.table()->sortByColumn(step, Qt::DescendingOrder);
  QCOMPARE(proxy->index(0, step).data(hopsim::gui::ResultsModel::kSortRole).toDouble(), slowest);
  QVERIFY(!proxy->index(11, step).data(hopsim::gui::ResultsModel::kSortRole).isValid());

  // Filters: text in any column, then an expression over the columns.
  v.set_text_filter("infeasible");
  QCOMPARE(proxy->rowCount(), 12 - ok);
  v.set_text_filter("");
  QVERIFY(v.set_expression("status == 'ok' && plan.pp == 2"));
  QCOMPARE(proxy->rowCount(), ok_pp2);
  for (int r = 0; r < proxy->rowCount(); ++r) {
    QCOMPARE(proxy->index(r, pp).data().toString(), QString("2"));
  }
  // The scatter plots what the table shows (step time exists for the rows that ran).
  QVERIFY(v.set_axes("plan.dp", "step_time_ms"));
  QCOMPARE(v.scatter_points(), ok_pp2);
  QVERIFY(!v.set_axes("status", "step_time_ms"));  // text is not an axis
  QVERIFY(!v.set_expression("plan.pp =="));        // a syntax error is reported, not thrown
  QVERIFY(!v.message().isEmpty());
  QCOMPARE(proxy->rowCount(), 12);  // and filters nothing
  QVERIFY(v.set_expression("no_such_column > 1"));
  QCOMPARE(proxy->rowCount(), 0);
  QVERIFY2(v.message().contains("no_such_column"), qPrintable(v.message()));
  QVERIFY(v.set_expression(""));
  QCOMPARE(v.scatter_points(), ok);

  // The heatmap: PP as rows, the schedule as columns, the best step time over the other axes
  // in each cell; the oracle is the store's rows read here, matched by their configuration.
  QVERIFY(v.set_heatmap("plan.pp", "plan.schedule", "step_time_ms"));
  QVERIFY(!v.set_heatmap("plan.pp", "plan.schedule", "no_such_metric"));
  QTableWidget* heat = v.heatmap();
  QCOMPARE(heat->rowCount(), 3);     // pp 1, 2, 4: in numeric order
  QCOMPARE(heat->columnCount(), 2);  // 1f1b, zb-h1
  QCOMPARE(heat->verticalHeaderItem(0)->text(), QString("1"));
  QCOMPARE(heat->verticalHeaderItem(2)->text(), QString("4"));
  QCOMPARE(heat->horizontalHeaderItem(1)->text(), QString("zb-h1"));
  const char* pps[] = {"1", "2", "4"};
  const char* schedules[] = {"1f1b", "zb-h1"};
  int cells = 0;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 2; ++j) {
      double want = INFINITY;
      for (const auto& r : rows) {
        if (r.status == "ok" &&
            r.config.find(std::string("\"plan.pp\":\"") + pps[i] + "\"") != std::string::npos &&
            r.config.find(std::string("\"plan.schedule\":\"") + schedules[j] + "\"") !=
                std::string::npos) {
          want = std::min(want, r.step_time_ms);
        }
      }
      const QTableWidgetItem* cell = heat->item(i, j);
      QVERIFY(cell != nullptr);
      if (std::isinf(want)) {
        QCOMPARE(cell->text(), QString("—"));
      } else {
        ++cells;
        QCOMPARE(cell->data(Qt::UserRole).toDouble(), want);
      }
    }
  }
  QVERIFY(cells > 1);
}

void GuiTest::a_row_opens_as_a_scenario() {
  const fs::path db = tiny_sweep_db();
  TestWindow w;
  QVERIFY(w.open_results(q(db)));
  hopsim::gui::SweepView& v = *w.sweeps();
  // The spec names its base relative to itself: not found next to the database.
  QVERIFY2(v.message().contains("tiny.yaml"), qPrintable(v.message()));
  QVERIFY(!v.open_row(0));
  QVERIFY(w.last() == nullptr);
  QVERIFY(v.set_base(QString::fromStdString(kData + "/sweep/tiny.yaml")));
  QVERIFY(v.message().isEmpty());

  // The slowest row that ran, so that it differs from tiny.yaml's own plan in step time.
  v.table()->sortByColumn(column(v, "step_time_ms"), Qt::DescendingOrder);
  const auto* proxy = v.proxy();
  const int src = proxy->mapToSource(proxy->index(0, 0)).row();
  const hopsim::planner::StoredResult row = v.model()->row(src);
  QCOMPARE(QString::fromStdString(row.status), QString("ok"));
  QVERIFY(v.open_row(0));
  wait_for_prediction(w, 0);
  const hopsim::Scenario& s = w.last()->scenario;
  for (const auto& o : v.model()->overrides(src)) {
    if (o.key == "plan.pp") QCOMPARE(s.plan.pp, std::stoi(o.value));
    if (o.key == "plan.dp") QCOMPARE(s.plan.dp, std::stoi(o.value));
    if (o.key == "plan.ep") QCOMPARE(s.plan.ep, std::stoi(o.value));
    if (o.key == "plan.schedule") QCOMPARE(std::string(to_string(s.plan.schedule)), o.value);
  }
  // The same scenario the sweep ran: the same canonical hash and step time.
  QCOMPARE(hopsim::planner::scenario_hash(s), row.scenario_hash);
  QVERIFY(std::abs(hopsim::to_ms(w.last()->run.result.step_time) / row.step_time_ms - 1) < 1e-9);
  QCOMPARE(w.field("plan.pp")->value(), s.plan.pp);
  // Not a file: unsaved until saved, so opening another row asks first.
  QVERIFY(w.has_unsaved_edits());
  QVERIFY(w.file().isEmpty());
  const std::uint64_t before = w.last()->request;
  w.answer = MainWindow::UnsavedChoice::kCancel;
  QVERIFY(v.open_row(1));
  QCOMPARE(w.asked, 1);
  QCOMPARE(hopsim::planner::scenario_hash(w.current_document().instantiate({})),
           row.scenario_hash);  // cancelled: the first row stays
  QCOMPARE(w.last()->request, before);
}

void GuiTest::an_unreadable_database_or_trace_shows_a_message() {
  const fs::path dir = hopsim::test::unique_temp_path("gui-bad");
  fs::create_directories(dir);
  hopsim::test::write_bytes(dir / "garbage.db", "this is not an SQLite file, just text\n");
  const fs::path missing = dir / "missing.db";
  const fs::path trace = alexnet_trace();
  const fs::path db = tiny_sweep_db();

  TestWindow w;
  open_predicted(w);
  QVERIFY(w.open_results(q(db)));
  QCOMPARE(w.sweeps()->proxy()->rowCount(), 12);
  for (const fs::path& bad : {dir / "garbage.db", missing, trace}) {
    QVERIFY(!w.open_results(q(bad)));
    QVERIFY2(w.sweeps()->message().contains(q(bad)), qPrintable(w.sweeps()->message()));
    QCOMPARE(w.sweeps()->proxy()->rowCount(), 12);  // what was open stays
    QCOMPARE(w.sweeps()->database(), q(db));
  }
  QVERIFY(!fs::exists(missing));  // opened read-only: nothing created
  QVERIFY(w.sweeps()->message().contains("not a hopsim results database"));

  QVERIFY(!w.open_trace(q(dir / "garbage.db")));
  QVERIFY(!w.measured()->message().isEmpty());
  QVERIFY(!w.open_trace(q(db)));  // a results database is not a trace
  QVERIFY(!w.open_trace(q(missing)));
  QVERIFY2(w.measured()->message().contains(q(missing)), qPrintable(w.measured()->message()));
  QVERIFY(w.measured()->trace_file().isEmpty());
  QVERIFY(!w.recent_files().contains(q(missing)));
  // The window still works.
  const std::uint64_t first = w.last()->request;
  w.field("plan.micro_batches")->setValue(w.field("plan.micro_batches")->value() + 1);
  wait_for_prediction(w, first);
}

void GuiTest::a_trace_is_measured_beside_the_prediction() {
  const fs::path trace = alexnet_trace();
  TestWindow w;
  open_predicted(w);
  QVERIFY(w.open_trace(q(trace)));
  QTRY_VERIFY_WITH_TIMEOUT(w.measured()->comparison() != nullptr && !w.measured()->busy(), 20000);
  const auto& c = *w.measured()->comparison();
  // Measured side, from tests/data/traces/expected_summary.json (computed by Python from the
  // JSON): no ProfilerStep ranges, so the step is the GPU span, 12,920,244,000 ns, and the
  // classes add up to the summed activity time, 66,203,000 ns, all of it on device 0, the only
  // one of the 8 listed devices with activity (active_devices).
  QCOMPARE(c.measured_steps, std::int64_t{0});
  QCOMPARE(c.measured_devices, std::int64_t{1});
  QCOMPARE(c.step.measured.value(), std::int64_t{12920244000});
  // The launch-gap row is the gaps before kernels that waited in a compute stream's queue,
  // 82,000 ns (compute_queued_gap_total_ns there), not kernel time.
  std::int64_t classes = 0, gaps = 0;
  for (const auto& r : c.classes) {
    (r.what == hopsim::sim::kLaunchGaps ? gaps : classes) += r.measured.value();
  }
  QCOMPARE(classes, std::int64_t{66203000});
  QCOMPARE(gaps, std::int64_t{82000});
  // Predicted side: the window's current prediction.
  QCOMPARE(c.step.predicted.value(), w.last()->run.result.step_time.value());
  auto* t = w.measured()->table();
  QCOMPARE(t->rowCount(), static_cast<int>(c.classes.size()) + 1);
  QCOMPARE(t->item(0, 1)->text(), QString("12920.244"));
  QCOMPARE(t->item(0, 2)->text(),
           QString::number(hopsim::to_ms(w.last()->run.result.step_time), 'f', 3));

  // An edit re-predicts, and the comparison follows it.
  const std::uint64_t first = w.last()->request;
  w.field("plan.micro_batches")->setValue(w.field("plan.micro_batches")->value() * 2);
  wait_for_prediction(w, first);
  QTRY_VERIFY_WITH_TIMEOUT(!w.measured()->busy() && w.measured()->comparison()->step.predicted ==
                                                        w.last()->run.result.step_time,
                           20000);
  QVERIFY(w.measured()->comparison()->step.predicted != c.step.predicted);

  // The Kineto file itself, as the profiler wrote it, opens too (imported in memory) and gives
  // the same measured figures as the imported database.
  QVERIFY(w.open_trace(q(fs::path(kData + "/traces/kineto/a100-alexnet-small.json.gz"))));
  QTRY_VERIFY_WITH_TIMEOUT(w.measured()->comparison() != nullptr && !w.measured()->busy() &&
                               w.measured()->comparison()->step.measured.value() == 12920244000,
                           20000);

  // A trace whose import recorded problems says which, as `hopsim import` does.
  const fs::path hostile = hopsim::test::unique_temp_path("gui-problems.sqlite");
  (void)hopsim::profiler::import::import_trace(kData + "/traces/hostile/event_problems.json",
                                               hostile);
  QVERIFY(w.open_trace(q(hostile)));
  QVERIFY2(w.measured()->info().contains(
               "import problem duplicate_gpu_activity (info): 1, first at 'gemm' on device 0"),
           qPrintable(w.measured()->info()));
  QVERIFY(w.measured()->info().contains("import problem invalid_utf8 (info): 1"));
  fs::remove(hostile);

  // From the File menu a trace is read off the UI thread: the window says what it is reading,
  // reports the outcome, keeps what it showed when the file is no trace, and a newer request
  // supersedes one still reading.
  const QString kineto = q(fs::path(kData + "/traces/kineto/a100-alexnet-small.json.gz"));
  const hopsim::test::TempDir scratch;
  const fs::path garbage_file = scratch / "garbage.json";
  hopsim::test::write_bytes(garbage_file, "[1, 2");
  QSignalSpy opened(w.measured(), &hopsim::gui::MeasuredView::trace_opened);
  w.measured()->open_trace_in_background(q(fs::path(kData + "/traces/kineto/missing.json")));
  w.measured()->open_trace_in_background(kineto);
  QVERIFY(w.measured()->info().startsWith("Reading a100-alexnet-small.json.gz"));
  QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, 20000);
  QCOMPARE(opened.at(0).at(0).toString(), kineto);
  QVERIFY(opened.at(0).at(1).toBool());
  QCOMPARE(w.measured()->trace_file(), kineto);
  QVERIFY(w.recent_files().contains(QFileInfo(kineto).absoluteFilePath()));
  QTRY_VERIFY_WITH_TIMEOUT(w.measured()->comparison() != nullptr && !w.measured()->busy() &&
                               w.measured()->comparison()->step.measured.value() == 12920244000,
                           20000);
  w.measured()->open_trace_in_background(q(garbage_file));
  QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 2, 20000);
  QVERIFY(!opened.at(1).at(1).toBool());
  QVERIFY(!w.measured()->message().isEmpty());
  QCOMPARE(w.measured()->trace_file(), kineto);  // what was open stays
  QVERIFY(w.measured()->info().startsWith("a100-alexnet-small.json.gz"));
}

// A database of two ranks (`hopsim import A B`): the first rank is shown and a chooser of the
// ranks appears; choosing the other rank shows its trace (the A100 capture's 3 steps, against
// the V100 capture's 5: tests/data/traces/expected_summary.json).
void GuiTest::a_job_database_shows_one_rank_at_a_time() {
  const fs::path job = hopsim::test::unique_temp_path("gui-job.sqlite");
  (void)hopsim::profiler::import::import_job({kData + "/traces/kineto/v100-1rank-training.json.gz",
                                              kData + "/traces/kineto/a100-2rank-nccl.json.gz"},
                                             job);
  TestWindow w;
  open_predicted(w);
  QVERIFY(w.open_trace(q(job)));
  QCOMPARE(w.measured()->trace_ranks().size(), std::size_t{2});
  QCOMPARE(w.measured()->trace_rank(), std::int64_t{0});
  QVERIFY2(w.measured()->info().contains("rank 0 of 2 in this job database"),
           qPrintable(w.measured()->info()));
  QTRY_VERIFY_WITH_TIMEOUT(w.measured()->comparison() != nullptr && !w.measured()->busy(), 20000);
  QCOMPARE(w.measured()->comparison()->measured_steps, std::int64_t{5});
  auto* box = w.measured()->findChild<QComboBox*>("trace_rank");
  QVERIFY(box != nullptr);
  QVERIFY(!box->isHidden());
  QCOMPARE(box->count(), 2);
  box->setCurrentIndex(1);  // read off the UI thread, as from the File menu
  QTRY_COMPARE_WITH_TIMEOUT(w.measured()->trace_rank(), std::int64_t{1}, 20000);
  QTRY_VERIFY_WITH_TIMEOUT(!w.measured()->busy() && w.measured()->comparison() != nullptr &&
                               w.measured()->comparison()->measured_steps == 3,
                           20000);
  // As the command line: a rank the database does not hold is refused, the open rank stays.
  QVERIFY(!w.open_trace(q(job), 7));
  QVERIFY2(w.measured()->message().contains("holds no trace of rank 7"),
           qPrintable(w.measured()->message()));
  QCOMPARE(w.measured()->trace_rank(), std::int64_t{1});
  // A single trace hides the chooser.
  QVERIFY(w.open_trace(q(fs::path(kData + "/traces/kineto/a100-alexnet-small.json.gz"))));
  QVERIFY(box->isHidden());
  fs::remove(job);
}

// Open Calibration, as `--calibration` on the command line: the prediction is an independent
// calibrated run's (same cost parameters), the report shows the uncalibrated figures beside,
// a file that is not a calibration is refused with its error and the one in use stays.
void GuiTest::a_calibration_is_used_by_every_view() {
  const std::string cal = kData + "/../../hwprofiles/calibration/h200-sxm.cublas.calibration.yaml";
  TestWindow w;
  open_predicted(w);
  const hopsim::Nanoseconds plain = w.last()->run.result.step_time;
  std::uint64_t before = w.last()->request;
  QVERIFY2(w.open_calibration(q(cal)), qPrintable(w.error_text()));
  wait_for_prediction(w, before);
  const hopsim::planner::CalibrationRef ref = hopsim::frontend::load_calibration_ref(cal);
  hopsim::sim::RunOptions ro;
  ro.cost = ref.cost_for(w.last()->scenario.cluster.gpu);
  const auto expected = hopsim::sim::run_scenario(w.last()->scenario, ro);
  QCOMPARE(w.last()->run.result.step_time.value(), expected.step_time.value());
  QVERIFY(w.last()->run.result.step_time != plain);
  QCOMPARE(QString::fromStdString(w.calibration().hash), QString::fromStdString(ref.hash));
  // Said in the status bar while in use.
  auto said = [&w] {
    for (const QLabel* l : w.statusBar()->findChildren<QLabel*>()) {
      if (!l->isHidden() && l->text() == "calibrated: h200-sxm.cublas.calibration.yaml") {
        return true;
      }
    }
    return false;
  };
  QVERIFY(said());

  const fs::path html = hopsim::test::unique_temp_path("gui-calibrated-report.html");
  QVERIFY2(w.export_html(q(html)), qPrintable(w.error_text()));
  const QString page = QString::fromStdString(hopsim::test::read_text(html));
  QVERIFY(page.contains("GPU-hours per 1T tokens, uncalibrated cost model"));
  QVERIFY(page.contains(QString::fromStdString(ref.hash)));
  fs::remove(html);

  // Not a calibration: refused, located, and the calibration in use stays.
  QVERIFY(!w.open_calibration(q(fs::path(kData + "/sweep/tiny.yaml"))));
  QVERIFY2(w.error_text().contains("tiny.yaml"), qPrintable(w.error_text()));
  QCOMPARE(QString::fromStdString(w.calibration().hash), QString::fromStdString(ref.hash));
  // Back to the uncalibrated cost model.
  before = w.last()->request;
  QVERIFY(w.open_calibration({}));
  wait_for_prediction(w, before);
  QCOMPARE(w.last()->run.result.step_time.value(), plain.value());
  QVERIFY(!said());
}

void GuiTest::closing_with_unsaved_edits_asks() {
  TestWindow w;
  w.show();
  open_predicted(w);
  QVERIFY(!w.has_unsaved_edits());
  QVERIFY(w.close());  // nothing to lose: no question
  QCOMPARE(w.asked, 0);

  w.show();
  w.field("plan.pp")->setValue(w.field("plan.pp")->value() * 2);
  QVERIFY(w.has_unsaved_edits());
  QVERIFY(w.isWindowModified());
  w.answer = MainWindow::UnsavedChoice::kCancel;
  QVERIFY(!w.close());
  QCOMPARE(w.asked, 1);
  QVERIFY(w.isVisible());

  // Save, but the file dialog cancelled: the window stays open.
  w.answer = MainWindow::UnsavedChoice::kSave;
  w.save_path.clear();
  QVERIFY(!w.close());
  QCOMPARE(w.asked, 2);
  QVERIFY(w.has_unsaved_edits());

  // Save: a shipped scenario is saved as a new file, then the window closes.
  const fs::path out = hopsim::test::unique_temp_path("gui-close.yaml");
  w.save_path = q(out);
  QVERIFY(w.close());
  QCOMPARE(w.asked, 3);
  QVERIFY(fs::exists(out));
  QCOMPARE(hopsim::load_scenario(out).plan.pp, w.field("plan.pp")->value());
  QCOMPARE(w.file(), q(out));

  // Discard closes without writing.
  w.show();
  w.field("plan.pp")->setValue(w.field("plan.pp")->value() / 2);
  w.answer = MainWindow::UnsavedChoice::kDiscard;
  QVERIFY(w.close());
  QCOMPARE(w.asked, 4);
  QCOMPARE(hopsim::load_scenario(out).plan.pp, 2 * w.field("plan.pp")->value());
}

void GuiTest::save_writes_yaml_that_loads_back_to_the_same_scenario() {
  const fs::path dir = hopsim::test::unique_temp_path("gui-save");
  fs::create_directories(dir);
  const fs::path file = dir / "tiny.yaml";
  fs::copy_file(kData + "/sweep/tiny.yaml", file);
  TestWindow w;
  QVERIFY(w.open_scenario(q(file)));
  QCOMPARE(w.file(), q(file));
  wait_for_prediction(w, 0);
  const std::uint64_t first = w.last()->request;
  w.field("plan.pp")->setValue(4);
  w.field("plan.dp")->setValue(4);
  w.field("plan.ep")->setValue(4);
  w.field("plan.micro_batches")->setValue(16);
  wait_for_prediction(w, first);
  QVERIFY2(w.error_text().isEmpty(), qPrintable(w.error_text()));
  QVERIFY(w.has_unsaved_edits());
  const hopsim::Scenario shown = w.last()->scenario;
  QCOMPARE(shown.plan.pp, 4);

  QVERIFY(w.save());  // to the open file
  QVERIFY(!w.has_unsaved_edits());
  const hopsim::Scenario loaded = hopsim::load_scenario(file);
  QCOMPARE(hopsim::planner::scenario_hash(loaded), hopsim::planner::scenario_hash(shown));
  QCOMPARE(loaded.plan.dp, 4);
  QCOMPARE(loaded.plan.micro_batches, 16);

  // Save As to another file, then one more edit: the new file is the open one.
  const fs::path other = dir / "copy.yaml";
  w.save_path = q(other);
  QVERIFY(w.save_as());
  QCOMPARE(w.file(), q(other));
  QCOMPARE(hopsim::planner::scenario_hash(hopsim::load_scenario(other)),
           hopsim::planner::scenario_hash(shown));
  w.field("plan.comm_sms")->setValue(24);
  QVERIFY(w.has_unsaved_edits());
  QVERIFY(w.save());
  QCOMPARE(hopsim::load_scenario(other).plan.comm_sms, 24);
  QCOMPARE(hopsim::load_scenario(file).plan.comm_sms, shown.plan.comm_sms);
  QCOMPARE(w.recent_files().value(0), q(other));
}

void GuiTest::a_broken_scenario_opens_with_its_error_and_nothing_lost() {
  const fs::path dir = hopsim::test::unique_temp_path("gui-broken");
  fs::create_directories(dir);
  std::string text = hopsim::test::read_text(kData + "/sweep/tiny.yaml");
  const auto at = text.find("  pp: 2\n");
  QVERIFY(at != std::string::npos);
  text.replace(at, 8, "  ppp: 2   # a typo\n");
  const fs::path broken = dir / "broken.yaml";
  hopsim::test::write_bytes(broken, text);

  TestWindow w;
  open_predicted(w);
  const std::string before = w.last()->scenario.name;

  // A file that cannot be read replaces nothing.
  QVERIFY(!w.open_scenario(q(dir / "no-such.yaml")));
  QVERIFY(w.error_text().contains("no-such.yaml"));
  QVERIFY(w.file().isEmpty());
  QCOMPARE(w.current_document().instantiate({}).name, before);

  // A file that reads but does not load opens, with the loader's located error.
  QVERIFY(!w.open_scenario(q(broken)));
  QCOMPARE(w.file(), q(broken));
  QVERIFY2(w.error_text().contains("ppp"), qPrintable(w.error_text()));
  QVERIFY2(w.error_text().contains("broken.yaml"), qPrintable(w.error_text()));
  QVERIFY(!w.has_unsaved_edits());
  QCOMPARE(w.field("plan.dp")->value(), 8);  // what could be read is shown
  QVERIFY(w.overrides().empty());
  // Saved elsewhere unedited, it is the same text, comment and typo included.
  const fs::path copy = dir / "copy.yaml";
  QVERIFY(w.save_to(q(copy)));
  QCOMPARE(hopsim::test::read_text(copy), text);
}

void GuiTest::recent_files_and_window_settings_are_kept() {
  const QString settings = TestWindow::fresh_settings();
  const fs::path db = tiny_sweep_db();
  const fs::path trace = alexnet_trace();
  QSize closed_at;
  {
    TestWindow w(settings);
    QVERIFY(w.recent_files().isEmpty());
    QVERIFY(w.open_results(q(db)));
    QVERIFY(w.open_trace(q(trace)));
    QCOMPARE(w.recent_files(), QStringList({q(trace), q(db)}));
    w.resize(1333, 777);
    w.select_view("sweeps");
    w.show();
    QApplication::processEvents();
    closed_at = w.size();  // (the layout's minimum may have widened it)
    QVERIFY(w.close());
  }
  TestWindow again(settings);
  QCOMPARE(again.recent_files(), QStringList({q(trace), q(db)}));
  QVERIFY(again.restored_geometry());
  QCOMPARE(again.size(), closed_at);
  QVERIFY(closed_at.height() == 777);
  QCOMPARE(again.findChild<QTabWidget*>()->currentWidget(), static_cast<QWidget*>(again.sweeps()));
}

void GuiTest::the_html_report_and_png_show_the_current_scenario() {
  TestWindow w;
  open_predicted(w);
  const std::uint64_t first = w.last()->request;
  const double unedited = hopsim::to_ms(w.last()->run.result.step_time);
  w.field("plan.micro_batches")->setValue(w.field("plan.micro_batches")->value() * 2);
  wait_for_prediction(w, first);
  const double edited = hopsim::to_ms(w.last()->run.result.step_time);
  QVERIFY(edited > unedited);

  const fs::path html = hopsim::test::unique_temp_path("gui-report.html");
  QVERIFY2(w.export_html(q(html)), qPrintable(w.error_text()));
  const QString page = QString::fromStdString(hopsim::test::read_text(html));
  QVERIFY(page.startsWith("<!DOCTYPE html>"));
  // The report's exact step time of the first entry is the edited scenario's prediction.
  const QRegularExpression cell(
      R"re(data-metric="step_time_ms" data-entry="0" data-value="([^"]+)")re");
  const auto m = cell.match(page);
  QVERIFY2(m.hasMatch(), "no step time cell in the report");
  QVERIFY(std::abs(m.captured(1).toDouble() / edited - 1) < 1e-9);

  w.resize(1200, 800);
  w.show();
  w.select_view("memory");
  QApplication::processEvents();
  const fs::path png = hopsim::test::unique_temp_path("gui-memory.png");
  QVERIFY(w.export_png(q(png)));
  const QImage img(q(png));
  QVERIFY(!img.isNull());
  QCOMPARE(img.size() / img.devicePixelRatio(),
           w.findChild<QTabWidget*>()->currentWidget()->size());
  QVERIFY(!w.export_png(q(hopsim::test::unique_temp_path("no-dir") / "x.png")));
}

void GuiTest::screenshots_of_the_new_views_render() {
  // The command-line options docs/GUI.md uses, end to end through the executable.
  const fs::path db = tiny_sweep_db();
  const fs::path trace = alexnet_trace();
  const fs::path out = hopsim::test::unique_temp_path("gui-shots");
  fs::create_directories(out);
  struct Case {
    QStringList args;
    int status;
  };
  const Case cases[] = {
      {{"--view", "sweeps", "--results", q(db), "--x", "plan.dp"}, 0},
      {{"--view", "measured", "--trace", q(trace)}, 0},
      {{"--view", "sweeps", "--results", q(out / "garbage.db")}, 1},
      {{"--view", "measured", "--trace", q(db)}, 1},
      {{"--view", "nonsense"}, 2},
  };
  hopsim::test::write_bytes(out / "garbage.db", "not a database");
  int n = 0;
  for (const Case& c : cases) {
    const QString png = q(out / ("shot-" + std::to_string(n++) + ".png"));
    QProcess p;
    p.start(HOPSIM_GUI_EXE, QStringList{"--screenshot", png} + c.args + QStringList{kScenario});
    QVERIFY(p.waitForFinished(60000));
    QVERIFY2(p.exitStatus() == QProcess::NormalExit, qPrintable(c.args.join(' ')));
    QVERIFY2(p.exitCode() == c.status,
             qPrintable(c.args.join(' ') + ": " + p.readAllStandardError()));
    if (c.status == 0) QVERIFY(!QImage(png).isNull());
  }
}

void GuiTest::a_shipped_scenario_opened_by_path_is_named() {
  // `hopsim-gui scenarios/deepseek-v3-h800.yaml` opens the shipped scenario: the box names it.
  TestWindow w;
  QVERIFY(w.open_scenario(q(hopsim::data_dir() / "scenarios" / "deepseek-v3-h800.yaml")));
  auto* box = w.findChild<QComboBox*>("scenario");
  QVERIFY(box != nullptr);
  QCOMPARE(box->currentText(), QString("deepseek-v3-h800"));
  // A scenario that is not shipped leaves the box empty.
  const fs::path dir = hopsim::test::unique_temp_path("gui-by-path");
  fs::create_directories(dir);
  fs::copy_file(hopsim::data_dir() / "scenarios" / "deepseek-v3-h800.yaml", dir / "mine.yaml");
  QVERIFY(w.open_scenario(q(dir / "mine.yaml")));
  QCOMPARE(box->currentIndex(), -1);
}

void GuiTest::the_whatif_study_shows_as_bars() {
  TestWindow w;
  open_predicted(w);
  w.run_whatif_now();
  auto* table = w.findChild<QTableWidget*>("whatif_table");
  auto* view = w.findChild<QChartView*>("whatif_chart");
  QVERIFY(table != nullptr && view != nullptr);
  QVERIFY(table->rowCount() > 5);
  // Two bars per variant (this GPU, the H100), the table's step times, in the table's order
  // from the top (a horizontal bar axis counts categories from the bottom).
  const auto series = view->chart()->series();
  QCOMPARE(series.size(), 1);
  auto* bars = qobject_cast<QHorizontalBarSeries*>(series.front());
  QVERIFY(bars != nullptr);
  QCOMPARE(bars->count(), 2);
  const int n = table->rowCount();
  for (int set = 0; set < 2; ++set) {
    QCOMPARE(bars->barSets()[set]->count(), n);
    for (int r = 0; r < n; ++r) {
      const double ms = table->item(r, 2 + set)->text().toDouble();
      QVERIFY(std::abs(bars->barSets()[set]->at(n - 1 - r) * 1000 - ms) < 0.06);
    }
  }
}

void GuiTest::a_dropped_config_json_becomes_the_model() {
  TestWindow w;
  open_predicted(w);
  QCOMPARE(w.model_spec(), QString("deepseek-v2-lite"));  // as the scenario names it
  const std::uint64_t first = w.last()->request;
  const hopsim::Nanoseconds shipped = w.last()->run.result.step_time;
  // The Hugging Face config.json of the same model (deepseek-ai/DeepSeek-V2-Lite), dropped:
  // the model comes from the JSON and, being the same model, predicts the same step.
  const QString json = QString::fromStdString(kData + "/config/hf/deepseek-v2-lite/config.json");
  QVERIFY(w.drop_file(json));
  wait_for_prediction(w, first);
  QVERIFY2(w.error_text().isEmpty(), qPrintable(w.error_text()));
  QCOMPARE(w.last()->scenario.model.hidden, 2048);
  QCOMPARE(w.last()->scenario.model.n_layers, 27);
  QCOMPARE(w.last()->run.result.step_time, shipped);
  bool named = false;
  for (const auto& o : w.overrides())
    named = named || (o.key == "model" && o.value == json.toStdString());
  QVERIFY(named);
  // A dense model under this MoE plan: the loader's error shows in place, nothing is lost.
  const std::uint64_t second = w.last()->request;
  QVERIFY(w.drop_file(QString::fromStdString(kData + "/config/hf/llama3-70b/config.json")));
  QTRY_VERIFY_WITH_TIMEOUT(!w.error_text().isEmpty(), 20000);
  QVERIFY2(w.error_text().contains("has no MoE layers"), qPrintable(w.error_text()));
  QCOMPARE(w.last()->request, second);  // the last good prediction stays shown
  // A file that is neither a model nor a scenario is refused with a message.
  const fs::path junk = hopsim::test::unique_temp_path("gui-drop.txt");
  hopsim::test::write_bytes(junk, "not a model");
  QVERIFY(!w.drop_file(q(junk)));
  // A scenario YAML opens (unsaved edits: the test answers Discard).
  w.answer = hopsim::gui::MainWindow::UnsavedChoice::kDiscard;
  QVERIFY(w.drop_file(q(hopsim::data_dir() / "scenarios" / "deepseek-v3-h800.yaml")));
  QCOMPARE(w.model_spec(), QString("deepseek-v3"));
}

void GuiTest::the_fields_are_the_loaders_declarations() {
  TestWindow w;
  open_predicted(w);
  // Ranges and choices are the declarations' (a GUI with its own limits would drift from them).
  for (const char* k : {"plan.pp", "plan.dp", "plan.ep", "plan.micro_batches", "hardware.nodes"}) {
    const hopsim::config::KeySpec* spec = hopsim::config::find_scenario_key(k);
    QVERIFY(spec != nullptr);
    QSpinBox* f = w.field(k);
    QVERIFY2(f != nullptr, k);
    QCOMPARE(f->minimum(), 1);
    QCOMPARE(static_cast<double>(f->maximum()), spec->max);
  }
  QCOMPARE(w.field("plan.comm_sms")->minimum(), 0);
  auto* schedule = qobject_cast<QComboBox*>(w.field_widget("plan.schedule"));
  QVERIFY(schedule != nullptr);
  QStringList names;
  for (std::string_view n : hopsim::schedule_names())
    names << QString::fromUtf8(n.data(), n.size());
  QStringList shown;
  for (int i = 0; i < schedule->count(); ++i) shown << schedule->itemText(i);
  QCOMPARE(shown, names);
  // Each field shows what the document says: the shipped file's scalars are the oracle.
  const hopsim::ScenarioTemplate doc(kScenario);
  int compared = 0;
  for (const auto& [key, text] : doc.scalars({})) {
    QWidget* f = w.field_widget(QString::fromStdString(key));
    if (f == nullptr) continue;
    if (auto* spin = qobject_cast<QSpinBox*>(f)) {
      QCOMPARE(QString::number(spin->value()), QString::fromStdString(text));
    } else if (auto* box = qobject_cast<QComboBox*>(f)) {
      QCOMPARE(box->currentText(), QString::fromStdString(text));
    }
    ++compared;
  }
  QVERIFY2(compared >= 10, qPrintable(QString::number(compared)));
  QVERIFY(w.overrides().empty());  // showing a document is not editing it
}

void GuiTest::cost_inputs_and_recompute_are_edited_in_place() {
  TestWindow w;
  open_predicted(w);
  const double kwh = w.last()->run.result.energy_kwh_per_trillion;
  QCOMPARE(w.last()->scenario.cost.pue, 1.0);
  auto* pue = qobject_cast<QLineEdit*>(w.field_widget("cost.pue"));
  QVERIFY(pue != nullptr);
  std::uint64_t before = w.last()->request;
  pue->clear();
  QTest::keyClicks(pue, "1.25");
  wait_for_prediction(w, before);
  QCOMPARE(w.last()->scenario.cost.pue, 1.25);
  // Energy is IT energy x PUE (the definition of PUE): 1.25 times the energy at PUE 1.
  QVERIFY(std::abs(w.last()->run.result.energy_kwh_per_trillion / kwh - 1.25) < 1e-9);

  // Below 1 is no PUE: the loader's located message shows in place and the last run stays.
  pue->clear();
  QTest::keyClicks(pue, "0.5");
  QTRY_VERIFY_WITH_TIMEOUT(!w.error_text().isEmpty(), 20000);
  QVERIFY2(w.error_text().contains("cost.pue") && w.error_text().contains("below 1"),
           qPrintable(w.error_text()));
  QCOMPARE(w.last()->scenario.cost.pue, 1.25);
  pue->clear();
  QTest::keyClicks(pue, "1");

  // Recompute is a set of checkboxes; ticking one is an edit of the list.
  auto* full = w.field_widget("plan.recompute")->findChild<QCheckBox*>("plan.recompute.full");
  QVERIFY(full != nullptr);
  QVERIFY(!full->isChecked());
  const QString listed_before =
      QString::fromStdString(*hopsim::config::scenario_value(w.last()->scenario, "plan.recompute"));
  before = w.last()->request;
  full->setChecked(true);
  wait_for_prediction(w, before);
  QVERIFY(w.last()->scenario.plan.recompute.full);
  bool listed = false;
  for (const auto& o : w.overrides()) {
    if (o.key == "plan.recompute") {
      // What the scenario had, with "full" added at the end (the declaration's order).
      QString expected = listed_before;
      expected.insert(expected.size() - 1, expected == "[]" ? "full" : ", full");
      QCOMPARE(QString::fromStdString(o.value), expected);
      listed = true;
    }
  }
  QVERIFY(listed);
}

void GuiTest::a_boolean_setting_is_a_checkbox() {
  TestWindow w;
  open_predicted(w);
  auto* overlap = qobject_cast<QCheckBox*>(w.field_widget("plan.fb_overlap"));
  QVERIFY(overlap != nullptr);
  QVERIFY(!overlap->isChecked());  // the scenario leaves it out
  const QString step = w.metrics()->item(0, 0)->text();
  // Pairs belong to the interleaved schedule, not this 1F1B plan: the plan check refuses the
  // setting, in place.
  overlap->setChecked(true);
  QTRY_VERIFY_WITH_TIMEOUT(!w.error_text().isEmpty(), 20000);
  QVERIFY2(w.error_text().contains("plan.fb_overlap") &&
               w.error_text().contains("use schedule: interleaved-1f1b"),
           qPrintable(w.error_text()));
  QCOMPARE(w.metrics()->item(0, 0)->text(), step);  // the last good prediction stays
  bool written = false;
  for (const auto& o : w.overrides())
    written = written || (o.key == "plan.fb_overlap" && o.value == "true");
  QVERIFY(written);
  // Unticked, the plan is the published one again.
  const std::uint64_t before = w.last()->request;
  overlap->setChecked(false);
  wait_for_prediction(w, before);
  QVERIFY(w.error_text().isEmpty());
  QVERIFY(!w.last()->scenario.plan.fb_overlap);
}

void GuiTest::interruption_fields_follow_the_document() {
  TestWindow w;
  QVERIFY(w.open_scenario("deepseek-v3-h800"));
  auto* between = qobject_cast<QLineEdit*>(w.field_widget("cost.interruptions.gpu_hours_between"));
  auto* lost = qobject_cast<QLineEdit*>(w.field_widget("cost.interruptions.minutes_lost"));
  QVERIFY(between != nullptr && lost != nullptr);
  QVERIFY(!between->text().isEmpty() && !lost->text().isEmpty());

  // The published plan's loss alone edited: the override carries the pair, so the edit also
  // works on a document that had none.
  lost->clear();
  QTest::keyClicks(lost, "20");
  int pair = 0;
  for (const auto& o : w.overrides()) pair += o.key.rfind("cost.interruptions.", 0) == 0 ? 1 : 0;
  QCOMPARE(pair, 2);

  // A scenario without interruptions shows none, not the previous scenario's pair.
  QVERIFY(w.open_scenario(kScenario));
  QVERIFY2(between->text().isEmpty() && lost->text().isEmpty(),
           qPrintable(between->text() + " / " + lost->text()));
  QVERIFY(w.overrides().empty());
  QTRY_VERIFY_WITH_TIMEOUT(
      w.last() != nullptr && !w.last()->scenario.cost.interruptions && !w.worker().busy(), 20000);
  QCOMPARE(w.last()->run.result.effective_training_time, 1.0);

  // Typed in: 16 GPUs, one interruption per 1000 GPU-hours, 30 minutes lost each: 16 / 1000
  // interruptions an hour, each losing half an hour, E = 1 - 0.016 x 0.5 = 0.992 (by hand).
  QTest::keyClicks(between, "1000");
  QTest::keyClicks(lost, "30");
  QTRY_VERIFY_WITH_TIMEOUT(w.last()->scenario.cost.interruptions.has_value() &&
                               w.last()->scenario.cost.interruptions->minutes_lost == 30.0 &&
                               !w.worker().busy(),
                           20000);
  QVERIFY(std::abs(w.last()->run.result.effective_training_time - 0.992) < 1e-12);
}

// Variation is edited like any plan key: a scenario without a `variation` block shows 0, a
// routing CV typed in is the scenario's, and the step grows (symmetry mode stretches every EP
// payload by 1 + CV x E[slowest of EP], above 1 by construction); a CV outside [0, 0.5] is the
// loader's located error, and the last good prediction stays.
void GuiTest::variation_typed_in_reaches_the_prediction() {
  TestWindow w;
  open_predicted(w);
  const std::uint64_t first = w.last()->request;
  const hopsim::Nanoseconds balanced = w.last()->run.result.step_time;
  auto* routing = qobject_cast<QLineEdit*>(w.field_widget("plan.variation.routing_cv"));
  QVERIFY(routing != nullptr);
  QCOMPARE(routing->text(), QString("0"));
  routing->clear();
  QTest::keyClicks(routing, "0.1");
  wait_for_prediction(w, first);
  QTRY_VERIFY_WITH_TIMEOUT(
      w.last()->scenario.plan.variation.routing_cv == 0.1 && !w.worker().busy(), 20000);
  QVERIFY2(w.error_text().isEmpty(), qPrintable(w.error_text()));
  QVERIFY(w.last()->run.result.step_time > balanced);
  QCOMPARE(w.last()->run.result.variation.routing_cv, 0.1);

  const QString step = w.metrics()->item(0, 0)->text();
  routing->clear();
  QTest::keyClicks(routing, "0.9");
  QTRY_VERIFY_WITH_TIMEOUT(!w.error_text().isEmpty(), 20000);
  QVERIFY2(w.error_text().contains("plan.variation.routing_cv"), qPrintable(w.error_text()));
  QCOMPARE(w.metrics()->item(0, 0)->text(), step);
}

void GuiTest::clicking_a_scatter_point_selects_its_row() {
  TestWindow w;
  QVERIFY(w.open_results(q(tiny_sweep_db())));
  hopsim::gui::SweepView& v = *w.sweeps();
  QVERIFY(v.set_axes("plan.pp", "step_time_ms"));
  v.table()->sortByColumn(column(v, "step_time_ms"), Qt::DescendingOrder);  // rows move
  const int points = v.scatter_points();
  QVERIFY(points > 1);
  const int xc = column(v, "plan.pp");
  const int yc = column(v, "step_time_ms");
  std::set<int> rows;
  for (int n = 0; n < points; ++n) {
    QVERIFY(v.click_point(n));
    const QModelIndexList sel = v.table()->selectionModel()->selectedRows();
    QCOMPARE(sel.size(), 1);
    const int row = sel[0].row();
    rows.insert(row);
    // The selected row holds the plotted values (read from the table, not the plot).
    const QString said = w.statusBar()->currentMessage();
    const double x =
        v.proxy()->index(row, xc).data(hopsim::gui::ResultsModel::kSortRole).toDouble();
    const double y =
        v.proxy()->index(row, yc).data(hopsim::gui::ResultsModel::kSortRole).toDouble();
    QVERIFY2(said.contains(QString("row %1 ").arg(row + 1)), qPrintable(said));
    QVERIFY2(said.contains(QString("= %1,").arg(x)) && said.endsWith(QString("= %1").arg(y)),
             qPrintable(said));
  }
  QCOMPARE(static_cast<int>(rows.size()), points);  // each point its own row
  QVERIFY(!v.click_point(points));
}

void GuiTest::pipeline_sends_show_as_arrows() {
  TestWindow w;
  w.resize(1200, 800);
  w.show();
  w.select_view("timeline");
  open_predicted(w);  // PP 2, 16 micro-batches, 1F1B
  const auto& sends = w.last()->run.result.transfers;
  // Hand count: each micro-batch crosses the one stage boundary forward and back.
  QCOMPARE(static_cast<int>(sends.size()), 2 * (2 - 1) * 16);
  hopsim::gui::TimelineView& t = *w.timeline();
  t.viewport()->repaint();
  QCOMPARE(t.painted_flows(), sends.size());  // the whole step in view: every send
  // Zoomed in: exactly the sends that overlap the visible time window.
  t.zoom(40);
  t.viewport()->repaint();
  const QRectF seen = t.mapToScene(t.viewport()->rect()).boundingRect();
  // The scene's time scale from the item's width: it spans the whole step, DP sync and
  // optimizer step included.
  const double end_ns = static_cast<double>(w.last()->run.result.step_time.value());
  const double ns_per_scene = end_ns / t.scene()->itemsBoundingRect().right();
  std::size_t expected = 0;
  for (const auto& s : sends) {
    const double a = static_cast<double>(s.start.value()) / ns_per_scene;
    const double b = static_cast<double>(s.end.value()) / ns_per_scene;
    if (b >= seen.left() - 1 && a <= seen.right() + 1) ++expected;
  }
  QVERIFY(expected < sends.size());
  QVERIFY(t.painted_flows() + 2 >= expected && t.painted_flows() <= expected + 2);
}

void GuiTest::the_trace_and_a_predicted_rank_share_a_time_axis() {
  const fs::path trace = alexnet_trace();
  TestWindow w;
  open_predicted(w);
  QVERIFY(w.open_trace(q(trace)));
  const auto& rows = w.measured()->timeline()->rows();
  // Measured rows from tests/data/traces/expected_summary.json (Python over the JSON): device 0
  // has 91 activities on stream 7 and 7 on stream 20; the trace's GPU span, 12,920,244,000 ns,
  // is where the last one ends when its first starts at 0.
  QVERIFY(rows.size() >= 3);
  QCOMPARE(QString::fromStdString(rows[0].label), QString("measured: device 0 stream 7"));
  QCOMPARE(rows[0].bars.size(), std::size_t{91});
  QCOMPARE(QString::fromStdString(rows[1].label), QString("measured: device 0 stream 20"));
  QCOMPARE(rows[1].bars.size(), std::size_t{7});
  std::int64_t first = INT64_MAX, last = 0;
  for (int i = 0; i < 2; ++i) {
    for (const auto& b : rows[static_cast<std::size_t>(i)].bars) {
      first = std::min(first, b.start.value());
      last = std::max(last, b.end.value());
    }
  }
  QCOMPARE(first, std::int64_t{0});
  QCOMPARE(last, std::int64_t{12920244000});
  // Then the predicted rank's lanes: each of its sub-ops once.
  auto predicted_bars = [&](int rank) {
    std::size_t n = 0;
    for (const auto& r : w.measured()->timeline()->rows()) {
      if (r.measured) continue;
      if (r.label.find("rank " + std::to_string(rank) + " ") == std::string::npos) return -1;
      n += r.bars.size();
    }
    return static_cast<int>(n);
  };
  auto slices = [&](int rank) {
    int n = 0;
    for (const auto& s : w.last()->run.result.timeline) n += s.rank == rank ? 1 : 0;
    return n;
  };
  QVERIFY(slices(0) > 0);
  QCOMPARE(predicted_bars(0), slices(0));
  w.measured()->set_timeline_rank(1);
  QCOMPARE(predicted_bars(1), slices(1));
  // Held against one rank, as `hopsim compare --rank 1`: the comparison says so, and the
  // timeline follows; back to the mean of the ranks.
  QCOMPARE(w.measured()->compare_rank(), -1);
  w.measured()->set_timeline_rank(0);
  w.measured()->set_compare_rank(1);
  QTRY_VERIFY_WITH_TIMEOUT(!w.measured()->busy() && w.measured()->comparison() != nullptr &&
                               w.measured()->comparison()->rank == 1,
                           20000);
  QCOMPARE(predicted_bars(1), slices(1));
  w.measured()->set_compare_rank(-1);
  QTRY_VERIFY_WITH_TIMEOUT(!w.measured()->busy() && w.measured()->comparison()->rank == -1, 20000);
  // It draws: boxes merged below a pixel, so fewer than the bars when the whole span shows.
  w.measured()->timeline()->resize(900, 200);
  (void)w.measured()->timeline()->grab();
  QVERIFY(w.measured()->timeline()->painted_boxes() > 0);
  fs::remove(trace);
}

void GuiTest::a_broken_file_is_fixed_in_the_yaml_view() {
  const fs::path dir = hopsim::test::unique_temp_path("gui-yaml");
  fs::create_directories(dir);
  const std::string good = hopsim::test::read_text(kData + "/sweep/tiny.yaml");
  std::string text = good;
  const auto at = text.find("  pp: 2\n");
  QVERIFY(at != std::string::npos);
  text.replace(at, 8, "  ppp: 2   # a typo\n");
  const fs::path broken = dir / "broken.yaml";
  hopsim::test::write_bytes(broken, text);
  // The typo's line, counted here from the text: the located error must put the cursor there.
  const int typo_line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));

  TestWindow w;
  QVERIFY(!w.open_scenario(q(broken)));
  auto* y = w.yaml();
  QCOMPARE(y->text(), QString::fromStdString(text));
  QCOMPARE(y->cursor_position().first, typo_line);
  QVERIFY(!y->dirty());
  QVERIFY(!w.has_unsaved_edits());
  // The file names its GPU profile: the GPU's figures show that profile's (132 SMs), as no edit.
  QCOMPARE(w.field("hardware.gpu.sms")->value(), 132);

  // Fixed where it shows: typed, the window has unsaved edits; applied, it predicts.
  std::string fixed = text;
  fixed.replace(fixed.find("ppp: 2"), 6, "pp: 2");
  y->set_text(QString::fromStdString(fixed));
  QVERIFY(y->dirty());
  QVERIFY(w.has_unsaved_edits());
  const std::uint64_t before = w.last() ? w.last()->request : 0;
  y->apply();
  wait_for_prediction(w, before);
  QVERIFY2(w.last()->ok, w.last()->error.c_str());
  QVERIFY(w.error_text().isEmpty());
  QCOMPARE(w.field("plan.pp")->value(), 2);
  QVERIFY(w.has_unsaved_edits());  // applied, not saved
  // Saved, the file is the typed text, comment included, and loads as the original does.
  QVERIFY(w.save_to(q(broken)));
  QCOMPARE(hopsim::test::read_text(broken), fixed);
  QVERIFY(!w.has_unsaved_edits());
  QCOMPARE(w.last()->run.result.step_time,
           hopsim::sim::run_scenario(hopsim::load_scenario(kData + "/sweep/tiny.yaml")).step_time);

  // A panel edit shows in the text as Save would write it.
  const std::uint64_t edited = w.last()->request;
  w.field("plan.micro_batches")->setValue(w.field("plan.micro_batches")->value() + 2);
  wait_for_prediction(w, edited);
  QVERIFY2(y->text().toStdString() == w.current_document().text(), qPrintable(y->text()));

  // A value out of its domain, applied: the located error, the cursor on its line.
  std::string bad = y->text().toStdString();
  const auto mb = bad.find("micro_batches:");
  QVERIFY(mb != std::string::npos);
  bad.replace(mb, bad.find('\n', mb) - mb, "micro_batches: -3");
  const int bad_line = 1 + static_cast<int>(std::count(bad.begin(), bad.begin() + mb, '\n'));
  y->set_text(QString::fromStdString(bad));
  y->apply();
  QVERIFY2(w.error_text().contains("micro_batches"), qPrintable(w.error_text()));
  QCOMPARE(y->cursor_position().first, bad_line);
  fs::remove_all(dir);
}

void GuiTest::a_gpu_figure_typed_in_makes_a_custom_gpu() {
  TestWindow w;
  open_predicted(w);
  const auto step = w.last()->run.result.step_time;
  // The fields show the profile's figures (the shipped H800 file's 3350 GB/s), as no edit.
  auto* hbm = qobject_cast<QLineEdit*>(w.field_widget("hardware.gpu.hbm_bandwidth_gb_per_s"));
  QVERIFY(hbm != nullptr);
  QCOMPARE(hbm->text(), QString("3350"));
  QCOMPARE(w.field("hardware.gpu.sms")->value(), 132);
  QVERIFY(w.overrides().empty());

  // 4800 GB/s typed in: that GPU is predicted, written inline with the figure's source.
  std::uint64_t before = w.last()->request;
  hbm->clear();
  QTest::keyClicks(hbm, "4800");
  wait_for_prediction(w, before);
  QVERIFY2(w.last()->ok, w.last()->error.c_str());
  QCOMPARE(w.last()->scenario.cluster.gpu.hbm_bandwidth.value(), 4800e9);
  QCOMPARE(w.last()->scenario.cluster.gpu.sms, 132);  // the rest of the profile kept
  QVERIFY(w.last()->run.result.step_time < step);     // memory-bound kernels run faster
  const std::string doc = w.current_document().text();
  QVERIFY2(doc.find("typed in hopsim-gui") != std::string::npos, doc.c_str());
  QVERIFY2(doc.find("sustained_clock_mhz") != std::string::npos, doc.c_str());
  // Saved and loaded back, it is the same custom GPU.
  const fs::path out = hopsim::test::unique_temp_path("gui-custom-gpu.yaml");
  QVERIFY(w.save_to(q(out)));
  QCOMPARE(hopsim::load_scenario(out).cluster.gpu.hbm_bandwidth.value(), 4800e9);
  fs::remove(out);

  // Another profile picked in the box: its figures (the H200 file's 4800 GB/s), not edits.
  before = w.last()->request;
  w.open_scenario(kScenario);
  wait_for_prediction(w, before);
  QCOMPARE(hbm->text(), QString("3350"));
  before = w.last()->request;
  QComboBox* gpu = nullptr;
  for (auto* c : w.findChildren<QComboBox*>()) {
    if (c->findText("h200-sxm") >= 0) gpu = c;
  }
  QVERIFY(gpu != nullptr);
  gpu->setCurrentText("h200-sxm");
  wait_for_prediction(w, before);
  QCOMPARE(w.last()->scenario.cluster.gpu.name, std::string("H200 SXM"));
  QCOMPARE(hbm->text(), QString("4800"));
  for (const auto& o : w.overrides()) {
    QVERIFY2(o.key.rfind("hardware.gpu.", 0) != 0, o.key.c_str());
  }
}

void GuiTest::only_the_published_plan_is_held_to_its_figure() {
  TestWindow w;
  QVERIFY(w.open_scenario("deepseek-v3-h800"));
  wait_for_prediction(w, 0);
  // DeepSeek-V3 report §1 and Table 1: 180K H800 GPU-hours per 10^12 tokens, for this plan.
  QVERIFY2(w.published_text().contains("DeepSeek measured 180,000 GPU-hours per 10^12 tokens"),
           qPrintable(w.published_text()));
  // One setting changed makes a what-if: no error is shown, the difference is named.
  const std::uint64_t before = w.last()->request;
  w.field("plan.comm_sms")->setValue(0);
  wait_for_prediction(w, before);
  QVERIFY2(w.published_text().contains("none for this plan") &&
               w.published_text().contains("plan.comm_sms 0 (published 20)"),
           qPrintable(w.published_text()));
  // A model no one published a run of: nothing to say.
  QVERIFY(w.open_scenario(kScenario));
  QTRY_VERIFY_WITH_TIMEOUT(w.published_text().isEmpty(), 20000);
}

QTEST_MAIN(GuiTest)
#include "gui_test.moc"
