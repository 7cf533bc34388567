#include "yaml_view.hpp"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QShortcut>
#include <QTextBlock>
#include <QVBoxLayout>

#include "error_label.hpp"

namespace hopsim::gui {

YamlView::YamlView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  note_ = new QLabel("The scenario as Save writes it. Edit, then Apply (Ctrl+Return).");
  note_->setWordWrap(true);
  bar->addWidget(note_, 1);
  revert_ = new QPushButton("Revert");
  revert_->setToolTip("Drop the typed edits and show the document again");
  revert_->setEnabled(false);
  bar->addWidget(revert_);
  apply_ = new QPushButton("Apply");
  apply_->setToolTip("Make this text the scenario (Ctrl+Return)");
  apply_->setEnabled(false);
  bar->addWidget(apply_);
  layout->addLayout(bar);
  error_ = new_error_label();
  error_->hide();
  layout->addWidget(error_);
  edit_ = new QPlainTextEdit;
  edit_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  edit_->setLineWrapMode(QPlainTextEdit::NoWrap);
  edit_->setTabChangesFocus(false);
  layout->addWidget(edit_, 1);

  connect(edit_, &QPlainTextEdit::textChanged, this, [this] {
    if (programmatic_) return;
    const bool was = dirty_;
    dirty_ = edit_->toPlainText() != shown_;
    apply_->setEnabled(dirty_);
    revert_->setEnabled(dirty_);
    if (dirty_ != was) emit dirty_changed(dirty_);
  });
  connect(apply_, &QPushButton::clicked, this, &YamlView::apply);
  connect(revert_, &QPushButton::clicked, this, [this] { show_document(shown_, true); });
  auto* shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), edit_);
  connect(shortcut, &QShortcut::activated, this, &YamlView::apply);
}

void YamlView::show_document(const QString& text, bool replace_typed) {
  if (replace_typed && dirty_) {
    dirty_ = false;
    emit dirty_changed(false);
  }
  if (dirty_) {
    // Typed edits win over a panel edit made meanwhile; Revert shows the document.
    shown_ = text;
    note_->setText(
        "The panel changed since you began typing: Apply uses this text, Revert shows "
        "the scenario as it is now.");
    return;
  }
  shown_ = text;
  programmatic_ = true;
  if (edit_->toPlainText() != text) {
    // Keep the reader's place when only a value changed.
    const int line = edit_->textCursor().blockNumber();
    edit_->setPlainText(text);
    QTextCursor c(
        edit_->document()->findBlockByNumber(std::min(line, edit_->document()->blockCount() - 1)));
    edit_->setTextCursor(c);
  }
  programmatic_ = false;
  note_->setText("The scenario as Save writes it. Edit, then Apply (Ctrl+Return).");
  apply_->setEnabled(false);
  revert_->setEnabled(false);
}

void YamlView::show_error(const QString& message) {
  set_error(error_, message);
  edit_->setExtraSelections({});
  if (message.isEmpty()) return;
  // Located errors read "file:LINE:COL: key: ..."; the first such pair is the place.
  static const QRegularExpression where(R"(:(\d+):(\d+):)");
  const auto m = where.match(message);
  if (!m.hasMatch()) return;
  const int line = m.captured(1).toInt();
  const int col = m.captured(2).toInt();
  const QTextBlock block = edit_->document()->findBlockByNumber(std::max(0, line - 1));
  if (!block.isValid()) return;
  QTextCursor c(block);
  c.movePosition(QTextCursor::Right, QTextCursor::MoveAnchor,
                 std::clamp(col - 1, 0, std::max(0, block.length() - 1)));
  edit_->setTextCursor(c);
  edit_->centerCursor();
  // The line stays marked until the next Apply.
  QTextEdit::ExtraSelection mark;
  mark.format.setBackground(QColor(0xfd, 0xe0, 0xe0));
  mark.format.setProperty(QTextFormat::FullWidthSelection, true);
  mark.cursor = c;
  mark.cursor.clearSelection();
  edit_->setExtraSelections({mark});
}

void YamlView::set_text(const QString& text) {
  edit_->setPlainText(text);  // textChanged marks it typed
}

QString YamlView::text() const {
  return edit_->toPlainText();
}

std::pair<int, int> YamlView::cursor_position() const {
  const QTextCursor c = edit_->textCursor();
  return {c.blockNumber() + 1, c.positionInBlock() + 1};
}

void YamlView::apply() {
  const QString t = edit_->toPlainText();
  if (dirty_) emit dirty_changed(false);
  dirty_ = false;
  apply_->setEnabled(false);
  revert_->setEnabled(false);
  shown_ = t;
  emit apply_requested(t);
}

}  // namespace hopsim::gui
