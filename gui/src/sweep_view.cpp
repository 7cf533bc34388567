#include "sweep_view.hpp"

#include <QChart>
#include <QChartView>
#include <QColor>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScatterSeries>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>
#include <cmath>
#include <initializer_list>
#include <map>
#include <set>
#include <utility>

#include "chart_util.hpp"
#include "error_label.hpp"
#include "hopsim/planner/results_store.hpp"
#include "results_model.hpp"

namespace hopsim::gui {
namespace {

// A row of choices, each a label and its box; the boxes share the spare width.
QHBoxLayout* choice_row(std::initializer_list<std::pair<QString, QComboBox*>> choices) {
  auto* row = new QHBoxLayout;
  for (const auto& [label, box] : choices) {
    row->addWidget(new QLabel(label));
    row->addWidget(box, 1);
  }
  return row;
}

}  // namespace

SweepView::SweepView(QWidget* parent) : QWidget(parent) {
  model_ = new ResultsModel(this);
  proxy_ = new ResultsFilter(this);
  proxy_->setSourceModel(model_);

  auto* layout = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  auto* open = new QPushButton("Open results database…");
  connect(open, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, "Open results database", {},
                                                   "Results databases (*.db *.sqlite);;All (*)");
    if (!f.isEmpty()) open_database(f);
  });
  auto* base = new QPushButton("Base scenario…");
  base->setToolTip("The scenario the sweep varies, when it is not found next to the database");
  connect(base, &QPushButton::clicked, this, [this] {
    const QString f =
        QFileDialog::getOpenFileName(this, "Base scenario of the sweep", {}, "YAML (*.yaml *.yml)");
    if (!f.isEmpty()) set_base(f);
  });
  auto* open_row_button = new QPushButton("Open row as scenario");
  connect(open_row_button, &QPushButton::clicked, this, [this] {
    const QModelIndex i = table_->currentIndex();
    if (i.isValid()) open_row(i.row());
  });
  top->addWidget(open);
  top->addWidget(base);
  top->addWidget(open_row_button);
  summary_ = new QLabel("No results database open (`hopsim sweep` writes one).");
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  top->addWidget(summary_, 1);
  layout->addLayout(top);

  auto* filters = new QHBoxLayout;
  text_filter_ = new QLineEdit;
  text_filter_->setPlaceholderText("contains text (any column)");
  text_filter_->setClearButtonEnabled(true);
  connect(text_filter_, &QLineEdit::textChanged, this,
          [this](const QString& t) { proxy_->setFilterFixedString(t); });
  expression_ = new QLineEdit;
  expression_->setPlaceholderText(
      "where, e.g. status == 'ok' && step_time_ms < 500 && plan.pp >= 2");
  expression_->setClearButtonEnabled(true);
  connect(expression_, &QLineEdit::editingFinished, this,
          [this] { set_expression(expression_->text()); });
  filters->addWidget(new QLabel("filter"));
  filters->addWidget(text_filter_, 1);
  filters->addWidget(new QLabel("where"));
  filters->addWidget(expression_, 2);
  layout->addLayout(filters);

  message_ = new_error_label();
  message_->hide();
  layout->addWidget(message_);

  auto* split = new QSplitter(Qt::Horizontal);
  table_ = new QTableView;
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(0, Qt::AscendingOrder);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  connect(table_, &QTableView::doubleClicked, this,
          [this](const QModelIndex& i) { open_row(i.row()); });
  split->addWidget(table_);

  auto* plot = new QWidget;
  auto* pl = new QVBoxLayout(plot);
  pl->setContentsMargins(0, 0, 0, 0);
  x_axis_ = new QComboBox;
  y_axis_ = new QComboBox;
  pl->addLayout(choice_row({{"x", x_axis_}, {"y", y_axis_}}));
  scatter_ = new QChartView;
  scatter_->setRenderHint(QPainter::Antialiasing);
  pl->addWidget(scatter_, 1);
  // The heatmap: two swept columns as rows and columns, a metric in the cells.
  auto* heat = new QWidget;
  auto* hl = new QVBoxLayout(heat);
  hl->setContentsMargins(0, 0, 0, 0);
  heat_rows_ = new QComboBox;
  heat_columns_ = new QComboBox;
  heat_value_ = new QComboBox;
  hl->addLayout(
      choice_row({{"rows", heat_rows_}, {"columns", heat_columns_}, {"value", heat_value_}}));
  heatmap_ = new QTableWidget;
  heatmap_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  heatmap_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  heatmap_->verticalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  hl->addWidget(heatmap_, 1);
  plots_ = new QTabWidget;
  plots_->addTab(plot, "Scatter");
  plots_->addTab(heat, "Heatmap");
  split->addWidget(plots_);
  split->setSizes({600, 450});  // (proportions: the splitter scales them to its width)
  layout->addWidget(split, 1);

  connect(x_axis_, &QComboBox::currentTextChanged, this, [this] { refresh_scatter(); });
  connect(y_axis_, &QComboBox::currentTextChanged, this, [this] { refresh_scatter(); });
  for (auto* box : {heat_rows_, heat_columns_, heat_value_}) {
    connect(box, &QComboBox::currentTextChanged, this, [this] { refresh_heatmap(); });
  }
  // The scatter and the heatmap show the rows the table shows.
  const auto refresh_plots = [this] {
    refresh_scatter();
    refresh_heatmap();
  };
  connect(proxy_, &QAbstractItemModel::modelReset, this, refresh_plots);
  connect(proxy_, &QAbstractItemModel::rowsInserted, this, refresh_plots);
  connect(proxy_, &QAbstractItemModel::rowsRemoved, this, refresh_plots);
  connect(proxy_, &QAbstractItemModel::layoutChanged, this, refresh_plots);
  replace_chart(scatter_, new QChart);
}

QString SweepView::message() const {
  return message_->text();
}

void SweepView::fail(const QString& text) {
  set_error(message_, text);
  if (!text.isEmpty()) emit status(text);
}

bool SweepView::open_database(const QString& path) {
  std::vector<planner::StoredResult> rows;
  std::map<std::string, std::string> meta;
  try {
    const planner::ResultsStore store(path.toStdString(), planner::ResultsStore::Access::kReadOnly);
    rows = store.rows();
    meta = store.meta();
  } catch (const std::exception& e) {
    fail(QString("Cannot open %1 as a results database: %2").arg(path, e.what()));
    return false;
  }
  fail({});
  database_ = path;
  sweep_name_ = QString::fromStdString(meta.count("sweep_name") ? meta["sweep_name"] : "");
  if (sweep_name_.isEmpty()) sweep_name_ = QFileInfo(path).completeBaseName();
  base_name_ = QString::fromStdString(meta.count("base") ? meta["base"] : "");
  base_.reset();
  model_->set_rows(std::move(rows));
  fill_axis_choices();
  // The spec names its base relative to itself, which the database does not record: try the
  // name as given (shipped name, absolute path, or relative to here), then next to the database.
  if (!base_name_.isEmpty()) {
    for (const QString& spec : {base_name_, QFileInfo(path).absoluteDir().filePath(base_name_)}) {
      try {
        base_ = ScenarioTemplate(spec.toStdString());
        break;
      } catch (const std::exception&) {
      }
    }
  }
  refresh_summary();
  if (!base_) {
    fail(QString("The sweep's base scenario '%1' was not found (a sweep spec names it relative "
                 "to itself): choose it with \"Base scenario…\" to open rows as scenarios.")
             .arg(base_name_));
  }
  emit status(QString("opened %1: %2 rows").arg(path).arg(model_->rowCount()));
  return true;
}

bool SweepView::set_base(const QString& spec) {
  try {
    base_ = ScenarioTemplate(spec.toStdString());
  } catch (const std::exception& e) {
    fail(QString("Cannot read the base scenario: %1").arg(e.what()));
    return false;
  }
  base_name_ = spec;
  fail({});
  refresh_summary();
  return true;
}

void SweepView::refresh_summary() {
  std::map<std::string, int> counts;
  for (int r = 0; r < model_->rowCount(); ++r) ++counts[model_->row(r).status];
  QString by;
  for (const auto& [k, v] : counts) by += QString(", %1 %2").arg(v).arg(QString::fromStdString(k));
  summary_->setText(QString("<b>%1</b>: %2 rows%3 — base %4%5")
                        .arg(sweep_name_.toHtmlEscaped())
                        .arg(model_->rowCount())
                        .arg(by)
                        .arg(base_name_.toHtmlEscaped())
                        .arg(base_ ? "" : " (not found)"));
}

bool SweepView::open_row(int row) {
  if (row < 0 || row >= proxy_->rowCount()) return false;
  const int r = proxy_->mapToSource(proxy_->index(row, 0)).row();
  if (!base_) {
    fail(QString("The sweep's base scenario '%1' was not found: choose it with \"Base "
                 "scenario…\".")
             .arg(base_name_));
    return false;
  }
  try {
    // The configuration applied to the base document, as `hopsim sweep` instantiated it; the
    // path stays the base's, so references relative to it still resolve.
    ScenarioTemplate t(base_->path(), base_->edited_yaml(model_->overrides(r)));
    fail({});
    emit open_requested(t, QString("%1 #%2").arg(sweep_name_).arg(model_->row(r).index));
    return true;
  } catch (const std::exception& e) {
    fail(
        QString("Cannot apply row %1's configuration: %2").arg(model_->row(r).index).arg(e.what()));
    return false;
  }
}

void SweepView::set_text_filter(const QString& text) {
  text_filter_->setText(text);
}

bool SweepView::set_expression(const QString& text) {
  if (expression_->text() != text) expression_->setText(text);
  try {
    proxy_->set_expression(text.toStdString());
  } catch (const std::exception& e) {
    fail(QString::fromStdString(e.what()));
    return false;
  }
  fail(proxy_->expression_error());
  return true;
}

void SweepView::fill_axis_choices() {
  const QString x = x_axis_->currentText();
  const QString y = y_axis_->currentText();
  const QSignalBlocker bx(x_axis_);
  const QSignalBlocker by(y_axis_);
  x_axis_->clear();
  y_axis_->clear();
  for (int c : model_->numeric_columns()) {
    const QString name = QString::fromStdString(model_->names()[static_cast<std::size_t>(c)]);
    x_axis_->addItem(name);
    y_axis_->addItem(name);
  }
  // Defaults: the first swept number against step time; the user's choice when it still exists.
  int fx = x_axis_->findText(x);
  if (fx < 0) fx = x_axis_->findText("memory_gib");
  for (int c : model_->numeric_columns()) {
    const std::string& n = model_->names()[static_cast<std::size_t>(c)];
    if (fx < 0 && n != "index" && n.find('.') != std::string::npos)
      fx = x_axis_->findText(n.c_str());
  }
  x_axis_->setCurrentIndex(std::max(0, fx));
  const int fy = y_axis_->findText(y);
  y_axis_->setCurrentIndex(std::max(0, fy >= 0 ? fy : y_axis_->findText("step_time_ms")));

  // Heatmap: swept columns (scenario keys, "plan.pp") for rows and columns, numbers for cells.
  const QString hr = heat_rows_->currentText();
  const QString hc = heat_columns_->currentText();
  const QString hv = heat_value_->currentText();
  const QSignalBlocker b1(heat_rows_);
  const QSignalBlocker b2(heat_columns_);
  const QSignalBlocker b3(heat_value_);
  heat_rows_->clear();
  heat_columns_->clear();
  heat_value_->clear();
  for (const std::string& n : model_->names()) {
    if (n.find('.') == std::string::npos) continue;
    heat_rows_->addItem(QString::fromStdString(n));
    heat_columns_->addItem(QString::fromStdString(n));
  }
  for (int c : model_->numeric_columns()) {
    heat_value_->addItem(QString::fromStdString(model_->names()[static_cast<std::size_t>(c)]));
  }
  const auto keep = [](QComboBox* box, const QString& want, int otherwise) {
    const int i = box->findText(want);
    box->setCurrentIndex(i >= 0 ? i : std::min(otherwise, box->count() - 1));
  };
  keep(heat_rows_, hr, 0);
  keep(heat_columns_, hc, 1);
  keep(heat_value_, hv.isEmpty() ? QString("step_time_ms") : hv, 0);
}

bool SweepView::set_heatmap(const QString& rows, const QString& columns, const QString& value) {
  const int r = heat_rows_->findText(rows);
  const int c = heat_columns_->findText(columns);
  const int v = heat_value_->findText(value);
  if (r < 0 || c < 0 || v < 0) return false;
  {
    const QSignalBlocker b1(heat_rows_);
    const QSignalBlocker b2(heat_columns_);
    const QSignalBlocker b3(heat_value_);
    heat_rows_->setCurrentIndex(r);
    heat_columns_->setCurrentIndex(c);
    heat_value_->setCurrentIndex(v);
  }
  refresh_heatmap();
  plots_->setCurrentIndex(1);
  return true;
}

void SweepView::refresh_heatmap() {
  heatmap_->clear();
  heatmap_->setRowCount(0);
  heatmap_->setColumnCount(0);
  const int rc = model_->column_of(heat_rows_->currentText().toStdString());
  const int cc = model_->column_of(heat_columns_->currentText().toStdString());
  const int vc = model_->column_of(heat_value_->currentText().toStdString());
  if (rc < 0 || cc < 0 || vc < 0) return;
  // Settings in numeric order where they are numbers, else as text.
  struct Order {
    bool operator()(const QString& a, const QString& b) const {
      bool na = false, nb = false;
      const double x = a.toDouble(&na);
      const double y = b.toDouble(&nb);
      if (na && nb) return x < y;
      if (na != nb) return na;
      return a < b;
    }
  };
  std::map<QString, int, Order> row_of, col_of;
  std::map<std::pair<QString, QString>, double> best;
  for (int pr = 0; pr < proxy_->rowCount(); ++pr) {
    const int r = proxy_->mapToSource(proxy_->index(pr, 0)).row();
    const QString a = model_->data(model_->index(r, rc), Qt::DisplayRole).toString();
    const QString b = model_->data(model_->index(r, cc), Qt::DisplayRole).toString();
    row_of[a];
    col_of[b];
    const auto v = model_->number(r, vc);
    if (!v || !std::isfinite(*v)) continue;  // infeasible: the cell stays empty
    auto [it, fresh] = best.try_emplace({a, b}, *v);
    if (!fresh) it->second = std::min(it->second, *v);
  }
  int i = 0;
  for (auto& [k, idx] : row_of) idx = i++;
  i = 0;
  for (auto& [k, idx] : col_of) idx = i++;
  heatmap_->setRowCount(static_cast<int>(row_of.size()));
  heatmap_->setColumnCount(static_cast<int>(col_of.size()));
  // Headers hold the settings; the boxes above name the columns they come from.
  for (const auto& [k, idx] : row_of) heatmap_->setVerticalHeaderItem(idx, new QTableWidgetItem(k));
  for (const auto& [k, idx] : col_of) {
    heatmap_->setHorizontalHeaderItem(idx, new QTableWidgetItem(k));
  }
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& [k, v] : best) lo = std::min(lo, v), hi = std::max(hi, v);
  for (const auto& [a, idx] : row_of) {
    for (const auto& [b, jdx] : col_of) {
      auto* item = new QTableWidgetItem;
      item->setTextAlignment(Qt::AlignCenter);
      const auto it = best.find({a, b});
      if (it == best.end()) {
        item->setText("—");
        item->setToolTip("no feasible row with these settings");
      } else {
        item->setText(QString::number(it->second, 'g', 6));
        item->setData(Qt::UserRole, it->second);
        // Lowest (best) green, highest red; one colour when every cell is equal.
        const double t = hi > lo ? (it->second - lo) / (hi - lo) : 0.0;
        item->setBackground(QColor::fromHsvF(static_cast<float>(0.33 * (1.0 - t)), 0.45F, 0.95F));
      }
      heatmap_->setItem(idx, jdx, item);
    }
  }
}

bool SweepView::set_axes(const QString& x, const QString& y) {
  const int xi = x_axis_->findText(x);
  const int yi = y_axis_->findText(y);
  if (xi < 0 || yi < 0) return false;
  {
    const QSignalBlocker bx(x_axis_);
    x_axis_->setCurrentIndex(xi);
  }
  y_axis_->setCurrentIndex(yi);
  refresh_scatter();
  return true;
}

bool SweepView::click_point(int n) {
  for (const auto& [s, rows] : point_rows_) {
    if (n < static_cast<int>(rows.size())) {
      select_point(s, n);
      return true;
    }
    n -= static_cast<int>(rows.size());
  }
  return false;
}

void SweepView::select_point(const QScatterSeries* series, int i) {
  for (const auto& [s, rows] : point_rows_) {
    if (s != series || i < 0 || i >= static_cast<int>(rows.size())) continue;
    const int row = rows[static_cast<std::size_t>(i)];
    table_->selectRow(row);
    table_->scrollTo(proxy_->index(row, 0));
    const QPointF p = s->at(i);
    emit status(QString("row %1 (%2): %3 = %4, %5 = %6")
                    .arg(row + 1)
                    .arg(s->name())
                    .arg(x_axis_->currentText())
                    .arg(p.x())
                    .arg(y_axis_->currentText())
                    .arg(p.y()));
    return;
  }
}

void SweepView::refresh_scatter() {
  auto* chart = new QChart;
  scatter_points_ = 0;
  point_rows_.clear();
  const int xc = model_->column_of(x_axis_->currentText().toStdString());
  const int yc = model_->column_of(y_axis_->currentText().toStdString());
  if (xc < 0 || yc < 0 || model_->rowCount() == 0) {
    chart->setTitle("Open a results database to plot two of its columns");
    replace_chart(scatter_, chart);
    return;
  }
  // One series per value of the swept text column with the most values (e.g. the schedule),
  // so the legend tells the kinds apart; points are the rows the table shows, where both
  // values exist.
  int colour_by = -1;
  std::size_t most = 0;
  const auto numeric = model_->numeric_columns();
  for (std::size_t c = 0; c < model_->names().size(); ++c) {
    const int ci = static_cast<int>(c);
    if (model_->names()[c].find('.') == std::string::npos ||
        std::find(numeric.begin(), numeric.end(), ci) != numeric.end()) {
      continue;
    }
    std::set<QString> values;
    for (int r = 0; r < model_->rowCount(); ++r) {
      values.insert(model_->data(model_->index(r, ci), Qt::DisplayRole).toString());
    }
    if (values.size() > most) {
      most = values.size();
      colour_by = ci;
    }
  }
  std::map<QString, QScatterSeries*> series;
  std::map<QString, std::vector<int>> rows_of;  // table rows behind each series' points
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (int pr = 0; pr < proxy_->rowCount(); ++pr) {
    const int r = proxy_->mapToSource(proxy_->index(pr, 0)).row();
    const auto x = model_->number(r, xc);
    const auto y = model_->number(r, yc);
    if (!x || !y) continue;
    const QString key = colour_by >= 0
                            ? model_->data(model_->index(r, colour_by), Qt::DisplayRole).toString()
                            : QString("rows");
    QScatterSeries*& s = series[key];
    if (s == nullptr) {
      s = new QScatterSeries;
      s->setName(key);  // the column is named in the title: the legend stays short
      s->setMarkerSize(9);
      s->setBorderColor(Qt::transparent);
    }
    s->append(*x, *y);
    rows_of[key].push_back(pr);
    x0 = std::min(x0, *x);
    x1 = std::max(x1, *x);
    y0 = std::min(y0, *y);
    y1 = std::max(y1, *y);
    ++scatter_points_;
  }
  for (auto& [k, s] : series) {
    chart->addSeries(s);
    point_rows_.emplace_back(s, std::move(rows_of[k]));
    // Clicking a point selects its row: the way from "that dot" to the configuration.
    connect(s, &QScatterSeries::clicked, this, [this, s](const QPointF& p) {
      const QList<QPointF> pts = s->points();
      int best = -1;
      double best_d = INFINITY;
      for (int i = 0; i < pts.size(); ++i) {
        const double d = std::hypot(pts[i].x() - p.x(), pts[i].y() - p.y());
        if (d < best_d) {
          best_d = d;
          best = i;
        }
      }
      if (best >= 0) select_point(s, best);
    });
  }
  auto* ax = new QValueAxis;
  auto* ay = new QValueAxis;
  ax->setTitleText(x_axis_->currentText());
  ay->setTitleText(y_axis_->currentText());
  if (scatter_points_ > 0) {
    // A margin so that points on the extremes are not cut by the plot's edge.
    const double mx = x1 > x0 ? 0.06 * (x1 - x0) : std::max(1.0, std::abs(x0) * 0.1);
    const double my = y1 > y0 ? 0.06 * (y1 - y0) : std::max(1.0, std::abs(y0) * 0.1);
    ax->setRange(x0 - mx, x1 + mx);
    ay->setRange(y0 - my, y1 + my);
    ax->applyNiceNumbers();
    ay->applyNiceNumbers();
  } else {
    ax->setRange(0, 1);
    ay->setRange(0, 1);
  }
  chart->addAxis(ax, Qt::AlignBottom);
  chart->addAxis(ay, Qt::AlignLeft);
  for (auto& [k, s] : series) {
    s->attachAxis(ax);
    s->attachAxis(ay);
  }
  chart->setTitle(QString("%1 against %2 (%3 rows with both)%4")
                      .arg(y_axis_->currentText(), x_axis_->currentText())
                      .arg(scatter_points_)
                      .arg(colour_by >= 0
                               ? QString("<br>colour: ") +
                                     QString::fromStdString(
                                         model_->names()[static_cast<std::size_t>(colour_by)])
                               : QString()));
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->legend()->setVisible(series.size() > 1);
  replace_chart(scatter_, chart);
}

}  // namespace hopsim::gui
