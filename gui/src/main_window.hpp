#pragma once
//! The what-if planner's window: a scenario panel on the left (shipped scenario or YAML file,
//! plan and hardware fields), live predictions on the right (summary with a pinned baseline and
//! the step breakdown, pipeline timeline, memory per rank, H800-vs-H100 what-if).

#include <QMainWindow>
#include <memory>
#include <optional>

#include "hopsim/core/config/overrides.hpp"
#include "hopsim/planner/whatif.hpp"
#include "prediction_worker.hpp"

class QComboBox;
class QLabel;
class QSpinBox;
class QTableWidget;
class QTabWidget;
class QChartView;

namespace hopsim::gui {

class TimelineView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);

  //! Opens a shipped scenario name or a YAML path; the fields take its values.
  void open_scenario(const QString& spec);
  //! The overrides the fields currently stand for.
  [[nodiscard]] std::vector<ScenarioOverride> overrides() const;
  //! Applies a prediction to every view (also used by screenshots and tests).
  void show_prediction(const std::shared_ptr<const Prediction>& p);
  //! Runs the what-if study of the current scenario against its H100 twin now, on this thread.
  void run_whatif_now();
  void select_view(const QString& name);  //!< "summary", "timeline", "memory", "whatif"

  // For tests and screenshots.
  [[nodiscard]] PredictionWorker& worker() { return *worker_; }
  [[nodiscard]] const Prediction* last() const { return last_.get(); }
  [[nodiscard]] QString error_text() const;
  [[nodiscard]] QSpinBox* field(const QString& key) const;
  [[nodiscard]] TimelineView* timeline() const { return timeline_; }
  [[nodiscard]] QTableWidget* metrics() const { return metrics_; }

 private:
  void build_panel();
  void build_views();
  void edited();
  void pin_baseline();
  void save_yaml();

  ScenarioTemplate base_;
  PredictionWorker* worker_ = nullptr;
  std::shared_ptr<const Prediction> last_;
  std::optional<sim::SimResult> baseline_;
  bool loading_ = false;

  QComboBox* scenario_box_ = nullptr;
  QComboBox* schedule_ = nullptr;
  QComboBox* precision_ = nullptr;
  QComboBox* gpu_ = nullptr;
  std::vector<std::pair<QString, QSpinBox*>> spins_;
  QLabel* error_ = nullptr;
  QLabel* headline_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QTableWidget* metrics_ = nullptr;
  QChartView* step_chart_ = nullptr;
  QChartView* memory_chart_ = nullptr;
  TimelineView* timeline_ = nullptr;
  QTableWidget* whatif_table_ = nullptr;
  QLabel* whatif_answer_ = nullptr;
};

}  // namespace hopsim::gui
