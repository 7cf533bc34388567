#include "hopsim/sim/network/network.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hopsim/core/error.hpp"

namespace hopsim::sim {

double LinkEfficiency::for_class(LinkClass c) const {
  switch (c) {
    case LinkClass::kNvlink:
      return nvlink;
    case LinkClass::kPcie:
      return pcie;
    case LinkClass::kNic:
      return nic;
    case LinkClass::kLeafUplink:
    case LinkClass::kSpine:
      return fabric;
  }
  return 1.0;
}

std::vector<double> effective_capacities(const Topology& topo, const NetworkOptions& opts) {
  for (int c = 0; c < kNumLinkClasses; ++c) {
    const double e = opts.efficiency.for_class(static_cast<LinkClass>(c));
    if (!(e > 0.0) || e > 1.0) {
      throw PlanError("network.efficiency." + std::string(to_string(static_cast<LinkClass>(c))) +
                      " must be in (0, 1], got " + std::to_string(e));
    }
  }
  double sm = 1.0;
  if (opts.comm_sms != 0) {
    if (opts.comm_sms < 0) throw PlanError("comm_sms must not be negative");
    sm = comm_bandwidth_fraction(opts.comm_sms, opts.sm_curve);
  }
  std::vector<double> caps(topo.num_links());
  for (LinkId id = 0; id < topo.num_links(); ++id) {
    const LinkInfo& l = topo.link(id);
    const bool gpu_attached = l.cls == LinkClass::kNvlink || l.cls == LinkClass::kPcie;
    caps[id] = l.bandwidth.value() * opts.efficiency.for_class(l.cls) * (gpu_attached ? sm : 1.0);
  }
  return caps;
}

LinkUsageByClass summarize_usage(const Topology& topo, const std::vector<double>& capacities,
                                 const std::vector<double>& link_bytes, Nanoseconds elapsed) {
  LinkUsageByClass out{};
  std::array<double, kNumLinkClasses> busiest_time{};
  for (LinkId id = 0; id < link_bytes.size(); ++id) {
    if (link_bytes[id] <= 0) continue;
    auto& u = out[static_cast<std::size_t>(topo.link(id).cls)];
    const auto b = static_cast<std::int64_t>(std::llround(link_bytes[id]));
    u.bytes += Bytes(b);
    ++u.links_used;
    const double t = link_bytes[id] / capacities[id];
    if (t > busiest_time[static_cast<std::size_t>(topo.link(id).cls)]) {
      busiest_time[static_cast<std::size_t>(topo.link(id).cls)] = t;
      u.busiest_link_bytes = Bytes(b);
      u.busiest_link_time = from_seconds_ceil(t);
      u.link_capacity = BytesPerSecond(capacities[id]);
    }
  }
  for (auto& u : out) {
    if (elapsed > Nanoseconds(0) && u.busiest_link_bytes > Bytes(0)) {
      u.effective_bandwidth = rate(u.busiest_link_bytes, elapsed);
    }
  }
  return out;
}

Network::Network(Engine& engine, const Topology& topo, NetworkOptions opts)
    : engine_(&engine),
      topo_(&topo),
      opts_(opts),
      router_(topo),
      caps_(effective_capacities(topo, opts)),
      link_bytes_(topo.num_links(), 0.0) {
  if (opts_.fidelity == Fidelity::kFlow) flows_ = std::make_unique<FlowNetwork>(engine, caps_);
}

void Network::transfer(int src, int dst, Bytes bytes, Callback on_done, std::uint64_t flow_id) {
  transfer(router_.route(src, dst, flow_id), bytes, on_done);
}

void Network::transfer(const Route& route, Bytes bytes, Callback on_done) {
  for (LinkId l : route.links) link_bytes_[l] += static_cast<double>(bytes.value());
  if (flows_) {
    flows_->start(route.links, bytes, route.latency, on_done);
    return;
  }
  // Analytical: the route's slowest link sets the time; other transfers do not slow it down.
  Nanoseconds t = route.latency;
  if (bytes > Bytes(0) && !route.links.empty()) {
    double bottleneck = caps_[route.links.front()];
    for (LinkId l : route.links) bottleneck = std::min(bottleneck, caps_[l]);
    t += from_seconds_ceil(static_cast<double>(bytes.value()) / bottleneck);
  }
  if (on_done) engine_->schedule_after(t, on_done);
}

}  // namespace hopsim::sim
