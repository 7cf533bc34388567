#pragma once
//! The rows of a sweep's results database as a Qt table model (a column per swept key and per
//! metric, raw values under kSortRole), and the proxy that sorts and filters them for the view.

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <optional>
#include <string>
#include <vector>

#include "hopsim/core/config/overrides.hpp"
#include "hopsim/planner/expression.hpp"
#include "hopsim/planner/results_store.hpp"

namespace hopsim::gui {

class ResultsModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  //! Raw value of a cell: a double for numbers, a QString for text, invalid for a metric that
  //! was not computed (so that it sorts after every number).
  static constexpr int kSortRole = Qt::UserRole + 1;

  explicit ResultsModel(QObject* parent = nullptr);

  //! Replaces the rows. Swept keys come from each row's configuration (JSON object).
  void set_rows(std::vector<planner::StoredResult> rows);
  [[nodiscard]] const planner::StoredResult& row(int r) const {
    return rows_[static_cast<std::size_t>(r)];
  }
  //! The configuration of row `r` as scenario overrides, in the order the sweep wrote them.
  [[nodiscard]] std::vector<ScenarioOverride> overrides(int r) const;

  //! Column names as the expression filter knows them ("plan.pp", "step_time_ms", "status").
  [[nodiscard]] const std::vector<std::string>& names() const { return names_; }
  [[nodiscard]] int column_of(const std::string& name) const;
  //! Columns whose every present value is a number (the scatter's choices).
  [[nodiscard]] std::vector<int> numeric_columns() const;
  //! A cell as a number; nullopt for text or a metric not computed.
  [[nodiscard]] std::optional<double> number(int r, int column) const;

  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
  [[nodiscard]] QVariant headerData(int section, Qt::Orientation o, int role) const override;

 private:
  enum class Kind { kIndex, kStatus, kConfig, kMetric, kReason };
  struct Column {
    Kind kind;
    std::string name;
    std::size_t metric = 0;  //!< into planner::metric_columns()
  };
  [[nodiscard]] QVariant raw(int r, const Column& c) const;

  std::vector<planner::StoredResult> rows_;
  std::vector<std::vector<ScenarioOverride>> configs_;  //!< per row, parsed once
  std::vector<Column> columns_;
  std::vector<std::string> names_;
};

//! Sorts by raw values (numbers as numbers; rows without the value last in either order) and
//! keeps the rows that contain the filter text (any column) and satisfy the filter expression,
//! written in planner's constraint language ("step_time_ms < 500 && plan.pp >= 2"; metrics not
//! computed are NaN, so comparisons with them fail).
class ResultsFilter : public QSortFilterProxyModel {
  Q_OBJECT
 public:
  explicit ResultsFilter(QObject* parent = nullptr);
  //! Empty clears it. Throws ConfigError for a syntax error; unknown names fail at evaluation,
  //! which expression_error() then reports (and every row is hidden).
  void set_expression(const std::string& text);
  [[nodiscard]] const QString& expression_error() const { return expression_error_; }

 protected:
  [[nodiscard]] bool filterAcceptsRow(int row, const QModelIndex& parent) const override;
  [[nodiscard]] bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

 private:
  std::optional<planner::Expression> expression_;
  mutable QString expression_error_;
};

}  // namespace hopsim::gui
