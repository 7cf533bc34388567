#pragma once
//! The pipeline timeline: per pipeline rank a row for each lane (compute partition, communication
//! partition, pipeline-send link, DP sync and optimizer), a box per executed sub-op coloured by
//! what it is (forward, input and weight gradient, each DualPipe direction, EP/TP communication,
//! notify), and an arrow per pipeline send from the sending rank to the receiving one. Wheel or +/-
//! zooms, dragging pans, hovering tells what a box is, clicking reports it. Only what is on screen
//! is drawn, and sub-ops narrower than a pixel at the current zoom are merged (level of detail), so
//! that a 100,000-slice step pans as smoothly as a small one.

#include <QGraphicsView>
#include <memory>
#include <vector>

#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::gui {

struct Prediction;

//! A drawn box of one row: slices [first, last] of the row merged, from start to end (ns),
//! coloured as `dominant` (the longest of them).
struct TimelineRun {
  double start = 0;
  double end = 0;
  std::size_t first = 0;
  std::size_t last = 0;
  std::size_t dominant = 0;
};

//! Level of detail for one row: merges consecutive slices (sorted by start, as positions into
//! `slices` through `order`) that are narrower than `min_ns` with the box before them when they
//! start less than `min_ns` after it ends, until the box is 4 x `min_ns` wide (then a new one
//! starts, so a long busy stretch shows its mix of work). Only slices that end after `from` and
//! start before `to` are considered. Every slice in the window lies inside one run; no run is
//! narrower than its widest slice. Pure, for the view and its tests.
[[nodiscard]] std::vector<TimelineRun> merge_row(const std::vector<sim::TimelineSlice>& slices,
                                                 const std::vector<std::size_t>& order,
                                                 const std::vector<double>& max_end, double from,
                                                 double to, double min_ns);

class TimelineView : public QGraphicsView {
  Q_OBJECT
 public:
  explicit TimelineView(QWidget* parent = nullptr);
  ~TimelineView() override;

  //! Shows the timeline of a prediction (kept alive: slices point into its program).
  void show_run(std::shared_ptr<const Prediction> p);
  [[nodiscard]] int slice_count() const;
  void zoom(double factor);
  //! Boxes drawn by the last paint (after merging); for tests and the benchmark.
  [[nodiscard]] std::size_t painted_boxes() const;
  //! Pipeline-send arrows drawn by the last paint: every send in view when at most a few
  //! hundred are, else none (and a hint to zoom in).
  [[nodiscard]] std::size_t painted_flows() const;
  //! The row (from the top, one kRowHeight each) of a rank's lane: the engine's lanes
  //! (sim::Lane) first, then the rank's pipeline-send link and its DP sync / optimizer row.
  [[nodiscard]] static int row(int rank, int lane);
  //! The slice under a viewport position, or nullptr.
  [[nodiscard]] const sim::TimelineSlice* slice_at(const QPoint& viewport_pos) const;

  //! One line of text saying what a slice is (the tooltip and the click report).
  [[nodiscard]] static QString describe(const sim::TimelineSlice& s);
  //! Its colour: hue by kind of work, lighter for DualPipe's second direction.
  [[nodiscard]] static QColor colour(const sim::TimelineSlice& s);

 signals:
  void slice_clicked(const QString& description);

 protected:
  bool viewportEvent(QEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;
  void keyPressEvent(QKeyEvent* e) override;
  void resizeEvent(QResizeEvent* e) override;
  void drawForeground(QPainter* painter, const QRectF& rect) override;
  void mousePressEvent(QMouseEvent* e) override;

 private:
  class Item;
  void fit_width();
  void update_scene_rect();
  Item* item_ = nullptr;
  int ranks_ = 0;
  double width_px_ = 0;       // the step's scene width (at zoom 1, pixels)
  bool user_zoomed_ = false;  // until the user zooms, the whole step fits the width
};

}  // namespace hopsim::gui
