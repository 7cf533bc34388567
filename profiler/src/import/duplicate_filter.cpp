#include "duplicate_filter.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace hopsim::profiler::import {

namespace {

// splitmix64's finaliser: every input bit changes about half the output bits.
constexpr std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Fingerprint {
 public:
  explicit Fingerprint(std::uint64_t tag) : h_(mix(tag)) {}
  Fingerprint& operator<<(std::int64_t v) {
    h_ = mix(h_ ^ static_cast<std::uint64_t>(v));
    return *this;
  }
  // A name enters by its length and its first and last eight bytes, not a hash of all of it:
  // hashing every kernel name (often hundreds of bytes of template arguments) cost 10% of the
  // whole import, and two activities that agree on stream, times and correlation differ in the
  // middle of their names only if the file is damaged beyond what a duplicate check can tell.
  Fingerprint& operator<<(std::string_view s) {
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    std::memcpy(&head, s.data(), std::min<std::size_t>(8, s.size()));
    if (s.size() > 8) std::memcpy(&tail, s.data() + s.size() - 8, 8);
    return *this << static_cast<std::int64_t>(s.size()) << static_cast<std::int64_t>(head)
                 << static_cast<std::int64_t>(tail);
  }
  [[nodiscard]] std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_;
};

std::string short_name(std::string_view n) {
  return n.size() > 80 ? std::string(n.substr(0, 80)) + "..." : std::string(n);
}

// Whether an event is new in its lane (lane_a's lane_b: a device's stream, a process's thread).
// One with the start and fingerprint of an earlier one is a duplicate: logged as `p`, described
// by `where`, and counted in `dropped`.
template <class Where>
bool is_new(LaneFingerprints& seen, std::int64_t lane_a, std::int64_t lane_b, std::int64_t start,
            const Fingerprint& f, ProblemLog& log, Problem p, Where where, std::int64_t& dropped) {
  const auto lane = static_cast<std::uint64_t>(mix(static_cast<std::uint64_t>(lane_a)) ^
                                               static_cast<std::uint64_t>(lane_b));
  if (seen.insert(lane, start, f.value())) return true;
  log.record(p, where);
  ++dropped;
  return false;
}

}  // namespace

bool FingerprintSet::insert(std::uint64_t fp) {
  if (fp == 0) fp = 1;
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = fp & mask;; i = (i + 1) & mask) {
    if (slots_[i] == fp) return false;
    if (slots_[i] == 0) {
      slots_[i] = fp;
      ++size_;
      return true;
    }
  }
}

void FingerprintSet::grow() {
  std::vector<std::uint64_t> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
  const std::size_t mask = slots_.size() - 1;
  for (const std::uint64_t fp : old) {
    if (fp == 0) continue;
    std::size_t i = fp & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = fp;
  }
}

bool LaneFingerprints::insert(std::uint64_t lane, std::int64_t start, std::uint64_t fp) {
  if (last_ == nullptr || lane != last_lane_) {
    last_ = &lanes_[lane];
    last_lane_ = lane;
  }
  Lane& l = *last_;
  if (start > l.latest) {  // nothing earlier can have this start: new
    l.latest = start;
    l.in_order.emplace_back(start, fp);
    return true;
  }
  const auto lo =
      std::lower_bound(l.in_order.begin(), l.in_order.end(), std::pair{start, std::uint64_t{0}});
  for (auto it = lo; it != l.in_order.end() && it->first == start; ++it) {
    if (it->second == fp) return false;
  }
  return late_.insert(fp);
}

void DuplicateFilter::add_activity(const trace::GpuActivity& a) {
  Fingerprint f(1);
  f << static_cast<std::int64_t>(a.kind) << a.device << a.stream << a.start.value() << a.end.value()
    << a.correlation << a.name;
  const auto where = [&] {
    return "'" + short_name(a.name) + "' on device " + std::to_string(a.device) + " stream " +
           std::to_string(a.stream) + " at " + std::to_string(a.start.value()) + " ns";
  };
  if (is_new(activities_, a.device, a.stream, a.start.value(), f, log_, Problem::kDuplicateActivity,
             where, dropped_[static_cast<std::size_t>(a.kind)])) {
    next_.add_activity(a);
  }
}

void DuplicateFilter::add_runtime(const trace::RuntimeCall& r) {
  if (r.correlation < 0) {  // not tied to a launch: nothing says two such calls are one
    next_.add_runtime(r);
    return;
  }
  Fingerprint f(2);
  f << static_cast<std::int64_t>(r.driver) << r.pid << r.tid << r.start.value() << r.end.value()
    << r.correlation << r.name;
  const auto where = [&] {
    return "'" + short_name(r.name) + "' on thread " + std::to_string(r.tid) + " at " +
           std::to_string(r.start.value()) + " ns";
  };
  if (is_new(runtime_, r.pid, r.tid, r.start.value(), f, log_, Problem::kDuplicateRuntimeCall,
             where, dropped_runtime_)) {
    next_.add_runtime(r);
  }
}

}  // namespace hopsim::profiler::import
