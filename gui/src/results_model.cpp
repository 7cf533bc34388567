#include "results_model.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>

#include "hopsim/core/error.hpp"

namespace hopsim::gui {
namespace {

std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  std::size_t used = 0;
  try {
    const double v = std::stod(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

QString show(double v) {
  if (std::isnan(v)) return "—";
  const double a = std::abs(v);
  if (a >= 100) return QString::number(v, 'f', 0);
  if (a >= 1) return QString::number(v, 'f', 2);
  return QString::number(v, 'g', 3);
}

}  // namespace

ResultsModel::ResultsModel(QObject* parent) : QAbstractTableModel(parent) {}

void ResultsModel::set_rows(std::vector<planner::StoredResult> rows) {
  beginResetModel();
  rows_ = std::move(rows);
  configs_.clear();
  columns_.clear();
  // A configuration the store cannot parse stays a row with no swept values: the table shows
  // what the database holds rather than refusing the whole file.
  std::vector<std::string> keys;
  for (const auto& r : rows_) {
    std::vector<ScenarioOverride> o;
    const auto j = nlohmann::ordered_json::parse(r.config, nullptr, false);
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        o.push_back({k, v.is_string() ? v.get<std::string>() : v.dump()});
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
      }
    }
    configs_.push_back(std::move(o));
  }
  columns_.push_back({Kind::kIndex, "index"});
  columns_.push_back({Kind::kStatus, "status"});
  for (const auto& k : keys) columns_.push_back({Kind::kConfig, k});
  const auto& metrics = planner::metric_columns();
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    columns_.push_back({Kind::kMetric, metrics[i].name, i});
  }
  columns_.push_back({Kind::kReason, "reason"});
  names_.clear();
  for (const auto& c : columns_) names_.push_back(c.name);
  endResetModel();
}

std::vector<ScenarioOverride> ResultsModel::overrides(int r) const {
  return configs_[static_cast<std::size_t>(r)];
}

int ResultsModel::column_of(const std::string& name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  return it == names_.end() ? -1 : static_cast<int>(it - names_.begin());
}

std::vector<int> ResultsModel::numeric_columns() const {
  std::vector<int> out;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    const Column& col = columns_[c];
    if (col.kind == Kind::kStatus || col.kind == Kind::kReason) continue;
    bool numeric = true;
    if (col.kind == Kind::kConfig) {
      for (int r = 0; r < rowCount() && numeric; ++r) {
        const QVariant v = raw(r, col);
        numeric = !v.isValid() || v.typeId() == QMetaType::Double;
      }
    }
    if (numeric) out.push_back(static_cast<int>(c));
  }
  return out;
}

std::optional<double> ResultsModel::number(int r, int column) const {
  const QVariant v = raw(r, columns_[static_cast<std::size_t>(column)]);
  if (v.typeId() != QMetaType::Double) return std::nullopt;
  return v.toDouble();
}

int ResultsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int ResultsModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(columns_.size());
}

QVariant ResultsModel::raw(int r, const Column& c) const {
  const planner::StoredResult& row = rows_[static_cast<std::size_t>(r)];
  switch (c.kind) {
    case Kind::kIndex:
      return static_cast<double>(row.index);
    case Kind::kStatus:
      return QString::fromStdString(row.status);
    case Kind::kReason:
      return QString::fromStdString(row.reason);
    case Kind::kMetric: {
      const double v = row.*planner::metric_columns()[c.metric].member;
      return std::isnan(v) ? QVariant() : QVariant(v);
    }
    case Kind::kConfig:
      for (const auto& o : configs_[static_cast<std::size_t>(r)]) {
        if (o.key != c.name) continue;
        if (const auto n = parse_number(o.value)) return *n;
        return QString::fromStdString(o.value);
      }
      return {};
  }
  return {};
}

QVariant ResultsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  const Column& c = columns_[static_cast<std::size_t>(index.column())];
  const QVariant v = raw(index.row(), c);
  switch (role) {
    case kSortRole:
      return v;
    case Qt::DisplayRole:
      if (c.kind == Kind::kMetric) return show(v.isValid() ? v.toDouble() : std::nan(""));
      if (c.kind == Kind::kConfig) {
        for (const auto& o : configs_[static_cast<std::size_t>(index.row())]) {
          if (o.key == c.name) return QString::fromStdString(o.value);
        }
        return {};
      }
      return c.kind == Kind::kIndex ? QVariant(static_cast<qlonglong>(v.toDouble())) : v;
    case Qt::ToolTipRole:
      return c.kind == Kind::kReason ? v : QVariant();
    case Qt::TextAlignmentRole:
      return v.typeId() == QMetaType::Double || c.kind == Kind::kMetric
                 ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                 : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    default:
      return {};
  }
}

QVariant ResultsModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || section < 0 || section >= columnCount()) {
    return QAbstractTableModel::headerData(section, o, role);
  }
  if (role == Qt::DisplayRole)
    return QString::fromStdString(names_[static_cast<std::size_t>(section)]);
  return {};
}

ResultsFilter::ResultsFilter(QObject* parent) : QSortFilterProxyModel(parent) {
  setSortRole(ResultsModel::kSortRole);
  setFilterKeyColumn(-1);
  setFilterCaseSensitivity(Qt::CaseInsensitive);
}

void ResultsFilter::set_expression(const std::string& text) {
  // A syntax error leaves no expression filter (rather than the previous one) and is rethrown
  // after the rows are filtered again.
  expression_error_.clear();
  expression_.reset();
  std::exception_ptr bad;
  if (text.find_first_not_of(" \t") != std::string::npos) {
    try {
      expression_.emplace(text);
    } catch (...) {
      bad = std::current_exception();
    }
  }
  invalidateRowsFilter();
  if (bad) std::rethrow_exception(bad);
}

bool ResultsFilter::lessThan(const QModelIndex& left, const QModelIndex& right) const {
  const QVariant a = left.data(sortRole());
  const QVariant b = right.data(sortRole());
  if (!a.isValid() || !b.isValid()) {
    // A descending sort asks lessThan(right, left): a missing value is then "smaller", so that
    // infeasible rows stay at the bottom whichever way the user sorts.
    if (a.isValid() == b.isValid()) return false;
    return a.isValid() != (sortOrder() == Qt::DescendingOrder);
  }
  const bool an = a.typeId() == QMetaType::Double;
  const bool bn = b.typeId() == QMetaType::Double;
  if (an && bn) return a.toDouble() < b.toDouble();
  if (an != bn) return an;  // numbers before text
  return QString::compare(a.toString(), b.toString(), Qt::CaseInsensitive) < 0;
}

bool ResultsFilter::filterAcceptsRow(int row, const QModelIndex& parent) const {
  if (!QSortFilterProxyModel::filterAcceptsRow(row, parent)) return false;
  if (!expression_) return true;
  const auto* m = static_cast<const ResultsModel*>(sourceModel());
  const planner::ExprLookup lookup =
      [&](const std::string& name) -> std::optional<planner::ExprValue> {
    const int c = m->column_of(name);
    if (c < 0) return std::nullopt;
    const QVariant v = m->data(m->index(row, c), ResultsModel::kSortRole);
    if (v.typeId() == QMetaType::QString) return planner::ExprValue::of(v.toString().toStdString());
    return planner::ExprValue::of(v.isValid() ? v.toDouble() : std::nan(""));
  };
  try {
    return expression_->holds(lookup, m->names());
  } catch (const std::exception& e) {
    expression_error_ = QString::fromStdString(e.what());
    return false;
  }
}

}  // namespace hopsim::gui
