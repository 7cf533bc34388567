#include "timeline_view.hpp"

#include <QGraphicsRectItem>
#include <QKeyEvent>
#include <QScrollBar>
#include <QWheelEvent>

namespace hopsim::gui {
namespace {

constexpr double kRowHeight = 18.0;
constexpr double kLabelWidth = 150.0;
constexpr double kPixelsPerMs = 4.0;  // at zoom 1: a 16 s step is 64,000 px wide
constexpr int kSliceRole = 0;         // QGraphicsItem::data key: index into the shown slices

const char* lane_name(sim::Lane l) {
  return l == sim::Lane::kCompute ? "compute" : "comm";
}

}  // namespace

TimelineView::TimelineView(QWidget* parent) : QGraphicsView(parent) {
  setScene(new QGraphicsScene(this));
  setDragMode(QGraphicsView::ScrollHandDrag);
  setRenderHint(QPainter::Antialiasing, false);
  setViewportUpdateMode(QGraphicsView::BoundingRectViewportUpdate);
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  setFocusPolicy(Qt::StrongFocus);
}

QColor TimelineView::colour(const sim::TimelineSlice& s) {
  QColor c;
  switch (s.cls) {
    case sim::WorkClass::kCompute: {
      const bool weight = s.op != nullptr && s.op->name.find(".W") != std::string::npos;
      c = !s.backward ? QColor(66, 133, 244) : weight ? QColor(142, 68, 173) : QColor(52, 168, 83);
      break;
    }
    case sim::WorkClass::kEpComm: {
      const bool notify = s.op != nullptr && (s.op->component == sim::Component::kNotifyDispatch ||
                                              s.op->component == sim::Component::kNotifyCombine);
      c = notify ? QColor(150, 150, 150) : QColor(251, 140, 0);
      break;
    }
    case sim::WorkClass::kTpComm:
      c = QColor(0, 150, 136);
      break;
    default:
      c = QColor(229, 57, 53);
      break;
  }
  return s.direction == 1 ? c.lighter(140) : c;
}

QString TimelineView::describe(const sim::TimelineSlice& s) {
  const QString name = s.op != nullptr ? QString::fromStdString(s.op->name) : QString("?");
  QString text = QString("%1  rank %2 %3  mb %4 dir %5 stage %6  %7 ms")
                     .arg(name)
                     .arg(s.rank)
                     .arg(lane_name(s.lane))
                     .arg(s.micro_batch)
                     .arg(s.direction)
                     .arg(s.stage)
                     .arg(to_ms(s.end - s.start), 0, 'f', 3);
  if (s.op != nullptr && s.op->flops.value() > 0) {
    text += QString("  %1 TFLOP").arg(s.op->flops.value() / 1e12, 0, 'f', 2);
  }
  if (s.op != nullptr && !s.op->traffic.empty()) {
    text += QString("  NIC %1 MB, NVLink %2 MB")
                .arg(s.op->traffic.nic_bytes / 1e6, 0, 'f', 1)
                .arg(s.op->traffic.nvlink_bytes / 1e6, 0, 'f', 1);
  }
  return text;
}

void TimelineView::show_run(const std::vector<sim::TimelineSlice>& slices, int ranks) {
  QGraphicsScene* sc = scene();
  sc->clear();
  resetTransform();
  double end_ms = 0;
  ranks_ = ranks;
  QPen none(Qt::NoPen);
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const sim::TimelineSlice& s = slices[i];
    const double x = to_ms(s.start) * kPixelsPerMs;
    const double w = std::max(0.5, to_ms(s.end - s.start) * kPixelsPerMs);
    const double y = (s.rank * sim::kLaneCount + static_cast<int>(s.lane)) * kRowHeight + 1;
    auto* item = sc->addRect(x, y, w, kRowHeight - 2, none, QBrush(colour(s)));
    item->setToolTip(describe(s));
    item->setData(kSliceRole, static_cast<qulonglong>(i));
    end_ms = std::max(end_ms, to_ms(s.end));
  }
  slices_ = static_cast<int>(slices.size());
  sc->setSceneRect(-kLabelWidth, -kRowHeight, end_ms * kPixelsPerMs + kLabelWidth + 50,
                   (ranks * sim::kLaneCount + 2) * kRowHeight);
  width_px_ = std::max(1.0, end_ms * kPixelsPerMs + kLabelWidth);
  user_zoomed_ = false;
  fit_width();
}

void TimelineView::drawForeground(QPainter* painter, const QRectF& /*rect*/) {
  // Row labels in viewport coordinates: always at the left edge, readable at any zoom.
  painter->save();
  painter->resetTransform();
  const QFontMetrics fm(font());
  for (int r = 0; r < ranks_; ++r) {
    for (int l = 0; l < sim::kLaneCount; ++l) {
      const double y = (r * sim::kLaneCount + l + 0.5) * kRowHeight;
      const QPoint at = mapFromScene(QPointF(0, y));
      const QString text = QString("rank %1 %2").arg(r).arg(lane_name(static_cast<sim::Lane>(l)));
      const QRect box(2, at.y() - fm.height() / 2, fm.horizontalAdvance(text) + 6, fm.height());
      painter->fillRect(box, QColor(255, 255, 255, 220));
      painter->setPen(Qt::black);
      painter->drawText(box.adjusted(3, 0, 0, 0), Qt::AlignVCenter | Qt::AlignLeft, text);
    }
  }
  painter->restore();
}

void TimelineView::fit_width() {
  resetTransform();
  scale(std::max(1e-4, (viewport()->width() - 20) / width_px_), 1.0);
  horizontalScrollBar()->setValue(horizontalScrollBar()->minimum());
}

void TimelineView::resizeEvent(QResizeEvent* e) {
  QGraphicsView::resizeEvent(e);
  if (!user_zoomed_ && width_px_ > 0) fit_width();
}

void TimelineView::zoom(double factor) {
  user_zoomed_ = true;
  scale(factor, 1.0);
}

void TimelineView::wheelEvent(QWheelEvent* e) {
  zoom(e->angleDelta().y() > 0 ? 1.25 : 0.8);
  e->accept();
}

void TimelineView::keyPressEvent(QKeyEvent* e) {
  switch (e->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
      zoom(1.25);
      break;
    case Qt::Key_Minus:
      zoom(0.8);
      break;
    default:
      QGraphicsView::keyPressEvent(e);
  }
}

void TimelineView::mousePressEvent(QMouseEvent* e) {
  if (auto* item = itemAt(e->pos()); item != nullptr && !item->toolTip().isEmpty()) {
    emit slice_clicked(item->toolTip());
  }
  QGraphicsView::mousePressEvent(e);
}

}  // namespace hopsim::gui
