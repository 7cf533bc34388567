#include "aligned_timeline.hpp"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "prediction_worker.hpp"

namespace hopsim::gui {
namespace {

using profiler::compare::Bar;
using profiler::compare::BarKind;

constexpr int kLabelWidth = 230;
constexpr int kAxisHeight = 34;
constexpr int kRowHeight = 18;
constexpr int kRowGap = 5;

QColor colour(BarKind k) {
  switch (k) {
    case BarKind::kCompute:
      return QColor(0x3b, 0x6e, 0xc2);
    case BarKind::kCommunication:
      return QColor(0xe0, 0x8a, 0x1e);
    case BarKind::kMemory:
      return QColor(0x8c, 0x8c, 0x8c);
  }
  return Qt::black;
}

// A tick step of 1, 2 or 5 x 10^k ns giving at least `min_px` pixels between ticks.
double tick_step(double ns_per_px, double min_px) {
  const double raw = std::max(1.0, ns_per_px * min_px);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10.0 * p;
}

QString time_label(double ns, double step) {
  if (step >= 1e6) return QString("%1 ms").arg(ns / 1e6, 0, 'f', step >= 1e7 ? 0 : 1);
  if (step >= 1e3) return QString("%1 µs").arg(ns / 1e3, 0, 'f', step >= 1e4 ? 0 : 1);
  return QString("%1 ns").arg(ns, 0, 'f', 0);
}

}  // namespace

AlignedTimeline::AlignedTimeline(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);
  setMinimumHeight(kAxisHeight + 2 * (kRowHeight + kRowGap));
}

QSize AlignedTimeline::sizeHint() const {
  const int rows = std::max<int>(2, static_cast<int>(rows_.size()));
  return {900, kAxisHeight + rows * (kRowHeight + kRowGap) + 4};
}

void AlignedTimeline::show_measured(std::shared_ptr<const profiler::trace::Trace> trace,
                                    const profiler::classify::KernelClassifier& classifier,
                                    const profiler::compare::MeasuredWindow& window) {
  trace_ = std::move(trace);
  measured_ = trace_ ? profiler::compare::measured_rows(*trace_, classifier, window)
                     : std::vector<profiler::compare::TimelineRow>{};
  join_rows();
}

void AlignedTimeline::show_predicted(std::shared_ptr<const Prediction> prediction, int rank) {
  // Only the prediction's rows are rebuilt: an edit re-predicts, the trace stays.
  prediction_ = std::move(prediction);
  predicted_ = prediction_ && prediction_->ok
                   ? profiler::compare::predicted_rows(prediction_->run.result, rank)
                   : std::vector<profiler::compare::TimelineRow>{};
  join_rows();
}

void AlignedTimeline::join_rows() {
  rows_ = measured_;
  rows_.insert(rows_.end(), predicted_.begin(), predicted_.end());
  end_ns_ = 0;
  for (const auto& r : rows_) {
    for (const Bar& b : r.bars) end_ns_ = std::max(end_ns_, static_cast<double>(b.end.value()));
  }
  updateGeometry();
  fit();
}

void AlignedTimeline::fit() {
  set_window(0, std::max(1.0, end_ns_));
}

void AlignedTimeline::set_window(double from_ns, double to_ns) {
  from_ns_ = from_ns;
  to_ns_ = std::max(from_ns + 1.0, to_ns);
  update();
}

double AlignedTimeline::x_of(double ns) const {
  const double w = std::max(1, width() - kLabelWidth - 8);
  return kLabelWidth + (ns - from_ns_) / (to_ns_ - from_ns_) * w;
}

double AlignedTimeline::ns_of(double x) const {
  const double w = std::max(1, width() - kLabelWidth - 8);
  return from_ns_ + (x - kLabelWidth) / w * (to_ns_ - from_ns_);
}

void AlignedTimeline::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().base());
  painted_ = 0;
  if (rows_.empty()) {
    p.setPen(palette().text().color());
    p.drawText(rect(), Qt::AlignCenter,
               "Open a trace: its streams appear here above the predicted rank's lanes.");
    return;
  }
  // Axis: ticks and the legend.
  const double ns_per_px = (to_ns_ - from_ns_) / std::max(1, width() - kLabelWidth - 8);
  const double step = tick_step(ns_per_px, 90);
  const double first = std::ceil(from_ns_ / step) * step;
  for (double t = first; t <= to_ns_; t += step) {
    const double x = x_of(t);
    p.setPen(palette().mid().color());
    p.drawLine(QPointF(x, kAxisHeight - 6), QPointF(x, height()));
    p.setPen(palette().text().color());
    p.drawText(QPointF(x + 3, kAxisHeight - 8), time_label(t, step));
  }
  int lx = 8;
  for (auto [k, name] : {std::pair{BarKind::kCompute, "compute"},
                         std::pair{BarKind::kCommunication, "communication"},
                         std::pair{BarKind::kMemory, "memcpy / memset"}}) {
    p.fillRect(QRect(lx, 6, 10, 10), colour(k));
    p.drawText(QPoint(lx + 14, 15), name);
    lx += 14 + p.fontMetrics().horizontalAdvance(name) + 14;
  }
  // Rows, clipped to the plot; sub-pixel bars of one kind merge into one rectangle.
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    const auto& row = rows_[i];
    const int y = kAxisHeight + static_cast<int>(i) * (kRowHeight + kRowGap);
    p.setPen(row.measured ? palette().text().color() : QColor(0x20, 0x70, 0x40));
    p.drawText(QRect(4, y, kLabelWidth - 8, kRowHeight), Qt::AlignVCenter | Qt::AlignLeft,
               QString::fromStdString(row.label));
    p.save();
    p.setClipRect(QRect(kLabelWidth, y, width() - kLabelWidth, kRowHeight));
    p.setPen(Qt::NoPen);
    double run_x0 = 0, run_x1 = -1;
    BarKind run_kind = BarKind::kCompute;
    auto flush = [&] {
      if (run_x1 < run_x0) return;
      p.fillRect(QRectF(run_x0, y, std::max(1.0, run_x1 - run_x0), kRowHeight), colour(run_kind));
      ++painted_;
    };
    for (const Bar& b : row.bars) {
      if (static_cast<double>(b.end.value()) < from_ns_) continue;
      if (static_cast<double>(b.start.value()) > to_ns_) break;
      const double x0 = x_of(static_cast<double>(b.start.value()));
      const double x1 = std::max(x0 + 1.0, x_of(static_cast<double>(b.end.value())));
      if (b.kind == run_kind && x0 <= run_x1 + 1.0) {
        run_x1 = std::max(run_x1, x1);
        continue;
      }
      flush();
      run_x0 = x0;
      run_x1 = x1;
      run_kind = b.kind;
    }
    flush();
    p.restore();
  }
}

const Bar* AlignedTimeline::bar_at(const QPoint& pos) const {
  if (pos.x() < kLabelWidth || pos.y() < kAxisHeight) return nullptr;
  const int i = (pos.y() - kAxisHeight) / (kRowHeight + kRowGap);
  if (i < 0 || i >= static_cast<int>(rows_.size())) return nullptr;
  if ((pos.y() - kAxisHeight) % (kRowHeight + kRowGap) >= kRowHeight) return nullptr;
  const auto& bars = rows_[static_cast<std::size_t>(i)].bars;
  // Within a pixel of the pointer: the bar starting last at or before it that still covers it.
  const double slack = (to_ns_ - from_ns_) / std::max(1, width() - kLabelWidth - 8);
  const double t = ns_of(pos.x());
  auto it = std::upper_bound(bars.begin(), bars.end(), t + slack, [](double v, const Bar& b) {
    return v < static_cast<double>(b.start.value());
  });
  while (it != bars.begin()) {
    --it;
    if (static_cast<double>(it->end.value()) + slack >= t) return &*it;
    if (bars.end() - it > 64) break;  // bars overlap rarely; do not walk a whole row
  }
  return nullptr;
}

bool AlignedTimeline::event(QEvent* e) {
  if (e->type() == QEvent::ToolTip) {
    auto* h = static_cast<QHelpEvent*>(e);
    if (const Bar* b = bar_at(h->pos())) {
      QToolTip::showText(
          h->globalPos(),
          QString("%1\n%2 ms from %3 ms")
              .arg(QString::fromUtf8(b->name.data(), static_cast<qsizetype>(b->name.size())))
              .arg(to_ms(b->end - b->start), 0, 'f', 3)
              .arg(to_ms(b->start), 0, 'f', 3),
          this);
    } else {
      QToolTip::hideText();
    }
    return true;
  }
  return QWidget::event(e);
}

void AlignedTimeline::wheelEvent(QWheelEvent* e) {
  const double factor = e->angleDelta().y() > 0 ? 1.0 / 1.25 : 1.25;
  const double at = ns_of(e->position().x());
  set_window(at - (at - from_ns_) * factor, at + (to_ns_ - at) * factor);
  e->accept();
}

void AlignedTimeline::mousePressEvent(QMouseEvent* e) {
  drag_x_ = static_cast<int>(e->position().x());
}

void AlignedTimeline::mouseMoveEvent(QMouseEvent* e) {
  if (drag_x_ < 0 || !(e->buttons() & Qt::LeftButton)) return;
  const int x = static_cast<int>(e->position().x());
  const double shift = ns_of(drag_x_) - ns_of(x);
  drag_x_ = x;
  set_window(from_ns_ + shift, to_ns_ + shift);
}

void AlignedTimeline::mouseReleaseEvent(QMouseEvent*) {
  drag_x_ = -1;
}

void AlignedTimeline::mouseDoubleClickEvent(QMouseEvent*) {
  fit();
}

}  // namespace hopsim::gui
