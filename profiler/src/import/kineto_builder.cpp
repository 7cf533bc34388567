#include "kineto_builder.hpp"

#include <cstdint>

#include "json_number.hpp"

namespace hopsim::profiler::import {

std::string KinetoEventBuilder::event_error(const KinetoEvent& ev, const std::string& msg) const {
  // Names are capped so that a hostile multi-megabyte name does not flood the message.
  return "event #" + std::to_string(stats_.events) + " ('" +
         (ev.name.size() > 80 ? ev.name.substr(0, 80) + "..." : ev.name) + "'): " + msg;
}

std::string KinetoEventBuilder::interval(const KinetoEvent& ev, Nanoseconds& start,
                                         Nanoseconds& end) const {
  if (!ev.has_ts) return event_error(ev, "missing 'ts'");
  if (!ev.has_dur) return event_error(ev, "missing 'dur'");
  std::int64_t ts = 0;
  std::int64_t dur = 0;
  if (!parse_us_to_ns(ev.ts, ts)) return event_error(ev, "'ts' " + ev.ts + " is out of range");
  if (!parse_us_to_ns(ev.dur, dur)) return event_error(ev, "'dur' " + ev.dur + " is out of range");
  if (ts < 0) return event_error(ev, "negative 'ts' " + ev.ts);
  if (dur < 0) return event_error(ev, "negative 'dur' " + ev.dur);
  if (ts > INT64_MAX - dur) return event_error(ev, "'ts' + 'dur' overflows 64-bit nanoseconds");
  start = Nanoseconds(ts);
  end = Nanoseconds(ts + dur);
  return {};
}

std::string KinetoEventBuilder::add_event(const KinetoEvent& ev) {
  ++stats_.events;
  if (ev.duplicate_key) {
    stats_.problems.record(Problem::kDuplicateKey,
                           [&] { return "byte " + std::to_string(ev.offset); });
    return {};
  }
  if (!ev.has_ph) return event_error(ev, "missing 'ph'");
  const std::string& ph = ev.ph;
  if (ph == "X") return add_complete(ev);
  if (ph == "s" || ph == "f" || ph == "t") {
    if (!ev.has_ts) return event_error(ev, "missing 'ts'");
    if (!ev.has_id) {
      skip("flow without integer id");
      return {};
    }
    std::int64_t ts = 0;
    if (!parse_us_to_ns(ev.ts, ts) || ts < 0) {
      return event_error(ev, "'ts' " + ev.ts + " is out of range");
    }
    trace::FlowEvent f;
    f.id = ev.id;
    f.phase = ph[0];
    f.category = ev.cat;
    f.pid = ev.pid;
    f.tid = ev.tid;
    f.ts = Nanoseconds(ts);
    sink_.add_flow(f);
    ++stats_.flows;
    return {};
  }
  if (ph == "M") {
    ++stats_.metadata;
    return {};
  }
  skip("ph=" + (ph.size() > 8 ? ph.substr(0, 8) : ph));
  return {};
}

std::string KinetoEventBuilder::add_complete(const KinetoEvent& ev) {
  if (!ev.has_cat) {
    skip("X without cat");
    return {};
  }
  if (!ev.has_name) return event_error(ev, "missing 'name'");
  const std::string& c = ev.cat;
  // Kineto's category names, and the capitalised ones of PyTorch before 2.0.
  const bool kernel = c == "kernel" || c == "Kernel";
  const bool memcpy = c == "gpu_memcpy" || c == "Memcpy";
  const bool memset = c == "gpu_memset" || c == "Memset";
  if (kernel || memcpy || memset) {
    trace::GpuActivity a;
    a.kind = kernel ? trace::ActivityKind::kKernel
                    : (memcpy ? trace::ActivityKind::kMemcpy : trace::ActivityKind::kMemset);
    if (auto err = interval(ev, a.start, a.end); !err.empty()) return err;
    a.device = ev.has_device ? ev.device : ev.pid;
    a.stream = ev.has_stream ? ev.stream : ev.tid;
    a.name = ev.name;
    a.correlation = ev.correlation;
    a.grid = ev.grid;
    a.block = ev.block;
    if (ev.bad_dims) {
      stats_.problems.record(Problem::kBadLaunchDims,
                             [&] { return "byte " + std::to_string(ev.offset); });
    }
    a.bytes = ev.bytes;
    sink_.add_activity(a);
    ++(kernel ? stats_.kernels : (memcpy ? stats_.memcpys : stats_.memsets));
    return {};
  }
  // A host-side record (runtime call, annotation): the event's interval, name, process, thread.
  const auto host_record = [&](auto& r) {
    r.name = ev.name;
    r.pid = ev.pid;
    r.tid = ev.tid;
    return interval(ev, r.start, r.end);
  };
  const bool runtime = c == "cuda_runtime" || c == "Runtime";
  const bool driver = c == "cuda_driver" || c == "Driver";
  if (runtime || driver) {
    trace::RuntimeCall r;
    if (auto err = host_record(r); !err.empty()) return err;
    r.driver = driver;
    r.correlation = ev.correlation;
    sink_.add_runtime(r);
    ++stats_.runtime_calls;
    return {};
  }
  trace::RangeSource src{};
  if (c == "user_annotation") {
    src = trace::RangeSource::kUserAnnotation;
  } else if (c == "gpu_user_annotation") {
    src = trace::RangeSource::kGpuUserAnnotation;
  } else if (c == "cpu_op" || c == "Operator") {
    src = trace::RangeSource::kCpuOp;
  } else {
    skip("cat=" + (c.size() > 40 ? c.substr(0, 40) : c));
    return {};
  }
  trace::Annotation a;
  if (auto err = host_record(a); !err.empty()) return err;
  a.source = src;
  sink_.add_annotation(a);
  ++stats_.annotations;
  return {};
}

void KinetoEventBuilder::add_device(const trace::DeviceInfo& d) {
  if (!device_ids_.insert(d.id).second) {
    stats_.problems.record(Problem::kDuplicateDevice,
                           [&] { return "deviceProperties id " + std::to_string(d.id); });
    return;
  }
  sink_.add_device(d);
  ++stats_.devices;
}

}  // namespace hopsim::profiler::import
