#pragma once
//! The pipeline timeline: one row per pipeline rank and lane (compute partition, communication
//! partition), a box per executed sub-op coloured by what it is (forward, input and weight
//! gradient, each DualPipe direction, EP/TP communication, notify). Wheel or +/- zooms, dragging
//! pans, hovering tells what a box is, clicking reports it.

#include <QGraphicsView>
#include <vector>

#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::gui {

class TimelineView : public QGraphicsView {
  Q_OBJECT
 public:
  explicit TimelineView(QWidget* parent = nullptr);

  //! Shows `slices` of a run over `ranks` pipeline ranks (replaces what was shown).
  void show_run(const std::vector<sim::TimelineSlice>& slices, int ranks);
  [[nodiscard]] int slice_count() const { return slices_; }
  void zoom(double factor);

  //! One line of text saying what a slice is (the tooltip and the click report).
  [[nodiscard]] static QString describe(const sim::TimelineSlice& s);
  //! Its colour: hue by kind of work, lighter for DualPipe's second direction.
  [[nodiscard]] static QColor colour(const sim::TimelineSlice& s);

 signals:
  void slice_clicked(const QString& description);

 protected:
  void wheelEvent(QWheelEvent* e) override;
  void keyPressEvent(QKeyEvent* e) override;
  void resizeEvent(QResizeEvent* e) override;
  void drawForeground(QPainter* painter, const QRectF& rect) override;
  void mousePressEvent(QMouseEvent* e) override;

 private:
  void fit_width();
  int slices_ = 0;
  int ranks_ = 0;
  double width_px_ = 0;       // scene width at zoom 1
  bool user_zoomed_ = false;  // until the user zooms, the whole step fits the width
};

}  // namespace hopsim::gui
