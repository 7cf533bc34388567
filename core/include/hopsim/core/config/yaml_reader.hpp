#pragma once
//! Typed, declarative reading of one YAML mapping: each key is declared once with its type,
//! constraint and default; unknown, missing, duplicate or ill-typed keys become ConfigErrors.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/core/error.hpp"

namespace hopsim::config {

//! What a key's value must be. Integer kinds accept only integral scalars (no "1.5", no "abc").
enum class ValueKind {
  kPositiveInt,        //!< integer >= 1
  kNonNegativeInt,     //!< integer >= 0
  kPositiveNumber,     //!< real > 0
  kNonNegativeNumber,  //!< real >= 0
  kBool,
  kString,  //!< any non-empty scalar
  kEnum,    //!< one of KeySpec::choices
  kMapping,
  kSequence,         //!< a list (its items are read by the caller)
  kSequenceOfEnum,   //!< a list whose items are each one of KeySpec::choices
  kStringOrMapping,  //!< a name/path, or an inline mapping
};

//! Declaration of one key of a mapping.
struct KeySpec {
  std::string name;
  ValueKind kind = ValueKind::kString;
  bool required = false;
  std::vector<std::string> choices;  //!< kEnum / kSequenceOfEnum
  //! Numeric and boolean values must be written `{value: X, source: "..."}` (hardware profiles).
  bool sourced = false;
  //! Other spellings people use for this key ("pipeline_parallel" for "pp"); only for suggestions.
  std::vector<std::string> aliases;
  //! Plausible upper bound for a number (0: none): a value past it is a located error, not a run
  //! that allocates for minutes or prints overflowed figures.
  double max = 0;
  //! What the key means, in a few words ("pipeline-parallel degree (PP)"): the label of the
  //! field an editor shows for it (scenario_keys.hpp).
  std::string help = {};
};

//! The same declaration with a plausible upper bound: at_most(key("n_layers", ...), 10000).
[[nodiscard]] KeySpec at_most(KeySpec spec, double max);

//! The same declaration with what the key means: about(key("pp", ...), "pipeline parallel").
[[nodiscard]] KeySpec about(KeySpec spec, std::string help);

//! A declaration in one line: key("pp", ValueKind::kPositiveInt, false, {"pipeline_parallel"}).
[[nodiscard]] KeySpec key(std::string name, ValueKind kind, bool required = false,
                          std::vector<std::string> aliases = {},
                          std::vector<std::string> choices = {});

//! Plain-words description of what a kind expects, used in messages ("a positive integer").
[[nodiscard]] std::string describe(const KeySpec& spec);

//! Levenshtein distance; the nearest-key suggestion uses it.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

//! The candidate nearest to `word` if it is close enough to be a plausible typo, else "".
[[nodiscard]] std::string nearest(std::string_view word,
                                  const std::vector<std::string>& candidates);

//! Location of `node` in `file` (1-based line/column; 0 when yaml-cpp has no mark).
[[nodiscard]] SourceLocation location_of(const YAML::Node& node, const std::string& file,
                                         std::string key_path);

//! Parses a YAML file; syntax errors become ConfigError with the parser's line and column.
[[nodiscard]] YAML::Node parse_yaml_file(const std::filesystem::path& path);

//! Parses YAML text (for tests and inline use); `file` only labels messages.
[[nodiscard]] YAML::Node parse_yaml_text(const std::string& text, const std::string& file);

//! A mapping checked against its declared keys on construction: it must be a mapping, have no
//! duplicate, unknown or missing-required keys, and every present value must have the declared
//! kind. Getters then cannot fail on type; a getter for an undeclared key is a programming error.
class MappingReader {
 public:
  //! `key_path` is the dotted path of this mapping ("" for the document root).
  MappingReader(YAML::Node node, std::string file, std::string key_path, std::vector<KeySpec> keys);

  [[nodiscard]] bool has(const std::string& key) const;
  [[nodiscard]] std::int64_t get_int(const std::string& key) const;
  [[nodiscard]] std::int64_t get_int(const std::string& key, std::int64_t fallback) const;
  [[nodiscard]] int get_int32(const std::string& key) const;
  [[nodiscard]] int get_int32(const std::string& key, int fallback) const;
  [[nodiscard]] double get_number(const std::string& key) const;
  [[nodiscard]] double get_number(const std::string& key, double fallback) const;
  [[nodiscard]] bool get_bool(const std::string& key) const;
  [[nodiscard]] bool get_bool(const std::string& key, bool fallback) const;
  [[nodiscard]] std::string get_string(const std::string& key) const;
  [[nodiscard]] std::string get_string(const std::string& key, const std::string& fallback) const;
  //! Items of a kSequenceOfEnum key (empty when absent).
  [[nodiscard]] std::vector<std::string> get_enum_list(const std::string& key) const;
  //! Items of a kSequence key as integers in [min, max] (empty when absent); any other item is a
  //! ConfigError at that item, its path indexed ("plan.layers_per_stage[3]").
  [[nodiscard]] std::vector<int> get_int_list(const std::string& key, int min, int max) const;
  //! The raw node of a key (after unwrapping `{value, source}`); undefined node when absent.
  [[nodiscard]] YAML::Node node(const std::string& key) const;
  //! `{value, source}` keys: the source text ("" for unsourced or absent keys).
  [[nodiscard]] std::string source(const std::string& key) const;

  [[nodiscard]] std::string path(const std::string& key) const;
  [[nodiscard]] SourceLocation location(const std::string& key) const;  //!< of the value
  [[nodiscard]] SourceLocation location() const;                        //!< of the mapping
  [[nodiscard]] const std::string& file() const { return file_; }

  //! A ConfigError at `key`'s value, for cross-key checks made by the caller.
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  struct Entry {
    std::size_t spec_index;  //!< into keys_ (an index survives copies)
    YAML::Node key_node;
    YAML::Node value;  //!< after unwrapping {value, source}
    std::string source;
  };
  [[nodiscard]] const Entry* find(const std::string& key) const;
  [[nodiscard]] const KeySpec& spec(const std::string& key) const;
  void check_value(const KeySpec& spec, const YAML::Node& value, const YAML::Node& at,
                   const std::string& key_path) const;

  YAML::Node node_;
  std::string file_;
  std::string key_path_;
  std::vector<KeySpec> keys_;
  std::vector<Entry> entries_;
};

}  // namespace hopsim::config
