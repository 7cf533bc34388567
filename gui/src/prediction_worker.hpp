#pragma once
//! Runs predictions off the UI thread: each request supersedes the previous one (debounced), a
//! result that arrives for a superseded request is dropped, and the UI never waits.

#include <QFutureWatcher>
#include <QObject>
#include <QTimer>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hopsim/core/config/overrides.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::gui {

//! What one prediction produced: the scenario as run, its checked run, or the error text.
struct Prediction {
  std::uint64_t request = 0;
  bool ok = false;
  std::string error;  //!< located message ("file:line:col: key: ...") when !ok
  Scenario scenario;
  sim::CheckedRun run;  //!< run.ranks: memory per pipeline rank, the runner's placement
};

class PredictionWorker : public QObject {
  Q_OBJECT
 public:
  explicit PredictionWorker(QObject* parent = nullptr, int debounce_ms = 120);

  //! The cost parameters of a GPU (a calibration's); empty: the uncalibrated cost model.
  using CostFor = std::function<sim::CostParameters(const GpuProfile&)>;
  //! Asks for a prediction of `base` with `overrides`; runs after the debounce interval.
  void request(const ScenarioTemplate& base, const std::vector<ScenarioOverride>& overrides,
               CostFor cost_for = {});
  //! Runs a request now, on the calling thread (screenshots and tests).
  [[nodiscard]] static Prediction run_now(const ScenarioTemplate& base,
                                          const std::vector<ScenarioOverride>& overrides,
                                          std::uint64_t request = 0, const CostFor& cost_for = {});
  [[nodiscard]] bool busy() const { return watcher_.isRunning() || timer_.isActive(); }

 signals:
  void finished(std::shared_ptr<const hopsim::gui::Prediction> result);

 private:
  void start();

  QTimer timer_;
  QFutureWatcher<std::shared_ptr<const Prediction>> watcher_;
  ScenarioTemplate base_;
  std::vector<ScenarioOverride> overrides_;
  CostFor cost_for_;
  std::uint64_t requested_ = 0;
  bool pending_ = false;
};

}  // namespace hopsim::gui
