#pragma once
//! An editor for one setting of a scenario file, built from the key's declaration (the one the
//! loader reads with): a spin box, a number field, a choice or a set of checkboxes.

#include <QString>
#include <functional>
#include <string>

#include "hopsim/core/config/yaml_reader.hpp"

class QWidget;

namespace hopsim::gui {

class KeyField {
 public:
  //! The editor of `dotted` ("plan.pp") as `spec` declares it: integers in a spin box bounded by
  //! the declaration (at least 1 or 0, at most its plausibility limit), real numbers as text (so
  //! 1.48e13 reads as written; a wrong entry gets the loader's located message), a choice from
  //! the declared values, a list of choices as checkboxes. `on_edit` is called on every change.
  KeyField(std::string dotted, const config::KeySpec& spec, std::function<void()> on_edit);

  [[nodiscard]] const std::string& key() const { return key_; }
  [[nodiscard]] const config::KeySpec& spec() const { return *spec_; }
  //! The widget, owned by whatever layout it is put in.
  [[nodiscard]] QWidget* widget() const { return widget_; }
  //! The value as YAML text an override takes ("16", "dualpipe", "[rmsnorm, swiglu]").
  [[nodiscard]] QString value() const;
  //! Shows a value in that form (as scenario_value or the document's scalars give it); text
  //! the editor cannot show (a spin box given "abc") leaves it as it was.
  void set_value(const QString& yaml);

 private:
  std::string key_;
  const config::KeySpec* spec_;
  QWidget* widget_ = nullptr;
};

}  // namespace hopsim::gui
