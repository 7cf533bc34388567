// Overrides edit the YAML document, not the parsed Scenario, so every key a scenario file
// accepts can be an axis and the loader's checks (unknown keys, types, ranges) apply unchanged.

#include "hopsim/core/config/overrides.hpp"

#include <algorithm>

#include "hopsim/core/config/config_file.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/yaml_reader.hpp"
#include "internal.hpp"

namespace hopsim {
namespace {

namespace fs = std::filesystem;

struct Reference {
  const char* key_path;
  const char* folder;
  const char* what;
};

// The scenario keys that name another file (loader: scenario_loader.cpp).
constexpr Reference kReferences[] = {{"hardware.gpu", "hwprofiles/gpus", "GPU profile"},
                                     {"hardware.node", "hwprofiles/nodes", "node profile"},
                                     {"hardware.fabric", "hwprofiles/fabrics", "fabric profile"},
                                     {"model", "models", "model"}};

std::vector<std::string> split_path(const std::string& key) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : key) {
    if (c == '.') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  for (const auto& p : parts) {
    if (p.empty()) {
      throw ConfigError(SourceLocation{"", 0, 0, key},
                        "an override key is a dotted path such as plan.pp; this one has an empty "
                        "part");
    }
  }
  return parts;
}

YAML::Node parse_value(const ScenarioOverride& o) {
  try {
    return YAML::Load(o.value);
  } catch (const YAML::Exception& e) {
    throw ConfigError(SourceLocation{"", 0, 0, o.key},
                      "override value '" + o.value + "' is not valid YAML: " + e.msg);
  }
}

//! Replaces the reference scalar at `parent[k]` by the mapping of the file it names.
void inline_reference(YAML::Node parent, const std::string& k, const std::string& path_so_far,
                      const fs::path& base, const std::string& key) {
  for (const auto& ref : kReferences) {
    if (path_so_far != ref.key_path) continue;
    const std::string spec = parent[k].Scalar();
    const fs::path file = config::resolve_data_file(ref.folder, ref.what, spec, base,
                                                    SourceLocation{"", 0, 0, path_so_far});
    if (file.extension() == ".json") {
      throw ConfigError(SourceLocation{"", 0, 0, key},
                        "cannot override a key inside " + file.string() +
                            " (a config.json); write the model inline in the scenario instead");
    }
    parent[k] = config::parse_yaml_file(file);
    return;
  }
  throw ConfigError(
      SourceLocation{"", 0, 0, key},
      "'" + path_so_far + "' is a value, not a mapping, so '" + key + "' cannot be set inside it");
}

void apply_one(YAML::Node node, const std::vector<std::string>& parts, std::size_t i,
               const std::string& path_so_far, const YAML::Node& value, const fs::path& base,
               const std::string& key) {
  const std::string& k = parts[i];
  const std::string here = path_so_far.empty() ? k : path_so_far + "." + k;
  if (i + 1 == parts.size()) {
    YAML::Node existing = node[k];
    if (existing.IsMap() && existing["value"] && value.IsScalar()) {
      existing["value"] = value;  // a sourced profile figure: keep its `source`
    } else {
      node[k] = value;
    }
    return;
  }
  if (!node[k] || node[k].IsNull()) {
    node[k] = YAML::Node(YAML::NodeType::Map);
  } else if (node[k].IsScalar()) {
    inline_reference(node, k, here, base, key);
  } else if (!node[k].IsMap()) {
    throw ConfigError(SourceLocation{"", 0, 0, key},
                      "'" + here + "' is a list, not a mapping, so '" + key + "' cannot be set");
  }
  apply_one(node[k], parts, i + 1, here, value, base, key);
}

YAML::Node edited(const ScenarioTemplate& t, const std::vector<ScenarioOverride>& overrides) {
  YAML::Node doc = config::parse_yaml_text(t.text(), t.path().string());
  if (!doc.IsMap()) {
    throw ConfigError(SourceLocation{t.path().string(), 0, 0, ""},
                      "a scenario file must be a mapping");
  }
  for (const auto& o : overrides) {
    apply_one(doc, split_path(o.key), 0, "", parse_value(o), t.path().parent_path(), o.key);
  }
  return doc;
}

void collect(const YAML::Node& n, const std::string& path,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (n.IsScalar()) {
    out.emplace_back(path, n.Scalar());
  } else if (n.IsMap()) {
    if (n["value"] && n["value"].IsScalar() && !path.empty()) {
      out.emplace_back(path, n["value"].Scalar());
      return;
    }
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      collect(kv.second, path.empty() ? k : path + "." + k, out);
    }
  }
}

}  // namespace

ScenarioTemplate::ScenarioTemplate(const std::string& spec)
    : path_(config::resolve_data_file("scenarios", "scenario", spec, {}, SourceLocation{})),
      text_(config::read_config_file(path_, "the file")) {}

ScenarioTemplate::ScenarioTemplate(std::filesystem::path path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {}

std::string ScenarioTemplate::edited_yaml(const std::vector<ScenarioOverride>& overrides) const {
  YAML::Emitter e;
  e << edited(*this, overrides);
  return e.c_str();
}

std::vector<std::pair<std::string, std::string>> ScenarioTemplate::scalars(
    const std::vector<ScenarioOverride>& overrides) const {
  std::vector<std::pair<std::string, std::string>> out;
  collect(edited(*this, overrides), "", out);
  return out;
}

Scenario ScenarioTemplate::instantiate(const std::vector<ScenarioOverride>& overrides) const {
  Scenario s;
  try {
    s = config::read_scenario(edited(*this, overrides), path_);
  } catch (const ConfigError& e) {
    // A problem the file has no line for (a map an override created, such as
    // cost.interruptions given one of its two keys) is the override's: name it.
    const std::string& k = e.where().key_path;
    const auto made = std::find_if(overrides.begin(), overrides.end(), [&](const auto& o) {
      return o.key == k || o.key.starts_with(k + ".");
    });
    if (e.where().line > 0 || k.empty() || made == overrides.end()) throw;
    throw ConfigError(SourceLocation{"override " + made->key + "=" + made->value, 0, 0, k},
                      e.message(), e.suggestion());
  }
  // An overridden key has no place in the file (the edited document's marks point nowhere
  // useful): plan errors about it name the override instead of "base.yaml:1:1".
  for (const auto& o : overrides) {
    for (auto& loc : s.key_locations) {
      if (loc.key_path == o.key)
        loc = SourceLocation{"override " + o.key + "=" + o.value, 0, 0, o.key};
    }
  }
  return s;
}

}  // namespace hopsim
