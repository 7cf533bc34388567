#include "measured_view.hpp"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>
#include <QtConcurrent/QtConcurrentRun>

#include "aligned_timeline.hpp"
#include "chart_util.hpp"
#include "error_label.hpp"
#include "hopsim/profiler/classify/classifier.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/import/import_problems.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "prediction_worker.hpp"

namespace hopsim::gui {
namespace {

QString ms(Nanoseconds t) {
  return QString::number(to_ms(t), 'f', 3);
}

// As `hopsim compare` prints it: a class only one side has is named, not given an error.
QString error_text(const profiler::compare::Row& r) {
  if (r.measured.value() == 0) return r.predicted.value() == 0 ? "—" : "not measured";
  if (r.predicted.value() == 0) return "not predicted";
  return QString("%1%2%").arg(r.error() >= 0 ? "+" : "").arg(100 * r.error(), 0, 'f', 1);
}

const char* const kNoTrace =
    "No trace open (`hopsim import` turns a Kineto or Nsight Systems trace into one).";

}  // namespace

MeasuredView::MeasuredView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  auto* open = new QPushButton("Open trace…");
  open->setToolTip(
      "A trace of a real run: Kineto JSON (.json, .json.gz), an Nsight Systems SQLite export, "
      "or the SQLite file `hopsim import` writes");
  connect(open, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(
        this, "Open trace", {}, "Traces (*.json *.json.gz *.sqlite *.db);;All (*)");
    if (!f.isEmpty()) open_trace_in_background(f);
  });
  top->addWidget(open);
  info_ = new QLabel(kNoTrace);
  info_->setWordWrap(true);
  info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  top->addWidget(info_, 1);
  // A database of a whole job (`hopsim import DIR`): which rank's trace is shown.
  auto* which = new QVBoxLayout;
  trace_rank_box_ = new QComboBox;
  trace_rank_box_->setObjectName("trace_rank");
  trace_rank_box_->setToolTip(
      "The ranks of the job this trace database holds (`hopsim import DIR`); as "
      "`--trace-rank`");
  trace_rank_box_->hide();
  connect(trace_rank_box_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (i >= 0) open_trace_in_background(trace_file_, trace_rank_box_->itemData(i).toLongLong());
  });
  which->addWidget(trace_rank_box_);
  which->addStretch(1);
  top->addLayout(which);
  // Which prediction the trace is held against: the mean over pipeline ranks, or the rank the
  // trace captured (DualPipe's rank 0 also holds the embedding, the head and MTP), as
  // `hopsim compare --rank`.
  auto* against = new QVBoxLayout;
  against->addWidget(new QLabel("held against"));
  compare_rank_ = new QComboBox;
  compare_rank_->addItem("the mean of the pipeline ranks", -1);
  compare_rank_->setToolTip("The predicted pipeline rank the trace is compared with");
  connect(compare_rank_, &QComboBox::currentIndexChanged, this, [this] {
    const int r = compare_rank();
    if (r >= 0) set_timeline_rank(r);
    start();
  });
  against->addWidget(compare_rank_);
  against->addStretch(1);
  top->addLayout(against);
  layout->addLayout(top);
  message_ = new_error_label();
  message_->hide();
  layout->addWidget(message_);

  auto* split = new QSplitter(Qt::Horizontal);
  table_ = new QTableWidget(0, 4);
  table_->setHorizontalHeaderLabels({"kernel class", "measured (ms)", "predicted (ms)", "error"});
  // Every column as wide as its contents, so that a class name ("deepep_dispatch") is never
  // cut; the last one takes what is left.
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->hide();
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  split->addWidget(table_);
  chart_ = new QChartView;
  split->addWidget(chart_);
  split->setSizes({680, 520});  // (proportions: the splitter scales them to its width)

  // Below: the trace's streams and one predicted rank's lanes on one time axis.
  auto* lower = new QWidget;
  auto* lower_layout = new QVBoxLayout(lower);
  lower_layout->setContentsMargins(0, 0, 0, 0);
  auto* bar = new QHBoxLayout;
  caption_ = new QLabel(
      "Timelines from time 0: a measured step and the predicted step of "
      "pipeline rank");
  caption_->setWordWrap(true);
  bar->addWidget(caption_, 1);
  rank_ = new QSpinBox;
  rank_->setRange(0, 0);
  rank_->setToolTip("The predicted pipeline rank shown under the trace");
  connect(rank_, &QSpinBox::valueChanged, this, [this] { refresh_timeline(); });
  bar->addWidget(rank_);
  lower_layout->addLayout(bar);
  timeline_ = new AlignedTimeline;
  lower_layout->addWidget(timeline_, 1);

  auto* vertical = new QSplitter(Qt::Vertical);
  vertical->addWidget(split);
  vertical->addWidget(lower);
  vertical->setSizes({600, 300});
  layout->addWidget(vertical, 1);

  connect(&loader_, &QFutureWatcher<Loaded>::finished, this, [this] {
    const Loaded l = loader_.result();
    if (l.generation != load_generation_) return;  // superseded by a newer request
    emit trace_opened(l.path, show_loaded(l));
  });
  connect(&watcher_, &QFutureWatcher<Outcome>::finished, this, [this] {
    const Outcome o = watcher_.result();
    if (o.generation == generation_) show_outcome(o);
    if (pending_) start();
  });
}

MeasuredView::~MeasuredView() = default;

QString MeasuredView::message() const {
  return message_->text();
}

void MeasuredView::fail(const QString& text) {
  set_error(message_, text);
  if (!text.isEmpty()) emit status(text);
}

MeasuredView::Loaded MeasuredView::load(std::uint64_t generation, const QString& path,
                                        std::optional<std::int64_t> rank) {
  Loaded l;
  l.generation = generation;
  l.path = path;
  try {
    // A job database shows one rank at a time: the one asked for, else its first.
    const std::string file = path.toStdString();
    if (profiler::import::detect_format(file) == profiler::import::TraceFormat::kHopsimTrace) {
      l.ranks = profiler::trace::list_traces(file);
      if (!rank && l.ranks.size() > 1) rank = l.ranks.front().rank;
    }
    // A profiler's own file (Kineto JSON, nsys export) is imported in memory, as compare does.
    l.trace =
        std::make_shared<const profiler::trace::Trace>(profiler::import::read_trace(file, rank));
  } catch (const std::exception& e) {
    l.error = QString("Cannot open %1 as a trace: %2").arg(path, e.what());
  }
  l.rank = rank;
  return l;
}

bool MeasuredView::open_trace(const QString& path, std::optional<std::int64_t> rank) {
  ++load_generation_;  // a background read still running is superseded
  return show_loaded(load(load_generation_, path, rank));
}

void MeasuredView::open_trace_in_background(const QString& path, std::optional<std::int64_t> rank) {
  info_->setText(QString("Reading %1…").arg(QFileInfo(path).fileName()));
  emit status(QString("reading trace %1").arg(path));
  loader_.setFuture(QtConcurrent::run(&MeasuredView::load, ++load_generation_, path, rank));
}

bool MeasuredView::show_loaded(const Loaded& l) {
  QString error = l.error;
  try {
    // The shipped rules, read once, when the first trace shows (a missing data file is this
    // trace's error, not the window's).
    if (error.isEmpty() && !classifier_) {
      classifier_ = std::make_shared<const profiler::classify::KernelClassifier>(
          profiler::classify::KernelClassifier::shipped());
    }
    if (error.isEmpty() && !components_) {
      components_ = std::make_shared<const profiler::attribute::ComponentMap>(
          profiler::attribute::ComponentMap::shipped());
    }
  } catch (const std::exception& e) {
    error = QString("Cannot open %1 as a trace: %2").arg(l.path, e.what());
  }
  if (!error.isEmpty()) {
    info_->setText(trace_info_.isEmpty() ? kNoTrace : trace_info_);  // the one shown stays
    fail(error);
    return false;
  }
  const QString& path = l.path;
  trace_ = l.trace;
  trace_file_ = path;
  trace_rank_ = l.rank.value_or(l.ranks.empty() ? 0 : l.ranks.front().rank);
  trace_ranks_ = l.ranks;
  const auto& ranks = trace_ranks_;
  {
    const QSignalBlocker quiet(trace_rank_box_);
    trace_rank_box_->clear();
    for (const auto& e : ranks) {
      trace_rank_box_->addItem(
          QString("rank %1: %2").arg(e.rank).arg(QString::fromStdString(e.file)),
          QVariant::fromValue<qlonglong>(e.rank));
      if (e.rank == trace_rank_) trace_rank_box_->setCurrentIndex(trace_rank_box_->count() - 1);
    }
    trace_rank_box_->setVisible(ranks.size() > 1);
  }
  window_ = profiler::compare::measured_window(*trace_, *classifier_);
  caption_->setText(QString("Timelines from time 0: %1 of the trace, and the predicted step of "
                            "pipeline rank")
                        .arg(QString::fromStdString(window_.what)));
  fail({});
  auto fact = [&](const char* key) {
    const auto it = trace_->provenance.find(key);
    return it == trace_->provenance.end() ? QString("?") : QString::fromStdString(it->second);
  };
  // The source's file name only: the importing machine's folders say nothing here.
  const QString source = QString(" Imported from %1 (%2).")
                             .arg(QFileInfo(fact("source_file")).fileName(), fact("source_format"));
  const QString of_job = trace_ranks_.size() > 1 ? QString(" (rank %1 of %2 in this job database)")
                                                       .arg(trace_rank_)
                                                       .arg(trace_ranks_.size())
                                                 : QString();
  trace_info_ = QString("%1%5 — %2 GPU activities, %3 device(s) listed.%4")
                    .arg(QFileInfo(path).fileName())
                    .arg(trace_->activities.size())
                    .arg(trace_->devices.size())
                    .arg(source, of_job);
  // What the import recorded and went on past (docs/TRACES.md, "Import problems"): the same
  // catalogue `hopsim import` and `trace summary` print.
  for (const auto& p : trace_->problems) {
    trace_info_ += "\nimport problem " + QString::fromStdString(profiler::import::describe(p));
  }
  info_->setText(trace_info_);
  emit status(QString("opened trace %1").arg(path));
  timeline_->show_measured(trace_, *classifier_, window_);
  refresh_timeline();
  if (scenario_) start();
  return true;
}

void MeasuredView::set_scenario(const Scenario& s) {
  scenario_ = s;
  if (trace_) start();
}

void MeasuredView::set_prediction(std::shared_ptr<const Prediction> p) {
  prediction_ = std::move(p);
  if (prediction_ && prediction_->ok) {
    const int pp = std::max(1, prediction_->scenario.plan.pp);
    const QSignalBlocker quiet(rank_);
    rank_->setRange(0, pp - 1);
    const QSignalBlocker quiet_too(compare_rank_);
    const int keep = compare_rank() < pp ? compare_rank() : -1;
    while (compare_rank_->count() > 1) compare_rank_->removeItem(1);
    for (int r = 0; r < pp; ++r) compare_rank_->addItem(QString("pipeline rank %1").arg(r), r);
    compare_rank_->setCurrentIndex(compare_rank_->findData(keep));
  }
  refresh_timeline();
  if (prediction_) set_scenario(prediction_->scenario);
}

int MeasuredView::compare_rank() const {
  return compare_rank_->currentData().toInt();
}

void MeasuredView::set_compare_rank(int rank) {
  compare_rank_->setCurrentIndex(std::max(0, compare_rank_->findData(rank)));
}

void MeasuredView::set_timeline_rank(int rank) {
  rank_->setValue(rank);
  refresh_timeline();
}

void MeasuredView::refresh_timeline() {
  timeline_->show_predicted(trace_ ? prediction_ : nullptr, rank_->value());
}

MeasuredView::Outcome MeasuredView::run(
    std::uint64_t generation, std::shared_ptr<const profiler::trace::Trace> trace,
    std::shared_ptr<const profiler::classify::KernelClassifier> c,
    std::shared_ptr<const profiler::attribute::ComponentMap> map, Scenario scenario,
    std::string trace_file, int rank, sim::RunOptions options) {
  Outcome o;
  o.generation = generation;
  try {
    o.comparison = std::make_shared<const profiler::compare::Comparison>(
        profiler::compare::compare(scenario, *trace, *c, trace_file, options, map.get(), rank));
  } catch (const std::exception& e) {
    o.error = QString::fromStdString(e.what());
  }
  return o;
}

void MeasuredView::start() {
  if (!trace_ || !scenario_) return;
  ++generation_;
  if (watcher_.isRunning()) {
    pending_ = true;  // the newest scenario runs when this one ends
    return;
  }
  pending_ = false;
  watcher_.setFuture(QtConcurrent::run(&MeasuredView::run, generation_, trace_, classifier_,
                                       components_, *scenario_, trace_file_.toStdString(),
                                       compare_rank(), run_options(*scenario_)));
}

void MeasuredView::compare_now() {
  if (!trace_ || !scenario_) return;
  show_outcome(run(++generation_, trace_, classifier_, components_, *scenario_,
                   trace_file_.toStdString(), compare_rank(), run_options(*scenario_)));
}

sim::RunOptions MeasuredView::run_options(const Scenario& s) const {
  sim::RunOptions o;
  if (cost_for_) o.cost = cost_for_(s.cluster.gpu);
  return o;
}

void MeasuredView::set_cost_for(std::function<sim::CostParameters(const GpuProfile&)> cost_for) {
  cost_for_ = std::move(cost_for);
  if (trace_ && scenario_) start();
}

void MeasuredView::show_outcome(const Outcome& o) {
  if (!o.comparison) {
    fail("Cannot compare with the trace: " + o.error);
    return;
  }
  fail({});
  shown_ = o.comparison;
  const auto& c = *o.comparison;
  // Where the trace and the scenario disagree, under the trace's line.
  QString info = trace_info_;
  for (const auto& w : c.warnings) info += "\nwarning: " + QString::fromStdString(w);
  info_->setText(info);
  // Rows: the end-to-end step first, then every class either side has, by measured time, then
  // the components the trace's annotations map to.
  table_->setRowCount(static_cast<int>(c.classes.size() + c.components.size()) + 1);
  auto put = [&](int r, const profiler::compare::Row& row, const QString& what) {
    table_->setItem(r, 0, new QTableWidgetItem(what));
    for (int col = 1; col < 4; ++col) {
      auto* item = new QTableWidgetItem(col == 1   ? ms(row.measured)
                                        : col == 2 ? ms(row.predicted)
                                                   : error_text(row));
      item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      table_->setItem(r, col, item);
    }
  };
  put(0, c.step, "step (end to end)");
  QFont bold = table_->font();
  bold.setBold(true);
  for (int col = 0; col < 4; ++col) table_->item(0, col)->setFont(bold);
  for (std::size_t i = 0; i < c.classes.size(); ++i) {
    put(static_cast<int>(i) + 1, c.classes[i], QString::fromStdString(c.classes[i].what));
  }
  for (std::size_t i = 0; i < c.components.size(); ++i) {
    put(static_cast<int>(c.classes.size() + i) + 1, c.components[i],
        "component " + QString::fromStdString(c.components[i].what));
  }

  auto* measured = new QBarSet("measured");
  auto* predicted = new QBarSet("predicted");
  auto* cats = new QBarCategoryAxis;
  double top = 0;
  // Largest at the top: a horizontal bar chart draws its first category at the bottom.
  for (auto it = c.classes.rbegin(); it != c.classes.rend(); ++it) {
    *measured << to_ms(it->measured);
    *predicted << to_ms(it->predicted);
    cats->append(QString::fromStdString(it->what));
    top = std::max({top, to_ms(it->measured), to_ms(it->predicted)});
  }
  auto* axis = new QValueAxis;
  axis->setRange(0, top > 0 ? top * 1.05 : 1);
  axis->setTitleText("ms per step per GPU");
  auto* chart = horizontal_bars({measured, predicted}, cats, axis);
  chart->setTitle(QString("%1 predicted vs measured (%2 step(s), %3 device(s) with activity)")
                      .arg(QString::fromStdString(c.scenario))
                      .arg(c.measured_steps)
                      .arg(c.measured_devices));
  replace_chart(chart_, chart);
}

QString MeasuredView::info() const {
  return info_->text();
}

}  // namespace hopsim::gui
