#include "key_field.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QSpinBox>
#include <QStringList>
#include <climits>

namespace hopsim::gui {

using config::ValueKind;

namespace {

// "[a, b]" or "a" -> {a, b}: the list forms YAML flow sequences take in scenario files.
QStringList list_items(QString text) {
  text = text.trimmed();
  if (text.startsWith('[') && text.endsWith(']')) text = text.mid(1, text.size() - 2);
  QStringList out;
  for (const QString& s : text.split(',', Qt::SkipEmptyParts)) out << s.trimmed();
  return out;
}

}  // namespace

KeyField::KeyField(std::string dotted, const config::KeySpec& spec, std::function<void()> on_edit)
    : key_(std::move(dotted)), spec_(&spec) {
  const QString name = QString::fromStdString(key_);
  QString tip = QString::fromStdString(key_ + ": " + config::describe(spec));
  if (!spec.aliases.empty()) {
    tip += "\nalso written: ";
    for (std::size_t i = 0; i < spec.aliases.size(); ++i) {
      tip += QString(i ? ", " : "") + QString::fromStdString(spec.aliases[i]);
    }
  }
  switch (spec.kind) {
    case ValueKind::kPositiveInt:
    case ValueKind::kNonNegativeInt: {
      auto* spin = new QSpinBox;
      const int max = spec.max > 0 && spec.max < INT_MAX ? static_cast<int>(spec.max) : INT_MAX;
      spin->setRange(spec.kind == ValueKind::kPositiveInt ? 1 : 0, max);
      QObject::connect(spin, &QSpinBox::valueChanged, spin, [on_edit] { on_edit(); });
      widget_ = spin;
      break;
    }
    case ValueKind::kBool: {
      auto* box = new QCheckBox;
      QObject::connect(box, &QCheckBox::toggled, box, [on_edit] { on_edit(); });
      widget_ = box;
      break;
    }
    case ValueKind::kEnum: {
      auto* box = new QComboBox;
      for (const auto& c : spec.choices) box->addItem(QString::fromStdString(c));
      QObject::connect(box, &QComboBox::currentTextChanged, box, [on_edit] { on_edit(); });
      widget_ = box;
      break;
    }
    case ValueKind::kSequenceOfEnum: {
      widget_ = new QWidget;
      auto* row = new QHBoxLayout(widget_);
      row->setContentsMargins(0, 0, 0, 0);
      for (const auto& c : spec.choices) {
        auto* box = new QCheckBox(QString::fromStdString(c));
        box->setObjectName(name + "." + QString::fromStdString(c));
        QObject::connect(box, &QCheckBox::toggled, box, [on_edit] { on_edit(); });
        row->addWidget(box);
      }
      row->addStretch(1);
      break;
    }
    default: {  // numbers (and any other scalar) as text, checked by the loader
      auto* line = new QLineEdit;
      // Shown only where the scenario leaves an optional setting out (cost.interruptions).
      line->setPlaceholderText("not set");
      QObject::connect(line, &QLineEdit::textEdited, line, [on_edit] { on_edit(); });
      widget_ = line;
      break;
    }
  }
  widget_->setObjectName(name);
  widget_->setToolTip(tip);
}

QString KeyField::value() const {
  if (auto* spin = qobject_cast<QSpinBox*>(widget_)) return QString::number(spin->value());
  if (auto* box = qobject_cast<QComboBox*>(widget_)) return box->currentText();
  if (auto* line = qobject_cast<QLineEdit*>(widget_)) return line->text().trimmed();
  if (auto* tick = qobject_cast<QCheckBox*>(widget_)) return tick->isChecked() ? "true" : "false";
  QStringList on;
  for (auto* check : widget_->findChildren<QCheckBox*>(Qt::FindDirectChildrenOnly)) {
    if (check->isChecked()) on << check->text();
  }
  return "[" + on.join(", ") + "]";
}

void KeyField::set_value(const QString& yaml) {
  if (auto* spin = qobject_cast<QSpinBox*>(widget_)) {
    bool ok = false;
    const int v = yaml.trimmed().toInt(&ok);
    if (ok) spin->setValue(v);
  } else if (auto* box = qobject_cast<QComboBox*>(widget_)) {
    if (const int i = box->findText(yaml.trimmed()); i >= 0) box->setCurrentIndex(i);
  } else if (auto* line = qobject_cast<QLineEdit*>(widget_)) {
    line->setText(yaml.trimmed());
  } else if (auto* tick = qobject_cast<QCheckBox*>(widget_)) {
    tick->setChecked(yaml.trimmed() == "true");
  } else {
    const QStringList on = list_items(yaml);
    for (auto* check : widget_->findChildren<QCheckBox*>(Qt::FindDirectChildrenOnly)) {
      check->setChecked(on.contains(check->text()));
    }
  }
}

}  // namespace hopsim::gui
