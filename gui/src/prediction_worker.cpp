#include "prediction_worker.hpp"

#include <QtConcurrent/QtConcurrentRun>
#include <exception>

#include "hopsim/core/error.hpp"

namespace hopsim::gui {

PredictionWorker::PredictionWorker(QObject* parent, int debounce_ms) : QObject(parent) {
  timer_.setSingleShot(true);
  timer_.setInterval(debounce_ms);
  connect(&timer_, &QTimer::timeout, this, &PredictionWorker::start);
  connect(&watcher_, &QFutureWatcher<std::shared_ptr<const Prediction>>::finished, this, [this] {
    auto result = watcher_.result();
    // A newer request arrived while this one ran: run that one, drop this.
    if (result->request == requested_) emit finished(result);
    if (pending_) start();
  });
}

void PredictionWorker::request(const ScenarioTemplate& base,
                               const std::vector<ScenarioOverride>& overrides, CostFor cost_for) {
  base_ = base;
  overrides_ = overrides;
  cost_for_ = std::move(cost_for);
  ++requested_;
  timer_.start();
}

void PredictionWorker::start() {
  if (watcher_.isRunning()) {
    pending_ = true;  // one at a time; the latest request runs next
    return;
  }
  pending_ = false;
  watcher_.setFuture(
      QtConcurrent::run([base = base_, overrides = overrides_, id = requested_,
                         cost_for = cost_for_]() -> std::shared_ptr<const Prediction> {
        return std::make_shared<const Prediction>(run_now(base, overrides, id, cost_for));
      }));
}

Prediction PredictionWorker::run_now(const ScenarioTemplate& base,
                                     const std::vector<ScenarioOverride>& overrides,
                                     std::uint64_t request, const CostFor& cost_for) {
  Prediction p;
  p.request = request;
  try {
    p.scenario = base.instantiate(overrides);
    sim::RunOptions o;
    o.collect_timeline = true;
    if (cost_for) o.cost = cost_for(p.scenario.cluster.gpu);
    p.run = sim::run_checked(p.scenario, o);
    p.ok = true;
  } catch (const std::exception& e) {
    p.error = e.what();
  }
  return p;
}

}  // namespace hopsim::gui
