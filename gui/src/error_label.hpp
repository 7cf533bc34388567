#pragma once
//! The error line of the window and its views: one look (red, word-wrapped, selectable) and one
//! way of showing a message on it.

#include <QLabel>
#include <QString>

namespace hopsim::gui {

//! A new, empty error line.
inline QLabel* new_error_label() {
  auto* label = new QLabel;
  label->setWordWrap(true);
  label->setStyleSheet("color: #b00020;");
  label->setTextInteractionFlags(Qt::TextSelectableByMouse);
  return label;
}

//! Shows `text` on `label`; an empty text hides the label.
inline void set_error(QLabel* label, const QString& text) {
  label->setText(text);
  label->setVisible(!text.isEmpty());
}

}  // namespace hopsim::gui
