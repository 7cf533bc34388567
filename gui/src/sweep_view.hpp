#pragma once
//! The Sweeps view: a results database (planner::ResultsStore, opened read-only) as a sortable,
//! filterable table, a scatter of any two numeric columns and a heatmap of any two swept ones;
//! a row opens as a scenario.

#include <QWidget>
#include <optional>

#include "hopsim/core/config/overrides.hpp"

class QChartView;
class QComboBox;
class QLabel;
class QLineEdit;
class QScatterSeries;
class QTableView;
class QTableWidget;
class QTabWidget;

namespace hopsim::gui {

class ResultsModel;
class ResultsFilter;

class SweepView : public QWidget {
  Q_OBJECT
 public:
  explicit SweepView(QWidget* parent = nullptr);

  //! Reads every row of the database and finds the sweep's base scenario: its `base` as a
  //! shipped name or a path, else next to the database. False (and a message) when the file
  //! cannot be read as a results database; what was shown before stays.
  bool open_database(const QString& path);
  //! The scenario the rows' configurations apply to (a shipped name or a YAML path), for a
  //! database whose base was not found. False (and a message) when it cannot be read.
  bool set_base(const QString& spec);
  //! Opens the row at `row` of the table as shown (sorted, filtered): emits open_requested.
  bool open_row(int row);
  //! Scatter axes by column name ("memory_gib", "step_time_ms"); false for a non-numeric one.
  bool set_axes(const QString& x, const QString& y);
  void set_text_filter(const QString& text);
  //! Planner's expression language; false (and a message) for a syntax error.
  bool set_expression(const QString& text);

  [[nodiscard]] QString database() const { return database_; }
  [[nodiscard]] QString message() const;
  [[nodiscard]] QTableView* table() const { return table_; }
  [[nodiscard]] ResultsModel* model() const { return model_; }
  [[nodiscard]] ResultsFilter* proxy() const { return proxy_; }
  [[nodiscard]] int scatter_points() const { return scatter_points_; }
  //! Selects (and scrolls to) the table row of the n-th plotted scatter point, in plotting
  //! order: what clicking that point does. False when there is no such point.
  bool click_point(int n);
  //! Heatmap of the rows shown: one cell per (row value, column value) of two swept columns,
  //! holding the lowest `value` of the rows with those two settings (the best over the other
  //! axes), coloured from best (green) to worst (red), and shows it. False for an unknown
  //! column.
  bool set_heatmap(const QString& rows, const QString& columns, const QString& value);
  [[nodiscard]] QTableWidget* heatmap() const { return heatmap_; }

 signals:
  //! A row as a scenario document: the base with the row's configuration applied.
  void open_requested(const hopsim::ScenarioTemplate& scenario, const QString& label);
  //! One line for the status bar (an error or what was opened).
  void status(const QString& text);

 private:
  void fail(const QString& text);
  void refresh_scatter();
  void refresh_heatmap();
  void refresh_summary();
  void fill_axis_choices();
  //! The table row (as shown) behind point `i` of `series`: selected, scrolled to, announced.
  void select_point(const QScatterSeries* series, int i);

  ResultsModel* model_ = nullptr;
  ResultsFilter* proxy_ = nullptr;
  QString database_;
  QString sweep_name_;
  QString base_name_;
  std::optional<ScenarioTemplate> base_;
  int scatter_points_ = 0;
  //! For each scatter series, the table row (as shown) of each of its points, in point order.
  std::vector<std::pair<const QScatterSeries*, std::vector<int>>> point_rows_;

  QLabel* summary_ = nullptr;
  QLabel* message_ = nullptr;
  QLineEdit* text_filter_ = nullptr;
  QLineEdit* expression_ = nullptr;
  QTableView* table_ = nullptr;
  QComboBox* x_axis_ = nullptr;
  QComboBox* y_axis_ = nullptr;
  QChartView* scatter_ = nullptr;
  QComboBox* heat_rows_ = nullptr;
  QComboBox* heat_columns_ = nullptr;
  QComboBox* heat_value_ = nullptr;
  QTableWidget* heatmap_ = nullptr;
  QTabWidget* plots_ = nullptr;  // scatter, heatmap
};

}  // namespace hopsim::gui
