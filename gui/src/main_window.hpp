#pragma once
//! The what-if planner's window: a scenario panel on the left (shipped scenario or YAML file,
//! plan and hardware fields), live predictions on the right (summary with a pinned baseline and
//! the step breakdown, pipeline timeline, memory per rank, H800-vs-H100 what-if), a sweep's
//! results database, a measured trace against the prediction, and the File menu (save, export,
//! recent files; window settings kept with QSettings).

#include <QMainWindow>
#include <map>
#include <memory>
#include <optional>

#include "hopsim/core/config/overrides.hpp"
#include "hopsim/planner/sweep.hpp"
#include "hopsim/planner/whatif.hpp"
#include "prediction_worker.hpp"

class QComboBox;
class QLabel;
class QMenu;
class QSettings;
class QSpinBox;
class QTableWidget;
class QTabWidget;
class QChartView;
class QDragEnterEvent;
class QDropEvent;

namespace hopsim::gui {

class KeyField;
class MeasuredView;
class SweepView;
class TimelineView;
class YamlView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  //! `settings_file`: an INI file for recent files and window settings (tests use their own);
  //! empty: the user's QSettings of the application.
  explicit MainWindow(QWidget* parent = nullptr, const QString& settings_file = {});
  ~MainWindow() override;

  //! Opens a shipped scenario name or a YAML path; the fields take its values. A file that
  //! reads but does not load opens with its located error shown and its text kept (Save writes
  //! it back as it was); one that cannot be read leaves the open scenario as it was. False then.
  bool open_scenario(const QString& spec);
  //! Opens a scenario document held in memory (a sweep row): unsaved until Save As.
  void open_document(const ScenarioTemplate& doc, const QString& label);
  //! Uses a dropped file as the model (a config.json or a model YAML) or opens it as the
  //! scenario; what the drop does, and false for a file it cannot use.
  bool drop_file(const QString& path);
  //! The model field: a shipped model name or a file (empty when the document defines the
  //! model inline).
  [[nodiscard]] QString model_spec() const;
  //! The overrides the fields stand for: the fields that differ from the document.
  [[nodiscard]] std::vector<ScenarioOverride> overrides() const;
  //! The document with the field edits applied (what Save writes, what a report runs).
  [[nodiscard]] ScenarioTemplate current_document() const;
  //! Applies a prediction to every view (also used by screenshots and tests).
  void show_prediction(const std::shared_ptr<const Prediction>& p);
  //! Runs the what-if study of the current scenario against its H100 twin now, on this thread.
  void run_whatif_now();
  //! "summary", "timeline", "memory", "whatif", "sweeps", "measured", "yaml"; false for another
  //! name.
  bool select_view(const QString& name);
  [[nodiscard]] static QStringList view_names();

  bool open_results(const QString& path);  //!< a sweep's results database, in the Sweeps view
  //! A trace in the Measured view; `rank` for a job database (default its first rank).
  bool open_trace(const QString& path, std::optional<std::int64_t> rank = std::nullopt);
  //! Predicts, compares, studies and reports with a calibration file from then on, as
  //! `--calibration` does on the command line; "" returns to the uncalibrated cost model. False
  //! (and the located error) for a file that is not a calibration: the one in use stays.
  bool open_calibration(const QString& path);
  [[nodiscard]] const planner::CalibrationRef& calibration() const { return calibration_; }

  //! Edits not on disk: fields changed since the document was opened or saved, text typed in
  //! the YAML view and not applied, an applied text not saved, or a document that never was a
  //! file (a sweep row).
  [[nodiscard]] bool has_unsaved_edits() const;
  bool save();     //!< to the open file; Save As for a shipped scenario or a sweep row
  bool save_as();  //!< asks for a path (choose_save_path)
  bool save_to(const QString& path);
  //! planner's HTML report of the current document, the one `hopsim report` writes.
  bool export_html(const QString& path);
  bool export_png(const QString& path);                 //!< the current view as shown
  [[nodiscard]] QString file() const { return file_; }  //!< "" for a shipped name or a row
  [[nodiscard]] QStringList recent_files() const;

  // For tests and screenshots.
  [[nodiscard]] PredictionWorker& worker() { return *worker_; }
  [[nodiscard]] const Prediction* last() const { return last_.get(); }
  [[nodiscard]] QString error_text() const;
  //! The line under the headline: the published figure the plan is held to, or why none ("").
  [[nodiscard]] QString published_text() const;
  //! The editor of a scenario key ("plan.schedule"), or nullptr; field() when it is a spin box.
  [[nodiscard]] QWidget* field_widget(const QString& key) const;
  [[nodiscard]] QSpinBox* field(const QString& key) const;
  [[nodiscard]] TimelineView* timeline() const { return timeline_; }
  [[nodiscard]] QTableWidget* metrics() const { return metrics_; }
  [[nodiscard]] SweepView* sweeps() const { return sweeps_; }
  [[nodiscard]] MeasuredView* measured() const { return measured_; }
  [[nodiscard]] YamlView* yaml() const { return yaml_; }
  [[nodiscard]] bool restored_geometry() const { return restored_geometry_; }

  enum class UnsavedChoice { kSave, kDiscard, kCancel };

 protected:
  //! Asks what to do with unsaved edits (a Save/Discard/Cancel box); tests override it.
  virtual UnsavedChoice confirm_unsaved();
  //! Asks for a file to save to ("" cancels); tests override it.
  virtual QString choose_save_path(const QString& title, const QString& filter);
  void closeEvent(QCloseEvent* e) override;
  //! Files dropped on the window: a Hugging Face config.json (or a model YAML) becomes the
  //! model; a scenario YAML opens (after asking about unsaved edits).
  void dragEnterEvent(QDragEnterEvent* e) override;
  void dropEvent(QDropEvent* e) override;

 private:
  void build_menu();
  void build_panel();
  void build_views();
  void edited();
  void pin_baseline();
  //! True when the caller may go on replacing the document (saved, discarded or none).
  bool settle_unsaved();
  void fill_fields(const std::optional<Scenario>& s);
  //! Loads the document just opened into the fields and predicts it, or shows why it does not
  //! load (keeping its text); false then.
  bool show_opened();
  [[nodiscard]] std::map<QString, QString> field_values() const;
  void update_title();
  void remember(const QString& path);
  void rebuild_recent_menu();
  void open_any(const QString& path);
  void fail(const QString& text);
  //! The GPU figure fields show the chosen profile's figures (a profile picked in the box).
  void show_gpu_figures();
  //! The YAML view shows the current document (`replace_typed`: even over typed edits).
  void refresh_yaml(bool replace_typed = false);
  //! Makes a text typed in the YAML view the document (unsaved), then as show_opened.
  void apply_yaml(const QString& text);

  std::unique_ptr<QSettings> settings_;
  ScenarioTemplate base_;
  QString file_;
  QString label_;
  bool on_disk_ = true;
  std::map<QString, QString> loaded_;  //!< field values as the document has them
  PredictionWorker* worker_ = nullptr;
  planner::CalibrationRef calibration_;  //!< uncalibrated unless a calibration was opened
  QLabel* calibration_label_ = nullptr;  //!< "calibrated: FILE" in the status bar while in use
  std::shared_ptr<const Prediction> last_;
  std::shared_ptr<const Prediction> baseline_;  //!< pinned: its figures beside the current
  bool loading_ = false;
  bool restored_geometry_ = false;

  QMenu* recent_menu_ = nullptr;
  QComboBox* scenario_box_ = nullptr;
  QComboBox* model_ = nullptr;
  QComboBox* gpu_ = nullptr;
  std::vector<std::unique_ptr<KeyField>> fields_;  //!< the settings, from their declarations
  QLabel* error_ = nullptr;
  QLabel* headline_ = nullptr;
  QLabel* published_ = nullptr;  //!< the published figure this plan is held to, or why none
  QTabWidget* tabs_ = nullptr;
  QTableWidget* metrics_ = nullptr;
  QChartView* step_chart_ = nullptr;
  QChartView* memory_chart_ = nullptr;
  TimelineView* timeline_ = nullptr;
  QTableWidget* whatif_table_ = nullptr;
  QLabel* whatif_answer_ = nullptr;
  QChartView* whatif_chart_ = nullptr;
  SweepView* sweeps_ = nullptr;
  MeasuredView* measured_ = nullptr;
  YamlView* yaml_ = nullptr;
};

}  // namespace hopsim::gui
