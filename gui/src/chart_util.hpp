#pragma once
//! Chart helpers shared by the views: a chart view releases, but does not delete, the chart it
//! showed before, so every replacement goes through here.

#include <QChart>
#include <QChartView>

namespace hopsim::gui {

//! Shows `chart` in `view` (which takes it) and deletes the chart it replaces.
inline void replace_chart(QChartView* view, QChart* chart) {
  QChart* old = view->chart();
  view->setChart(chart);
  delete old;
}

}  // namespace hopsim::gui
