#include "kineto_parser.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "hopsim/profiler/trace/trace_error.hpp"
#include "json_number.hpp"

// RapidJSON reads whitespace and strings through these two templates; the generic versions take
// one Peek/Take/Put per byte. Explicit specialisations for WindowStream (the pattern RapidJSON
// itself uses for its in-memory streams) replace them with the stream's own loops.
namespace rapidjson {
template <>
inline void SkipWhitespace(hopsim::profiler::import::WindowStream& is) {
  is.skip_whitespace();
}
template <>
template <>
inline void GenericReader<UTF8<>, UTF8<>, CrtAllocator>::ScanCopyUnescapedString(
    hopsim::profiler::import::WindowStream& is, hopsim::profiler::import::WindowStream&) {
  is.copy_plain_run();
}
}  // namespace rapidjson

namespace hopsim::profiler::import {

using trace::TraceError;

namespace {

// The handler: a state machine over the SAX callbacks that fills one event, hands it to the
// builder at the event's closing brace and reuses it for the next. It checks JSON types (a
// string where a number belongs, ...); what an event means is the builder's business.

// The keys each modelled object has, in the order of its name table below: index 0 is kNone (no
// key yet), and kOther (a key the importer ignores) comes after the last name.
enum class TopKey {
  kNone,
  kTraceEvents,
  kDeviceProperties,
  kDisplayTimeUnit,
  kBaseTime,
  kDistributedInfo,
  kSchemaVersion,
  kOther
};
enum class EvKey { kNone, kPh, kCat, kName, kPid, kTid, kTs, kDur, kId, kArgs, kOther };
enum class ArgKey { kNone, kDevice, kStream, kCorrelation, kBytes, kGrid, kBlock, kOther };
enum class DevKey { kNone, kId, kName, kSms, kMem, kMajor, kMinor, kClock, kOther };

// Named by the key enum, which the callers give (an alias template deduces nothing).
template <class Key>
using KeyNames = std::array<std::string_view, static_cast<std::size_t>(Key::kOther)>;

constexpr KeyNames<TopKey> kTopKeys = {"",
                                       "traceEvents",
                                       "deviceProperties",
                                       "displayTimeUnit",
                                       "baseTimeNanoseconds",
                                       "distributedInfo",
                                       "schemaVersion"};
constexpr KeyNames<EvKey> kEvKeys = {"",    "ph", "cat", "name", "pid",
                                     "tid", "ts", "dur", "id",   "args"};
constexpr KeyNames<ArgKey> kArgKeys = {"",      "device", "stream", "correlation",
                                       "bytes", "grid",   "block"};
constexpr KeyNames<DevKey> kDevKeys = {
    "", "id", "name", "numSms", "totalGlobalMem", "computeMajor", "computeMinor", "clockRate"};

// Every key but kNone has a name: an empty one would match the key "".
template <class Key>
constexpr bool all_named(const KeyNames<Key>& names) {
  for (std::size_t i = 1; i < names.size(); ++i) {
    if (names[i].empty()) return false;
  }
  return true;
}
static_assert(all_named<TopKey>(kTopKeys) && all_named<EvKey>(kEvKeys) &&
              all_named<ArgKey>(kArgKeys) && all_named<DevKey>(kDevKeys));

// The key of an object of its kind that `k` names (kOther when none does).
template <class Key>
Key key_named(std::string_view k, const KeyNames<Key>& names) {
  for (std::size_t i = 1; i < names.size(); ++i) {
    if (names[i] == k) return static_cast<Key>(i);
  }
  return Key::kOther;
}

// The integer properties of a device, by DevKey (nullptr: not an integer, or not modelled).
constexpr std::array<std::int64_t trace::DeviceInfo::*, static_cast<std::size_t>(DevKey::kOther)>
    kDevInts = {nullptr,
                &trace::DeviceInfo::id,
                nullptr,
                &trace::DeviceInfo::sm_count,
                &trace::DeviceInfo::total_memory_bytes,
                &trace::DeviceInfo::compute_major,
                &trace::DeviceInfo::compute_minor,
                &trace::DeviceInfo::clock_khz};

class Handler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Handler> {
 public:
  Handler(KinetoEventBuilder& builder, const WindowStream& in, int max_depth)
      : builder_(builder), in_(in), max_depth_(max_depth) {}

  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] std::size_t error_offset() const { return error_offset_; }
  [[nodiscard]] bool saw_events() const { return saw_events_; }

  // Scalars -----------------------------------------------------------------------------------
  bool Null() { return scalar(Kind::kNull, {}); }
  bool Bool(bool b) { return scalar(Kind::kBool, b ? "true" : "false"); }
  bool RawNumber(const char*, rapidjson::SizeType len, bool) {
    // In-situ RawNumber pointers differ between RapidJSON releases (1.1.0 passes the end of the
    // number); the number's text is the `len` bytes just before the reader's position.
    return scalar(Kind::kNumber, {in_.position() - len, len});
  }
  bool String(const char* s, rapidjson::SizeType len, bool) {
    return scalar(Kind::kString, {s, len});
  }

  // Containers --------------------------------------------------------------------------------
  bool StartObject() {
    if (!enter()) return false;
    // depth_ is now the new object's depth; its parent is at depth_ - 1.
    const int parent = depth_ - 1;
    if (parent == 0) {
      top_is_object_ = true;
    } else if (parent == events_depth_) {
      ev_.reset(in_.Tell());
      in_event_ = true;
    } else if (in_event_ && parent == events_depth_ + 1 && ev_key_ == EvKey::kArgs) {
      in_args_ = true;
    } else if (parent == devices_depth_) {
      dev_ = {};
      in_device_ = true;
    } else if (parent == 1 && top_is_object_ && top_key_ == TopKey::kDistributedInfo) {
      in_dist_ = true;
    }
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType len, bool) {
    const std::string_view k(s, len);
    switch (inside()) {
      case Obj::kTop:
        top_key_ = key_named<TopKey>(k, kTopKeys);
        break;
      case Obj::kEvent:
        ev_key_ = key_named<EvKey>(k, kEvKeys);
        if (ev_key_ != EvKey::kOther) note_key(static_cast<unsigned>(ev_key_));
        break;
      case Obj::kArgs:
        arg_key_ = key_named<ArgKey>(k, kArgKeys);
        if (arg_key_ != ArgKey::kOther) note_key(16 + static_cast<unsigned>(arg_key_));
        break;
      case Obj::kDevice:
        dev_key_ = key_named<DevKey>(k, kDevKeys);
        break;
      case Obj::kDist:
        dist_key_.assign(k);
        break;
      case Obj::kNone:
        break;
    }
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    switch (inside()) {
      case Obj::kEvent:
        in_event_ = false;
        ev_key_ = EvKey::kNone;
        if (std::string err = builder_.add_event(ev_); !err.empty()) {
          return fail(ev_.offset, std::move(err));
        }
        break;
      case Obj::kArgs:
        in_args_ = false;
        arg_key_ = ArgKey::kNone;
        break;
      case Obj::kDevice:
        in_device_ = false;
        builder_.add_device(dev_);
        break;
      case Obj::kDist:
        in_dist_ = false;
        break;
      case Obj::kTop:
      case Obj::kNone:
        break;
    }
    --depth_;
    return true;
  }
  bool StartArray() {
    if (!enter()) return false;
    const int parent = depth_ - 1;
    if (parent == events_depth_) return fail(in_.Tell(), "traceEvents must hold objects");
    if (parent == 1 && top_is_object_ && top_key_ == TopKey::kTraceEvents && events_depth_ == -2) {
      return fail(in_.Tell(), "more than one 'traceEvents' array");
    }
    if (parent == 0) {
      // The Chrome trace "JSON Array Format": the whole file is the event array.
      events_depth_ = depth_;
      saw_events_ = true;
    } else if (parent == 1 && top_is_object_ && top_key_ == TopKey::kTraceEvents &&
               events_depth_ < 0) {
      events_depth_ = depth_;
      saw_events_ = true;
    } else if (parent == 1 && top_is_object_ && top_key_ == TopKey::kDeviceProperties &&
               devices_depth_ < 0) {
      devices_depth_ = depth_;
    } else if (in_args_ && parent == events_depth_ + 2 &&
               (arg_key_ == ArgKey::kGrid || arg_key_ == ArgKey::kBlock)) {
      dim_ = arg_key_ == ArgKey::kGrid ? &ev_.grid : &ev_.block;
      dim_index_ = 0;
      dim_bad_ = false;
    }
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    if (depth_ == events_depth_) events_depth_ = -2;  // one traceEvents array only
    if (depth_ == devices_depth_) devices_depth_ = -2;
    if (dim_ != nullptr && depth_ == events_depth_ + 3) {
      // Three positive sizes or nothing: a partial or negative launch shape is stored unknown.
      if (dim_bad_ || dim_index_ != 3) {
        *dim_ = {};
        ev_.bad_dims = true;
      }
      dim_ = nullptr;
    }
    --depth_;
    return true;
  }

 private:
  enum class Kind { kNull, kBool, kNumber, kString };

  bool enter() {
    if (++depth_ > max_depth_) {
      return fail(in_.Tell(), "JSON nested deeper than " + std::to_string(max_depth_) + " levels");
    }
    return true;
  }

  // The modelled object whose members the parser is reading at the current depth (kNone: some
  // other object or an array): the one place that ties each object to its depth.
  enum class Obj { kNone, kTop, kEvent, kArgs, kDevice, kDist };
  [[nodiscard]] Obj inside() const {
    if (depth_ == 1 && top_is_object_) return Obj::kTop;
    if (in_event_ && depth_ == events_depth_ + 1) return Obj::kEvent;
    if (in_args_ && depth_ == events_depth_ + 2) return Obj::kArgs;
    if (in_device_ && depth_ == devices_depth_ + 1) return Obj::kDevice;
    if (in_dist_ && depth_ == 2) return Obj::kDist;
    return Obj::kNone;
  }

  // A field named twice in one event leaves its meaning unknown; the builder drops the event.
  void note_key(unsigned bit) {
    const std::uint32_t mask = std::uint32_t{1} << bit;
    if ((ev_.seen_keys & mask) != 0) ev_.duplicate_key = true;
    ev_.seen_keys |= mask;
  }

  bool fail(std::size_t offset, std::string msg) {
    error_offset_ = offset;
    error_ = std::move(msg);
    return false;
  }
  bool want_int(Kind kind, std::string_view text, std::int64_t& out, const char* what) {
    if (kind != Kind::kNumber || !parse_int64(text, out)) {
      return fail(in_.Tell(), std::string("'") + what + "' must be an integer");
    }
    return true;
  }

  // An event's text field: stored and marked present.
  bool want_string(Kind kind, std::string_view text, std::string& out, bool& has,
                   const char* what) {
    if (kind != Kind::kString) {
      return fail(in_.Tell(), std::string("'") + what + "' must be a string");
    }
    out.assign(text);
    has = true;
    return true;
  }

  bool scalar(Kind kind, std::string_view text) {
    const int d = depth_;
    if (d == 0) return fail(in_.Tell(), "a trace must be a JSON object or array, not a scalar");
    if (d == events_depth_) return fail(in_.Tell(), "traceEvents must hold objects");
    if (dim_ != nullptr && d == events_depth_ + 3) {
      std::int64_t v = 0;
      if (!want_int(kind, text, v, "grid/block")) return false;
      if (v < 1) dim_bad_ = true;
      if (dim_index_ == 0) dim_->x = v;
      if (dim_index_ == 1) dim_->y = v;
      if (dim_index_ == 2) dim_->z = v;
      ++dim_index_;
      return true;
    }
    switch (inside()) {
      case Obj::kTop:
        return top_value(kind, text);
      case Obj::kEvent:
        return event_value(kind, text);
      case Obj::kArgs:
        return arg_value(kind, text);
      case Obj::kDevice:
        return device_value(kind, text);
      case Obj::kDist:
        if (dist_key_ == "rank" || dist_key_ == "world_size" || dist_key_ == "backend") {
          builder_.set_info(dist_key_, text);
        }
        return true;
      case Obj::kNone:
        return true;
    }
    return true;
  }

  // The value handlers take their keys in the enums' order; each returns whether parsing goes on.
  bool top_value(Kind kind, std::string_view text) {
    switch (top_key_) {
      case TopKey::kTraceEvents:
        return fail(in_.Tell(), "'traceEvents' must be an array");
      case TopKey::kDisplayTimeUnit:
        if (kind != Kind::kString) return fail(in_.Tell(), "'displayTimeUnit' must be a string");
        builder_.set_info("display_time_unit", text);
        return true;
      case TopKey::kBaseTime: {
        std::int64_t v = 0;
        if (!want_int(kind, text, v, "baseTimeNanoseconds")) return false;
        builder_.set_info("base_time_ns", text);
        return true;
      }
      case TopKey::kSchemaVersion:
        builder_.set_info("kineto_schema_version", text);
        return true;
      default:
        return true;
    }
  }

  bool event_value(Kind kind, std::string_view text) {
    switch (ev_key_) {
      case EvKey::kPh:
        return want_string(kind, text, ev_.ph, ev_.has_ph, "ph");
      case EvKey::kCat:
        return want_string(kind, text, ev_.cat, ev_.has_cat, "cat");
      case EvKey::kName:
        return want_string(kind, text, ev_.name, ev_.has_name, "name");
      case EvKey::kPid:
      case EvKey::kTid: {
        // Chrome traces allow string pids/tids (labels); they carry no device or stream.
        std::int64_t v = -1;
        if (kind == Kind::kNumber) {
          if (!want_int(kind, text, v, ev_key_ == EvKey::kPid ? "pid" : "tid")) return false;
        } else if (kind != Kind::kString) {
          return fail(in_.Tell(), "'pid'/'tid' must be a number or a string");
        }
        if (ev_key_ == EvKey::kPid) {
          ev_.pid = v;
          ev_.has_pid = true;
        } else {
          ev_.tid = v;
          ev_.has_tid = true;
        }
        return true;
      }
      case EvKey::kTs:
      case EvKey::kDur:
        if (kind != Kind::kNumber) {
          return fail(in_.Tell(),
                      ev_key_ == EvKey::kTs ? "'ts' must be a number" : "'dur' must be a number");
        }
        (ev_key_ == EvKey::kTs ? ev_.ts : ev_.dur).assign(text);
        (ev_key_ == EvKey::kTs ? ev_.has_ts : ev_.has_dur) = true;
        return true;
      case EvKey::kId:
        if (kind == Kind::kNumber && parse_int64(text, ev_.id)) ev_.has_id = true;
        return true;
      case EvKey::kArgs:
        return fail(in_.Tell(), "'args' must be an object");
      default:
        return true;
    }
  }

  bool arg_value(Kind kind, std::string_view text) {
    switch (arg_key_) {
      case ArgKey::kDevice:
        ev_.has_device = true;
        return want_int(kind, text, ev_.device, "args.device");
      case ArgKey::kStream:
        ev_.has_stream = true;
        return want_int(kind, text, ev_.stream, "args.stream");
      case ArgKey::kCorrelation:
        return want_int(kind, text, ev_.correlation, "args.correlation");
      case ArgKey::kBytes:
        return want_int(kind, text, ev_.bytes, "args.bytes");
      case ArgKey::kGrid:
      case ArgKey::kBlock:
        return fail(in_.Tell(), "args.grid/args.block must be arrays");
      default:
        return true;
    }
  }

  bool device_value(Kind kind, std::string_view text) {
    if (dev_key_ == DevKey::kName) {
      if (kind != Kind::kString) return fail(in_.Tell(), "deviceProperties.name must be a string");
      dev_.name.assign(text);
      return true;
    }
    if (dev_key_ == DevKey::kNone || dev_key_ == DevKey::kOther) return true;
    const auto i = static_cast<std::size_t>(dev_key_);
    const std::string what = "deviceProperties." + std::string(kDevKeys[i]);
    return want_int(kind, text, dev_.*kDevInts[i], what.c_str());
  }

  KinetoEventBuilder& builder_;
  const WindowStream& in_;
  int max_depth_;
  int depth_ = 0;
  bool top_is_object_ = false;
  TopKey top_key_ = TopKey::kNone;
  int events_depth_ = -1;
  int devices_depth_ = -1;
  bool saw_events_ = false;
  bool in_event_ = false;
  bool in_args_ = false;
  bool in_device_ = false;
  bool in_dist_ = false;
  EvKey ev_key_ = EvKey::kNone;
  ArgKey arg_key_ = ArgKey::kNone;
  DevKey dev_key_ = DevKey::kNone;
  std::string dist_key_;
  KinetoEvent ev_;
  trace::DeviceInfo dev_;
  trace::Dim3* dim_ = nullptr;
  int dim_index_ = 0;
  bool dim_bad_ = false;
  std::string error_;
  std::size_t error_offset_ = 0;
};

}  // namespace

void parse_kineto(WindowStream& in, KinetoEventBuilder& builder, const std::string& name,
                  int max_depth, const std::function<std::string()>& stream_error) {
  Handler h(builder, in, max_depth);
  rapidjson::Reader reader;
  // The recursive parser is safe here: the handler refuses nesting beyond max_depth at the
  // opening bracket, which stops the recursion there.
  // No kParseValidateEncodingFlag: the stream repairs UTF-8 (and RapidJSON's fast string
  // path runs only without it).
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag;
  const rapidjson::ParseResult ok = reader.Parse<kFlags>(in, h);
  if (in.invalid_utf8_replaced() > 0) {
    builder.problems().add(Problem::kInvalidUtf8, in.invalid_utf8_replaced(),
                           "byte " + std::to_string(in.first_invalid_utf8_at()));
  }
  const std::string stream_msg = stream_error ? stream_error() : std::string();
  if (!stream_msg.empty()) {
    throw TraceError(name, "byte " + std::to_string(in.bytes_read()) + " (uncompressed)",
                     stream_msg);
  }
  if (in.too_long()) {
    throw TraceError(name, "byte " + std::to_string(in.Tell()),
                     "a single JSON string or number longer than " +
                         std::to_string(in.max_window()) +
                         " bytes: not a trace (the importer's memory is bounded by that size)");
  }
  if (!ok && !h.error().empty()) {
    throw TraceError(name, "byte " + std::to_string(h.error_offset()), h.error());
  }
  if (!ok) {
    throw TraceError(name, "byte " + std::to_string(ok.Offset()),
                     std::string("invalid JSON: ") + rapidjson::GetParseError_En(ok.Code()));
  }
  if (!h.saw_events()) throw TraceError(name, "", "no 'traceEvents' array: not a Kineto trace");
}

}  // namespace hopsim::profiler::import
