#include "main_window.hpp"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHorizontalStackedBarSeries>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedBarSeries>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>
#include <fstream>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/sim/runner/result_json.hpp"
#include "timeline_view.hpp"

namespace hopsim::gui {
namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;

// Plan fields: scenario key, label, range. The keys are the scenario file's (plan.*), so an
// edit is an override read by the same loader as a file, with the same located errors.
struct SpinField {
  const char* key;
  const char* label;
  int min, max;
};
constexpr SpinField kSpinFields[] = {
    {"plan.pp", "pipeline parallel (PP)", 1, 512},
    {"plan.dp", "data parallel (DP)", 1, 65536},
    {"plan.tp", "tensor parallel (TP)", 1, 64},
    {"plan.ep", "expert parallel (EP)", 1, 1024},
    {"plan.micro_batches", "micro-batches per step", 1, 100000},
    {"plan.comm_sms", "SMs for communication", 0, 200},
    {"plan.node_limit", "nodes per token (0: any)", 0, 1024},
    {"hardware.nodes", "nodes", 1, 100000},
};

// The node profile that goes with a GPU profile (hgx-h800-8gpu for h800-sxm5), if shipped.
std::string node_for(const std::string& gpu) {
  const std::string prefix = "hgx-" + gpu.substr(0, gpu.find('-'));
  for (const auto& n : shipped_profiles("nodes")) {
    if (n.rfind(prefix, 0) == 0) return n;
  }
  return {};
}

struct Metric {
  const char* label;
  double (*value)(const sim::SimResult&);
  int decimals;
};
const Metric kMetrics[] = {
    {"step time (ms)", [](const sim::SimResult& r) { return to_ms(r.step_time); }, 1},
    {"  pipeline (ms)", [](const sim::SimResult& r) { return to_ms(r.pipeline_time); }, 1},
    {"  DP sync exposed (ms)", [](const sim::SimResult& r) { return to_ms(r.dp_exposed); }, 1},
    {"  optimizer (ms)", [](const sim::SimResult& r) { return to_ms(r.optimizer_time); }, 1},
    {"tokens/s per GPU", [](const sim::SimResult& r) { return r.tokens_per_second_per_gpu; }, 0},
    {"MFU, nominal BF16 (%)", [](const sim::SimResult& r) { return 100 * r.mfu_bf16; }, 1},
    {"bubble (% of step)", [](const sim::SimResult& r) { return 100 * r.bubble_fraction; }, 1},
    {"exposed comm (% of step)",
     [](const sim::SimResult& r) { return 100 * r.exposed_comm_fraction; }, 1},
    {"GPU-hours per 1T tokens", [](const sim::SimResult& r) { return r.gpu_hours_per_trillion; },
     0},
    {"days per 1T tokens", [](const sim::SimResult& r) { return r.days_per_trillion; }, 2},
    {"USD per 1T tokens", [](const sim::SimResult& r) { return r.dollars_per_trillion; }, 0},
    {"MWh per 1T tokens", [](const sim::SimResult& r) { return r.energy_kwh_per_trillion / 1000; },
     1},
    {"MoE dispatch per layer (us)", [](const sim::SimResult& r) { return to_us(r.comm.dispatch); },
     0},
};

QChart* step_bar(const sim::SimResult& r, const std::optional<sim::SimResult>& baseline) {
  auto* series = new QHorizontalStackedBarSeries;
  const char* parts[] = {"compute", "bubble", "exposed communication", "DP sync", "optimizer"};
  auto split = [](const sim::SimResult& x) {
    const double step = to_seconds(x.step_time);
    return std::array<double, 5>{step * x.compute_utilisation, step * x.bubble_fraction,
                                 step * x.exposed_comm_fraction, to_seconds(x.dp_exposed),
                                 to_seconds(x.optimizer_time)};
  };
  const auto now = split(r);
  std::array<double, 5> base{};
  if (baseline) base = split(*baseline);
  for (int i = 0; i < 5; ++i) {
    auto* set = new QBarSet(parts[i]);
    if (baseline) *set << base[static_cast<std::size_t>(i)];
    *set << now[static_cast<std::size_t>(i)];
    series->append(set);
  }
  auto* chart = new QChart;
  chart->addSeries(series);
  auto* cats = new QBarCategoryAxis;
  if (baseline) cats->append("baseline");
  cats->append("current");
  chart->addAxis(cats, Qt::AlignLeft);
  series->attachAxis(cats);
  auto* secs = new QValueAxis;
  secs->setTitleText("seconds per step");
  chart->addAxis(secs, Qt::AlignBottom);
  series->attachAxis(secs);
  chart->setTitle("Where the step goes");
  chart->legend()->setAlignment(Qt::AlignBottom);
  return chart;
}

QChart* memory_bars(const std::vector<MemoryBreakdown>& ranks) {
  auto* series = new QStackedBarSeries;
  const char* parts[] = {"weights",           "gradients",   "master weights",
                         "optimizer moments", "activations", "reserve"};
  std::array<QBarSet*, 6> sets{};
  for (std::size_t i = 0; i < sets.size(); ++i) sets[i] = new QBarSet(parts[i]);
  auto* cats = new QBarCategoryAxis;
  double capacity = 0, top = 0;
  for (const auto& m : ranks) {
    *sets[0] << static_cast<double>(m.weights.value()) / kGiB;
    *sets[1] << static_cast<double>(m.gradients.value()) / kGiB;
    *sets[2] << static_cast<double>(m.master_weights.value()) / kGiB;
    *sets[3] << static_cast<double>(m.optimizer_moments.value()) / kGiB;
    *sets[4] << static_cast<double>(m.activations.value()) / kGiB;
    *sets[5] << static_cast<double>(m.reserve.value()) / kGiB;
    cats->append(QString::number(m.rank));
    capacity = static_cast<double>(m.capacity.value()) / kGiB;
    top = std::max(top, static_cast<double>(m.total.value()) / kGiB);
  }
  for (auto* s : sets) series->append(s);
  auto* chart = new QChart;
  chart->addSeries(series);
  chart->addAxis(cats, Qt::AlignBottom);
  series->attachAxis(cats);
  auto* axis = new QValueAxis;
  axis->setRange(0, std::max(capacity, top) * 1.05);
  axis->setTitleText("GiB per GPU");
  chart->addAxis(axis, Qt::AlignLeft);
  series->attachAxis(axis);
  chart->setTitle(
      QString("Memory per pipeline rank (GiB) against %1 GiB of HBM").arg(capacity, 0, 'f', 1));
  chart->legend()->setAlignment(Qt::AlignBottom);
  return chart;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle("hopsim — what-if planner");
  worker_ = new PredictionWorker(this);
  connect(worker_, &PredictionWorker::finished, this,
          [this](const std::shared_ptr<const Prediction>& p) { show_prediction(p); });
  auto* split = new QSplitter(this);
  auto* panel = new QWidget(split);
  panel->setLayout(new QVBoxLayout);
  auto* views = new QWidget(split);
  views->setLayout(new QVBoxLayout);
  split->addWidget(panel);
  split->addWidget(views);
  split->setStretchFactor(1, 1);
  setCentralWidget(split);
  build_panel();
  build_views();
}

void MainWindow::build_panel() {
  auto* panel = static_cast<QSplitter*>(centralWidget())->widget(0);
  auto* layout = static_cast<QVBoxLayout*>(panel->layout());
  auto* form = new QFormLayout;
  scenario_box_ = new QComboBox;
  for (const auto& s : shipped_scenarios()) scenario_box_->addItem(QString::fromStdString(s));
  connect(scenario_box_, &QComboBox::textActivated, this,
          [this](const QString& s) { open_scenario(s); });
  form->addRow("scenario", scenario_box_);
  auto* files = new QHBoxLayout;
  auto* open = new QPushButton("Open YAML…");
  connect(open, &QPushButton::clicked, this, [this] {
    const QString f =
        QFileDialog::getOpenFileName(this, "Open scenario", {}, "YAML (*.yaml *.yml)");
    if (!f.isEmpty()) open_scenario(f);
  });
  auto* save = new QPushButton("Save YAML…");
  connect(save, &QPushButton::clicked, this, [this] { save_yaml(); });
  files->addWidget(open);
  files->addWidget(save);
  form->addRow(files);
  gpu_ = new QComboBox;
  for (const auto& g : shipped_profiles("gpus")) gpu_->addItem(QString::fromStdString(g));
  connect(gpu_, &QComboBox::currentTextChanged, this, [this] { edited(); });
  form->addRow("GPU", gpu_);
  for (const SpinField& f : kSpinFields) {
    auto* spin = new QSpinBox;
    spin->setRange(f.min, f.max);
    spin->setObjectName(f.key);
    connect(spin, &QSpinBox::valueChanged, this, [this] { edited(); });
    form->addRow(f.label, spin);
    spins_.emplace_back(f.key, spin);
  }
  schedule_ = new QComboBox;
  for (std::string_view s : schedule_names()) {
    schedule_->addItem(QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())));
  }
  connect(schedule_, &QComboBox::currentTextChanged, this, [this] { edited(); });
  form->addRow("schedule", schedule_);
  precision_ = new QComboBox;
  precision_->addItems({"fp8", "bf16"});
  connect(precision_, &QComboBox::currentTextChanged, this, [this] { edited(); });
  form->addRow("GEMM precision", precision_);
  layout->addLayout(form);
  error_ = new QLabel;
  error_->setWordWrap(true);
  error_->setStyleSheet("color: #b00020;");
  error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(error_);
  auto* pin = new QPushButton("Pin as baseline");
  connect(pin, &QPushButton::clicked, this, [this] { pin_baseline(); });
  layout->addWidget(pin);
  layout->addStretch(1);
}

void MainWindow::build_views() {
  auto* views = static_cast<QSplitter*>(centralWidget())->widget(1);
  auto* layout = static_cast<QVBoxLayout*>(views->layout());
  headline_ = new QLabel;
  headline_->setStyleSheet("font-size: 15px; font-weight: 600;");
  layout->addWidget(headline_);
  tabs_ = new QTabWidget;
  layout->addWidget(tabs_, 1);

  auto* summary = new QWidget;
  auto* sl = new QHBoxLayout(summary);
  metrics_ = new QTableWidget(static_cast<int>(std::size(kMetrics)), 3);
  metrics_->setHorizontalHeaderLabels({"current", "baseline", "change"});
  for (int i = 0; i < metrics_->rowCount(); ++i) {
    metrics_->setVerticalHeaderItem(i, new QTableWidgetItem(kMetrics[i].label));
  }
  metrics_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  metrics_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  sl->addWidget(metrics_, 2);
  step_chart_ = new QChartView;
  sl->addWidget(step_chart_, 3);
  tabs_->addTab(summary, "Summary");

  timeline_ = new TimelineView;
  connect(timeline_, &TimelineView::slice_clicked, this,
          [this](const QString& s) { statusBar()->showMessage(s); });
  tabs_->addTab(timeline_, "Timeline");

  memory_chart_ = new QChartView;
  tabs_->addTab(memory_chart_, "Memory");

  auto* whatif = new QWidget;
  auto* wl = new QVBoxLayout(whatif);
  auto* run = new QPushButton("Compare with the same plan on H100 (and ablations)");
  connect(run, &QPushButton::clicked, this, [this] { run_whatif_now(); });
  wl->addWidget(run);
  whatif_table_ = new QTableWidget(0, 5);
  whatif_table_->setHorizontalHeaderLabels(
      {"what", "variant", "this GPU step (ms)", "H100 step (ms)", "this GPU slower by"});
  whatif_table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  whatif_table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  wl->addWidget(whatif_table_, 1);
  whatif_answer_ = new QLabel;
  whatif_answer_->setWordWrap(true);
  wl->addWidget(whatif_answer_);
  tabs_->addTab(whatif, "What-if");
}

void MainWindow::open_scenario(const QString& spec) {
  try {
    base_ = ScenarioTemplate(spec.toStdString());
    const Scenario s = base_.instantiate({});
    loading_ = true;
    for (auto& [key, spin] : spins_) {
      const ParallelPlan& p = s.plan;
      const int v = key == "plan.pp"              ? p.pp
                    : key == "plan.dp"            ? p.dp
                    : key == "plan.tp"            ? p.tp
                    : key == "plan.ep"            ? p.ep
                    : key == "plan.micro_batches" ? p.micro_batches
                    : key == "plan.comm_sms"      ? p.comm_sms
                    : key == "plan.node_limit"    ? p.node_limit
                                                  : s.cluster.num_nodes;
      spin->setValue(v);
    }
    schedule_->setCurrentText(to_string(s.plan.schedule));
    precision_->setCurrentText(to_string(s.plan.gemm_precision));
    const int gi = scenario_box_->findText(spec);
    if (gi >= 0) scenario_box_->setCurrentIndex(gi);
    gpu_->setCurrentIndex(-1);  // as in the file, unless it names a shipped profile
    for (const auto& [key, value] : base_.scalars({})) {
      if (key == "hardware.gpu")
        gpu_->setCurrentIndex(gpu_->findText(QString::fromStdString(value)));
    }
    loading_ = false;
    baseline_.reset();
    error_->clear();
    setWindowTitle("hopsim — " + QString::fromStdString(s.name));
    edited();
  } catch (const std::exception& e) {
    loading_ = false;
    error_->setText(QString::fromStdString(e.what()));
  }
}

std::vector<ScenarioOverride> MainWindow::overrides() const {
  std::vector<ScenarioOverride> o;
  for (const auto& [key, spin] : spins_) {
    o.push_back({key.toStdString(), std::to_string(spin->value())});
  }
  o.push_back({"plan.schedule", schedule_->currentText().toStdString()});
  o.push_back({"plan.precision", precision_->currentText().toStdString()});
  if (gpu_->currentIndex() >= 0) {
    const std::string g = gpu_->currentText().toStdString();
    o.push_back({"hardware.gpu", g});
    if (const std::string n = node_for(g); !n.empty()) o.push_back({"hardware.node", n});
  }
  return o;
}

void MainWindow::edited() {
  if (loading_ || base_.text().empty()) return;
  headline_->setText(headline_->text().isEmpty() ? "predicting…" : headline_->text());
  worker_->request(base_, overrides());
}

QString MainWindow::error_text() const {
  return error_->text();
}

QSpinBox* MainWindow::field(const QString& key) const {
  for (const auto& [k, spin] : spins_) {
    if (k == key) return spin;
  }
  return nullptr;
}

void MainWindow::show_prediction(const std::shared_ptr<const Prediction>& p) {
  if (!p->ok) {
    error_->setText(QString::fromStdString(p->error));
    return;
  }
  error_->clear();
  last_ = p;
  const sim::SimResult& r = p->run.result;
  headline_->setText(QString("%1: %2 s per step, %3 GPU-hours per 10^12 tokens, MFU %4% — %5")
                         .arg(QString::fromStdString(p->scenario.name))
                         .arg(to_seconds(r.step_time), 0, 'f', 2)
                         .arg(r.gpu_hours_per_trillion, 0, 'f', 0)
                         .arg(100 * r.mfu_bf16, 0, 'f', 1)
                         .arg(p->run.memory.fits ? "fits in memory" : "does NOT fit in memory"));
  for (int i = 0; i < metrics_->rowCount(); ++i) {
    const Metric& m = kMetrics[i];
    const double v = m.value(r);
    metrics_->setItem(i, 0, new QTableWidgetItem(QString::number(v, 'f', m.decimals)));
    if (baseline_) {
      const double b = m.value(*baseline_);
      metrics_->setItem(i, 1, new QTableWidgetItem(QString::number(b, 'f', m.decimals)));
      metrics_->setItem(
          i, 2,
          new QTableWidgetItem(b != 0 ? QString("%1%").arg(100 * (v / b - 1), 0, 'f', 1) : "—"));
    } else {
      metrics_->setItem(i, 1, new QTableWidgetItem("—"));
      metrics_->setItem(i, 2, new QTableWidgetItem("—"));
    }
  }
  step_chart_->setChart(step_bar(r, baseline_));
  memory_chart_->setChart(memory_bars(p->run.ranks));
  timeline_->show_run(r.timeline, p->scenario.plan.pp);
  QString warnings;
  for (const auto& w : r.warnings) warnings += QString::fromStdString(w) + "\n";
  statusBar()->showMessage(warnings.isEmpty()
                               ? QString("%1 sub-ops simulated").arg(r.timeline.size())
                               : warnings.trimmed());
}

void MainWindow::pin_baseline() {
  if (last_) baseline_ = last_->run.result;
  if (last_) show_prediction(last_);
}

void MainWindow::run_whatif_now() {
  if (!last_) return;
  try {
    const Scenario& a = last_->scenario;
    std::vector<ScenarioOverride> o = overrides();
    o.push_back({"hardware.gpu", "h100-sxm5"});
    if (const std::string n = node_for("h100-sxm5"); !n.empty()) o.push_back({"hardware.node", n});
    const Scenario b = base_.instantiate(o);
    const planner::WhatIfStudy w =
        planner::run_whatif(a, b, [](const Scenario&) { return sim::RunOptions{}; });
    whatif_table_->setRowCount(static_cast<int>(w.rows.size()));
    for (std::size_t i = 0; i < w.rows.size(); ++i) {
      const auto& row = w.rows[i];
      const int r = static_cast<int>(i);
      whatif_table_->setItem(r, 0, new QTableWidgetItem(QString::fromStdString(row.group)));
      whatif_table_->setItem(r, 1, new QTableWidgetItem(QString::fromStdString(row.label)));
      whatif_table_->setItem(
          r, 2, new QTableWidgetItem(QString::number(to_ms(row.ra.step_time), 'f', 1)));
      whatif_table_->setItem(
          r, 3, new QTableWidgetItem(QString::number(to_ms(row.rb.step_time), 'f', 1)));
      whatif_table_->setItem(r, 4,
                             new QTableWidgetItem(QString("%1%").arg(100 * row.gap(), 0, 'f', 1)));
    }
    QString answer;
    for (const auto& line : w.reasons) answer += QString::fromStdString(line) + "\n";
    whatif_answer_->setText(answer.trimmed());
  } catch (const std::exception& e) {
    whatif_answer_->setText(QString::fromStdString(e.what()));
  }
}

void MainWindow::select_view(const QString& name) {
  const QStringList names = {"summary", "timeline", "memory", "whatif"};
  const int i = static_cast<int>(names.indexOf(name));
  if (i >= 0) tabs_->setCurrentIndex(i);
}

void MainWindow::save_yaml() {
  const QString f = QFileDialog::getSaveFileName(this, "Save scenario", {}, "YAML (*.yaml)");
  if (f.isEmpty()) return;
  try {
    std::ofstream out(f.toStdString(), std::ios::binary);
    out << base_.edited_yaml(overrides());
    if (!out) throw std::runtime_error("cannot write " + f.toStdString());
  } catch (const std::exception& e) {
    error_->setText(QString::fromStdString(e.what()));
  }
}

}  // namespace hopsim::gui
