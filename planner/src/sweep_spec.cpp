// Sweep specs are read with the same declarative MappingReader as scenarios, so a misspelt
// top-level key gets the same "did you mean" message.

#include "hopsim/planner/sweep_spec.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "hopsim/core/config/config_file.hpp"
#include "hopsim/core/config/yaml_reader.hpp"
#include "hopsim/planner/hash.hpp"

namespace hopsim::planner {
namespace {

namespace fs = std::filesystem;
using config::location_of;

std::string flow_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

bool looks_like_path(const std::string& s) {
  return s.find('/') != std::string::npos || s.ends_with(".yaml") || s.ends_with(".yml");
}

// A misspelt key, or a value no configuration can use ("x" for plan.ep), would make every
// configuration with it invalid only once the sweep runs: each key and value is tried on the base
// scenario while the spec is read. An unknown key is an error at the key in the spec, with the
// loader's nearest key; an error about the value of that very key (type, domain, bound) is an
// error at the value. Other errors are left to the configurations: a value may be valid only
// together with another axis's.
void check_override(const ScenarioTemplate& base, const ScenarioOverride& o,
                    const SourceLocation& key_at, const SourceLocation& value_at) {
  try {
    (void)base.instantiate({o});
  } catch (const ConfigError& e) {
    if (e.message().find("unknown key") != std::string::npos) {
      throw ConfigError(key_at, "'" + o.key + "' is not a key of the base scenario: " + e.message(),
                        e.suggestion());
    }
    if (e.where().key_path == o.key) {
      throw ConfigError(value_at, "value '" + o.value + "' of '" + o.key + "': " + e.message(),
                        e.suggestion());
    }
  }
}

ScenarioTemplate base_template(const std::string& base, const fs::path& spec_path) {
  if (looks_like_path(base) && fs::path(base).is_relative() && !spec_path.empty()) {
    return ScenarioTemplate((spec_path.parent_path() / base).lexically_normal().string());
  }
  return ScenarioTemplate(base);
}

std::optional<ExprValue> to_value(const std::string& text) {
  if (text.empty()) return ExprValue::of(std::string());
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != nullptr && *end == '\0') return ExprValue::of(v);
  if (text == "true") return ExprValue::of(1.0);
  if (text == "false") return ExprValue::of(0.0);
  return ExprValue::of(text);
}

}  // namespace

SweepSpec parse_sweep_spec(const std::string& text, const fs::path& path) {
  const std::string file = path.string();
  const YAML::Node doc = config::parse_yaml_text(text, file);
  if (!doc.IsMap()) {
    throw ConfigError(SourceLocation{file, 0, 0, ""}, "a sweep spec must be a mapping");
  }
  // Values here are of mixed shapes (scalar, list, mapping), so keys are checked by hand.
  const std::vector<std::string> keys = {"name", "description", "base",       "mode",
                                         "grid", "list",        "constraints"};
  for (const auto& kv : doc) {
    const std::string k = kv.first.Scalar();
    bool ok = false;
    for (const auto& known : keys) ok = ok || known == k;
    if (!ok) {
      throw ConfigError(location_of(kv.first, file, k), "unknown key '" + k + "' in a sweep spec",
                        config::nearest(k, keys));
    }
  }
  struct Reader {
    const YAML::Node& d;
    bool has(const char* k) const { return static_cast<bool>(d[k]); }
    YAML::Node node(const char* k) const { return d[k]; }
  } r{doc};
  auto scalar = [&](const char* k, const std::string& def) {
    if (!doc[k]) return def;
    if (!doc[k].IsScalar()) {
      throw ConfigError(location_of(doc[k], file, k), std::string("'") + k + "' must be a string");
    }
    return doc[k].Scalar();
  };
  SweepSpec s;
  s.spec_path = path;
  s.name = scalar("name", path.stem().string());
  s.base = scalar("base", "");
  if (s.base.empty()) {
    throw ConfigError(SourceLocation{file, 0, 0, "base"},
                      "a sweep needs 'base': the scenario it varies (shipped name or path)");
  }
  s.mode = scalar("mode", "symmetry");
  if (s.mode != "symmetry" && s.mode != "full") {
    throw ConfigError(location_of(doc["mode"], file, "mode"), "mode is 'symmetry' or 'full'");
  }
  s.base_scenario = base_template(s.base, path);
  if (r.has("grid") && !r.node("grid").IsMap()) {
    throw ConfigError(location_of(r.node("grid"), file, "grid"),
                      "'grid' maps scenario keys to lists of values");
  }
  if (r.has("grid")) {
    for (const auto& kv : r.node("grid")) {
      Axis a;
      a.key = kv.first.Scalar();
      const YAML::Node vals = kv.second;
      if (vals.IsSequence()) {
        for (const auto& v : vals) a.values.push_back(flow_text(v));
      } else if (vals.IsScalar()) {
        a.values.push_back(vals.Scalar());
      }
      if (a.values.empty()) {
        throw ConfigError(location_of(kv.second, file, "grid." + a.key),
                          "an axis needs at least one value (a list such as [8, 16])");
      }
      for (std::size_t i = 0; i < a.values.size(); ++i) {
        const YAML::Node at = kv.second.IsSequence() ? kv.second[i] : kv.second;
        check_override(s.base_scenario, {a.key, a.values[i]},
                       location_of(kv.first, file, "grid." + a.key),
                       location_of(at, file, "grid." + a.key + "[" + std::to_string(i) + "]"));
      }
      s.grid.push_back(std::move(a));
    }
  }
  if (r.has("list")) {
    const YAML::Node l = r.node("list");
    if (!l.IsSequence()) {
      throw ConfigError(location_of(l, file, "list"),
                        "'list' is a sequence of mappings, each one configuration");
    }
    for (const auto& entry : l) {
      if (!entry.IsMap()) {
        throw ConfigError(location_of(entry, file, "list"),
                          "each list entry is a mapping of scenario keys to values");
      }
      std::vector<ScenarioOverride> cfg;
      for (const auto& kv : entry) {
        cfg.push_back({kv.first.Scalar(), flow_text(kv.second)});
        check_override(s.base_scenario, cfg.back(),
                       location_of(kv.first, file, "list." + kv.first.Scalar()),
                       location_of(kv.second, file, "list." + kv.first.Scalar()));
      }
      s.list.push_back(std::move(cfg));
    }
  }
  if (s.grid.empty() && s.list.empty()) {
    throw ConfigError(SourceLocation{file, 0, 0, ""},
                      "a sweep needs a 'grid' (axes to combine) or a 'list' of configurations");
  }
  // Bound the expansion before anything is built: the product of the axes (times the list)
  // must stay countable and runnable.
  std::size_t combinations = std::max<std::size_t>(1, s.list.size());
  for (const auto& a : s.grid) {
    if (combinations > kMaxSweepConfigurations / a.values.size()) {
      throw ConfigError(location_of(r.node("grid"), file, "grid"),
                        "the grid has more than " + std::to_string(kMaxSweepConfigurations) +
                            " combinations: split the sweep or use a 'list'");
    }
    combinations *= a.values.size();
  }
  if (r.has("constraints")) {
    const YAML::Node c = r.node("constraints");
    auto add = [&](const YAML::Node& e, const std::string& key) {
      const SourceLocation at = location_of(e, file, key);
      if (!e.IsScalar()) throw ConfigError(at, "a constraint is an expression (text)");
      try {
        s.constraints.emplace_back(e.Scalar());
      } catch (const ConfigError& err) {
        throw ConfigError(at, err.message(), err.suggestion());
      }
      s.constraint_locations.push_back(at);
    };
    if (c.IsScalar()) {
      add(c, "constraints");
    } else if (c.IsSequence()) {
      for (std::size_t i = 0; i < c.size(); ++i) {
        add(c[i], "constraints[" + std::to_string(i) + "]");
      }
    } else {
      throw ConfigError(location_of(c, file, "constraints"),
                        "'constraints' is an expression or a list of expressions");
    }
  }
  return s;
}

SweepSpec load_sweep_spec(const fs::path& path) {
  return parse_sweep_spec(config::read_config_file(path, "the sweep spec"), path);
}

Expansion expand(const SweepSpec& spec) {
  // Combinations: each list entry (or one empty entry) crossed with the grid.
  std::vector<std::vector<ScenarioOverride>> heads = spec.list;
  if (heads.empty()) heads.emplace_back();
  std::size_t grid_size = 1;
  for (const auto& a : spec.grid) grid_size *= a.values.size();

  Expansion out;
  std::vector<std::size_t> digit(spec.grid.size());
  for (const auto& head : heads) {
    for (std::size_t g = 0; g < grid_size; ++g) {
      std::size_t rest = g;
      for (std::size_t i = spec.grid.size(); i-- > 0;) {
        digit[i] = rest % spec.grid[i].values.size();
        rest /= spec.grid[i].values.size();
      }
      std::vector<ScenarioOverride> ov = head;
      for (std::size_t i = 0; i < spec.grid.size(); ++i) {
        ov.push_back({spec.grid[i].key, spec.grid[i].values[digit[i]]});
      }
      ++out.candidates;
      if (!spec.constraints.empty()) {
        std::map<std::string, std::string> full;
        std::map<std::string, std::vector<std::string>> by_last;
        for (auto& [k, v] : spec.base_scenario.scalars(ov)) {
          const auto dot = k.rfind('.');
          by_last[dot == std::string::npos ? k : k.substr(dot + 1)].push_back(k);
          full[k] = v;
        }
        std::vector<std::string> known;
        for (const auto& [k, v] : full) known.push_back(k);
        for (const auto& [k, v] : by_last) {
          if (v.size() == 1 && v[0] != k) known.push_back(k);
        }
        const ExprLookup lookup = [&](const std::string& name) -> std::optional<ExprValue> {
          if (auto it = full.find(name); it != full.end()) return to_value(it->second);
          if (auto it = by_last.find(name); it != by_last.end()) {
            if (it->second.size() == 1) return to_value(full[it->second[0]]);
            std::string msg = "'" + name + "' is ambiguous; write one of:";
            for (const auto& k : it->second) msg += " " + k;
            throw ConfigError(SourceLocation{}, msg);
          }
          return std::nullopt;
        };
        bool pass = true;
        for (std::size_t i = 0; i < spec.constraints.size(); ++i) {
          try {
            pass = spec.constraints[i].holds(lookup, known) && pass;
          } catch (const ConfigError& err) {
            // The expression knows its column; the spec knows the file and line.
            if (i >= spec.constraint_locations.size()) throw;
            throw ConfigError(spec.constraint_locations[i], err.message(), err.suggestion());
          }
        }
        if (!pass) {
          ++out.excluded;
          continue;
        }
      }
      SweepConfig cfg;
      cfg.index = out.configs.size();
      cfg.key = sha256_hex("mode: " + spec.mode + "\n" + spec.base_scenario.edited_yaml(ov));
      cfg.overrides = std::move(ov);
      out.configs.push_back(std::move(cfg));
    }
  }
  return out;
}

std::string sweep_hash(const SweepSpec& spec) {
  nlohmann::ordered_json j;
  j["base"] = spec.base_scenario.text();
  j["mode"] = spec.mode;
  for (const auto& a : spec.grid) j["grid"].push_back({{"key", a.key}, {"values", a.values}});
  for (const auto& l : spec.list)
    j["list"].push_back(nlohmann::ordered_json::parse(overrides_json(l)));
  for (const auto& c : spec.constraints) j["constraints"].push_back(c.source());
  return short_hash(j.dump());
}

std::string overrides_json(const std::vector<ScenarioOverride>& overrides) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& o : overrides) j[o.key] = o.value;
  return j.dump();
}

}  // namespace hopsim::planner
