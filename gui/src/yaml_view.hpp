#pragma once
//! The scenario as YAML text, editable in place: what Save would write (the document with the
//! panel's edits applied, or a broken file's text as read). Apply (Ctrl+Return) makes the text
//! the document; a text that does not load keeps it and shows the loader's located error, with
//! the cursor put on the line and column it names. So a broken file is fixed where it is shown.

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace hopsim::gui {

class YamlView : public QWidget {
  Q_OBJECT
 public:
  explicit YamlView(QWidget* parent = nullptr);

  //! Shows the document's text, unless the user has typed edits not yet applied (they are
  //! kept; the note says the panel changed since) and `replace_typed` is false (another document
  //! opened: what was typed for the old one goes).
  void show_document(const QString& text, bool replace_typed = false);
  //! The loader's message for the applied text ("" when it loaded); moves the cursor to the
  //! line and column the message names ("file:LINE:COL: ...").
  void show_error(const QString& message);
  //! Replaces the text as if typed (tests).
  void set_text(const QString& text);
  [[nodiscard]] QString text() const;
  //! Typed edits not applied yet.
  [[nodiscard]] bool dirty() const { return dirty_; }
  [[nodiscard]] QPlainTextEdit* editor() const { return edit_; }
  //! The cursor's line and column, 1-based.
  [[nodiscard]] std::pair<int, int> cursor_position() const;
  //! Applies the text now (as the button does).
  void apply();

 signals:
  //! The user asks for `text` to become the document.
  void apply_requested(const QString& text);
  //! Typed edits appeared or went (applied, reverted, replaced).
  void dirty_changed(bool dirty);

 private:
  QPlainTextEdit* edit_ = nullptr;
  QPushButton* apply_ = nullptr;
  QPushButton* revert_ = nullptr;
  QLabel* note_ = nullptr;
  QLabel* error_ = nullptr;
  QString shown_;  // the document text last shown
  bool dirty_ = false;
  bool programmatic_ = false;
};

}  // namespace hopsim::gui
