#pragma once
//! Chart helpers shared by the views: a chart view releases, but does not delete, the chart it
//! showed before, so every replacement goes through here.

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QFont>
#include <QHorizontalBarSeries>
#include <QList>
#include <QValueAxis>
#include <algorithm>

namespace hopsim::gui {

//! Shows `chart` in `view` (which takes it) and deletes the chart it replaces.
inline void replace_chart(QChartView* view, QChart* chart) {
  QChart* old = view->chart();
  view->setChart(chart);
  delete old;
}

//! A horizontal bar chart of `sets` side by side per category: the categories on the left (a
//! horizontal axis lists them from the bottom up), `values` below, the legend at the bottom.
inline QChart* horizontal_bars(const QList<QBarSet*>& sets, QBarCategoryAxis* categories,
                               QValueAxis* values) {
  // Qt elides a category label that is taller than its share of the axis: past a dozen
  // categories their font shrinks with their number (not below 6 pt) so that names stay legible.
  if (const qsizetype n = categories->count(); n > 12) {
    QFont f = categories->labelsFont();
    f.setPointSizeF(std::max(6.0, f.pointSizeF() * 12.0 / static_cast<double>(n)));
    categories->setLabelsFont(f);
  }
  auto* series = new QHorizontalBarSeries;
  series->append(sets);
  auto* chart = new QChart;
  chart->addSeries(series);
  chart->addAxis(categories, Qt::AlignLeft);
  series->attachAxis(categories);
  chart->addAxis(values, Qt::AlignBottom);
  series->attachAxis(values);
  chart->legend()->setAlignment(Qt::AlignBottom);
  return chart;
}

}  // namespace hopsim::gui
