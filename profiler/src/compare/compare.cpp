#include "hopsim/profiler/compare/compare.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "hopsim/core/error.hpp"
#include "hopsim/core/format.hpp"
#include "hopsim/core/trace/chrome_trace_writer.hpp"
#include "hopsim/profiler/compare/aligned_timeline.hpp"

namespace hopsim::profiler::compare {

double Row::error() const {
  if (measured.value() == 0) return 0.0;
  return static_cast<double>(predicted.value() - measured.value()) /
         static_cast<double>(measured.value());
}

namespace {

//! The model token of a GPU name ("NVIDIA H800" -> "H800", "A100-PG509-200" -> "A100"): a
//! letter followed by three digits; empty when the name has none.
std::string gpu_model(std::string_view name) {
  for (std::size_t i = 0; i + 4 <= name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!letter || (i > 0 && std::isalnum(static_cast<unsigned char>(name[i - 1])) != 0)) continue;
    bool digits = true;
    for (std::size_t k = 1; k <= 3; ++k) {
      digits = digits && std::isdigit(static_cast<unsigned char>(name[i + k])) != 0;
    }
    if (!digits) continue;
    if (i + 4 < name.size() && std::isdigit(static_cast<unsigned char>(name[i + 4])) != 0) continue;
    std::string m(name.substr(i, 4));
    m[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(m[0])));
    return m;
  }
  return {};
}

std::string percent(double x) {
  return fmt("%.0f%%", 100.0 * x);
}

//! What the scenario says that the trace contradicts, and what the measured side fell back on.
std::vector<std::string> mismatches(const Scenario& sc, const summary::TraceSummary& s,
                                    std::int64_t stepped) {
  std::vector<std::string> w;
  const auto active = [&](const trace::DeviceInfo& d) {
    return std::binary_search(s.active_devices.begin(), s.active_devices.end(), d.id);
  };
  for (const auto& d : s.devices) {
    if (!active(d)) continue;
    const std::string traced = gpu_model(d.name);
    const std::string planned = gpu_model(sc.cluster.gpu.name);
    if (!traced.empty() && !planned.empty() && traced != planned) {
      w.push_back("the trace ran on " + printable(d.name) + " (device " + std::to_string(d.id) +
                  ") but the scenario describes " + sc.cluster.gpu.name);
    }
    if (d.sm_count > 0 && d.sm_count != sc.cluster.gpu.sms) {
      w.push_back("device " + std::to_string(d.id) + " has " + std::to_string(d.sm_count) +
                  " SMs; the scenario's GPU has " + std::to_string(sc.cluster.gpu.sms));
    }
  }
  const auto ws = s.provenance.find("world_size");
  if (ws != s.provenance.end()) {
    std::int64_t world = 0;
    const auto* b = ws->second.data();
    if (std::from_chars(b, b + ws->second.size(), world).ec == std::errc{} && world > 0 &&
        world != sc.cluster.num_gpus()) {
      w.push_back("the traced job had " + std::to_string(world) +
                  (world == 1 ? " rank" : " ranks") + "; the scenario has " +
                  std::to_string(sc.cluster.num_gpus()) + " GPUs");
    }
  }
  const auto listed = static_cast<std::int64_t>(s.devices.size());
  const auto busy = static_cast<std::int64_t>(s.active_devices.size());
  if (listed > busy && busy > 0) {
    w.push_back("the trace lists " + std::to_string(listed) + " devices, " + std::to_string(busy) +
                " with GPU activity: per-GPU figures are over " + std::to_string(busy));
  }
  if (!s.steps.empty() && stepped == 0) {
    w.push_back(
        "no GPU activity could be tied to a ProfilerStep range (no launch correlation): "
        "the whole trace is measured as one step");
  } else if (stepped > 0 && s.step_time.mean_ns > 0 &&
             s.step_time.mean_ns < 0.95 * s.step_gpu_span.mean_ns) {
    w.push_back("ProfilerStep host ranges are " +
                percent(1.0 - s.step_time.mean_ns / s.step_gpu_span.mean_ns) +
                " shorter than the GPU work they launched: the step is measured on the GPU");
  }
  return w;
}

// Measured per component: annotation rows of activities launched inside steps (all of them
// when the trace has no steps) whose name the map knows. Unmapped annotations go to a warning.
std::map<std::string, Nanoseconds> measured_components(const summary::TraceSummary& s, bool stepped,
                                                       const attribute::ComponentMap& map,
                                                       std::vector<std::string>& warnings) {
  std::map<std::string, Nanoseconds> out;
  std::map<std::string, Nanoseconds> unmapped;
  for (const auto& a : stepped ? s.step_annotations : s.annotations) {
    const auto c = map.component_of(a.name);
    (c ? out[*c] : unmapped[a.name]) += a.total;
  }
  if (s.phase_ranges == 0) {
    warnings.push_back("the trace has no user annotations: no per-component comparison");
  } else if (out.empty()) {
    warnings.push_back("no annotation name maps to a component (" +
                       std::to_string(unmapped.size()) +
                       " names; see --components): no per-component comparison");
  } else if (!unmapped.empty()) {
    Nanoseconds left{0};
    for (const auto& [n, v] : unmapped) left += v;
    warnings.push_back(std::to_string(unmapped.size()) +
                       (unmapped.size() == 1 ? " annotation name maps" : " annotation names map") +
                       " to no component (" +
                       std::to_string(static_cast<long long>(std::llround(to_ms(left)))) +
                       " ms of GPU time left out of the component table)");
  }
  return out;
}

}  // namespace

std::string kernel_group(std::string_view k, const classify::KernelClassifier& classifier) {
  const auto ends_with = [&](std::string_view suffix) {
    return k.size() >= suffix.size() && k.substr(k.size() - suffix.size()) == suffix;
  };
  if (classifier.is_communication(k) || k.substr(0, 7) == "deepep_") return "communication";
  if (ends_with("_gemm") || k == "gemm" || k == "conv") return "gemm";
  if (k.substr(0, 9) == "attention") return "attention";
  if (k == "memcpy" || k == "memset" || k == "other") return "copy_and_other";
  if (k == sim::kLaunchGaps) return sim::kLaunchGaps;  // between kernels, no kind of work
  return "memory_bound";  // elementwise, norm, casts, transposes, routing, permutes
}

Comparison compare(const Scenario& sc, const trace::Trace& measured,
                   const classify::KernelClassifier& classifier, const std::string& trace_file,
                   const sim::RunOptions& options, const attribute::ComponentMap* components,
                   int rank) {
  if (rank < -1 || rank >= sc.plan.pp) {
    throw ConfigError({}, "--rank " + std::to_string(rank) +
                              ": the scenario has pipeline ranks 0.." +
                              std::to_string(sc.plan.pp - 1) + " (or -1 for their mean)");
  }
  Comparison c;
  c.scenario = sc.name;
  c.trace_file = trace_file;
  c.cost_model = options.cost ? options.cost->source
                              : std::string("uncalibrated defaults (docs/COST_MODEL.md)");
  const summary::TraceSummary s = summary::summarize(measured, classifier);
  std::int64_t stepped = 0;
  for (const auto& st : s.steps) stepped += st.activities > 0 ? 1 : 0;
  c.measured_steps = stepped;
  c.measured_devices =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(s.active_devices.size()));
  c.listed_devices = static_cast<std::int64_t>(s.devices.size());
  c.rank = rank;
  c.host_step = Nanoseconds(static_cast<std::int64_t>(std::llround(s.step_time.mean_ns)));
  c.warnings = mismatches(sc, s, stepped);
  const std::int64_t per = std::max<std::int64_t>(1, stepped) * c.measured_devices;

  std::map<std::string, Row> rows;
  for (const auto& ct : stepped > 0 ? s.step_classes : s.classes) {
    Row& r = rows[ct.klass];
    r.what = ct.klass;
    r.measured = Nanoseconds(ct.total.value() / per);
  }
  // The launch gaps: the model charges launch_overhead before each kernel; a trace shows it as
  // the gap before each kernel that waited in a compute stream's queue (trace summary).
  Nanoseconds gaps = s.step_compute_queued_gap_total;
  for (const auto& d : s.device_time) {
    if (stepped == 0) gaps += d.compute_queued_gap_total;
    if (d.compute_queued_gap.count > c.queued_kernels) {
      c.queued_kernels = d.compute_queued_gap.count;
      c.queued_gap_p50_ns = d.compute_queued_gap.p50_ns;
    }
  }
  if (gaps.value() > 0) {
    rows[sim::kLaunchGaps].what = sim::kLaunchGaps;
    rows[sim::kLaunchGaps].measured = Nanoseconds(gaps.value() / per);
  }
  for (const auto& [klass, t] : sim::predicted_class_times(sc, options, rank)) {
    Row& r = rows[klass];
    r.what = klass;
    r.predicted = t;
  }
  for (auto& [k, r] : rows) c.classes.push_back(r);
  std::sort(c.classes.begin(), c.classes.end(), [](const Row& a, const Row& b) {
    return a.measured != b.measured ? a.measured > b.measured : a.what < b.what;
  });
  double weighted = 0, weight = 0;
  for (const Row& r : c.classes) {
    if (r.measured.value() > 0 && r.predicted.value() > 0) {
      weighted += std::abs(r.error()) * static_cast<double>(r.measured.value());
      weight += static_cast<double>(r.measured.value());
    }
  }
  c.mean_abs_class_error = weight > 0 ? weighted / weight : 0.0;
  std::map<std::string, Row> by_group;
  for (const Row& r : c.classes) {
    Row& g = by_group[kernel_group(r.what, classifier)];
    g.predicted += r.predicted;
    g.measured += r.measured;
  }
  for (const char* name :
       {"gemm", "attention", "memory_bound", "communication", "copy_and_other", sim::kLaunchGaps}) {
    const auto it = by_group.find(name);
    if (it == by_group.end()) continue;
    c.groups.push_back(it->second);
    c.groups.back().what = name;
  }

  if (components != nullptr) {
    const auto measured_c = measured_components(s, stepped > 0, *components, c.warnings);
    if (!measured_c.empty()) {
      std::map<std::string, Row> crow;
      for (const auto& [k, v] : measured_c) {
        crow[k].what = k;
        crow[k].measured = Nanoseconds(v.value() / per);
      }
      for (const auto& [k, v] : sim::predicted_component_times(sc, options, rank)) {
        crow[k].what = k;
        crow[k].predicted = v;
      }
      // In the order run --json lists them.
      for (const auto& name : attribute::component_names()) {
        const auto it = crow.find(name);
        if (it != crow.end()) c.components.push_back(it->second);
      }
    }
  }

  c.step.what = "step";
  c.step.predicted = sim::run_scenario(sc, options).step_time;
  c.step.measured =
      stepped > 0 ? Nanoseconds(static_cast<std::int64_t>(std::llround(s.step_gpu_span.mean_ns)))
                  : s.gpu_span;
  return c;
}

namespace {
std::string ms(Nanoseconds t) {
  return fmt("%.3f", to_ms(t));
}
std::string err(const Row& r) {
  if (r.measured.value() == 0) return r.predicted.value() == 0 ? "-" : "not measured";
  if (r.predicted.value() == 0) return "not predicted";
  return fmt("%+.1f%%", 100.0 * r.error());
}
}  // namespace

void print_text(std::ostream& out, const Comparison& c) {
  out << "predicted (" << c.scenario << ") vs measured (" << printable(c.trace_file) << ": "
      << c.measured_steps << " steps, " << c.measured_devices << " device(s) with activity)\n";
  for (const auto& w : c.warnings) out << "warning: " << w << "\n";
  out << "cost model: " << printable(c.cost_model) << "\n";
  out << "GPU time per step per GPU, ms, predicted for "
      << (c.rank >= 0 ? "pipeline rank " + std::to_string(c.rank)
                      : std::string("the mean pipeline rank"))
      << "; the step is the GPU span of a step's work";
  if (c.host_step.value() > 0) out << " (host ProfilerStep range " << ms(c.host_step) << " ms)";
  out << "\n\n";
  // Class and component names come from rule files users write: printable() keeps control
  // characters off the terminal, and the column is as wide as the widest name of either table.
  std::size_t w = 20;
  for (const auto* rows : {&c.classes, &c.components}) {
    for (const Row& r : *rows) w = std::max(w, printable(r.what).size());
  }
  auto line = [&](const std::string& name, const std::string& b, const std::string& m,
                  const std::string& e) {
    const std::string a = printable(name);
    out << a << std::string(w - a.size() + 2, ' ');
    for (const auto* cell : {&b, &m, &e}) {
      out << std::string(cell->size() < 14 ? 14 - cell->size() : 1, ' ') << *cell;
    }
    out << "\n";
  };
  line("kernel class", "predicted", "measured", "error");
  out << std::string(w + 2 + 42, '-') << "\n";
  for (const Row& r : c.classes) line(r.what, ms(r.predicted), ms(r.measured), err(r));
  out << std::string(w + 2 + 42, '-') << "\n";
  line("step (end to end)", ms(c.step.predicted), ms(c.step.measured), err(c.step));
  out << "\nby kind of work (the classes above summed)\n\n";
  line("kernel group", "predicted", "measured", "error");
  out << std::string(w + 2 + 42, '-') << "\n";
  for (const Row& r : c.groups) line(r.what, ms(r.predicted), ms(r.measured), err(r));
  if (!c.components.empty()) {
    out << "\nby component (annotations mapped by --components), ms per step per GPU\n\n";
    line("component", "predicted", "measured", "error");
    out << std::string(w + 2 + 42, '-') << "\n";
    for (const Row& r : c.components) line(r.what, ms(r.predicted), ms(r.measured), err(r));
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * c.mean_abs_class_error);
  out << "\ntime-weighted mean |error| over classes both sides have: " << buf << "\n";
}

std::string to_json(const Comparison& c) {
  nlohmann::ordered_json j;
  j["scenario"] = c.scenario;
  j["trace"] = c.trace_file;
  j["measured_steps"] = c.measured_steps;
  j["measured_devices"] = c.measured_devices;
  j["listed_devices"] = c.listed_devices;
  j["rank"] = c.rank;
  j["host_step_ns"] = c.host_step.value();
  j["cost_model"] = c.cost_model;
  j["warnings"] = c.warnings;
  auto row = [](const Row& r) {
    return nlohmann::ordered_json{{"what", r.what},
                                  {"predicted_ns", r.predicted.value()},
                                  {"measured_ns", r.measured.value()},
                                  {"error", r.error()}};
  };
  for (const Row& r : c.classes) j["classes"].push_back(row(r));
  j["groups"] = nlohmann::ordered_json::array();
  for (const Row& r : c.groups) j["groups"].push_back(row(r));
  j["components"] = nlohmann::ordered_json::array();
  for (const Row& r : c.components) j["components"].push_back(row(r));
  j["step"] = row(c.step);
  j["mean_abs_class_error"] = c.mean_abs_class_error;
  return j.dump(2);
}

void write_combined_trace(std::ostream& out, const Scenario& sc, const trace::Trace& measured,
                          const sim::RunOptions& options) {
  // The predicted timeline goes through the runner's own writer into a buffer; its events are
  // copied under "predicted" process names, then the measured activities follow.
  std::ostringstream predicted;
  sim::RunOptions o = options;
  o.trace = &predicted;
  (void)sim::run_scenario(sc, o);
  const auto doc = nlohmann::json::parse(predicted.str());
  ChromeTraceWriter w(out);
  for (const auto& e : doc.at("traceEvents")) {
    const int pid = e.value("pid", 0);
    const std::string ph = e.value("ph", "");
    if (ph == "M") {
      if (e.value("name", "") == "process_name") {
        w.process_name(pid, "predicted: " + e["args"].value("name", ""));
      } else {
        w.thread_name(pid, e.value("tid", 0), e["args"].value("name", ""));
      }
    } else if (ph == "X") {
      const auto to_ns = [](double us) { return Nanoseconds(std::llround(us * 1000.0)); };
      w.complete(pid, e.value("tid", 0), e.value("name", ""), e.value("cat", ""),
                 to_ns(e.value("ts", 0.0)), to_ns(e.value("dur", 0.0)));
    }
  }
  const std::int64_t t0 = measured_origin(measured).value();
  constexpr int kMeasuredPid = 10000;
  std::map<std::int64_t, bool> named;
  for (const auto& a : measured.activities) {
    const int pid = kMeasuredPid + static_cast<int>(a.device);
    if (!named[a.device]) {
      w.process_name(pid, "measured: device " + std::to_string(a.device));
      named[a.device] = true;
    }
    w.complete(pid, static_cast<int>(a.stream), a.name, std::string(trace::to_string(a.kind)),
               Nanoseconds(a.start.value() - t0), a.end - a.start);
  }
  w.finish();
}

}  // namespace hopsim::profiler::compare
