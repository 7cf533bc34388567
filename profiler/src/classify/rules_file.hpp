#pragma once
//! The regex rules files of the kernel classifier and the annotation component map: `version: 1`
//! and an ordered list of {LABEL, pattern, case_sensitive?}, read with one set of located errors.

#include <functional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/core/config/yaml_reader.hpp"

namespace hopsim::profiler::classify {

//! The checked top mapping of a rules file: a mapping ("WHAT must be a mapping" otherwise) with
//! `version` (only 1) and `rules` (required), and the file's `extra` keys.
[[nodiscard]] config::MappingReader read_rules_top(std::string_view yaml_text,
                                                   const std::string& file_name,
                                                   std::string_view what,
                                                   const std::vector<config::KeySpec>& extra = {});

//! Calls `add` with each entry of `top`'s `rules` in order, read as a mapping of `label` (what
//! the rule names: a kernel class, a component), `pattern` and optional `case_sensitive`.
void for_each_rule(const config::MappingReader& top, const config::KeySpec& label,
                   const std::function<void(const config::MappingReader& rule)>& add);

//! A rule's `pattern` compiled (ECMAScript, case-insensitive unless `case_sensitive: true`), or a
//! ConfigError at the pattern naming the regex error.
[[nodiscard]] std::regex rule_pattern(const config::MappingReader& rule);

}  // namespace hopsim::profiler::classify
