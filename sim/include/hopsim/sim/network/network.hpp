#pragma once
//! Transfers over the topology at two fidelities (analytical: bottleneck link, no sharing; flow:
//! max-min fair sharing), and the achievable-bandwidth parameters that set link capacities.

#include <array>
#include <memory>
#include <vector>

#include "hopsim/sim/cost/sm_partition.hpp"
#include "hopsim/sim/engine/engine.hpp"
#include "hopsim/sim/network/flow_model.hpp"
#include "hopsim/sim/network/topology.hpp"

namespace hopsim::sim {

enum class Fidelity { kAnalytical, kFlow };

//! Achievable fraction of each link class's nominal bandwidth. Modelling parameters, the same for
//! every collective; calibration replaces them (docs/NETWORK.md has the sources):
//! - nvlink 0.8: DeepSeek-V3 report "NVLink offers a bandwidth of 160 GB/s" against the H800's
//!   200 GB/s nominal per direction (DeepSeek-V3 report §3.2.2, p.13; 400 GB/s bidirectional:
//!   third-party pages tumgag.com, philisun.com);
//! - nic 0.9: an assumed protocol/completion overhead on the 50 GB/s (400 Gb/s) NIC; DeepEP
//!   measured 43-46 GB/s with its normal kernels (deepseek-ai/DeepEP README @ebfe47e);
//! - pcie 0.9, fabric (leaf uplinks and spines) 0.9: assumed, same reasoning as the NIC.
struct LinkEfficiency {
  double nvlink = 0.8;
  double pcie = 0.9;
  double nic = 0.9;
  double fabric = 0.9;
  [[nodiscard]] double for_class(LinkClass c) const;
};

struct NetworkOptions {
  Fidelity fidelity = Fidelity::kFlow;
  LinkEfficiency efficiency;
  //! SMs held by the communication kernel; scales the GPU-attached links (NVLink, PCIe) through
  //! comm_bandwidth_fraction. 0 means "not SM-limited".
  int comm_sms = 0;
  CommSmCurve sm_curve;
};

//! Capacity in bytes per second of every link: nominal x efficiency x (for GPU-attached links)
//! the SM fraction. Throws PlanError when comm_sms leaves no bandwidth at all.
[[nodiscard]] std::vector<double> effective_capacities(const Topology& topo,
                                                       const NetworkOptions& opts);

//! How one link class was used over an interval.
struct LinkClassUsage {
  Bytes bytes{0};                        //!< summed over every link of the class (link-bytes)
  Bytes busiest_link_bytes{0};           //!< the most loaded single link of the class
  Nanoseconds busiest_link_time{0};      //!< its bytes / its capacity: the class's own lower bound
  BytesPerSecond link_capacity{};        //!< achievable capacity of that busiest link
  BytesPerSecond effective_bandwidth{};  //!< busiest_link_bytes / elapsed
  int links_used = 0;
};
using LinkUsageByClass = std::array<LinkClassUsage, kNumLinkClasses>;

[[nodiscard]] LinkUsageByClass summarize_usage(const Topology& topo,
                                               const std::vector<double>& capacities,
                                               const std::vector<double>& link_bytes,
                                               Nanoseconds elapsed);

//! Point-to-point transfers on an Engine, for the runner (pipeline sends, DP traffic).
class Network {
 public:
  Network(Engine& engine, const Topology& topo, NetworkOptions opts);

  //! Moves `bytes` from `src` to `dst` starting now; `on_done` runs when they have arrived.
  void transfer(int src, int dst, Bytes bytes, Callback on_done, std::uint64_t flow_id = 0);
  //! The same over an explicit route (e.g. a loopback).
  void transfer(const Route& route, Bytes bytes, Callback on_done);

  [[nodiscard]] Route route(int src, int dst, std::uint64_t flow_id = 0) {
    return router_.route(src, dst, flow_id);
  }
  [[nodiscard]] Fidelity fidelity() const { return opts_.fidelity; }
  [[nodiscard]] const std::vector<double>& capacities() const { return caps_; }
  [[nodiscard]] const std::vector<double>& link_bytes() const { return link_bytes_; }
  [[nodiscard]] LinkUsageByClass usage(Nanoseconds elapsed) const {
    return summarize_usage(*topo_, caps_, link_bytes_, elapsed);
  }
  //! The flow model, when fidelity is kFlow (nullptr otherwise).
  [[nodiscard]] const FlowNetwork* flows() const { return flows_.get(); }

 private:
  Engine* engine_;
  const Topology* topo_;
  NetworkOptions opts_;
  Router router_;
  std::vector<double> caps_;
  std::vector<double> link_bytes_;
  std::unique_ptr<FlowNetwork> flows_;
};

}  // namespace hopsim::sim
