#include "hopsim/core/config/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "hopsim/core/config/config_file.hpp"
#include "hopsim/core/utf8.hpp"

namespace hopsim::config {
namespace {

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> parse_number(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || s.empty() || !std::isfinite(v)) return std::nullopt;
  return v;
}

//! How a value looks to a person reading the message.
// yaml-cpp tags a quoted scalar "!" and a plain one "?": "8" is a string, 8 a number.
bool quoted(const YAML::Node& n) {
  return n.IsScalar() && n.Tag() == "!";
}

std::string describe_got(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing (an empty value)";
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  if (quoted(n)) return "the quoted string '" + n.Scalar() + "' (write it without quotes)";
  return "'" + n.Scalar() + "'";
}

std::string format_bound(double v) {
  char b[32];
  std::snprintf(b, sizeof b, v == std::floor(v) && v < 1e15 ? "%.0f" : "%.6g", v);
  return b;
}

std::string normalise(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == '-' || c == ' ') c = '_';
  }
  return out;
}

bool is_numeric_or_bool(ValueKind k) {
  return k == ValueKind::kPositiveInt || k == ValueKind::kNonNegativeInt ||
         k == ValueKind::kPositiveNumber || k == ValueKind::kNonNegativeNumber ||
         k == ValueKind::kBool;
}

}  // namespace

KeySpec key(std::string name, ValueKind kind, bool required, std::vector<std::string> aliases,
            std::vector<std::string> choices) {
  return KeySpec{std::move(name), kind, required, std::move(choices), false, std::move(aliases)};
}

KeySpec about(KeySpec spec, std::string help) {
  spec.help = std::move(help);
  return spec;
}

KeySpec at_most(KeySpec spec, double max) {
  spec.max = max;
  return spec;
}

std::string describe(const KeySpec& spec) {
  const std::string bound = spec.max > 0 ? " of at most " + format_bound(spec.max) : "";
  switch (spec.kind) {
    case ValueKind::kPositiveInt:
      return "a positive integer" + bound;
    case ValueKind::kNonNegativeInt:
      return "a non-negative integer" + bound;
    case ValueKind::kPositiveNumber:
      return "a positive number" + bound;
    case ValueKind::kNonNegativeNumber:
      return "a non-negative number" + bound;
    case ValueKind::kBool:
      return "true or false";
    case ValueKind::kString:
      return "a string";
    case ValueKind::kEnum:
      return "one of " + join(spec.choices);
    case ValueKind::kMapping:
      return "a mapping";
    case ValueKind::kSequence:
      return "a list";
    case ValueKind::kSequenceOfEnum:
      return "a list of items from " + join(spec.choices);
    case ValueKind::kStringOrMapping:
      return "a name, a path or a mapping";
  }
  return "?";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string w = normalise(word);
  // A typo changes a few characters; beyond about a third of the word it is a different word.
  const std::size_t limit = w.size() <= 3 ? 1 : (w.size() <= 6 ? 2 : w.size() / 3 + 1);
  std::string best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(w, normalise(c));
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best_d <= limit ? best : std::string();
}

SourceLocation location_of(const YAML::Node& node, const std::string& file, std::string key_path) {
  SourceLocation loc{file, 0, 0, std::move(key_path)};
  if (node.IsDefined()) {
    const YAML::Mark m = node.Mark();
    if (m.line >= 0 && m.column >= 0) {
      loc.line = m.line + 1;
      loc.column = m.column + 1;
    }
  }
  return loc;
}

YAML::Node parse_yaml_text(const std::string& text, const std::string& file) {
  // YAML is Unicode text; yaml-cpp passes invalid bytes through into names, where they surface
  // later as a JSON output that cannot be written. Refuse them here, where the file is known.
  if (const std::size_t bad = first_invalid_utf8(text.data(), text.size()); bad < text.size()) {
    const std::size_t nl = bad == 0 ? std::string::npos : text.rfind('\n', bad - 1);
    const std::size_t column = bad - (nl == std::string::npos ? 0 : nl + 1) + 1;
    const auto line =
        1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X",
                  static_cast<unsigned>(static_cast<unsigned char>(text[bad])));
    throw ConfigError(
        SourceLocation{file, static_cast<int>(line), static_cast<int>(column), {}},
        std::string("the file is not valid UTF-8 (byte ") + hex + "); save it as UTF-8");
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    SourceLocation loc{file, e.mark.line + 1, e.mark.column + 1, {}};
    throw ConfigError(std::move(loc), "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ConfigError(SourceLocation{file, 0, 0, {}}, std::string("cannot read YAML: ") + e.what());
  }
}

YAML::Node parse_yaml_file(const std::filesystem::path& path) {
  return parse_yaml_text(read_config_file(path, "file"), path.string());
}

MappingReader::MappingReader(YAML::Node node, std::string file, std::string key_path,
                             std::vector<KeySpec> keys)
    : node_(std::move(node)),
      file_(std::move(file)),
      key_path_(std::move(key_path)),
      keys_(std::move(keys)) {
  const std::string what = key_path_.empty() ? "the document" : "'" + key_path_ + "'";
  if (!node_.IsDefined() || node_.IsNull()) {
    throw ConfigError(location(), what + " is empty; expected a mapping of keys");
  }
  if (!node_.IsMap()) {
    throw ConfigError(location(), what + " must be a mapping of keys, got " + describe_got(node_));
  }
  std::vector<std::string> names;
  for (const auto& k : keys_) names.push_back(k.name);

  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const YAML::Node key_node = it->first;
    if (!key_node.IsScalar()) {
      throw ConfigError(location_of(key_node, file_, key_path_), "keys must be plain names");
    }
    const std::string key = key_node.Scalar();
    const std::string kp = path(key);
    for (const auto& e : entries_) {
      if (e.key_node.Scalar() == key) {
        const auto first = location_of(e.key_node, file_, kp);
        throw ConfigError(location_of(key_node, file_, kp),
                          "duplicate key (first given at line " + std::to_string(first.line) + ")");
      }
    }
    const auto spec_it =
        std::find_if(keys_.begin(), keys_.end(), [&](const KeySpec& s) { return s.name == key; });
    if (spec_it == keys_.end()) {
      // Aliases (other tools' spellings) compete with the names themselves; the closest wins.
      std::vector<std::string> spellings;
      std::vector<std::string> owners;
      for (const auto& s : keys_) {
        spellings.push_back(s.name);
        owners.push_back(s.name);
        for (const auto& alias : s.aliases) {
          spellings.push_back(alias);
          owners.push_back(s.name);
        }
      }
      // On a tie the key's own name wins over another key's alias.
      std::string suggestion = nearest(key, names);
      const std::string near = nearest(key, spellings);
      if (!near.empty() &&
          (suggestion.empty() || edit_distance(normalise(key), normalise(near)) <
                                     edit_distance(normalise(key), normalise(suggestion)))) {
        for (std::size_t i = 0; i < spellings.size(); ++i) {
          if (spellings[i] == near) {
            suggestion = owners[i];
            break;
          }
        }
      }
      std::string msg = "unknown key '" + key + "'";
      if (suggestion.empty()) msg += "; valid keys here: " + join(names);
      throw ConfigError(location_of(key_node, file_, kp), msg, suggestion);
    }
    YAML::Node value = it->second;
    std::string src;
    if (spec_it->sourced && is_numeric_or_bool(spec_it->kind)) {
      const std::string form =
          "write it as '" + key + ": {value: ..., source: \"where the number comes from\"}'";
      if (!value.IsMap()) {
        throw ConfigError(location_of(value, file_, kp),
                          "every number in a hardware profile needs its source; " + form);
      }
      YAML::Node v;
      YAML::Node s;
      bool have_v = false;
      bool have_s = false;
      for (auto jt = value.begin(); jt != value.end(); ++jt) {
        const std::string sub = jt->first.IsScalar() ? jt->first.Scalar() : std::string();
        if (sub == "value") {
          v = jt->second;
          have_v = true;
        } else if (sub == "source") {
          s = jt->second;
          have_s = true;
        } else {
          throw ConfigError(
              location_of(jt->first, file_, kp + "." + sub),
              "unknown key '" + sub + "'; a sourced value has only 'value' and 'source'",
              nearest(sub, {"value", "source"}));
        }
      }
      if (!have_v) throw ConfigError(location_of(value, file_, kp), "missing 'value'; " + form);
      if (!have_s || !s.IsScalar() || s.Scalar().empty()) {
        throw ConfigError(
            location_of(have_s ? s : value, file_, kp + ".source"),
            "missing or empty 'source'; every number in a hardware profile needs its "
            "source (a document and section, or \"modelling default, not published\")");
      }
      src = s.Scalar();
      value = v;
    }
    // yaml-cpp marks an empty value at the next token; the key is where the reader should look.
    check_value(*spec_it, value, value.IsNull() ? key_node : value, kp);
    entries_.push_back(
        Entry{static_cast<std::size_t>(spec_it - keys_.begin()), key_node, value, src});
  }
  for (const auto& s : keys_) {
    if (s.required && find(s.name) == nullptr) {
      throw ConfigError(location(), "missing required key '" + path(s.name) + "' (" + describe(s) +
                                        ") in " + what);
    }
  }
}

void MappingReader::check_value(const KeySpec& s, const YAML::Node& value, const YAML::Node& at,
                                const std::string& kp) const {
  const auto loc = location_of(at, file_, kp);
  const auto bad = [&](std::string suggestion = {}) {
    throw ConfigError(loc, "expected " + describe(s) + ", got " + describe_got(value),
                      std::move(suggestion));
  };
  switch (s.kind) {
    case ValueKind::kPositiveInt:
    case ValueKind::kNonNegativeInt: {
      if (!value.IsScalar() || quoted(value)) bad();
      const auto v = parse_int(value.Scalar());
      if (!v || *v < (s.kind == ValueKind::kPositiveInt ? 1 : 0)) bad();
      if (s.max > 0 && static_cast<double>(*v) > s.max) bad();
      return;
    }
    case ValueKind::kPositiveNumber:
    case ValueKind::kNonNegativeNumber: {
      if (!value.IsScalar() || quoted(value)) bad();
      const auto v = parse_number(value.Scalar());
      if (!v || !std::isfinite(*v) ||
          (s.kind == ValueKind::kPositiveNumber ? !(*v > 0) : !(*v >= 0))) {
        bad();
      }
      if (s.max > 0 && *v > s.max) bad();
      return;
    }
    case ValueKind::kBool: {
      bool b = false;
      if (!value.IsScalar() || quoted(value) || !YAML::convert<bool>::decode(value, b)) bad();
      return;
    }
    case ValueKind::kString:
      if (!value.IsScalar() || value.Scalar().empty()) bad();
      return;
    case ValueKind::kEnum:
      if (!value.IsScalar()) bad();
      if (std::find(s.choices.begin(), s.choices.end(), value.Scalar()) == s.choices.end()) {
        bad(nearest(value.Scalar(), s.choices));
      }
      return;
    case ValueKind::kMapping:
      if (!value.IsMap()) bad();
      return;
    case ValueKind::kSequence:
      if (!value.IsSequence()) bad();
      return;
    case ValueKind::kSequenceOfEnum: {
      if (!value.IsSequence()) bad();
      std::vector<std::string> seen;
      for (std::size_t i = 0; i < value.size(); ++i) {
        const YAML::Node item = value[i];
        const std::string ip = kp + "[" + std::to_string(i) + "]";
        const auto iloc = location_of(item, file_, ip);
        if (!item.IsScalar() ||
            std::find(s.choices.begin(), s.choices.end(), item.Scalar()) == s.choices.end()) {
          throw ConfigError(iloc,
                            "expected one of " + join(s.choices) + ", got " + describe_got(item),
                            item.IsScalar() ? nearest(item.Scalar(), s.choices) : std::string());
        }
        if (std::find(seen.begin(), seen.end(), item.Scalar()) != seen.end()) {
          throw ConfigError(iloc, "'" + item.Scalar() + "' is listed twice");
        }
        seen.push_back(item.Scalar());
      }
      return;
    }
    case ValueKind::kStringOrMapping:
      if (!value.IsMap() && !(value.IsScalar() && !value.Scalar().empty())) bad();
      return;
  }
}

const MappingReader::Entry* MappingReader::find(const std::string& key) const {
  for (const auto& e : entries_) {
    if (keys_[e.spec_index].name == key) return &e;
  }
  return nullptr;
}

const KeySpec& MappingReader::spec(const std::string& key) const {
  for (const auto& s : keys_) {
    if (s.name == key) return s;
  }
  throw std::logic_error("MappingReader: key '" + key + "' was not declared");
}

bool MappingReader::has(const std::string& key) const {
  (void)spec(key);
  return find(key) != nullptr;
}

std::int64_t MappingReader::get_int(const std::string& key) const {
  (void)spec(key);
  const auto* e = find(key);
  if (e == nullptr) throw ConfigError(location(), "missing required key '" + path(key) + "'");
  return *parse_int(e->value.Scalar());
}

std::int64_t MappingReader::get_int(const std::string& key, std::int64_t fallback) const {
  return has(key) ? get_int(key) : fallback;
}

int MappingReader::get_int32(const std::string& key) const {
  const std::int64_t v = get_int(key);
  if (v > std::numeric_limits<int>::max())
    fail(key, "value " + std::to_string(v) + " is too large");
  return static_cast<int>(v);
}

int MappingReader::get_int32(const std::string& key, int fallback) const {
  return has(key) ? get_int32(key) : fallback;
}

double MappingReader::get_number(const std::string& key) const {
  (void)spec(key);
  const auto* e = find(key);
  if (e == nullptr) throw ConfigError(location(), "missing required key '" + path(key) + "'");
  return *parse_number(e->value.Scalar());
}

double MappingReader::get_number(const std::string& key, double fallback) const {
  return has(key) ? get_number(key) : fallback;
}

bool MappingReader::get_bool(const std::string& key) const {
  (void)spec(key);
  const auto* e = find(key);
  if (e == nullptr) throw ConfigError(location(), "missing required key '" + path(key) + "'");
  return e->value.as<bool>();
}

bool MappingReader::get_bool(const std::string& key, bool fallback) const {
  return has(key) ? get_bool(key) : fallback;
}

std::string MappingReader::get_string(const std::string& key) const {
  (void)spec(key);
  const auto* e = find(key);
  if (e == nullptr) throw ConfigError(location(), "missing required key '" + path(key) + "'");
  return e->value.Scalar();
}

std::string MappingReader::get_string(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}

std::vector<std::string> MappingReader::get_enum_list(const std::string& key) const {
  std::vector<std::string> out;
  if (const auto* e = find(key)) {
    for (std::size_t i = 0; i < e->value.size(); ++i) out.push_back(e->value[i].Scalar());
  }
  return out;
}

std::vector<int> MappingReader::get_int_list(const std::string& key, int min, int max) const {
  (void)spec(key);
  std::vector<int> out;
  const auto* e = find(key);
  if (e == nullptr) return out;
  for (std::size_t i = 0; i < e->value.size(); ++i) {
    const YAML::Node item = e->value[i];
    const auto v = item.IsScalar() ? parse_int(item.Scalar()) : std::nullopt;
    if (!v || *v < min || *v > max) {
      throw ConfigError(location_of(item, file_, path(key) + "[" + std::to_string(i) + "]"),
                        "expected an integer from " + std::to_string(min) + " to " +
                            std::to_string(max) + ", got " + describe_got(item));
    }
    out.push_back(static_cast<int>(*v));
  }
  return out;
}

YAML::Node MappingReader::node(const std::string& key) const {
  const auto* e = find(key);
  return e != nullptr ? e->value : YAML::Node(YAML::NodeType::Undefined);
}

std::string MappingReader::source(const std::string& key) const {
  const auto* e = find(key);
  return e != nullptr ? e->source : std::string();
}

std::string MappingReader::path(const std::string& key) const {
  return key_path_.empty() ? key : key_path_ + "." + key;
}

SourceLocation MappingReader::location(const std::string& key) const {
  const auto* e = find(key);
  return location_of(e != nullptr ? e->value : node_, file_, path(key));
}

SourceLocation MappingReader::location() const {
  return location_of(node_, file_, key_path_);
}

void MappingReader::fail(const std::string& key, const std::string& message) const {
  throw ConfigError(location(key), message);
}

}  // namespace hopsim::config
