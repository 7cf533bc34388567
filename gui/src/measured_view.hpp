#pragma once
//! The Measured view: an imported trace (`hopsim import` output) held against the current
//! prediction per kernel class and end to end, by profiler::compare (what `hopsim compare` prints).

#include <QFutureWatcher>
#include <QWidget>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "hopsim/core/scenario.hpp"
#include "hopsim/profiler/compare/aligned_timeline.hpp"
#include "hopsim/profiler/compare/compare.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"

class QChartView;
class QComboBox;
class QLabel;
class QSpinBox;
class QTableWidget;

namespace hopsim::profiler::trace {
struct Trace;
}
namespace hopsim::profiler::classify {
class KernelClassifier;
}

namespace hopsim::gui {

class AlignedTimeline;
struct Prediction;

class MeasuredView : public QWidget {
  Q_OBJECT
 public:
  explicit MeasuredView(QWidget* parent = nullptr);
  ~MeasuredView() override;

  //! Loads a trace. False (and a message) when the file is not one; the trace shown before
  //! stays. A database of a whole job (`hopsim import DIR`) shows the rank `rank`, by default
  //! its first, and a chooser of its ranks.
  bool open_trace(const QString& path, std::optional<std::int64_t> rank = std::nullopt);
  //! The same, the file read off the UI thread (a 300 MB Kineto file takes seconds): the window
  //! stays responsive, the info line says what is being read, and trace_opened reports the
  //! outcome. A newer request supersedes one still reading. What the File menu and the Open
  //! button use; open_trace is for the command line and tests.
  void open_trace_in_background(const QString& path,
                                std::optional<std::int64_t> rank = std::nullopt);
  //! The ranks the open trace file holds (one entry for a single trace).
  [[nodiscard]] const std::vector<profiler::trace::TraceEntry>& trace_ranks() const {
    return trace_ranks_;
  }
  //! The rank shown of the open trace file.
  [[nodiscard]] std::int64_t trace_rank() const { return trace_rank_; }
  //! The scenario of the current prediction; with a trace open, the comparison is redone off
  //! the UI thread (a newer scenario supersedes a running comparison).
  void set_scenario(const Scenario& s);
  //! The current prediction: its scenario as set_scenario, and its timeline for the aligned
  //! view (the rank chosen there, first rank by default).
  void set_prediction(std::shared_ptr<const Prediction> p);
  //! Compares now, on this thread (screenshots and tests).
  void compare_now();
  //! The cost parameters the prediction is made with (a calibration's; empty: uncalibrated).
  void set_cost_for(std::function<sim::CostParameters(const GpuProfile&)> cost_for);

  [[nodiscard]] QString trace_file() const { return trace_file_; }
  [[nodiscard]] QString message() const;
  //! The info line: the trace, its devices, the import problems, the comparison's warnings.
  [[nodiscard]] QString info() const;
  [[nodiscard]] QTableWidget* table() const { return table_; }
  //! The trace's streams above the predicted rank's lanes, from time 0.
  [[nodiscard]] AlignedTimeline* timeline() const { return timeline_; }
  //! The predicted pipeline rank the timeline shows.
  void set_timeline_rank(int rank);
  //! The pipeline rank the trace is compared with (-1: the mean over ranks, the default); a
  //! rank also becomes the timeline's. The comparison is redone.
  void set_compare_rank(int rank);
  [[nodiscard]] int compare_rank() const;
  [[nodiscard]] bool busy() const { return watcher_.isRunning() || loader_.isRunning(); }
  //! The comparison shown (nullptr before the first).
  [[nodiscard]] const profiler::compare::Comparison* comparison() const { return shown_.get(); }

 signals:
  void status(const QString& text);
  //! After open_trace_in_background: whether `path` opened.
  void trace_opened(const QString& path, bool ok);

 private:
  struct Outcome {
    std::uint64_t generation = 0;
    std::shared_ptr<const profiler::compare::Comparison> comparison;
    QString error;
  };
  //! Takes copies only: a comparison still running when the view goes away touches nothing of it.
  [[nodiscard]] static Outcome run(std::uint64_t generation,
                                   std::shared_ptr<const profiler::trace::Trace> trace,
                                   std::shared_ptr<const profiler::classify::KernelClassifier> c,
                                   std::shared_ptr<const profiler::attribute::ComponentMap> map,
                                   Scenario scenario, std::string trace_file, int rank,
                                   sim::RunOptions options);
  //! A trace file read, or why it could not be: what open_trace shows.
  struct Loaded {
    std::uint64_t generation = 0;
    QString path;
    std::optional<std::int64_t> rank;
    std::vector<profiler::trace::TraceEntry> ranks;
    std::shared_ptr<const profiler::trace::Trace> trace;
    QString error;
  };
  //! Reads; touches nothing of the view (it runs on a worker thread).
  [[nodiscard]] static Loaded load(std::uint64_t generation, const QString& path,
                                   std::optional<std::int64_t> rank);
  //! Shows a trace read by load; false (and the message) when it failed.
  bool show_loaded(const Loaded& l);
  //! The options the prediction runs with: the calibration's cost parameters for its GPU.
  [[nodiscard]] sim::RunOptions run_options(const Scenario& s) const;
  void start();
  void show_outcome(const Outcome& o);
  void fail(const QString& text);
  void refresh_timeline();

  std::function<sim::CostParameters(const GpuProfile&)> cost_for_;
  std::shared_ptr<const profiler::trace::Trace> trace_;
  std::shared_ptr<const profiler::classify::KernelClassifier> classifier_;
  std::shared_ptr<const profiler::attribute::ComponentMap> components_;
  QString trace_info_;  //!< what the info line says of the trace; warnings follow it
  profiler::compare::MeasuredWindow window_;  //!< the measured step the timeline shows
  QLabel* caption_ = nullptr;
  std::optional<Scenario> scenario_;
  QString trace_file_;
  std::uint64_t generation_ = 0;
  bool pending_ = false;
  QFutureWatcher<Outcome> watcher_;
  QFutureWatcher<Loaded> loader_;
  std::uint64_t load_generation_ = 0;
  std::shared_ptr<const profiler::compare::Comparison> shown_;

  QLabel* info_ = nullptr;
  QLabel* message_ = nullptr;
  QTableWidget* table_ = nullptr;
  QChartView* chart_ = nullptr;
  std::shared_ptr<const Prediction> prediction_;
  QSpinBox* rank_ = nullptr;
  QComboBox* compare_rank_ = nullptr;
  QComboBox* trace_rank_box_ = nullptr;  //!< the ranks of a job database; hidden otherwise
  std::vector<profiler::trace::TraceEntry> trace_ranks_;
  std::int64_t trace_rank_ = 0;
  AlignedTimeline* timeline_ = nullptr;
};

}  // namespace hopsim::gui
