#pragma once
//! Flow-level network model: concurrent flows share link capacity max-min fairly, recomputed only
//! when a flow starts or ends and only for flows sharing links with it; completions are events.

#include <cstdint>
#include <span>
#include <vector>

#include "hopsim/sim/engine/engine.hpp"
#include "hopsim/sim/network/topology.hpp"

namespace hopsim::sim {

class FlowNetwork {
 public:
  using FlowId = std::uint32_t;

  //! `capacities[l]` is link l's capacity in bytes per second (all must be positive).
  FlowNetwork(Engine& engine, std::vector<double> capacities);
  FlowNetwork(const FlowNetwork&) = delete;
  FlowNetwork& operator=(const FlowNetwork&) = delete;

  //! Starts a flow of `bytes` over `path` now. Its data is done when the bytes have crossed at
  //! the fair-share rate; `on_done` runs `latency` later. Starts and ends at one instant are
  //! batched: rates are recomputed once, after the events already queued for that instant.
  FlowId start(std::span<const LinkId> path, Bytes bytes, Nanoseconds latency, Callback on_done);

  //! Current rate of an active flow, bytes per second (0 until the batch at its start ran).
  [[nodiscard]] double rate(FlowId f) const { return flows_[f].rate; }
  [[nodiscard]] std::size_t active_flows() const { return active_; }
  //! Flows re-rated so far, summed over all recomputations (the model's cost measure).
  [[nodiscard]] std::uint64_t flows_touched() const { return touched_; }
  [[nodiscard]] std::uint64_t recomputations() const { return recomputations_; }

 private:
  struct Flow {
    std::vector<LinkId> path;
    double remaining = 0;  // bytes
    double rate = 0;       // bytes per second
    std::int64_t updated = 0;
    std::uint32_t generation = 0;
    Nanoseconds latency{0};
    Callback on_done;
    std::uint64_t mark = 0;
    bool frozen = false;
  };
  struct Link {
    double capacity = 0;
    std::vector<FlowId> flows;
    std::uint64_t mark = 0;
    double residual = 0;
    int unfrozen = 0;
  };

  void mark_dirty(std::span<const LinkId> path);
  void recompute();
  void complete(FlowId f, std::uint32_t generation);
  void schedule_completion(FlowId f);

  Engine* engine_;
  std::vector<Link> links_;
  std::vector<Flow> flows_;
  //! Per flow: the generation of its pending completion while active, 0 otherwise. Kept apart
  //! from the records so that a superseded completion (the rate changed since) is recognised
  //! from 4 bytes instead of loading a flow record (a cache miss per event in large runs).
  std::vector<std::uint32_t> live_;
  std::vector<FlowId> free_;
  std::vector<LinkId> dirty_;
  bool recompute_pending_ = false;
  std::uint64_t epoch_ = 0;
  std::size_t active_ = 0;
  std::uint64_t touched_ = 0;
  std::uint64_t recomputations_ = 0;
  struct ShareEntry {
    double share;
    LinkId link;
  };
  // Scratch buffers reused across recomputations.
  std::vector<ShareEntry> heap_;
  std::vector<double> old_rate_;
  std::vector<FlowId> comp_flows_;
  std::vector<LinkId> comp_links_;
};

}  // namespace hopsim::sim
