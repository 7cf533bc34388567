#pragma once
//! A tiny expression language for sweep constraints ("pp * dp * tp == nodes * 8"): numbers,
//! 'strings', names, + - * / %, comparisons, && || !, parentheses. Parsed once, evaluated per
//! configuration; every error names the expression and the column.

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hopsim::planner {

//! A value: a number (booleans are 1 and 0) or a string.
struct ExprValue {
  bool is_string = false;
  double number = 0;
  std::string text;

  static ExprValue of(double v) { return ExprValue{false, v, {}}; }
  static ExprValue of(std::string s) { return ExprValue{true, 0, std::move(s)}; }
  //! Numbers are true when non-zero; strings are not allowed as conditions.
  [[nodiscard]] bool truthy() const { return number != 0; }
};

//! Looks a name up; nullopt when unknown.
using ExprLookup = std::function<std::optional<ExprValue>(const std::string& name)>;

class Expression {
 public:
  //! Throws ConfigError for a syntax error ("expression 'pp *': column 5: expected a value").
  explicit Expression(std::string source);

  [[nodiscard]] const std::string& source() const { return source_; }
  //! Names the expression uses, in order of first appearance.
  [[nodiscard]] std::vector<std::string> names() const;
  //! Throws ConfigError for an unknown name (with the nearest of `known`), a type mismatch or a
  //! division by zero.
  [[nodiscard]] ExprValue evaluate(const ExprLookup& lookup,
                                   const std::vector<std::string>& known = {}) const;
  [[nodiscard]] bool holds(const ExprLookup& lookup,
                           const std::vector<std::string>& known = {}) const {
    return evaluate(lookup, known).truthy();
  }

  enum class Tok { kNumber, kString, kName, kOp, kLParen, kRParen, kEnd };
  struct Token {
    Tok kind = Tok::kEnd;
    std::string text;
    double number = 0;
    std::size_t column = 0;  //!< 1-based
  };

 private:
  std::string source_;
  std::vector<Token> tokens_;
};

}  // namespace hopsim::planner
