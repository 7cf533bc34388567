// Recursive descent over the token list. Precedence, lowest first: || , && , comparisons,
// + - , * / % , unary - ! . Both sides of && and || are evaluated, so a misspelt name is
// reported on the first configuration, not only on the ones that reach it.

#include "hopsim/planner/expression.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "hopsim/core/config/yaml_reader.hpp"
#include "hopsim/core/error.hpp"

namespace hopsim::planner {
namespace {

using Tok = Expression::Tok;
using Token = Expression::Token;

[[noreturn]] void fail(const std::string& source, std::size_t column, const std::string& msg) {
  throw ConfigError(SourceLocation{},
                    "constraint '" + source + "': column " + std::to_string(column) + ": " + msg);
}

std::vector<Token> tokenize(const std::string& s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const std::size_t col = i + 1;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < s.size() &&
                std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      const char* begin = s.c_str() + i;
      char* end = nullptr;
      const double v = std::strtod(begin, &end);
      const auto len = static_cast<std::size_t>(end - begin);
      out.push_back(Token{Tok::kNumber, s.substr(i, len), v, col});
      i += len;
      if (i < s.size() && (std::isalpha(static_cast<unsigned char>(s[i])) || s[i] == '_')) {
        fail(s, i + 1, "a number runs into a name here; put an operator between them");
      }
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' ||
                              s[j] == '.' || s[j] == '-')) {
        // A dash ends a name ("pp-1" is a subtraction); values with dashes are quoted strings.
        if (s[j] == '-') break;
        ++j;
      }
      std::string name = s.substr(i, j - i);
      if (name == "and") {
        out.push_back(Token{Tok::kOp, "&&", 0, col});
      } else if (name == "or") {
        out.push_back(Token{Tok::kOp, "||", 0, col});
      } else if (name == "not") {
        out.push_back(Token{Tok::kOp, "!", 0, col});
      } else if (name == "true" || name == "false") {
        out.push_back(Token{Tok::kNumber, name, name == "true" ? 1.0 : 0.0, col});
      } else {
        out.push_back(Token{Tok::kName, name, 0, col});
      }
      i = j;
    } else if (c == '\'' || c == '"') {
      const std::size_t end = s.find(c, i + 1);
      if (end == std::string::npos) fail(s, col, "string not closed");
      out.push_back(Token{Tok::kString, s.substr(i + 1, end - i - 1), 0, col});
      i = end + 1;
    } else if (c == '(') {
      out.push_back(Token{Tok::kLParen, "(", 0, col});
      ++i;
    } else if (c == ')') {
      out.push_back(Token{Tok::kRParen, ")", 0, col});
      ++i;
    } else {
      static const char* const kTwo[] = {"==", "!=", "<=", ">=", "&&", "||"};
      bool matched = false;
      for (const char* op : kTwo) {
        if (s.compare(i, 2, op) == 0) {
          out.push_back(Token{Tok::kOp, op, 0, col});
          i += 2;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      if (std::string("+-*/%<>!").find(c) != std::string::npos) {
        out.push_back(Token{Tok::kOp, std::string(1, c), 0, col});
        ++i;
      } else if (c == '=') {
        fail(s, col, "'=' assigns; compare with '=='");
      } else {
        fail(s, col, std::string("unexpected character '") + c + "'");
      }
    }
  }
  out.push_back(Token{Tok::kEnd, "", 0, s.size() + 1});
  return out;
}

class Evaluator {
 public:
  Evaluator(const std::string& source, const std::vector<Token>& toks, const ExprLookup* lookup,
            const std::vector<std::string>* known)
      : src_(source), t_(toks), lookup_(lookup), known_(known) {}

  ExprValue run() {
    ExprValue v = parse_or();
    if (peek().kind != Tok::kEnd) fail(src_, peek().column, "unexpected '" + peek().text + "'");
    return v;
  }

 private:
  const Token& peek() const { return t_[pos_]; }
  bool is_op(const char* op) const { return peek().kind == Tok::kOp && peek().text == op; }

  double num(const ExprValue& v, std::size_t col, const char* op) const {
    if (v.is_string && lookup_ == nullptr) return 1.0;  // syntax check: types are unknown
    if (v.is_string) {
      fail(src_, col, std::string("'") + op + "' needs numbers, got the string '" + v.text + "'");
    }
    return v.number;
  }

  ExprValue parse_or() {
    ExprValue a = parse_and();
    while (is_op("||")) {
      const std::size_t col = t_[pos_++].column;
      const ExprValue b = parse_and();
      a = ExprValue::of((num(a, col, "||") != 0 || num(b, col, "||") != 0) ? 1.0 : 0.0);
    }
    return a;
  }
  ExprValue parse_and() {
    ExprValue a = parse_cmp();
    while (is_op("&&")) {
      const std::size_t col = t_[pos_++].column;
      const ExprValue b = parse_cmp();
      a = ExprValue::of((num(a, col, "&&") != 0 && num(b, col, "&&") != 0) ? 1.0 : 0.0);
    }
    return a;
  }
  ExprValue parse_cmp() {
    ExprValue a = parse_add();
    for (const char* op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (!is_op(op)) continue;
      const std::size_t col = t_[pos_++].column;
      const ExprValue b = parse_add();
      const std::string o = op;
      if (a.is_string || b.is_string) {
        if (lookup_ == nullptr) return ExprValue::of(1.0);
        if (a.is_string != b.is_string) {
          fail(src_, col, "'" + o + "' compares a string with a number");
        }
        if (o == "==") return ExprValue::of(a.text == b.text ? 1.0 : 0.0);
        if (o == "!=") return ExprValue::of(a.text != b.text ? 1.0 : 0.0);
        fail(src_, col, "strings can only be compared with == and !=");
      }
      const double x = a.number;
      const double y = b.number;
      bool r = false;
      if (o == "==") r = x == y;
      if (o == "!=") r = x != y;
      if (o == "<=") r = x <= y;
      if (o == ">=") r = x >= y;
      if (o == "<") r = x < y;
      if (o == ">") r = x > y;
      if (peek().kind == Tok::kOp &&
          std::string("==!=<=>=<>").find(peek().text) != std::string::npos && peek().text != "!") {
        fail(src_, peek().column, "comparisons do not chain; join them with &&");
      }
      return ExprValue::of(r ? 1.0 : 0.0);
    }
    return a;
  }
  ExprValue parse_add() {
    ExprValue a = parse_mul();
    while (is_op("+") || is_op("-")) {
      const Token& op = t_[pos_++];
      const ExprValue b = parse_mul();
      const double x = num(a, op.column, op.text.c_str());
      const double y = num(b, op.column, op.text.c_str());
      a = ExprValue::of(op.text == "+" ? x + y : x - y);
    }
    return a;
  }
  ExprValue parse_mul() {
    ExprValue a = parse_unary();
    while (is_op("*") || is_op("/") || is_op("%")) {
      const Token& op = t_[pos_++];
      const ExprValue b = parse_unary();
      const double x = num(a, op.column, op.text.c_str());
      const double y = num(b, op.column, op.text.c_str());
      if (op.text == "*") {
        a = ExprValue::of(x * y);
      } else {
        if (y == 0 && lookup_ != nullptr) fail(src_, op.column, "division by zero");
        a = ExprValue::of(y == 0 ? 1.0 : (op.text == "/" ? x / y : std::fmod(x, y)));
      }
    }
    return a;
  }
  ExprValue parse_unary() {
    if (is_op("-")) {
      const std::size_t col = t_[pos_++].column;
      return ExprValue::of(-num(parse_unary(), col, "-"));
    }
    if (is_op("!")) {
      const std::size_t col = t_[pos_++].column;
      return ExprValue::of(num(parse_unary(), col, "!") == 0 ? 1.0 : 0.0);
    }
    return parse_primary();
  }
  ExprValue parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::kNumber:
        ++pos_;
        return ExprValue::of(t.number);
      case Tok::kString:
        ++pos_;
        return ExprValue::of(t.text);
      case Tok::kName: {
        ++pos_;
        if (lookup_ == nullptr) return ExprValue::of(1.0);
        auto v = (*lookup_)(t.text);
        if (!v) {
          std::string msg = "unknown name '" + t.text + "'";
          if (known_ != nullptr) {
            const std::string near = config::nearest(t.text, *known_);
            if (!near.empty()) msg += " (did you mean '" + near + "'?)";
          }
          fail(src_, t.column, msg);
        }
        return *v;
      }
      case Tok::kLParen: {
        ++pos_;
        ExprValue v = parse_or();
        if (peek().kind != Tok::kRParen) fail(src_, peek().column, "expected ')'");
        ++pos_;
        return v;
      }
      case Tok::kEnd:
        fail(src_, t.column, "expected a value at the end");
      default:
        fail(src_, t.column, "expected a value, got '" + t.text + "'");
    }
  }

  const std::string& src_;
  const std::vector<Token>& t_;
  const ExprLookup* lookup_;
  const std::vector<std::string>* known_;
  std::size_t pos_ = 0;
};

}  // namespace

Expression::Expression(std::string source) : source_(std::move(source)) {
  tokens_ = tokenize(source_);
  // Check the syntax now (names are not looked up), so a bad constraint fails before any run.
  Evaluator(source_, tokens_, nullptr, nullptr).run();
}

std::vector<std::string> Expression::names() const {
  std::vector<std::string> out;
  for (const auto& t : tokens_) {
    if (t.kind != Tok::kName) continue;
    bool seen = false;
    for (const auto& n : out) seen = seen || n == t.text;
    if (!seen) out.push_back(t.text);
  }
  return out;
}

ExprValue Expression::evaluate(const ExprLookup& lookup,
                               const std::vector<std::string>& known) const {
  return Evaluator(source_, tokens_, &lookup, &known).run();
}

}  // namespace hopsim::planner
