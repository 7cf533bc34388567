#include "main_window.hpp"

#include <QApplication>
#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCloseEvent>
#include <QComboBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHorizontalStackedBarSeries>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedBarSeries>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <filesystem>
#include <span>
#include <stdexcept>

#include "chart_util.hpp"
#include "error_label.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/scenario_keys.hpp"
#include "hopsim/core/io/atomic_file.hpp"
#include "hopsim/frontend/calibration_ref.hpp"
#include "hopsim/planner/published.hpp"
#include "hopsim/planner/report.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "hopsim/sim/runner/rank_spread.hpp"
#include "key_field.hpp"
#include "measured_view.hpp"
#include "sweep_view.hpp"
#include "timeline_view.hpp"
#include "yaml_view.hpp"

namespace hopsim::gui {
namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;
constexpr int kRecentFiles = 8;

// Writes all or nothing through the project's one writer (core/io/atomic_file.hpp), as the CLI
// does: a failed write leaves the file that was there. IoError names the path and the cause.
void write_file(const QString& path, const std::string& text) {
  hopsim::io::write_file_atomically(path.toStdString(), text);
}

// The settings the panel edits, in order. Each field is built from the key's declaration in
// core/config/scenario_keys.hpp (kind, range, choices, label), the one the loader reads with, and
// an edit is an override read by that loader, with its located errors.
constexpr const char* kClusterKeys[] = {"hardware.nodes"};
constexpr const char* kPlanKeys[] = {"plan.pp",
                                     "plan.dp",
                                     "plan.tp",
                                     "plan.ep",
                                     "plan.micro_batches",
                                     "plan.micro_batch_size",
                                     "plan.seq_len",
                                     "plan.schedule",
                                     "plan.virtual_stages",
                                     "plan.fb_overlap",
                                     "plan.layers_per_stage",
                                     "plan.comm_sms",
                                     "plan.node_limit",
                                     "plan.zero_stage",
                                     "plan.overlap_grad_reduce",
                                     "plan.recompute",
                                     "plan.precision",
                                     "plan.variation.kernel_time_cv",
                                     "plan.variation.routing_cv"};
constexpr const char* kCostKeys[] = {"cost.price_per_gpu_hour", "cost.pue", "cost.training_tokens",
                                     "cost.interruptions.gpu_hours_between",
                                     "cost.interruptions.minutes_lost"};
// The GPU's figures: editing one makes a custom GPU (the profile written inline in the scenario,
// the edited figure's source saying so).
constexpr const char* kGpuKeys[] = {"hardware.gpu.sms",
                                    "hardware.gpu.sustained_clock_mhz",
                                    "hardware.gpu.bf16_dense_tflops",
                                    "hardware.gpu.fp8_dense_tflops",
                                    "hardware.gpu.hbm_bandwidth_gb_per_s",
                                    "hardware.gpu.nvlink_bidirectional_gb_per_s",
                                    "hardware.gpu.tdp_watts"};
constexpr const char* kCustomSource = "typed in hopsim-gui";

bool is_gpu_figure(const std::string& key) {
  return key.rfind("hardware.gpu.", 0) == 0;
}

bool is_interruption_key(const std::string& key) {
  return key.rfind("cost.interruptions.", 0) == 0;
}

// The node profile that goes with a GPU profile (hgx-h800-8gpu for h800-sxm5), if shipped.
std::string node_for(const std::string& gpu) {
  const std::string prefix = "hgx-" + gpu.substr(0, gpu.find('-'));
  for (const auto& n : shipped_profiles("nodes")) {
    if (n.rfind(prefix, 0) == 0) return n;
  }
  return {};
}

// A profile's figures as the fields show them (scenario_value's text).
std::map<std::string, std::string> gpu_figures(const GpuProfile& g) {
  Scenario s;
  s.cluster.gpu = g;
  std::map<std::string, std::string> out;
  for (const char* k : kGpuKeys) {
    if (const auto v = config::scenario_value(s, k)) out[k] = *v;
  }
  return out;
}

struct Metric {
  const char* label;
  double (*value)(const Prediction&);
  int decimals;
};
// The whole run is the scenario's cost.training_tokens (planner::whole_run, as the report).
planner::WholeRun run_of(const Prediction& p) {
  return planner::whole_run(p.scenario, p.run.result);
}
const Metric kMetrics[] = {
    {"step time (ms)", [](const Prediction& p) { return to_ms(p.run.result.step_time); }, 1},
    {"  pipeline (ms)", [](const Prediction& p) { return to_ms(p.run.result.pipeline_time); }, 1},
    {"  DP sync exposed (ms)", [](const Prediction& p) { return to_ms(p.run.result.dp_exposed); },
     1},
    {"  optimizer (ms)", [](const Prediction& p) { return to_ms(p.run.result.optimizer_time); }, 1},
    {"tokens/s per GPU", [](const Prediction& p) { return p.run.result.tokens_per_second_per_gpu; },
     0},
    {"MFU, nominal BF16 (%)", [](const Prediction& p) { return 100 * p.run.result.mfu_bf16; }, 1},
    {"bubble (% of step)", [](const Prediction& p) { return 100 * p.run.result.bubble_fraction; },
     1},
    // Where the bubble comes from: the busiest pipeline rank's compute and, for DualPipe, its
    // longest F&B pair (sim::rank_spread, as `hopsim run` prints them).
    {"  busiest rank compute (% of pipeline)",
     [](const Prediction& p) { return 100 * sim::rank_spread(p.run.result).busiest_fraction; }, 1},
    {"  longest F&B pair (ms)",
     [](const Prediction& p) { return to_ms(sim::rank_spread(p.run.result).longest_pair_time); },
     1},
    {"exposed comm (% of step)",
     [](const Prediction& p) { return 100 * p.run.result.exposed_comm_fraction; }, 1},
    {"effective training time (%)",
     [](const Prediction& p) { return 100 * p.run.result.effective_training_time; }, 1},
    {"GPU-hours per 1T tokens",
     [](const Prediction& p) { return p.run.result.gpu_hours_per_trillion; }, 0},
    {"days per 1T tokens", [](const Prediction& p) { return p.run.result.days_per_trillion; }, 2},
    {"USD per 1T tokens", [](const Prediction& p) { return p.run.result.dollars_per_trillion; }, 0},
    {"MWh per 1T tokens",
     [](const Prediction& p) { return p.run.result.energy_kwh_per_trillion / 1000; }, 1},
    {"training run: GPU-hours (M)", [](const Prediction& p) { return run_of(p).gpu_hours / 1e6; },
     3},
    {"training run: days", [](const Prediction& p) { return run_of(p).days; }, 1},
    {"training run: USD (M)", [](const Prediction& p) { return run_of(p).dollars / 1e6; }, 2},
    {"training run: MWh", [](const Prediction& p) { return run_of(p).energy_kwh / 1000; }, 0},
    {"MoE dispatch per layer (us)",
     [](const Prediction& p) { return to_us(p.run.result.comm.dispatch); }, 0},
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

// The what-if study as bars: each variant's step on this GPU and on the H100, side by side, so
// where the two GPUs part (and where a mitigation closes the gap) shows at a glance.
QChart* whatif_bars(const planner::WhatIfStudy& w, const QString& this_gpu,
                    const QString& other_gpu) {
  auto* a = new QBarSet(this_gpu);
  auto* b = new QBarSet(other_gpu);
  auto* cats = new QBarCategoryAxis;
  double top = 0;
  // Top to bottom in the table's order: a horizontal axis lists categories from the bottom.
  for (std::size_t i = w.rows.size(); i-- > 0;) {
    const auto& row = w.rows[i];
    *a << to_seconds(row.ra.step_time);
    *b << to_seconds(row.rb.step_time);
    top = std::max({top, to_seconds(row.ra.step_time), to_seconds(row.rb.step_time)});
    cats->append(QString::fromStdString(row.group + ": " + row.label));
  }
  auto* secs = new QValueAxis;
  secs->setRange(0, top * 1.05);
  secs->applyNiceNumbers();
  secs->setTitleText("seconds per step");
  auto* chart = horizontal_bars({a, b}, cats, secs);
  chart->setTitle("Step time per variant: " + this_gpu + " vs " + other_gpu);
  return chart;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent, const QString& settings_file) : QMainWindow(parent) {
  settings_ = settings_file.isEmpty()
                  ? std::make_unique<QSettings>()
                  : std::make_unique<QSettings>(settings_file, QSettings::IniFormat);
  setWindowTitle("hopsim — what-if planner[*]");
  setAcceptDrops(true);
  worker_ = new PredictionWorker(this);
  connect(worker_, &PredictionWorker::finished, this,
          [this](const std::shared_ptr<const Prediction>& p) { show_prediction(p); });
  auto* split = new QSplitter(this);
  split->setObjectName("main_split");
  // The panel scrolls: with the GPU's figures it is taller than a laptop screen.
  auto* scroll = new QScrollArea(split);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  auto* panel = new QWidget;
  panel->setLayout(new QVBoxLayout);
  scroll->setWidget(panel);
  auto* views = new QWidget(split);
  views->setLayout(new QVBoxLayout);
  split->addWidget(scroll);
  split->addWidget(views);
  split->setStretchFactor(1, 1);
  setCentralWidget(split);
  build_panel();
  scroll->setMinimumWidth(panel->sizeHint().width() + 20);
  build_views();
  build_menu();
  restored_geometry_ = settings_->contains("window/geometry") &&
                       restoreGeometry(settings_->value("window/geometry").toByteArray());
  split->restoreState(settings_->value("window/split").toByteArray());
  select_view(settings_->value("window/view").toString());
}

MainWindow::~MainWindow() = default;

void MainWindow::build_menu() {
  QMenu* file = menuBar()->addMenu("&File");
  file->addAction("&Open Scenario…", QKeySequence::Open, this, [this] {
    if (!settle_unsaved()) return;
    const QString f = QFileDialog::getOpenFileName(
        this, "Open scenario", settings_->value("dirs/last").toString(), "YAML (*.yaml *.yml)");
    if (!f.isEmpty()) open_scenario(f);
  });
  file->addAction("Open &Results Database…", this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, "Open results database",
                                                   settings_->value("dirs/last").toString(),
                                                   "Results databases (*.db *.sqlite);;All (*)");
    if (!f.isEmpty() && open_results(f)) select_view("sweeps");
  });
  file->addAction("Open &Trace…", this, [this] {
    const QString f =
        QFileDialog::getOpenFileName(this, "Open trace", settings_->value("dirs/last").toString(),
                                     "Traces (*.json *.json.gz *.sqlite *.db);;All (*)");
    if (!f.isEmpty()) measured_->open_trace_in_background(f);
  });
  recent_menu_ = file->addMenu("Recent &Files");
  rebuild_recent_menu();
  file->addSeparator();
  file->addAction("Open &Calibration…", this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, "Open calibration", {},
                                                   "Calibrations (*.yaml *.yml);;All (*)");
    if (!f.isEmpty()) open_calibration(f);
  });
  file->addAction("Use the &Uncalibrated Cost Model", this, [this] { open_calibration({}); });
  file->addSeparator();
  file->addAction("&Save", QKeySequence::Save, this, [this] { save(); });
  file->addAction("Save &As…", QKeySequence::SaveAs, this, [this] { save_as(); });
  file->addSeparator();
  file->addAction("Export &HTML Report…", this, [this] {
    const QString f = choose_save_path("Export HTML report", "HTML (*.html)");
    if (!f.isEmpty()) export_html(f);
  });
  file->addAction("Export View as &PNG…", this, [this] {
    const QString f = choose_save_path("Export the view as PNG", "PNG (*.png)");
    if (!f.isEmpty()) export_png(f);
  });
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, this, [this] { close(); });
}

void MainWindow::build_panel() {
  auto* panel =
      static_cast<QScrollArea*>(static_cast<QSplitter*>(centralWidget())->widget(0))->widget();
  auto* layout = static_cast<QVBoxLayout*>(panel->layout());
  auto* form = new QFormLayout;
  scenario_box_ = new QComboBox;
  scenario_box_->setObjectName("scenario");
  for (const auto& s : shipped_scenarios()) scenario_box_->addItem(QString::fromStdString(s));
  connect(scenario_box_, &QComboBox::textActivated, this, [this](const QString& s) {
    if (settle_unsaved()) {
      open_scenario(s);
    } else {
      scenario_box_->setCurrentIndex(scenario_box_->findText(label_));  // what is still open
    }
  });
  form->addRow("scenario", scenario_box_);
  auto* files = new QHBoxLayout;
  auto* open = new QPushButton("Open YAML…");
  connect(open, &QPushButton::clicked, this, [this] {
    if (!settle_unsaved()) return;
    const QString f = QFileDialog::getOpenFileName(
        this, "Open scenario", settings_->value("dirs/last").toString(), "YAML (*.yaml *.yml)");
    if (!f.isEmpty()) open_scenario(f);
  });
  auto* save_button = new QPushButton("Save");
  connect(save_button, &QPushButton::clicked, this, [this] { save(); });
  auto* save_as_button = new QPushButton("Save As…");
  connect(save_as_button, &QPushButton::clicked, this, [this] { save_as(); });
  files->addWidget(open);
  files->addWidget(save_button);
  files->addWidget(save_as_button);
  form->addRow(files);
  // The model: a shipped name, or a file path typed in or dropped on the window (a Hugging
  // Face config.json reads as it is).
  model_ = new QComboBox;
  model_->setEditable(true);
  model_->setInsertPolicy(QComboBox::NoInsert);
  for (const auto& m : shipped_models()) model_->addItem(QString::fromStdString(m));
  model_->lineEdit()->setPlaceholderText("as in the file");
  connect(model_, &QComboBox::currentTextChanged, this, [this] { edited(); });
  form->addRow("model", model_);

  gpu_ = new QComboBox;
  for (const auto& g : shipped_profiles("gpus")) gpu_->addItem(QString::fromStdString(g));
  connect(gpu_, &QComboBox::currentTextChanged, this, [this] {
    show_gpu_figures();
    edited();
  });
  form->addRow("GPU", gpu_);
  auto add_fields = [&](std::span<const char* const> keys) {
    for (const char* k : keys) {
      const config::KeySpec* spec = config::find_scenario_key(k);
      if (spec == nullptr) throw std::logic_error(std::string("undeclared scenario key ") + k);
      auto f = std::make_unique<KeyField>(k, *spec, [this] { edited(); });
      form->addRow(QString::fromStdString(spec->help), f->widget());
      fields_.push_back(std::move(f));
    }
  };
  add_fields(kClusterKeys);
  add_fields(kPlanKeys);
  auto* cost = new QLabel("<b>cost inputs</b>");
  form->addRow(cost);
  add_fields(kCostKeys);
  auto* gpu_figures = new QLabel("<b>GPU figures</b> (edit one for a custom GPU)");
  gpu_figures->setToolTip(
      "The profile's figures; an edited one is written into the scenario "
      "with the profile inline, its source saying it was typed here");
  form->addRow(gpu_figures);
  add_fields(kGpuKeys);
  layout->addLayout(form);
  error_ = new_error_label();
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
  published_ = new QLabel;
  published_->setObjectName("published");
  published_->setWordWrap(true);
  published_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(published_);
  tabs_ = new QTabWidget;
  layout->addWidget(tabs_, 1);
  // What a view has to say goes to the status bar.
  const auto to_status_bar = [this](const QString& s) { statusBar()->showMessage(s); };

  auto* summary = new QWidget;
  auto* sl = new QHBoxLayout(summary);
  metrics_ = new QTableWidget(static_cast<int>(std::size(kMetrics)), 3);
  metrics_->setHorizontalHeaderLabels({"current", "baseline", "change"});
  for (int i = 0; i < metrics_->rowCount(); ++i) {
    metrics_->setVerticalHeaderItem(i, new QTableWidgetItem(kMetrics[i].label));
  }
  metrics_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  metrics_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  sl->addWidget(metrics_, 2);
  step_chart_ = new QChartView;
  sl->addWidget(step_chart_, 3);
  tabs_->addTab(summary, "Summary");

  timeline_ = new TimelineView;
  connect(timeline_, &TimelineView::slice_clicked, this, to_status_bar);
  tabs_->addTab(timeline_, "Timeline");

  memory_chart_ = new QChartView;
  tabs_->addTab(memory_chart_, "Memory");

  auto* whatif = new QWidget;
  auto* wl = new QVBoxLayout(whatif);
  auto* run = new QPushButton("Compare with the same plan on H100 (and ablations)");
  connect(run, &QPushButton::clicked, this, [this] { run_whatif_now(); });
  wl->addWidget(run);
  whatif_table_ = new QTableWidget(0, 5);
  whatif_table_->setObjectName("whatif_table");
  whatif_table_->setHorizontalHeaderLabels(
      {"what", "variant", "this GPU (ms)", "H100 (ms)", "slower by"});
  whatif_table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  whatif_table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  // Table and bars side by side: the bars get the tab's height for one row per variant.
  auto* whatif_split = new QSplitter(Qt::Horizontal);
  whatif_split->addWidget(whatif_table_);
  whatif_chart_ = new QChartView;
  whatif_chart_->setObjectName("whatif_chart");
  whatif_chart_->setRenderHint(QPainter::Antialiasing);
  whatif_split->addWidget(whatif_chart_);
  whatif_split->setStretchFactor(0, 3);
  whatif_split->setStretchFactor(1, 2);
  wl->addWidget(whatif_split, 1);
  whatif_answer_ = new QLabel;
  whatif_answer_->setWordWrap(true);
  wl->addWidget(whatif_answer_);
  tabs_->addTab(whatif, "What-if");

  sweeps_ = new SweepView;
  connect(sweeps_, &SweepView::status, this, to_status_bar);
  connect(sweeps_, &SweepView::open_requested, this,
          [this](const ScenarioTemplate& doc, const QString& label) {
            if (!settle_unsaved()) return;
            open_document(doc, label);
            select_view("summary");
          });
  tabs_->addTab(sweeps_, "Sweeps");

  measured_ = new MeasuredView;
  connect(measured_, &MeasuredView::status, this, to_status_bar);
  // A trace opened from the menus is read off the UI thread; once it shows, it is a recent file.
  connect(measured_, &MeasuredView::trace_opened, this, [this](const QString& path, bool ok) {
    if (!ok) return;
    remember(QFileInfo(path).absoluteFilePath());
    select_view("measured");
  });
  tabs_->addTab(measured_, "Measured");

  yaml_ = new YamlView;
  connect(yaml_, &YamlView::apply_requested, this, &MainWindow::apply_yaml);
  connect(yaml_, &YamlView::dirty_changed, this, [this] { update_title(); });
  tabs_->addTab(yaml_, "YAML");
}

void MainWindow::show_gpu_figures() {
  if (loading_ || gpu_->currentIndex() < 0) return;
  // Another profile chosen: its figures, not counted as edits.
  std::map<std::string, std::string> figures;
  try {
    figures = gpu_figures(load_gpu_profile(gpu_->currentText().toStdString()));
  } catch (const std::exception&) {
    return;  // the prediction reports an unreadable profile
  }
  loading_ = true;
  for (const auto& f : fields_) {
    const auto it = figures.find(f->key());
    if (it == figures.end()) continue;
    f->set_value(QString::fromStdString(it->second));
    loaded_[QString::fromStdString(f->key())] = f->value();
  }
  loading_ = false;
}

void MainWindow::refresh_yaml(bool replace_typed) {
  QString text = QString::fromStdString(base_.text());
  try {
    const auto o = overrides();
    if (!o.empty()) text = QString::fromStdString(base_.edited_yaml(o));
  } catch (const std::exception&) {
    // A document that does not parse shows as read.
  }
  yaml_->show_document(text, replace_typed);
}

void MainWindow::apply_yaml(const QString& text) {
  base_ = ScenarioTemplate(base_.path(), text.toStdString());
  on_disk_ = false;  // until saved
  const auto pinned = baseline_;
  const bool ok = show_opened();  // it shows the loader's error in the YAML view too
  baseline_ = pinned;
  statusBar()->showMessage(ok ? "applied the YAML text" : "the YAML text does not load");
}

bool MainWindow::open_scenario(const QString& spec) {
  ScenarioTemplate doc;
  try {
    doc = ScenarioTemplate(spec.toStdString());
  } catch (const std::exception& e) {
    // Nothing is replaced: the open scenario and its edits stay as they were.
    fail(QString("Cannot open %1: %2").arg(spec, e.what()));
    return false;
  }
  const bool shipped = scenario_box_->findText(spec) >= 0;
  base_ = doc;
  file_ = shipped ? QString()
                  : QFileInfo(QString::fromStdString(doc.path().string())).absoluteFilePath();
  label_ = shipped ? spec : QFileInfo(file_).fileName();
  on_disk_ = true;
  if (!shipped) remember(file_);
  // A shipped scenario opened by its path is still that scenario: the box names it, while the
  // file (and Save) stay the path that was opened.
  int index = shipped ? scenario_box_->findText(spec) : -1;
  for (int i = 0; i < scenario_box_->count() && index < 0; ++i) {
    std::error_code ec;
    const auto shipped_file =
        data_dir() / "scenarios" / (scenario_box_->itemText(i).toStdString() + ".yaml");
    if (std::filesystem::equivalent(shipped_file, file_.toStdString(), ec)) index = i;
  }
  scenario_box_->setCurrentIndex(index);
  return show_opened();
}

bool MainWindow::show_opened() {
  std::optional<Scenario> s;
  QString error;
  try {
    s = base_.instantiate({});
  } catch (const std::exception& e) {
    error = QString::fromStdString(e.what());
  }
  fill_fields(s);
  baseline_.reset();
  refresh_yaml(/*replace_typed=*/true);
  yaml_->show_error(error);
  if (s) {
    error_->clear();
    edited();
  } else {
    // Opened with its error shown: the text is kept, Save writes it back, a fix in the fields
    // or in the YAML view (or in the file, opened again) runs it.
    fail(error);
  }
  update_title();
  return s.has_value();
}

void MainWindow::open_document(const ScenarioTemplate& doc, const QString& label) {
  base_ = doc;
  file_.clear();
  label_ = label;
  on_disk_ = false;
  scenario_box_->setCurrentIndex(-1);
  (void)show_opened();
}

void MainWindow::fill_fields(const std::optional<Scenario>& s) {
  loading_ = true;
  std::vector<std::pair<std::string, std::string>> scalars;
  try {
    scalars = base_.scalars({});
  } catch (const std::exception&) {
    // Not even YAML: the fields keep what they showed, and nothing is overridden until edited.
  }
  auto scalar = [&](const std::string& key) -> std::optional<std::string> {
    for (const auto& [k, v] : scalars) {
      if (k == key) return v;
    }
    return std::nullopt;
  };
  // A document that does not load but names its GPU profile: the GPU's figures from the file.
  std::map<std::string, std::string> named_gpu;
  if (!s) {
    if (const auto g = scalar("hardware.gpu")) {
      try {
        named_gpu = gpu_figures(load_gpu_profile(*g));
      } catch (const std::exception&) {
        // an unknown profile: its fields keep what they showed
      }
    }
  }
  for (const auto& f : fields_) {
    if (s) {
      // A setting the scenario leaves out (cost.interruptions is optional) shows empty, not
      // what the previous scenario had.
      f->set_value(QString::fromStdString(config::scenario_value(*s, f->key()).value_or("")));
    } else if (const auto v = scalar(f->key())) {
      f->set_value(QString::fromStdString(*v));
    } else if (const auto it = named_gpu.find(f->key()); it != named_gpu.end()) {
      f->set_value(QString::fromStdString(it->second));
    }
  }
  gpu_->setCurrentIndex(-1);  // as in the file, unless it names a shipped profile
  if (const auto g = scalar("hardware.gpu")) gpu_->setCurrentIndex(gpu_->findText(g->c_str()));
  // A model named by the file (a shipped name or a path) shows as such; one defined inline in
  // the file leaves the field empty.
  model_->setCurrentIndex(-1);
  model_->setEditText(scalar("model") ? QString::fromStdString(*scalar("model")) : QString());
  loaded_ = field_values();
  loading_ = false;
}

std::map<QString, QString> MainWindow::field_values() const {
  std::map<QString, QString> v;
  for (const auto& f : fields_) v[QString::fromStdString(f->key())] = f->value();
  v["hardware.gpu"] = gpu_->currentIndex() >= 0 ? gpu_->currentText() : QString();
  v["model"] = model_spec();
  return v;
}

std::vector<ScenarioOverride> MainWindow::overrides() const {
  // Only what was edited: a field left alone must not rewrite a document it could not read,
  // and Save of an unedited scenario gives back its text.
  const auto now = field_values();
  auto changed = [&](const QString& key) {
    const auto it = loaded_.find(key);
    return it == loaded_.end() || it->second != now.at(key);
  };
  std::vector<ScenarioOverride> o;
  // The GPU first: an edited figure then goes into the chosen profile, written inline.
  if (changed("hardware.gpu") && gpu_->currentIndex() >= 0) {
    const std::string g = gpu_->currentText().toStdString();
    o.push_back({"hardware.gpu", g});
    if (const std::string n = node_for(g); !n.empty()) o.push_back({"hardware.node", n});
  }
  // cost.interruptions is one setting of two numbers: an edit of either writes both, so that a
  // scenario without it gets the pair shown (an empty partner gets the loader's located error).
  const bool interruptions_edited = std::any_of(fields_.begin(), fields_.end(), [&](const auto& f) {
    return is_interruption_key(f->key()) && changed(QString::fromStdString(f->key()));
  });
  for (const auto& f : fields_) {
    const bool with_partner =
        interruptions_edited && is_interruption_key(f->key()) && !f->value().isEmpty();
    if (!changed(QString::fromStdString(f->key())) && !with_partner) continue;
    if (is_gpu_figure(f->key())) {
      // A profile figure keeps {value, source}: the source says where this one came from.
      o.push_back({f->key(),
                   "{value: " + f->value().toStdString() + ", source: \"" + kCustomSource + "\"}"});
    } else {
      o.push_back({f->key(), f->value().toStdString()});
    }
  }
  if (changed("model") && !model_spec().isEmpty()) {
    o.push_back({"model", model_spec().toStdString()});
  }
  return o;
}

ScenarioTemplate MainWindow::current_document() const {
  const auto o = overrides();
  return o.empty() ? base_ : ScenarioTemplate(base_.path(), base_.edited_yaml(o));
}

bool MainWindow::has_unsaved_edits() const {
  if (base_.text().empty()) return false;
  return !on_disk_ || !overrides().empty() || (yaml_ != nullptr && yaml_->dirty());
}

void MainWindow::update_title() {
  setWindowTitle(QString("hopsim — %1[*]").arg(label_.isEmpty() ? "what-if planner" : label_));
  setWindowModified(has_unsaved_edits());
}

void MainWindow::edited() {
  if (loading_ || base_.text().empty()) return;
  refresh_yaml();
  update_title();
  headline_->setText(headline_->text().isEmpty() ? "predicting…" : headline_->text());
  worker_->request(base_, overrides(), calibration_.cost_for);
}

QString MainWindow::published_text() const {
  return published_->text();
}

QString MainWindow::error_text() const {
  return error_->text();
}

void MainWindow::fail(const QString& text) {
  error_->setText(text);
  statusBar()->showMessage(text.section('\n', 0, 0));
}

QWidget* MainWindow::field_widget(const QString& key) const {
  for (const auto& f : fields_) {
    if (QString::fromStdString(f->key()) == key) return f->widget();
  }
  return nullptr;
}

QSpinBox* MainWindow::field(const QString& key) const {
  return qobject_cast<QSpinBox*>(field_widget(key));
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
  // Which cost model made it: the default one, or the calibration opened (its file and hash).
  headline_->setToolTip(QString("cost model: %1").arg(QString::fromStdString(r.cost_source)));
  // Only the plan a published figure measured is held to it; an edit makes it a what-if.
  const std::string said = planner::published_sentence(p->scenario, r);
  published_->setText(said.empty() ? QString() : "Published: " + QString::fromStdString(said));
  published_->setVisible(!said.empty());
  for (int i = 0; i < metrics_->rowCount(); ++i) {
    const Metric& m = kMetrics[i];
    const double v = m.value(*p);
    metrics_->setItem(i, 0, new QTableWidgetItem(QString::number(v, 'f', m.decimals)));
    if (baseline_) {
      const double b = m.value(*baseline_);  // the pinned prediction, with its own tokens
      metrics_->setItem(i, 1, new QTableWidgetItem(QString::number(b, 'f', m.decimals)));
      metrics_->setItem(
          i, 2,
          new QTableWidgetItem(b != 0 ? QString("%1%").arg(100 * (v / b - 1), 0, 'f', 1) : "—"));
    } else {
      metrics_->setItem(i, 1, new QTableWidgetItem("—"));
      metrics_->setItem(i, 2, new QTableWidgetItem("—"));
    }
  }
  replace_chart(step_chart_,
                step_bar(r, baseline_ ? std::optional(baseline_->run.result) : std::nullopt));
  replace_chart(memory_chart_, memory_bars(p->run.ranks));
  timeline_->show_run(p);
  measured_->set_prediction(p);
  QString warnings;
  for (const auto& w : r.warnings) warnings += QString::fromStdString(w) + "\n";
  statusBar()->showMessage(warnings.isEmpty()
                               ? QString("%1 sub-ops simulated").arg(r.timeline.size())
                               : warnings.trimmed());
}

void MainWindow::pin_baseline() {
  if (last_) baseline_ = last_;
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
    const planner::WhatIfStudy w = planner::run_whatif(a, b, [this](const Scenario& s) {
      sim::RunOptions ro;
      if (calibration_.cost_for) ro.cost = calibration_.cost_for(s.cluster.gpu);
      return ro;
    });
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
    replace_chart(whatif_chart_, whatif_bars(w, QString::fromStdString(a.cluster.gpu.name),
                                             QString::fromStdString(b.cluster.gpu.name)));
    QString answer;
    for (const auto& line : w.reasons) answer += QString::fromStdString(line) + "\n";
    whatif_answer_->setText(answer.trimmed());
  } catch (const std::exception& e) {
    whatif_answer_->setText(QString::fromStdString(e.what()));
  }
}

QStringList MainWindow::view_names() {
  return {"summary", "timeline", "memory", "whatif", "sweeps", "measured", "yaml"};
}

bool MainWindow::select_view(const QString& name) {
  const int i = static_cast<int>(view_names().indexOf(name));
  if (i < 0) return false;
  tabs_->setCurrentIndex(i);
  return true;
}

bool MainWindow::open_results(const QString& path) {
  if (!sweeps_->open_database(path)) return false;
  remember(QFileInfo(path).absoluteFilePath());
  return true;
}

bool MainWindow::open_calibration(const QString& path) {
  try {
    calibration_ = frontend::load_calibration_ref(path.toStdString());
  } catch (const std::exception& e) {
    fail(QString("Calibration not used: %1").arg(e.what()));
    return false;
  }
  measured_->set_cost_for(calibration_.cost_for);
  // Said all the time while in use, at the right of the status bar.
  if (calibration_label_ == nullptr) {
    calibration_label_ = new QLabel;
    statusBar()->addPermanentWidget(calibration_label_);
  }
  calibration_label_->setText(QString("calibrated: %1").arg(QFileInfo(path).fileName()));
  calibration_label_->setToolTip(QString::fromStdString(calibration_.hash));
  calibration_label_->setVisible(!path.isEmpty());
  statusBar()->showMessage(path.isEmpty() ? QString("uncalibrated cost model")
                                          : QString("calibration %1").arg(path));
  if (!path.isEmpty()) remember(QFileInfo(path).absoluteFilePath());
  edited();  // predict again with it
  return true;
}

bool MainWindow::open_trace(const QString& path, std::optional<std::int64_t> rank) {
  if (!measured_->open_trace(path, rank)) return false;
  remember(QFileInfo(path).absoluteFilePath());
  return true;
}

QString MainWindow::model_spec() const {
  return model_->currentText().trimmed();
}

bool MainWindow::drop_file(const QString& path) {
  const QFileInfo f(path);
  if (!f.isFile()) {
    fail(QString("Cannot use %1: not a file").arg(path));
    return false;
  }
  const QString ext = f.suffix().toLower();
  if (ext == "json") {
    // A Hugging Face config.json: the model of the plan being edited; its errors show in place.
    model_->setEditText(f.absoluteFilePath());
    return true;
  }
  if (ext == "yaml" || ext == "yml") {
    // A model YAML has a top-level `hidden` and no `plan`; anything else opens as a scenario.
    try {
      (void)load_model(f.absoluteFilePath().toStdString());
      model_->setEditText(f.absoluteFilePath());
      return true;
    } catch (const std::exception&) {
    }
    if (!settle_unsaved()) return false;
    return open_scenario(f.absoluteFilePath());
  }
  fail(QString("Cannot use %1: drop a Hugging Face config.json, a model YAML or a scenario YAML")
           .arg(path));
  return false;
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
  if (e->mimeData()->hasUrls() && !e->mimeData()->urls().isEmpty() &&
      e->mimeData()->urls().front().isLocalFile()) {
    e->acceptProposedAction();
  }
}

void MainWindow::dropEvent(QDropEvent* e) {
  const auto urls = e->mimeData()->urls();
  if (urls.isEmpty() || !urls.front().isLocalFile()) return;
  if (drop_file(urls.front().toLocalFile())) e->acceptProposedAction();
}

bool MainWindow::settle_unsaved() {
  if (!has_unsaved_edits()) return true;
  switch (confirm_unsaved()) {
    case UnsavedChoice::kSave:
      return save();
    case UnsavedChoice::kDiscard:
      return true;
    case UnsavedChoice::kCancel:
      break;
  }
  return false;
}

MainWindow::UnsavedChoice MainWindow::confirm_unsaved() {
  const auto b = QMessageBox::warning(
      this, "Unsaved edits", QString("%1 has edits that are not saved. Save them?").arg(label_),
      QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
  return b == QMessageBox::Save      ? UnsavedChoice::kSave
         : b == QMessageBox::Discard ? UnsavedChoice::kDiscard
                                     : UnsavedChoice::kCancel;
}

QString MainWindow::choose_save_path(const QString& title, const QString& filter) {
  return QFileDialog::getSaveFileName(this, title, settings_->value("dirs/last").toString(),
                                      filter);
}

bool MainWindow::save() {
  return file_.isEmpty() ? save_as() : save_to(file_);
}

bool MainWindow::save_as() {
  const QString f = choose_save_path("Save scenario", "YAML (*.yaml *.yml)");
  return !f.isEmpty() && save_to(f);
}

bool MainWindow::save_to(const QString& path) {
  // What the YAML view shows is what is saved: typed text is applied first (a text that does
  // not load is saved as typed, as a broken file is saved as read).
  if (yaml_->dirty()) apply_yaml(yaml_->text());
  try {
    // Unedited: the text as read, comments included (the YAML emitter would drop them).
    const auto o = overrides();
    const std::string text = o.empty() ? base_.text() : base_.edited_yaml(o);
    write_file(path, text);
    const QString abs = QFileInfo(path).absoluteFilePath();
    base_ = ScenarioTemplate(abs.toStdString(), text);
    file_ = abs;
    label_ = QFileInfo(abs).fileName();
    on_disk_ = true;
    loaded_ = field_values();
    scenario_box_->setCurrentIndex(-1);
    remember(abs);
    refresh_yaml();
    update_title();
    statusBar()->showMessage("saved " + abs);
    return true;
  } catch (const std::exception& e) {
    fail(QString("Not saved: %1").arg(e.what()));
    return false;
  }
}

bool MainWindow::export_html(const QString& path) {
  QApplication::setOverrideCursor(Qt::WaitCursor);
  bool ok = false;
  try {
    planner::ReportOptions ro;
    ro.calibration = calibration_;
    const planner::Report r = planner::scenario_report_of({current_document()}, ro);
    write_file(path, planner::render_html(r));
    statusBar()->showMessage("report written to " + path);
    ok = true;
  } catch (const std::exception& e) {
    fail(QString("No report: %1").arg(e.what()));
  }
  QApplication::restoreOverrideCursor();
  return ok;
}

bool MainWindow::export_png(const QString& path) {
  // QSaveFile writes beside the target and renames on commit: a failed or cancelled write
  // leaves the old file, never half a PNG (the text exports go through io::AtomicFile).
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly) || !tabs_->currentWidget()->grab().save(&file, "PNG") ||
      !file.commit()) {
    fail("Cannot write " + path + ": " + file.errorString());
    return false;
  }
  statusBar()->showMessage("view written to " + path);
  return true;
}

QStringList MainWindow::recent_files() const {
  return settings_->value("recent/files").toStringList();
}

void MainWindow::remember(const QString& path) {
  QStringList files = recent_files();
  files.removeAll(path);
  files.prepend(path);
  while (files.size() > kRecentFiles) files.removeLast();
  settings_->setValue("recent/files", files);
  settings_->setValue("dirs/last", QFileInfo(path).absolutePath());
  rebuild_recent_menu();
}

void MainWindow::rebuild_recent_menu() {
  if (recent_menu_ == nullptr) return;
  recent_menu_->clear();
  for (const QString& f : recent_files()) {
    recent_menu_->addAction(f, this, [this, f] { open_any(f); });
  }
  recent_menu_->setEnabled(!recent_menu_->isEmpty());
}

void MainWindow::open_any(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == "yaml" || suffix == "yml") {
    if (settle_unsaved()) open_scenario(path);
  } else if (profiler::trace::is_hopsim_trace(path.toStdString())) {
    measured_->open_trace_in_background(path);
  } else if (open_results(path)) {
    select_view("sweeps");
  }
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (!settle_unsaved()) {
    e->ignore();
    return;
  }
  settings_->setValue("window/geometry", saveGeometry());
  settings_->setValue("window/split", static_cast<QSplitter*>(centralWidget())->saveState());
  settings_->setValue("window/view", view_names().value(tabs_->currentIndex()));
  settings_->sync();
  e->accept();
}

}  // namespace hopsim::gui
