#pragma once
//! The Measured view's timelines: the imported trace's streams over one measured step above one
//! predicted pipeline rank's lanes, on one time axis from time 0 (profiler::compare::
//! aligned_rows), so where the run and the model part is seen, not only summed. Wheel zooms about
//! the pointer, dragging pans, a double click fits everything again; hovering names a bar. Bars
//! narrower than a pixel merge with their neighbours of the same kind, so a trace of many kernels
//! stays quick to draw.

#include <QWidget>
#include <memory>
#include <vector>

#include "hopsim/profiler/compare/aligned_timeline.hpp"

namespace hopsim::gui {

struct Prediction;

class AlignedTimeline : public QWidget {
  Q_OBJECT
 public:
  explicit AlignedTimeline(QWidget* parent = nullptr);

  //! The measured rows: `trace`'s streams over `window` (null: none). Built once per trace;
  //! the trace is kept alive, the rows point into it.
  void show_measured(std::shared_ptr<const profiler::trace::Trace> trace,
                     const profiler::classify::KernelClassifier& classifier,
                     const profiler::compare::MeasuredWindow& window);
  //! The predicted rows: rank `rank` of `prediction` (null or failed: none), under the
  //! measured ones. Kept alive likewise.
  void show_predicted(std::shared_ptr<const Prediction> prediction, int rank);
  [[nodiscard]] const std::vector<profiler::compare::TimelineRow>& rows() const { return rows_; }
  //! Rectangles drawn by the last paint (after merging); for tests.
  [[nodiscard]] std::size_t painted_boxes() const { return painted_; }
  //! Shows [from, to] ns.
  void set_window(double from_ns, double to_ns);
  void fit();
  [[nodiscard]] QSize sizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;
  void mousePressEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;
  void mouseDoubleClickEvent(QMouseEvent* e) override;
  bool event(QEvent* e) override;

 private:
  [[nodiscard]] double x_of(double ns) const;
  [[nodiscard]] double ns_of(double x) const;
  [[nodiscard]] const profiler::compare::Bar* bar_at(const QPoint& p) const;

  //! Measured rows then predicted rows, as drawn.
  void join_rows();

  std::shared_ptr<const profiler::trace::Trace> trace_;
  std::shared_ptr<const Prediction> prediction_;
  std::vector<profiler::compare::TimelineRow> measured_;
  std::vector<profiler::compare::TimelineRow> predicted_;
  std::vector<profiler::compare::TimelineRow> rows_;
  double end_ns_ = 0;  // the latest bar end over all rows
  double from_ns_ = 0;
  double to_ns_ = 1;
  int drag_x_ = -1;
  std::size_t painted_ = 0;
};

}  // namespace hopsim::gui
