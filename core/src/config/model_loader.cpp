// Models come from hopsim's own YAML (every key declared below) or from a Hugging Face
// config.json, so a user can point hopsim at a checkpoint folder without retyping numbers.

#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "hopsim/core/config/config_file.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/yaml_reader.hpp"
#include "internal.hpp"

namespace hopsim {
namespace config {
namespace {

namespace fs = std::filesystem;

MlaConfig read_mla(const YAML::Node& node, const std::string& file, const std::string& kp) {
  const MappingReader r(node, file, kp,
                        {at_most(key("q_lora_rank", ValueKind::kNonNegativeInt, false), 1000000),
                         at_most(key("kv_lora_rank", ValueKind::kPositiveInt, true), 1000000),
                         at_most(key("qk_nope_head_dim", ValueKind::kPositiveInt, true), 65536),
                         at_most(key("qk_rope_head_dim", ValueKind::kPositiveInt, true), 65536),
                         at_most(key("v_head_dim", ValueKind::kPositiveInt, true), 65536)});
  MlaConfig m;
  m.q_lora_rank = r.get_int32("q_lora_rank", 0);
  m.kv_lora_rank = r.get_int32("kv_lora_rank");
  m.qk_nope_head_dim = r.get_int32("qk_nope_head_dim");
  m.qk_rope_head_dim = r.get_int32("qk_rope_head_dim");
  m.v_head_dim = r.get_int32("v_head_dim");
  return m;
}

MoeConfig read_moe(const YAML::Node& node, const std::string& file, const std::string& kp) {
  const MoeConfig d;
  const MappingReader r(
      node, file, kp,
      {at_most(key("n_routed_experts", ValueKind::kPositiveInt, true, {"num_experts", "experts"}),
               65536),
       at_most(key("n_shared_experts", ValueKind::kNonNegativeInt, false), 1024),
       at_most(key("n_activated_experts", ValueKind::kPositiveInt, true,
                   {"num_experts_per_tok", "top_k"}),
               65536),
       at_most(key("moe_inter_dim", ValueKind::kPositiveInt, true, {"moe_intermediate_size"}),
               10000000),
       key("n_expert_groups", ValueKind::kPositiveInt, false, {"n_group"}),
       key("n_limited_groups", ValueKind::kPositiveInt, false, {"topk_group"}),
       key("first_k_dense", ValueKind::kNonNegativeInt, false, {"first_k_dense_replace"}),
       key("route_scale", ValueKind::kPositiveNumber, false, {"routed_scaling_factor"}),
       key("score_func", ValueKind::kEnum, false, {"scoring_func"}, {"softmax", "sigmoid"})});
  MoeConfig m;
  m.n_routed_experts = r.get_int32("n_routed_experts");
  m.n_shared_experts = r.get_int32("n_shared_experts", d.n_shared_experts);
  m.n_activated_experts = r.get_int32("n_activated_experts");
  m.moe_inter_dim = r.get_int32("moe_inter_dim");
  m.n_expert_groups = r.get_int32("n_expert_groups", d.n_expert_groups);
  m.n_limited_groups = r.get_int32("n_limited_groups", d.n_limited_groups);
  m.first_k_dense = r.get_int32("first_k_dense", d.first_k_dense);
  m.route_scale = r.get_number("route_scale", d.route_scale);
  m.score_func = r.get_string("score_func", "softmax") == "sigmoid" ? ScoreFunc::kSigmoid
                                                                    : ScoreFunc::kSoftmax;
  if (m.n_activated_experts > m.n_routed_experts) {
    r.fail("n_activated_experts", "top-k " + std::to_string(m.n_activated_experts) +
                                      " exceeds the " + std::to_string(m.n_routed_experts) +
                                      " routed experts");
  }
  if (m.n_routed_experts % m.n_expert_groups != 0) {
    r.fail("n_expert_groups", std::to_string(m.n_expert_groups) + " groups do not divide " +
                                  std::to_string(m.n_routed_experts) + " routed experts");
  }
  if (m.n_limited_groups > m.n_expert_groups) {
    r.fail("n_limited_groups", std::to_string(m.n_limited_groups) + " limited groups exceed the " +
                                   std::to_string(m.n_expert_groups) + " expert groups");
  }
  return m;
}

//! Checks shared by both input formats, so a config.json cannot pass what the YAML rejects.
void check_model(const ModelConfig& m,
                 const std::function<void(const std::string&, const std::string&)>& fail) {
  if (m.attention != AttentionKind::kMla) {
    if (m.n_heads % m.n_kv_heads != 0) {
      fail("n_kv_heads", std::to_string(m.n_kv_heads) + " KV heads do not divide " +
                             std::to_string(m.n_heads) + " query heads");
    }
    if (m.attention == AttentionKind::kMha && m.n_kv_heads != m.n_heads) {
      fail("n_kv_heads", "MHA needs n_kv_heads == n_heads (" + std::to_string(m.n_heads) +
                             "); use attention: gqa for fewer KV heads");
    }
  }
  const bool has_dense_layers = !m.moe.has_value() || m.moe->first_k_dense > 0;
  if (has_dense_layers && m.dense_inter_dim <= 0) {
    fail("dense_inter_dim", "the model has dense FFN layers, so dense_inter_dim is required");
  }
  if (m.moe && m.moe->first_k_dense > m.n_layers) {
    fail("moe", "first_k_dense " + std::to_string(m.moe->first_k_dense) + " exceeds n_layers " +
                    std::to_string(m.n_layers));
  }
}

// ---- Hugging Face config.json ----------------------------------------------------------------

struct JsonText {
  std::string file;
  std::string text;

  //! 1-based line and column of byte offset `pos` (0-based).
  [[nodiscard]] SourceLocation at(std::size_t pos, std::string key_path) const {
    SourceLocation loc{file, 1, 1, std::move(key_path)};
    for (std::size_t i = 0; i < pos && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++loc.line;
        loc.column = 1;
      } else {
        ++loc.column;
      }
    }
    return loc;
  }
  //! nlohmann keeps no positions for values; the key's first occurrence is a good pointer.
  [[nodiscard]] SourceLocation of_key(const std::string& k) const {
    const auto pos = text.find("\"" + k + "\"");
    if (pos == std::string::npos) return SourceLocation{file, 0, 0, k};
    return at(pos, k);
  }
};

class HfReader {
 public:
  HfReader(const JsonText& t, const nlohmann::json& j) : t_(t), j_(j) {}

  [[nodiscard]] bool present(const std::string& k) const {
    return j_.contains(k) && !j_.at(k).is_null();
  }
  [[nodiscard]] int get_int(const std::string& k, bool positive = true) const {
    if (!j_.contains(k)) {
      throw ConfigError(SourceLocation{t_.file, 0, 0, k}, "missing required key '" + k + "'");
    }
    return int_of(k, positive);
  }
  [[nodiscard]] int get_int(const std::string& k, int fallback, bool positive) const {
    return present(k) ? int_of(k, positive) : fallback;
  }
  [[nodiscard]] double get_number(const std::string& k, double fallback) const {
    if (!present(k)) return fallback;
    const auto& v = j_.at(k);
    if (!v.is_number() || !(v.get<double>() > 0)) bad(k, "a positive number");
    return v.get<double>();
  }
  [[nodiscard]] bool get_bool(const std::string& k, bool fallback) const {
    if (!present(k)) return fallback;
    if (!j_.at(k).is_boolean()) bad(k, "true or false");
    return j_.at(k).get<bool>();
  }
  [[nodiscard]] std::string get_string(const std::string& k, const std::string& fallback) const {
    if (!present(k)) return fallback;
    if (!j_.at(k).is_string()) bad(k, "a string");
    return j_.at(k).get<std::string>();
  }
  [[noreturn]] void bad(const std::string& k, const std::string& expected) const {
    throw ConfigError(t_.of_key(k), "expected " + expected + ", got " + j_.at(k).dump());
  }
  [[noreturn]] void fail(const std::string& k, const std::string& message) const {
    throw ConfigError(t_.of_key(k), message);
  }

 private:
  [[nodiscard]] int int_of(const std::string& k, bool positive) const {
    const auto& v = j_.at(k);
    if (!v.is_number_integer() || v.get<long long>() < (positive ? 1 : 0) ||
        v.get<long long>() > std::numeric_limits<int>::max()) {
      bad(k, positive ? "a positive integer" : "a non-negative integer");
    }
    return static_cast<int>(v.get<long long>());
  }
  const JsonText& t_;
  const nlohmann::json& j_;
};

ModelConfig read_hf_config(const fs::path& path) {
  const JsonText t{path.string(), read_config_file(path, "file")};
  nlohmann::json j;
  // Duplicate keys are an error (nlohmann keeps the last silently): a stack of the keys seen
  // in each open object.
  std::vector<std::set<std::string>> open_objects;
  const auto on_event = [&](int, nlohmann::json::parse_event_t e, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (e == E::object_start) open_objects.emplace_back();
    if (e == E::object_end && !open_objects.empty()) open_objects.pop_back();
    if (e == E::key && !open_objects.empty()) {
      const std::string k = parsed.get<std::string>();
      if (!open_objects.back().insert(k).second) {
        const std::string quoted = "\"" + k + "\"";
        const auto first = t.text.find(quoted);
        const auto second = first == std::string::npos ? first : t.text.find(quoted, first + 1);
        throw ConfigError(
            second == std::string::npos ? SourceLocation{t.file, 0, 0, k} : t.at(second, k),
            "duplicate key '" + k + "' (JSON keeps only one of them)");
      }
    }
    return true;
  };
  try {
    j = nlohmann::json::parse(t.text, on_event);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based and points at the offending character.
    throw ConfigError(t.at(e.byte > 0 ? e.byte - 1 : 0, {}),
                      std::string("JSON syntax error: ") + e.what());
  } catch (const nlohmann::json::out_of_range& e) {
    // A number no type holds ("number overflow parsing '8888E000'"): found by fuzzing. The
    // exception has no offset; the number's text, quoted in its message, locates it.
    const std::string msg = e.what();
    const auto open = msg.find('\'');
    const auto close = open == std::string::npos ? open : msg.find('\'', open + 1);
    const auto at = close == std::string::npos
                        ? std::string::npos
                        : t.text.find(msg.substr(open + 1, close - open - 1));
    throw ConfigError(at == std::string::npos ? SourceLocation{t.file, 0, 0, {}} : t.at(at, {}),
                      "a number too large for any number type");
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(SourceLocation{t.file, 0, 0, {}},
                      std::string("cannot read JSON: ") + e.what());
  }
  if (!j.is_object()) {
    throw ConfigError(SourceLocation{t.file, 1, 1, {}}, "expected a JSON object (a config.json)");
  }
  const HfReader r(t, j);
  if (r.present("num_local_experts") && !r.present("n_routed_experts")) {
    r.fail("num_local_experts",
           "Mixtral-style MoE keys are not read from config.json; write a hopsim model YAML");
  }
  ModelConfig m;
  // A checkpoint folder is named after the model; a loose file after itself.
  m.name = path.filename() == "config.json" ? path.parent_path().filename().string()
                                            : path.stem().string();
  m.n_layers = r.get_int("num_hidden_layers");
  m.hidden = r.get_int("hidden_size");
  m.vocab = r.get_int("vocab_size");
  m.n_heads = r.get_int("num_attention_heads");
  // The same plausible bounds as the model YAML's keys: past them a run would allocate for
  // minutes before failing without a location.
  for (const auto& [key, value, max] :
       {std::tuple<const char*, long long, long long>{"num_hidden_layers", m.n_layers, 10000},
        {"hidden_size", m.hidden, 1000000},
        {"vocab_size", m.vocab, 10000000},
        {"num_attention_heads", m.n_heads, 65536}}) {
    if (value > max) {
      r.fail(key, "expected a positive integer of at most " + std::to_string(max) + ", got " +
                      std::to_string(value));
    }
  }
  m.tie_embeddings = r.get_bool("tie_word_embeddings", false);
  m.mtp_depth = r.get_int("num_nextn_predict_layers", 0, false);
  if (r.present("kv_lora_rank")) {
    m.attention = AttentionKind::kMla;
    MlaConfig mla;
    mla.q_lora_rank = r.get_int("q_lora_rank", 0, false);  // null: queries not compressed
    mla.kv_lora_rank = r.get_int("kv_lora_rank");
    mla.qk_nope_head_dim = r.get_int("qk_nope_head_dim");
    mla.qk_rope_head_dim = r.get_int("qk_rope_head_dim");
    mla.v_head_dim = r.get_int("v_head_dim");
    m.mla = mla;
  } else {
    m.n_kv_heads = r.get_int("num_key_value_heads", m.n_heads, true);
    m.attention = m.n_kv_heads == m.n_heads ? AttentionKind::kMha : AttentionKind::kGqa;
    if (!r.present("head_dim") && m.hidden % m.n_heads != 0) {
      r.fail("num_attention_heads", "no head_dim given and hidden_size " +
                                        std::to_string(m.hidden) + " is not a multiple of " +
                                        std::to_string(m.n_heads) + " heads");
    }
    m.head_dim = r.get_int("head_dim", m.hidden / m.n_heads, true);
  }
  if (r.present("n_routed_experts")) {
    MoeConfig moe;
    moe.n_routed_experts = r.get_int("n_routed_experts");
    moe.n_shared_experts = r.get_int("n_shared_experts", 0, false);
    moe.n_activated_experts = r.get_int("num_experts_per_tok");
    moe.moe_inter_dim = r.get_int("moe_intermediate_size");
    moe.n_expert_groups = r.get_int("n_group", 1, true);
    moe.n_limited_groups = r.get_int("topk_group", 1, true);
    moe.first_k_dense = r.get_int("first_k_dense_replace", 0, false);
    moe.route_scale = r.get_number("routed_scaling_factor", 1.0);
    const std::string sf = r.get_string("scoring_func", "softmax");
    if (sf != "softmax" && sf != "sigmoid") r.bad("scoring_func", "\"softmax\" or \"sigmoid\"");
    moe.score_func = sf == "sigmoid" ? ScoreFunc::kSigmoid : ScoreFunc::kSoftmax;
    m.moe = moe;
  }
  m.dense_inter_dim = r.get_int("intermediate_size", 0, true);
  check_model(m, [&](const std::string& k, const std::string& msg) { r.fail(k, msg); });
  return m;
}

}  // namespace

ModelConfig read_model(const YAML::Node& node, const std::string& file, const std::string& kp) {
  const MappingReader r(
      node, file, kp,
      {key("name", ValueKind::kString, true), key("description", ValueKind::kString, false),
       at_most(key("n_layers", ValueKind::kPositiveInt, true,
                   {"num_hidden_layers", "num_layers", "layers"}),
               10000),
       at_most(key("hidden", ValueKind::kPositiveInt, true, {"hidden_size", "dim", "d_model"}),
               1000000),
       at_most(key("vocab", ValueKind::kPositiveInt, true, {"vocab_size"}), 10000000),
       at_most(key("n_heads", ValueKind::kPositiveInt, true, {"num_attention_heads", "heads"}),
               65536),
       key("attention", ValueKind::kEnum, true, {}, {"mha", "gqa", "mla"}),
       at_most(key("n_kv_heads", ValueKind::kPositiveInt, false, {"num_key_value_heads"}), 65536),
       at_most(key("head_dim", ValueKind::kPositiveInt, false), 65536),
       key("mla", ValueKind::kMapping, false),
       at_most(key("dense_inter_dim", ValueKind::kPositiveInt, false,
                   {"intermediate_size", "inter_dim", "ffn_hidden_size"}),
               10000000),
       key("moe", ValueKind::kMapping, false),
       at_most(key("mtp_depth", ValueKind::kNonNegativeInt, false, {"num_nextn_predict_layers"}),
               100),
       key("tie_embeddings", ValueKind::kBool, false, {"tie_word_embeddings"})});
  ModelConfig m;
  m.name = r.get_string("name");
  m.n_layers = r.get_int32("n_layers");
  m.hidden = r.get_int32("hidden");
  m.vocab = r.get_int32("vocab");
  m.n_heads = r.get_int32("n_heads");
  const std::string att = r.get_string("attention");
  if (att == "mla") {
    m.attention = AttentionKind::kMla;
    for (const char* unused : {"n_kv_heads", "head_dim"}) {
      if (r.has(unused)) {
        r.fail(unused, std::string("not used with attention: mla (MLA's head sizes are in 'mla'); "
                                   "remove it"));
      }
    }
    if (!r.has("mla")) {
      throw ConfigError(r.location(), "attention: mla needs an 'mla' mapping (kv_lora_rank, ...)");
    }
    m.mla = read_mla(r.node("mla"), file, r.path("mla"));
  } else {
    m.attention = att == "gqa" ? AttentionKind::kGqa : AttentionKind::kMha;
    if (r.has("mla")) r.fail("mla", "an 'mla' mapping needs attention: mla");
    if (m.attention == AttentionKind::kGqa && !r.has("n_kv_heads")) {
      throw ConfigError(r.location(), "attention: gqa needs n_kv_heads");
    }
    m.n_kv_heads = r.get_int32("n_kv_heads", m.n_heads);
    if (!r.has("head_dim") && m.hidden % m.n_heads != 0) {
      r.fail("n_heads", "no head_dim given and hidden " + std::to_string(m.hidden) +
                            " is not a multiple of " + std::to_string(m.n_heads) + " heads");
    }
    m.head_dim = r.get_int32("head_dim", m.hidden / m.n_heads);
  }
  m.dense_inter_dim = r.get_int32("dense_inter_dim", 0);
  if (r.has("moe")) m.moe = read_moe(r.node("moe"), file, r.path("moe"));
  m.mtp_depth = r.get_int32("mtp_depth", 0);
  m.tie_embeddings = r.get_bool("tie_embeddings", false);
  check_model(m, [&](const std::string& k, const std::string& msg) {
    if (r.has(k)) r.fail(k, msg);
    throw ConfigError(r.location(), r.path(k) + ": " + msg);
  });
  return m;
}

ModelConfig read_model_file(const fs::path& path) {
  if (path.extension() == ".json") return read_hf_config(path);
  return read_model(parse_yaml_file(path), path.string(), std::string());
}

}  // namespace config

ModelConfig load_model(const std::string& spec) {
  return config::read_model_file(
      config::resolve_data_file("models", "model", spec, {}, SourceLocation{}));
}

}  // namespace hopsim
