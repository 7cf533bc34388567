#pragma once
//! One table per enum of its values' names: an enum's to_string and its parser both read that
//! table, so a value can never print under one name and parse under another.

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace hopsim {

//! The names of an enum's values 0, 1, ..., `Last`, in declaration order (the order in which the
//! enums are declared and their names listed, e.g. schedule_names()). Built as a constexpr table,
//! it fails to compile unless it names every value up to `Last` exactly once by position.
template <auto Last>
class EnumNames {
 public:
  using Enum = decltype(Last);
  static constexpr std::size_t kCount = static_cast<std::size_t>(Last) + 1;

  // Too many names do not compile; too few leave a null, refused here (a throw in a constant
  // expression is a compile error).
  consteval EnumNames(const char* const (&names)[kCount]) {
    for (std::size_t i = 0; i < kCount; ++i) {
      if (names[i] == nullptr) throw "EnumNames: every value up to Last needs a name";
      names_[i] = names[i];
      views_[i] = names[i];
    }
  }

  //! The name of `value`, or `fallback` for a value outside the enum (a cast integer).
  [[nodiscard]] constexpr const char* name(Enum value, const char* fallback) const {
    const auto i = static_cast<std::size_t>(value);
    return i < kCount ? names_[i] : fallback;
  }

  //! The value named `name` (exact, case-sensitive), or nothing.
  [[nodiscard]] constexpr std::optional<Enum> value(std::string_view name) const {
    for (std::size_t i = 0; i < kCount; ++i) {
      if (views_[i] == name) return static_cast<Enum>(i);
    }
    return std::nullopt;
  }

  //! Every name, in declaration order (what value() accepts, for choice lists).
  [[nodiscard]] constexpr std::span<const std::string_view> all() const { return views_; }

 private:
  std::array<const char*, kCount> names_{};
  std::array<std::string_view, kCount> views_{};
};

}  // namespace hopsim
