#include "timeline_view.hpp"

#include <QGraphicsItem>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QPainter>
#include <QScrollBar>
#include <QStyleOptionGraphicsItem>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "prediction_worker.hpp"

namespace hopsim::gui {
namespace {

constexpr double kRowHeight = 18.0;
constexpr double kLabelWidth = 150.0;
constexpr double kPixelsPerMs = 4.0;  // at zoom 1: a 16 s step is 64,000 px wide
constexpr double kNsPerScene = 1e6 / kPixelsPerMs;
constexpr double kMaxMergedPixels = 4;  // the widest a box of merged sub-pixel ops grows

const char* lane_name(sim::Lane l) {
  return l == sim::Lane::kCompute ? "compute" : "comm";
}

// Rows of a rank: the engine's lanes (compute and communication partitions), then the rank's
// pipeline-send port and its DP gradient sync and optimizer step.
constexpr int kLinkRow = sim::kLaneCount;
constexpr int kDpRow = sim::kLaneCount + 1;
constexpr int kRowsPerRank = sim::kLaneCount + 2;

const char* row_name(int row) {
  if (row == kLinkRow) return "link: PP send";
  if (row == kDpRow) return "DP sync / optimizer";
  return lane_name(static_cast<sim::Lane>(row));
}

double ns(Nanoseconds t) {
  return static_cast<double>(t.value());
}

}  // namespace

std::vector<TimelineRun> merge_row(const std::vector<sim::TimelineSlice>& slices,
                                   const std::vector<std::size_t>& order,
                                   const std::vector<double>& max_end, double from, double to,
                                   double min_ns) {
  std::vector<TimelineRun> runs;
  // max_end is the running maximum of the ends in start order: the first slice that can reach
  // into the window is the first whose running maximum passes `from`.
  const auto first = std::upper_bound(max_end.begin(), max_end.end(), from) - max_end.begin();
  for (auto k = static_cast<std::size_t>(first); k < order.size(); ++k) {
    const std::size_t i = order[k];
    const double a = ns(slices[i].start);
    const double b = ns(slices[i].end);
    if (a >= to) break;
    if (b <= from) continue;
    if (!runs.empty()) {
      TimelineRun& r = runs.back();
      // Merge only when one side is under a pixel: two boxes wide enough to see stay apart. A
      // box stops growing at kMaxMergedPixels, so a long busy stretch of sub-pixel ops shows the
      // mix of its work box by box instead of one box in the colour of its longest op.
      const bool thin = b - a < min_ns || r.end - r.start < min_ns;
      const bool room = r.end - r.start < kMaxMergedPixels * min_ns;
      if (thin && room && a - r.end < min_ns) {
        if (b - a > ns(slices[r.dominant].end) - ns(slices[r.dominant].start)) r.dominant = i;
        r.end = std::max(r.end, b);
        r.last = i;
        continue;
      }
    }
    runs.push_back({a, b, i, i, i});
  }
  return runs;
}

// The one scene item: draws the exposed part of every visible row, merged to the pixel.
class TimelineView::Item : public QGraphicsItem {
 public:
  explicit Item(std::shared_ptr<const Prediction> p) : p_(std::move(p)) {
    setFlag(ItemUsesExtendedStyleOption);
    const auto& slices = this->slices();
    const int ranks = p_->scenario.plan.pp;
    rows_.resize(static_cast<std::size_t>(ranks * kRowsPerRank));
    double end = 0;
    for (std::size_t i = 0; i < slices.size(); ++i) {
      const std::size_t r = row_of(slices[i]);
      if (r < rows_.size()) rows_[r].order.push_back(i);
      end = std::max(end, ns(slices[i].end));
    }
    for (Row& row : rows_) {
      std::stable_sort(row.order.begin(), row.order.end(), [&](std::size_t a, std::size_t b) {
        return slices[a].start < slices[b].start;
      });
      double m = -INFINITY;
      for (std::size_t i : row.order) {
        m = std::max(m, ns(slices[i].end));
        row.max_end.push_back(m);
      }
    }
    // The DP sync and the optimizer step end the step after the pipeline.
    const sim::SimResult& res = p_->run.result;
    end = std::max(end, ns(res.step_time));
    bounds_ = QRectF(0, 0, end / kNsPerScene, ranks * kRowsPerRank * kRowHeight);
  }

  [[nodiscard]] const std::vector<sim::TransferEvent>& transfers() const {
    return p_->run.result.transfers;
  }
  [[nodiscard]] std::size_t painted_flows() const { return painted_flows_; }
  [[nodiscard]] std::size_t hidden_flows() const { return hidden_flows_; }

  [[nodiscard]] const std::vector<sim::TimelineSlice>& slices() const {
    return p_->run.result.timeline;
  }
  [[nodiscard]] QRectF boundingRect() const override { return bounds_; }
  [[nodiscard]] std::size_t painted() const { return painted_; }

  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) override {
    const QRectF exposed = option->exposedRect.intersected(bounds_);
    const double sx = painter->worldTransform().m11();  // device pixels per scene unit
    const double pixel_ns = kNsPerScene / std::max(1e-12, sx);
    const auto& slices = this->slices();
    painted_ = 0;
    const int r0 = std::max(0, static_cast<int>(std::floor(exposed.top() / kRowHeight)));
    const int r1 = std::min(static_cast<int>(rows_.size()) - 1,
                            static_cast<int>(std::floor(exposed.bottom() / kRowHeight)));
    for (int r = r0; r <= r1; ++r) {
      const Row& row = rows_[static_cast<std::size_t>(r)];
      const auto runs = merge_row(slices, row.order, row.max_end, exposed.left() * kNsPerScene,
                                  exposed.right() * kNsPerScene, pixel_ns);
      const double y = r * kRowHeight + 1;
      for (const TimelineRun& run : runs) {
        // At least a pixel wide, so that a lone sub-pixel op is still seen.
        const double w = std::max(run.end - run.start, pixel_ns) / kNsPerScene;
        painter->fillRect(QRectF(run.start / kNsPerScene, y, w, kRowHeight - 2),
                          colour(slices[run.dominant]));
      }
      painted_ += runs.size();
    }
    paint_ports(painter, exposed, pixel_ns, r0, r1);
    paint_flows(painter, exposed, sx);
  }

  // The rows the engine's lanes do not fill: each rank's pipeline sends on its link row (time on
  // the port, as `hopsim run --trace` draws them) and its DP gradient sync and optimizer step.
  void paint_ports(QPainter* painter, const QRectF& exposed, double pixel_ns, int r0, int r1) {
    const double from = exposed.left() * kNsPerScene;
    const double to = exposed.right() * kNsPerScene;
    const auto box = [&](int row, double a, double b, const QColor& c) {
      if (row < r0 || row > r1 || b < from || a > to) return;
      const double w = std::max(b - a, pixel_ns) / kNsPerScene;
      painter->fillRect(QRectF(a / kNsPerScene, row * kRowHeight + 1, w, kRowHeight - 2), c);
    };
    for (const sim::TransferEvent& t : transfers()) {
      box(TimelineView::row(t.from_rank, kLinkRow), ns(t.start), ns(t.end),
          t.forward ? QColor(120, 144, 156) : QColor(176, 190, 197));
    }
    const sim::SimResult& res = p_->run.result;
    const double opt_start = ns(res.pipeline_time + res.dp_exposed);
    for (std::size_t rank = 0; rank < res.execution.ranks.size(); ++rank) {
      const sim::RankStats& st = res.execution.ranks[rank];
      const int rr = static_cast<int>(rank);
      if (st.dp_sync_end > st.dp_sync_start) {
        box(TimelineView::row(rr, kDpRow), ns(st.dp_sync_start), ns(st.dp_sync_end),
            QColor(0, 150, 136));
      }
      box(TimelineView::row(rr, kDpRow), opt_start, opt_start + ns(res.optimizer_time),
          QColor(121, 85, 72));
    }
  }

  // Pipeline sends as arrows from the sender's compute row, where the send starts, to the
  // receiver's compute row, where it arrives. Drawn only when few enough are in view to be told
  // apart (zoomed out, the whole DeepSeek-V3 step holds thousands); drawForeground says so.
  void paint_flows(QPainter* painter, const QRectF& exposed, double sx) {
    constexpr std::size_t kMaxFlows = 600;
    const double from = exposed.left() * kNsPerScene;
    const double to = exposed.right() * kNsPerScene;
    painted_flows_ = 0;
    hidden_flows_ = 0;
    std::vector<const sim::TransferEvent*> shown;
    for (const sim::TransferEvent& t : transfers()) {
      if (ns(t.end) >= from && ns(t.start) <= to) shown.push_back(&t);
    }
    if (shown.size() > kMaxFlows) {
      hidden_flows_ = shown.size();
      return;
    }
    painter->save();
    QPen pen(QColor(40, 40, 40, 200));
    pen.setCosmetic(true);  // one pixel wide at any zoom
    painter->setPen(pen);
    const double head = 5 / std::max(1e-12, sx);  // arrow head: 5 pixels back along the time axis
    const auto row_mid = [](int rank) {
      return (TimelineView::row(rank, static_cast<int>(sim::Lane::kCompute)) + 0.5) * kRowHeight;
    };
    for (const sim::TransferEvent* t : shown) {
      const QPointF a(ns(t->start) / kNsPerScene, row_mid(t->from_rank));
      const QPointF b(ns(t->end) / kNsPerScene, row_mid(t->to_rank));
      painter->drawLine(a, b);
      const double dy = b.y() > a.y() ? -3 : 3;  // the head opens back toward the sender
      painter->drawLine(b, QPointF(b.x() - head, b.y() + dy));
      ++painted_flows_;
    }
    painter->restore();
  }

  [[nodiscard]] const sim::TimelineSlice* at(QPointF scene, double tolerance) const {
    const int r = static_cast<int>(std::floor(scene.y() / kRowHeight));
    if (r < 0 || r >= static_cast<int>(rows_.size())) return nullptr;
    const Row& row = rows_[static_cast<std::size_t>(r)];
    const double x = scene.x() * kNsPerScene;
    const double tol = tolerance * kNsPerScene;
    const auto& slices = this->slices();
    const sim::TimelineSlice* best = nullptr;
    double best_distance = INFINITY;
    const auto first =
        std::upper_bound(row.max_end.begin(), row.max_end.end(), x - tol) - row.max_end.begin();
    for (auto k = static_cast<std::size_t>(first); k < row.order.size(); ++k) {
      const sim::TimelineSlice& s = slices[row.order[k]];
      if (ns(s.start) > x + tol) break;
      const double d = x < ns(s.start) ? ns(s.start) - x : x > ns(s.end) ? x - ns(s.end) : 0.0;
      if (d <= tol && d < best_distance) {
        best = &s;
        best_distance = d;
      }
    }
    return best;
  }

 private:
  struct Row {
    std::vector<std::size_t> order;  // slices of the row by start
    std::vector<double> max_end;     // running maximum of their ends (ns)
  };
  [[nodiscard]] static std::size_t row_of(const sim::TimelineSlice& s) {
    return static_cast<std::size_t>(TimelineView::row(s.rank, static_cast<int>(s.lane)));
  }

  std::shared_ptr<const Prediction> p_;
  std::vector<Row> rows_;
  QRectF bounds_;
  std::size_t painted_ = 0;
  std::size_t painted_flows_ = 0;
  std::size_t hidden_flows_ = 0;
};

TimelineView::TimelineView(QWidget* parent) : QGraphicsView(parent) {
  setScene(new QGraphicsScene(this));
  // One item that draws only what is exposed: an index over it buys nothing.
  scene()->setItemIndexMethod(QGraphicsScene::NoIndex);
  setDragMode(QGraphicsView::ScrollHandDrag);
  setRenderHint(QPainter::Antialiasing, false);
  // Full repaints: the row labels stay at the left edge, so scrolled pixels cannot be reused.
  setViewportUpdateMode(QGraphicsView::FullViewportUpdate);
  setOptimizationFlag(QGraphicsView::DontSavePainterState);
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  setFocusPolicy(Qt::StrongFocus);
}

TimelineView::~TimelineView() = default;

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

void TimelineView::show_run(std::shared_ptr<const Prediction> p) {
  QGraphicsScene* sc = scene();
  sc->clear();
  item_ = nullptr;
  resetTransform();
  ranks_ = p->scenario.plan.pp;
  item_ = new Item(std::move(p));
  sc->addItem(item_);
  width_px_ = std::max(1.0, item_->boundingRect().width());
  user_zoomed_ = false;
  fit_width();
}

void TimelineView::update_scene_rect() {
  // The row labels take kLabelWidth pixels at the left whatever the zoom: a margin of that many
  // pixels (in scene units at this zoom) before time 0 keeps them off the step's start.
  const double sx = std::max(1e-12, transform().m11());
  scene()->setSceneRect(-kLabelWidth / sx, -kRowHeight, width_px_ + (kLabelWidth + 20) / sx,
                        (ranks_ * kRowsPerRank + 2) * kRowHeight);
}

int TimelineView::slice_count() const {
  return item_ != nullptr ? static_cast<int>(item_->slices().size()) : 0;
}

std::size_t TimelineView::painted_boxes() const {
  return item_ != nullptr ? item_->painted() : 0;
}

int TimelineView::row(int rank, int lane) {
  return rank * kRowsPerRank + lane;
}

std::size_t TimelineView::painted_flows() const {
  return item_ != nullptr ? item_->painted_flows() : 0;
}

const sim::TimelineSlice* TimelineView::slice_at(const QPoint& viewport_pos) const {
  if (item_ == nullptr) return nullptr;
  // Two pixels either side: a box merged to a pixel can still be pointed at.
  return item_->at(mapToScene(viewport_pos), 2.0 / std::max(1e-12, transform().m11()));
}

void TimelineView::drawForeground(QPainter* painter, const QRectF& /*rect*/) {
  // Row labels in viewport coordinates: always at the left edge, readable at any zoom.
  painter->save();
  painter->resetTransform();
  const QFontMetrics fm(font());
  for (int r = 0; r < ranks_; ++r) {
    for (int l = 0; l < kRowsPerRank; ++l) {
      const double y = (row(r, l) + 0.5) * kRowHeight;
      const QPoint at = mapFromScene(QPointF(0, y));
      if (at.y() < -kRowHeight || at.y() > viewport()->height() + kRowHeight) continue;
      const QString text = QString("rank %1 %2").arg(r).arg(row_name(l));
      const QRect box(2, at.y() - fm.height() / 2, fm.horizontalAdvance(text) + 6, fm.height());
      painter->fillRect(box, QColor(255, 255, 255, 220));
      painter->setPen(Qt::black);
      painter->drawText(box.adjusted(3, 0, 0, 0), Qt::AlignVCenter | Qt::AlignLeft, text);
    }
  }
  if (item_ != nullptr && item_->hidden_flows() > 0) {
    const QString hint = QString("%1 pipeline sends in view: zoom in to see them as arrows")
                             .arg(item_->hidden_flows());
    const QRect box(kLabelWidth, 2, fm.horizontalAdvance(hint) + 8, fm.height());
    painter->fillRect(box, QColor(255, 255, 255, 220));
    painter->setPen(QColor(80, 80, 80));
    painter->drawText(box.adjusted(4, 0, 0, 0), Qt::AlignVCenter | Qt::AlignLeft, hint);
  }
  painter->restore();
}

void TimelineView::fit_width() {
  resetTransform();
  scale(std::max(1e-4, std::max(50.0, viewport()->width() - 20 - kLabelWidth) / width_px_), 1.0);
  update_scene_rect();
  horizontalScrollBar()->setValue(horizontalScrollBar()->minimum());
}

void TimelineView::resizeEvent(QResizeEvent* e) {
  QGraphicsView::resizeEvent(e);
  if (!user_zoomed_ && width_px_ > 0) fit_width();
}

void TimelineView::zoom(double factor) {
  user_zoomed_ = true;
  scale(factor, 1.0);
  update_scene_rect();
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

bool TimelineView::viewportEvent(QEvent* e) {
  if (e->type() == QEvent::ToolTip) {
    const auto* help = static_cast<QHelpEvent*>(e);
    if (const sim::TimelineSlice* s = slice_at(help->pos())) {
      QToolTip::showText(help->globalPos(), describe(*s), viewport());
    } else {
      QToolTip::hideText();
    }
    return true;
  }
  return QGraphicsView::viewportEvent(e);
}

void TimelineView::mousePressEvent(QMouseEvent* e) {
  if (const sim::TimelineSlice* s = slice_at(e->pos())) emit slice_clicked(describe(*s));
  QGraphicsView::mousePressEvent(e);
}

}  // namespace hopsim::gui
