#include "hopsim/profiler/summary/summary.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <unordered_map>

#include "hopsim/core/format.hpp"
#include "hopsim/profiler/import/import_problems.hpp"

namespace hopsim::profiler::summary {

namespace {

using Interval = std::pair<std::int64_t, std::int64_t>;

// Merges in place: a 300 MB trace holds a quarter of a million intervals, and a second vector
// for the answer was a measurable part of the summary's peak memory.
std::vector<Interval> merged(std::vector<Interval> iv) {
  std::sort(iv.begin(), iv.end());
  std::size_t n = 0;  // iv[0, n) is the merged prefix
  for (const auto& [s, e] : iv) {
    if (e <= s) continue;
    if (n > 0 && s <= iv[n - 1].second) {
      iv[n - 1].second = std::max(iv[n - 1].second, e);
    } else {
      iv[n++] = {s, e};
    }
  }
  iv.resize(n);
  return iv;
}

std::int64_t length(const std::vector<Interval>& m) {
  std::int64_t t = 0;
  for (const auto& [s, e] : m) t += e - s;
  return t;
}

// Both inputs merged (sorted, disjoint).
std::int64_t intersection_length(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  std::int64_t t = 0;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    const auto lo = std::max(a[i].first, b[j].first);
    const auto hi = std::min(a[i].second, b[j].second);
    if (hi > lo) t += hi - lo;
    if (a[i].second < b[j].second) {
      ++i;
    } else {
      ++j;
    }
  }
  return t;
}

Distribution distribution(const std::vector<double>& v) {
  Distribution d;
  d.count = static_cast<std::int64_t>(v.size());
  if (v.empty()) return d;
  double sum = 0;
  for (double x : v) sum += x;
  d.mean_ns = sum / static_cast<double>(v.size());
  d.p50_ns = percentile(v, 0.50);
  d.p95_ns = percentile(v, 0.95);
  return d;
}

bool step_number(std::string_view name, std::int64_t& n) {
  constexpr std::string_view kPrefix = "ProfilerStep#";
  if (!name.starts_with(kPrefix)) return false;
  const auto rest = name.substr(kPrefix.size());
  if (rest.empty()) return false;
  const auto* end = rest.data() + rest.size();
  const auto r = std::from_chars(rest.data(), end, n);
  return r.ec == std::errc() && r.ptr == end;
}

}  // namespace

std::string_view to_string(StreamRole r) {
  return r == StreamRole::kCommunication ? "communication" : "compute";
}

std::pair<std::pair<std::int64_t, std::int64_t>, StreamRole> parse_stream_role(
    std::string_view text) {
  const auto bad = [&] {
    return std::invalid_argument("--stream-role '" + printable(text) +
                                 "': expected DEVICE:STREAM=comm or DEVICE:STREAM=compute "
                                 "(e.g. 0:40=comm)");
  };
  const auto colon = text.find(':');
  const auto eq = text.find('=');
  if (colon == std::string_view::npos || eq == std::string_view::npos || eq < colon) throw bad();
  auto number = [&](std::string_view part) {
    std::int64_t v = 0;
    const auto r = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || r.ec != std::errc() || r.ptr != part.data() + part.size()) throw bad();
    return v;
  };
  const std::int64_t device = number(text.substr(0, colon));
  const std::int64_t stream = number(text.substr(colon + 1, eq - colon - 1));
  const std::string_view role = text.substr(eq + 1);
  if (role == "comm" || role == "communication") {
    return {{device, stream}, StreamRole::kCommunication};
  }
  if (role == "compute") return {{device, stream}, StreamRole::kCompute};
  throw bad();
}

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

Nanoseconds union_length(std::vector<Interval> iv) {
  return Nanoseconds(length(merged(std::move(iv))));
}

TraceSummary summarize(const trace::Trace& t, const classify::KernelClassifier& c,
                       const SummaryOptions& opt) {
  TraceSummary s;
  s.provenance = t.provenance;
  s.problems = t.problems;
  s.devices = t.devices;

  // Classify each distinct name once.
  std::unordered_map<std::string_view, std::string> class_of_name;
  std::vector<const std::string*> klass(t.activities.size());
  std::map<std::string, ClassTime> by_class;
  std::unordered_map<std::string_view, KernelTotal> by_name;
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<Interval>> stream_iv;
  std::map<std::int64_t, std::vector<Interval>> comm_iv;
  std::map<std::int64_t, std::vector<Interval>> compute_iv;
  // Per (device, stream): kernel time in communication classes, all kernel time.
  std::map<std::pair<std::int64_t, std::int64_t>, std::pair<std::int64_t, std::int64_t>>
      stream_kernel_time;
  std::int64_t first = INT64_MAX;
  std::int64_t last = INT64_MIN;

  for (std::size_t i = 0; i < t.activities.size(); ++i) {
    const auto& a = t.activities[i];
    std::string cls;
    if (a.kind == trace::ActivityKind::kKernel) {
      ++s.kernels;
      auto it = class_of_name.find(a.name);
      if (it == class_of_name.end())
        it = class_of_name.emplace(a.name, c.classify(a.kind, a.name)).first;
      cls = it->second;
    } else {
      ++(a.kind == trace::ActivityKind::kMemcpy ? s.memcpys : s.memsets);
      cls = c.classify(a.kind, a.name);
    }
    const std::int64_t dur = a.end.value() - a.start.value();
    s.activity_time += Nanoseconds(dur);
    first = std::min(first, a.start.value());
    last = std::max(last, a.end.value());
    auto& ct = by_class[cls];
    ct.klass = cls;
    ++ct.count;
    ct.total += Nanoseconds(dur);
    klass[i] = &ct.klass;
    if (a.kind == trace::ActivityKind::kKernel) {
      auto& kt = by_name[a.name];
      if (kt.count == 0) {
        kt.name = std::string(a.name);
        kt.klass = cls;
      }
      ++kt.count;
      kt.total += Nanoseconds(dur);
    }
    stream_iv[{a.device, a.stream}].emplace_back(a.start.value(), a.end.value());
    if (a.kind == trace::ActivityKind::kKernel) {
      auto& [comm_ns, kernel_ns] = stream_kernel_time[{a.device, a.stream}];
      kernel_ns += dur;
      if (c.is_communication(cls)) comm_ns += dur;
    }
  }
  // Stream roles, then communication and compute by kernel class and stream role.
  std::map<std::pair<std::int64_t, std::int64_t>, StreamRole> role;
  for (const auto& [key, times] : stream_kernel_time) {
    const double comm_share =
        times.second > 0 ? static_cast<double>(times.first) / static_cast<double>(times.second) : 0;
    role[key] = comm_share >= kCommStreamShare ? StreamRole::kCommunication : StreamRole::kCompute;
  }
  for (const auto& [key, r] : opt.roles) role[key] = r;
  for (std::size_t i = 0; i < t.activities.size(); ++i) {
    const auto& a = t.activities[i];
    if (a.kind != trace::ActivityKind::kKernel) continue;
    const auto it = role.find({a.device, a.stream});
    const bool comm = c.is_communication(*klass[i]) ||
                      (it != role.end() && it->second == StreamRole::kCommunication);
    (comm ? comm_iv : compute_iv)[a.device].emplace_back(a.start.value(), a.end.value());
  }
  if (!t.activities.empty()) s.gpu_span = Nanoseconds(last - first);
  for (const auto& [key, iv] : stream_iv) {
    if (s.active_devices.empty() || s.active_devices.back() != key.first) {
      s.active_devices.push_back(key.first);  // stream_iv is ordered by (device, stream)
    }
  }
  const double total = static_cast<double>(s.activity_time.value());
  auto share = [total](Nanoseconds x) {
    return total > 0 ? static_cast<double>(x.value()) / total : 0.0;
  };

  for (auto& [name, ct] : by_class) {
    ct.share = share(ct.total);
    s.classes.push_back(ct);
  }
  auto by_time = [](const auto& a, const auto& b) {
    return a.total != b.total ? a.total > b.total : a.klass < b.klass;
  };
  std::sort(s.classes.begin(), s.classes.end(), by_time);

  for (auto& [key, iv] : stream_iv) {
    StreamBusy b;
    b.device = key.first;
    b.stream = key.second;
    b.activities = static_cast<std::int64_t>(iv.size());
    b.busy = Nanoseconds(length(merged(iv)));
    const auto kt = stream_kernel_time.find(key);
    if (kt != stream_kernel_time.end() && kt->second.second > 0) {
      b.comm_share = static_cast<double>(kt->second.first) / static_cast<double>(kt->second.second);
    }
    const auto r = role.find(key);
    b.role = r != role.end() ? r->second : StreamRole::kCompute;
    b.role_overridden = opt.roles.count(key) > 0;
    s.streams.push_back(b);
  }

  std::vector<KernelTotal> names;
  names.reserve(by_name.size());
  for (auto& [n, kt] : by_name) {
    kt.share = share(kt.total);
    names.push_back(kt);
  }
  std::sort(names.begin(), names.end(), [](const KernelTotal& a, const KernelTotal& b) {
    return a.total != b.total ? a.total > b.total : a.name < b.name;
  });
  for (const auto& kt : names) {
    if (s.top_kernels.size() < opt.top_n) s.top_kernels.push_back(kt);
    if (kt.klass == classify::kOtherClass) {
      s.unknown_share += kt.share;
      if (s.unknown_kernels.size() < opt.unknown_n) s.unknown_kernels.push_back(kt);
    }
  }

  // Overlap per device.
  std::map<std::int64_t, bool> devices;
  for (const auto& [d, iv] : comm_iv) devices[d] = true;
  for (const auto& [d, iv] : compute_iv) devices[d] = true;
  s.overlap.device = -1;
  for (const auto& [d, unused] : devices) {
    // Not needed after this: moved, so their memory goes as each device is done.
    const auto cm = merged(std::move(comm_iv[d]));
    const auto cp = merged(std::move(compute_iv[d]));
    Overlap o;
    o.device = d;
    o.comm = Nanoseconds(length(cm));
    o.compute = Nanoseconds(length(cp));
    o.overlapped = Nanoseconds(intersection_length(cm, cp));
    o.exposed = o.comm - o.overlapped;
    o.fraction = o.comm.value() > 0 ? o.overlapped / o.comm : 0.0;
    s.overlap.comm += o.comm;
    s.overlap.compute += o.compute;
    s.overlap.overlapped += o.overlapped;
    s.overlap.exposed += o.exposed;
    s.overlap_per_device.push_back(o);
  }
  s.overlap.fraction = s.overlap.comm.value() > 0 ? s.overlap.overlapped / s.overlap.comm : 0.0;

  // Steps: ProfilerStep#N host ranges; an activity belongs to the step whose range holds the
  // start of the runtime call that launched it (same process).
  std::vector<const trace::Annotation*> step_ranges;
  for (const auto& a : t.annotations) {
    std::int64_t n = 0;
    if ((a.source == trace::RangeSource::kUserAnnotation ||
         a.source == trace::RangeSource::kNvtx) &&
        step_number(a.name, n)) {
      step_ranges.push_back(&a);
      StepSummary st;
      st.name = std::string(a.name);
      st.number = n;
      st.start = a.start;
      st.duration = a.end - a.start;
      s.steps.push_back(st);
    }
  }
  std::vector<std::size_t> order(s.steps.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return s.steps[a].start != s.steps[b].start ? s.steps[a].start < s.steps[b].start : a < b;
  });
  {
    std::vector<StepSummary> sorted;
    std::vector<const trace::Annotation*> sorted_ranges;
    for (auto i : order) {
      sorted.push_back(s.steps[i]);
      sorted_ranges.push_back(step_ranges[i]);
    }
    s.steps = std::move(sorted);
    step_ranges = std::move(sorted_ranges);
  }
  std::vector<bool> counted(t.activities.size(), false);  // launched inside a step
  if (!s.steps.empty()) {
    std::vector<std::pair<std::int64_t, std::int64_t>> span(s.steps.size(), {INT64_MAX, INT64_MIN});
    std::map<std::string, ClassTime> in_steps;
    for (const auto& l : t.links) {
      if (counted[l.activity_index]) continue;
      const auto& r = t.runtime[l.runtime_index];
      for (std::size_t k = 0; k < step_ranges.size(); ++k) {
        const auto* sr = step_ranges[k];
        if (sr->pid == r.pid && r.start >= sr->start && r.start < sr->end) {
          const auto& a = t.activities[l.activity_index];
          auto& st = s.steps[k];
          ++st.activities;
          st.gpu_time += a.end - a.start;
          if (c.is_communication(*klass[l.activity_index])) st.comm_time += a.end - a.start;
          span[k].first = std::min(span[k].first, a.start.value());
          span[k].second = std::max(span[k].second, a.end.value());
          ClassTime& ct = in_steps[*klass[l.activity_index]];
          ct.klass = *klass[l.activity_index];
          ++ct.count;
          ct.total += a.end - a.start;
          counted[l.activity_index] = true;
          break;
        }
      }
    }
    std::vector<double> dur;
    std::vector<double> gpu;
    std::vector<double> gpu_span;
    for (std::size_t k = 0; k < s.steps.size(); ++k) {
      auto& st = s.steps[k];
      if (st.activities > 0) {
        st.gpu_span = Nanoseconds(span[k].second - span[k].first);
        st.gpu_start = Nanoseconds(span[k].first);
        gpu_span.push_back(static_cast<double>(st.gpu_span.value()));
      }
      dur.push_back(static_cast<double>(st.duration.value()));
      gpu.push_back(static_cast<double>(st.gpu_time.value()));
    }
    s.step_time = distribution(dur);
    s.step_gpu_time = distribution(gpu);
    s.step_gpu_span = distribution(gpu_span);
    Nanoseconds stepped{0};
    for (const auto& [name, ct] : in_steps) stepped += ct.total;
    for (auto& [name, ct] : in_steps) {
      ct.share = stepped.value() > 0 ? ct.total / stepped : 0.0;
      s.step_classes.push_back(ct);
    }
    std::sort(s.step_classes.begin(), s.step_classes.end(),
              [](const ClassTime& a, const ClassTime& b) {
                return a.total != b.total ? a.total > b.total : a.klass < b.klass;
              });
  }
  // Per-device time, launches and queues.
  {
    // Every activity of a device: its streams' intervals (stream_iv is keyed by device first).
    // stream_iv is not needed after this: its intervals move over, stream by stream.
    std::map<std::int64_t, std::vector<Interval>> all_iv;
    for (auto& [key, iv] : stream_iv) {
      auto& d = all_iv[key.first];
      if (d.empty()) {
        d = std::move(iv);
      } else {
        d.insert(d.end(), iv.begin(), iv.end());
        std::vector<Interval>().swap(iv);
      }
    }
    // The compute union is the overlap's (devices that ran only copies have none).
    std::map<std::int64_t, Nanoseconds> compute_of;
    for (const auto& o : s.overlap_per_device) compute_of[o.device] = o.compute;
    std::map<std::int64_t, std::vector<double>> delays;
    std::map<std::int64_t, std::int64_t> short_kernels;
    // Queue length: each kernel enters at its launch and leaves at its end.
    std::map<std::int64_t, std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>>>
        enter_leave;
    std::vector<bool> linked(t.activities.size(), false);
    // The end of each kernel's launch call (-1: none), for the queued gaps below.
    std::vector<std::int64_t> launch_end(t.activities.size(), -1);
    for (const auto& l : t.links) {
      const auto& a = t.activities[l.activity_index];
      if (a.kind != trace::ActivityKind::kKernel || linked[l.activity_index]) continue;
      linked[l.activity_index] = true;  // the first launch of an activity, as attribution does
      const auto& r = t.runtime[l.runtime_index];
      launch_end[l.activity_index] = r.end.value();
      delays[a.device].push_back(static_cast<double>(a.start.value() - r.start.value()));
      if (a.end - a.start < r.end - r.start) ++short_kernels[a.device];
      auto& [enter, leave] = enter_leave[a.device];
      enter.push_back(r.start.value());
      leave.push_back(a.end.value());
    }
    // Queued gaps: stream by stream in start order, a kernel already launched when the activity
    // before it ended waited only for the GPU to start it.
    std::map<std::int64_t, std::vector<double>> gaps;
    std::map<std::int64_t, std::vector<double>> compute_gaps;  // on compute-role streams
    // Idle breakdown per stream needs, per device, when other streams' kernels ended.
    for (auto& [d, el] : enter_leave) std::sort(el.second.begin(), el.second.end());
    std::map<std::pair<std::int64_t, std::int64_t>, StreamBusy*> stream_of;
    for (auto& b : s.streams) stream_of[{b.device, b.stream}] = &b;
    {
      std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::size_t>> on_stream;
      for (std::size_t i = 0; i < t.activities.size(); ++i) {
        on_stream[{t.activities[i].device, t.activities[i].stream}].push_back(i);
      }
      for (auto& [key, idx] : on_stream) {
        auto before = [&](std::size_t a, std::size_t b) {
          const auto& x = t.activities[a];
          const auto& y = t.activities[b];
          return x.start != y.start ? x.start < y.start : x.end < y.end;
        };
        // Profilers mostly write a stream's activities in start order already.
        if (!std::is_sorted(idx.begin(), idx.end(), before)) {
          std::sort(idx.begin(), idx.end(), before);
        }
        StreamBusy* busy = stream_of.at(key);
        const bool compute_stream = busy->role == StreamRole::kCompute;
        const std::vector<std::int64_t>* ends = nullptr;
        if (const auto el = enter_leave.find(key.first); el != enter_leave.end()) {
          ends = &el->second.second;
        }
        for (std::size_t k = 1; k < idx.size(); ++k) {
          const auto& prev = t.activities[idx[k - 1]];
          const auto& a = t.activities[idx[k]];
          const std::int64_t launched = launch_end[idx[k]];
          // Idle between the two (HTA's idle time breakdown): the host had not launched the
          // kernel yet, or it waited in the queue, behind another stream's kernel when one ended
          // inside the gap (a cross-stream wait, or nothing known: other).
          if (const std::int64_t idle = a.start.value() - prev.end.value(); idle > 0) {
            const auto other_ended = [&] {
              if (ends == nullptr) return false;
              const auto it = std::upper_bound(ends->begin(), ends->end(), prev.end.value());
              return it != ends->end() && *it <= a.start.value();
            };
            if (launched >= 0 && launched > prev.end.value()) {
              busy->idle_host_wait += Nanoseconds(idle);
            } else if (launched >= 0 && !other_ended()) {
              busy->idle_kernel_wait += Nanoseconds(idle);
            } else {
              busy->idle_other += Nanoseconds(idle);
            }
          }
          if (launched < 0 || launched > prev.end.value()) continue;
          const auto gap =
              static_cast<double>(std::max<std::int64_t>(0, a.start.value() - prev.end.value()));
          gaps[key.first].push_back(gap);
          if (compute_stream) {
            compute_gaps[key.first].push_back(gap);
            if (counted[idx[k]]) s.step_compute_queued_gap_total += Nanoseconds(std::llround(gap));
          }
        }
      }
    }
    for (auto& [d, iv] : all_iv) {
      DeviceTime dt;
      dt.device = d;
      const auto everything = merged(std::move(iv));
      dt.span = Nanoseconds(everything.back().second - everything.front().first);
      const std::int64_t busy = length(everything);
      dt.compute = compute_of[d];
      dt.non_compute = Nanoseconds(busy) - dt.compute;
      dt.idle = dt.span - Nanoseconds(busy);
      dt.launches = static_cast<std::int64_t>(delays[d].size());
      dt.launch_delay = distribution(delays[d]);
      dt.short_kernels = short_kernels[d];
      const auto sum_of = [](const std::vector<double>& g) {
        Nanoseconds sum{0};
        for (const double x : g) sum += Nanoseconds(static_cast<std::int64_t>(x));
        return sum;
      };
      dt.queued_gap = distribution(gaps[d]);
      dt.queued_gap_total = sum_of(gaps[d]);
      dt.compute_queued_gap = distribution(compute_gaps[d]);
      dt.compute_queued_gap_total = sum_of(compute_gaps[d]);
      auto& [enter, leave] = enter_leave[d];
      std::sort(enter.begin(), enter.end());  // `leave` is sorted above
      // Walk both in time order; ends before launches at the same instant: a kernel that ends
      // as the next is launched leaves the queue first.
      std::int64_t q = 0;
      double area = 0;
      std::size_t in = 0;
      std::size_t out = 0;
      std::int64_t previous = 0;
      std::int64_t first_event = 0;
      // Queue length over time: the time-weighted mean in kQueueBins equal bins from the first
      // launch to the last end.
      const std::int64_t t0 = enter.empty() ? 0 : enter.front();
      const std::int64_t t1 = enter.empty() ? 0 : std::max(enter.back(), leave.back());
      const double width = static_cast<double>(t1 - t0) / kQueueBins;
      std::vector<double> bin_area(width > 0 ? kQueueBins : 0, 0.0);
      // Offsets from t0: trace times are epoch nanoseconds, past a double's exact integers.
      const auto spread = [&](std::int64_t from, std::int64_t to, std::int64_t depth) {
        if (depth == 0 || to <= from || width <= 0) return;
        double x = static_cast<double>(from - t0);
        const auto end = static_cast<double>(to - t0);
        auto i = std::min<std::size_t>(kQueueBins - 1, static_cast<std::size_t>(x / width));
        for (; i < kQueueBins && x < end; ++i) {
          const double edge = i + 1 == kQueueBins ? end : static_cast<double>(i + 1) * width;
          const double y = std::min(end, edge);
          if (y > x) bin_area[i] += static_cast<double>(depth) * (y - x);
          x = std::max(x, y);
        }
      };
      while (in < enter.size() || out < leave.size()) {
        const bool leaves = out < leave.size() && (in == enter.size() || leave[out] <= enter[in]);
        const std::int64_t now = leaves ? leave[out] : enter[in];
        if (in + out == 0) {
          first_event = now;
        } else {
          area += static_cast<double>(q) * static_cast<double>(now - previous);
          spread(previous, now, q);
        }
        previous = now;
        q += leaves ? -1 : +1;
        ++(leaves ? out : in);
        dt.max_queue = std::max(dt.max_queue, q);
      }
      if (enter.size() + leave.size() > 1 && previous > first_event) {
        dt.mean_queue = area / static_cast<double>(previous - first_event);
      }
      for (const double a : bin_area) dt.queue_over_time.push_back(a / width);
      s.device_time.push_back(dt);
    }
  }

  const attribute::Attribution attr = attribute::attribute(t);
  s.annotations = attribute::annotation_times(t, attr);
  if (!s.steps.empty()) s.step_annotations = attribute::annotation_times(t, attr, &counted);
  s.attributed_same_thread = attr.same_thread;
  s.attributed_other_thread = attr.other_thread;
  s.unattributed = attr.unattributed;
  s.without_launch = attr.no_launch;
  s.phase_ranges = attr.annotations;
  return s;
}

namespace {

nlohmann::json dist_json(const Distribution& d) {
  return {{"count", d.count}, {"mean_ns", d.mean_ns}, {"p50_ns", d.p50_ns}, {"p95_ns", d.p95_ns}};
}

nlohmann::json overlap_json(const Overlap& o) {
  return {{"device", o.device},
          {"comm_ns", o.comm.value()},
          {"compute_ns", o.compute.value()},
          {"overlapped_ns", o.overlapped.value()},
          {"overlap_fraction", o.fraction},
          {"exposed_comm_ns", o.exposed.value()}};
}

nlohmann::json kernels_json(const std::vector<KernelTotal>& v) {
  auto arr = nlohmann::json::array();
  for (const auto& k : v) {
    arr.push_back({{"name", k.name},
                   {"class", k.klass},
                   {"count", k.count},
                   {"total_ns", k.total.value()},
                   {"share", k.share}});
  }
  return arr;
}

std::string ms(Nanoseconds t) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(3) << to_ms(t);
  return o.str();
}
std::string ms(double ns_value) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(3) << ns_value * 1e-6;
  return o.str();
}
std::string pct(double f) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1) << f * 100 << "%";
  return o.str();
}
std::string shorten(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

// Per annotation and stream, largest first, at most 20 lines; the JSON has every row.
void print_annotations(std::ostream& out, const TraceSummary& s) {
  out << "\nGPU time per annotation (innermost user range holding the launch; " << s.phase_ranges
      << " ranges; activities by same thread " << s.attributed_same_thread << ", other thread "
      << s.attributed_other_thread << ", none " << s.unattributed << ", no launch "
      << s.without_launch << "):\n";
  if (s.annotations.empty()) {
    out << "  (no activity was launched inside a user annotation)\n";
    return;
  }
  std::vector<const attribute::AnnotationTime*> rows;
  for (const auto& a : s.annotations) rows.push_back(&a);
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto* a, const auto* b) { return a->total > b->total; });
  constexpr std::size_t kRows = 20;
  for (std::size_t i = 0; i < rows.size() && i < kRows; ++i) {
    const auto& a = *rows[i];
    out << "  " << std::setw(10) << ms(a.total) << " ms  busy " << std::setw(10) << ms(a.busy)
        << " ms  device " << a.device << " stream " << a.stream << "  x" << a.repetitions << "  "
        << printable(shorten(a.name, 70)) << "\n";
  }
  if (rows.size() > kRows) out << "  ... " << rows.size() - kRows << " more (--json)\n";
}

}  // namespace

std::string to_json(const TraceSummary& s) {
  nlohmann::json j;
  j["provenance"] = s.provenance;
  j["import_problems"] = import::problems_json<nlohmann::json>(s.problems);
  auto devs = nlohmann::json::array();
  for (const auto& d : s.devices) {
    devs.push_back({{"id", d.id},
                    {"name", d.name},
                    {"sm_count", d.sm_count},
                    {"total_memory_bytes", d.total_memory_bytes},
                    {"compute_capability",
                     std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor)}});
  }
  j["devices"] = devs;
  j["active_devices"] = s.active_devices;
  j["kernels"] = s.kernels;
  j["memcpys"] = s.memcpys;
  j["memsets"] = s.memsets;
  j["gpu_span_ns"] = s.gpu_span.value();
  j["activity_time_ns"] = s.activity_time.value();
  auto classes = nlohmann::json::array();
  for (const auto& c : s.classes) {
    classes.push_back({{"class", c.klass},
                       {"count", c.count},
                       {"total_ns", c.total.value()},
                       {"share", c.share}});
  }
  j["classes"] = classes;
  auto streams = nlohmann::json::array();
  for (const auto& b : s.streams) {
    streams.push_back({{"device", b.device},
                       {"stream", b.stream},
                       {"activities", b.activities},
                       {"busy_ns", b.busy.value()},
                       {"comm_share", b.comm_share},
                       {"role", std::string(to_string(b.role))},
                       {"role_set_by_user", b.role_overridden},
                       {"idle_host_wait_ns", b.idle_host_wait.value()},
                       {"idle_kernel_wait_ns", b.idle_kernel_wait.value()},
                       {"idle_other_ns", b.idle_other.value()}});
  }
  j["streams"] = streams;
  j["overlap"] = overlap_json(s.overlap);
  auto per = nlohmann::json::array();
  for (const auto& o : s.overlap_per_device) per.push_back(overlap_json(o));
  j["overlap_per_device"] = per;
  auto dts = nlohmann::json::array();
  for (const auto& d : s.device_time) {
    dts.push_back({{"device", d.device},
                   {"span_ns", d.span.value()},
                   {"compute_ns", d.compute.value()},
                   {"non_compute_ns", d.non_compute.value()},
                   {"idle_ns", d.idle.value()},
                   {"launches", d.launches},
                   {"launch_delay", dist_json(d.launch_delay)},
                   {"short_kernels", d.short_kernels},
                   {"max_queue", d.max_queue},
                   {"mean_queue", d.mean_queue},
                   {"queued_gap", dist_json(d.queued_gap)},
                   {"queued_gap_total_ns", d.queued_gap_total.value()},
                   {"compute_queued_gap", dist_json(d.compute_queued_gap)},
                   {"compute_queued_gap_total_ns", d.compute_queued_gap_total.value()},
                   {"queue_over_time", d.queue_over_time}});
  }
  j["device_time"] = dts;
  j["top_kernels"] = kernels_json(s.top_kernels);
  j["unknown_kernels"] = kernels_json(s.unknown_kernels);
  j["unknown_share"] = s.unknown_share;
  auto steps = nlohmann::json::array();
  for (const auto& st : s.steps) {
    steps.push_back({{"name", st.name},
                     {"number", st.number},
                     {"start_ns", st.start.value()},
                     {"duration_ns", st.duration.value()},
                     {"activities", st.activities},
                     {"gpu_time_ns", st.gpu_time.value()},
                     {"gpu_span_ns", st.gpu_span.value()},
                     {"comm_time_ns", st.comm_time.value()}});
  }
  j["steps"] = steps;
  j["step_time"] = dist_json(s.step_time);
  j["step_compute_queued_gap_total_ns"] = s.step_compute_queued_gap_total.value();
  j["step_gpu_time"] = dist_json(s.step_gpu_time);
  j["step_gpu_span"] = dist_json(s.step_gpu_span);
  auto ann = nlohmann::json::array();
  for (const auto& a : s.annotations) {
    ann.push_back({{"name", a.name},
                   {"device", a.device},
                   {"stream", a.stream},
                   {"repetitions", a.repetitions},
                   {"activities", a.activities},
                   {"total_ns", a.total.value()},
                   {"busy_ns", a.busy.value()}});
  }
  j["annotations"] = ann;
  j["attribution"] = {{"phase_ranges", s.phase_ranges},
                      {"same_thread", s.attributed_same_thread},
                      {"other_thread", s.attributed_other_thread},
                      {"unattributed", s.unattributed},
                      {"without_launch", s.without_launch}};
  return j.dump(2);
}

void print_text(std::ostream& out, const TraceSummary& s) {
  auto prov = [&](const char* k) {
    auto it = s.provenance.find(k);
    return it == s.provenance.end() ? std::string("?") : it->second;
  };
  // Names come from the trace file, which anyone may have written: printable() keeps their
  // control characters off the terminal.
  out << "trace: " << printable(prov("source_file")) << " (" << printable(prov("source_format"))
      << ")\n";
  for (const auto& d : s.devices) {
    const bool active = std::binary_search(s.active_devices.begin(), s.active_devices.end(), d.id);
    out << "device " << d.id << ": " << printable(d.name) << ", " << d.sm_count << " SMs"
        << (active ? ", active" : "") << "\n";
  }
  out << "devices with GPU activity: " << s.active_devices.size() << " of "
      << std::max(s.devices.size(), s.active_devices.size()) << " listed\n";
  out << "GPU activities: " << s.kernels << " kernels, " << s.memcpys << " memcpys, " << s.memsets
      << " memsets; span " << ms(s.gpu_span) << " ms, summed " << ms(s.activity_time) << " ms\n";
  import::print_problems(out, s.problems);
  if (!s.steps.empty()) {
    out << "\nsteps (" << s.steps.size() << "): time mean " << ms(s.step_time.mean_ns)
        << " ms, p50 " << ms(s.step_time.p50_ns) << " ms, p95 " << ms(s.step_time.p95_ns)
        << " ms; GPU span mean " << ms(s.step_gpu_span.mean_ns) << " ms; GPU time mean "
        << ms(s.step_gpu_time.mean_ns) << " ms\n";
    for (const auto& st : s.steps) {
      out << "  " << std::left << std::setw(20) << printable(st.name) << std::right << std::setw(12)
          << ms(st.duration) << " ms  GPU span " << ms(st.gpu_span) << " ms  GPU "
          << ms(st.gpu_time) << " ms  comm " << ms(st.comm_time) << " ms  (" << st.activities
          << " activities)\n";
    }
  }
  out << "\ntime per class:\n";
  for (const auto& c : s.classes) {
    out << "  " << std::left << std::setw(18) << printable(c.klass) << std::right << std::setw(12)
        << ms(c.total) << " ms " << std::setw(7) << pct(c.share) << "  (" << c.count << ")\n";
  }
  out << "\nstreams (busy = union of activity intervals; role from the communication share of "
         "kernel time, --stream-role to set):\n";
  for (const auto& b : s.streams) {
    out << "  device " << b.device << " stream " << b.stream << ": " << ms(b.busy) << " ms busy ("
        << b.activities << " activities), " << pct(b.comm_share) << " communication -> "
        << to_string(b.role) << (b.role_overridden ? " (set)" : "") << "\n";
    const Nanoseconds idle = b.idle_host_wait + b.idle_kernel_wait + b.idle_other;
    if (idle.value() > 0) {
      const auto share = [&](Nanoseconds t) {
        return pct(static_cast<double>(t.value()) / static_cast<double>(idle.value()));
      };
      out << "    idle between activities " << ms(idle) << " ms: host wait "
          << share(b.idle_host_wait) << ", kernel wait " << share(b.idle_kernel_wait) << ", other "
          << share(b.idle_other) << "\n";
    }
  }
  out << "\nper device (span = first to last activity; launch delay = kernel start - launch "
         "call start; queue = kernels launched, not finished):\n";
  for (const auto& d : s.device_time) {
    const double span = static_cast<double>(std::max<std::int64_t>(1, d.span.value()));
    out << "  device " << d.device << ": span " << ms(d.span) << " ms: compute "
        << pct(static_cast<double>(d.compute.value()) / span) << ", non-compute "
        << pct(static_cast<double>(d.non_compute.value()) / span) << ", idle "
        << pct(static_cast<double>(d.idle.value()) / span) << "\n";
    if (d.launches > 0) {
      out << "    " << d.launches << " launches: delay p50 " << ms(d.launch_delay.p50_ns)
          << " ms, p95 " << ms(d.launch_delay.p95_ns) << " ms; " << d.short_kernels
          << " kernels shorter than their launch call; queue max " << d.max_queue << ", mean "
          << fmt("%.2f", d.mean_queue) << "\n";
    }
    if (!d.queue_over_time.empty()) {
      out << "    queue over time (" << kQueueBins << " equal parts of the span):";
      for (const double q : d.queue_over_time) out << " " << fmt("%.1f", q);
      out << "\n";
    }
    if (d.queued_gap.count > 0) {
      out << "    " << d.queued_gap.count << " kernels waited in the queue: gap after the one "
          << "before p50 " << fmt("%.1f", d.queued_gap.p50_ns / 1e3) << " us, p95 "
          << fmt("%.1f", d.queued_gap.p95_ns / 1e3) << " us, total " << ms(d.queued_gap_total)
          << " ms; on compute streams " << d.compute_queued_gap.count << ", p50 "
          << fmt("%.1f", d.compute_queued_gap.p50_ns / 1e3) << " us\n";
    }
  }
  print_annotations(out, s);
  out << "\ncommunication: " << ms(s.overlap.comm) << " ms, overlapped with compute "
      << ms(s.overlap.overlapped) << " ms (" << pct(s.overlap.fraction) << "), exposed "
      << ms(s.overlap.exposed) << " ms\n";
  out << "\ntop kernels:\n";
  for (const auto& k : s.top_kernels) {
    out << "  " << std::setw(10) << ms(k.total) << " ms " << std::setw(7) << pct(k.share) << "  "
        << std::left << std::setw(16) << k.klass << std::right << " x" << k.count << "  "
        << printable(shorten(k.name, 90)) << "\n";
  }
  if (!s.unknown_kernels.empty()) {
    out << "\nunclassified kernels (" << pct(s.unknown_share)
        << " of GPU time; add rules with --rules):\n";
    for (const auto& k : s.unknown_kernels) {
      out << "  " << std::setw(10) << ms(k.total) << " ms " << std::setw(7) << pct(k.share) << "  "
          << printable(shorten(k.name, 100)) << "\n";
    }
  }
}

}  // namespace hopsim::profiler::summary
