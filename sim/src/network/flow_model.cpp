#include "hopsim/sim/network/flow_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace hopsim::sim {

FlowNetwork::FlowNetwork(Engine& engine, std::vector<double> capacities) : engine_(&engine) {
  links_.resize(capacities.size());
  for (std::size_t i = 0; i < capacities.size(); ++i) {
    if (!(capacities[i] > 0)) {
      throw std::invalid_argument("FlowNetwork: link " + std::to_string(i) +
                                  " has a non-positive capacity");
    }
    links_[i].capacity = capacities[i];
  }
}

namespace {

// Generations count up and skip 0, which marks a flow with no completion pending.
std::uint32_t next_generation(std::uint32_t g) {
  return g == std::numeric_limits<std::uint32_t>::max() ? 1 : g + 1;
}

}  // namespace

FlowNetwork::FlowId FlowNetwork::start(std::span<const LinkId> path, Bytes bytes,
                                       Nanoseconds latency, Callback on_done) {
  if (bytes < Bytes(0)) throw std::invalid_argument("FlowNetwork: negative flow size");
  for (LinkId l : path) {
    if (l >= links_.size()) throw std::out_of_range("FlowNetwork: link id out of range");
  }
  FlowId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<FlowId>(flows_.size());
    flows_.emplace_back();
    live_.push_back(0);
  }
  Flow& f = flows_[id];
  f.path.assign(path.begin(), path.end());
  f.remaining = static_cast<double>(bytes.value());
  f.rate = 0;
  f.updated = engine_->now().value();
  f.generation = next_generation(f.generation);
  f.latency = latency;
  f.on_done = on_done;
  f.frozen = false;
  if (bytes == Bytes(0) || path.empty()) {
    // Nothing to share: done after the latency alone.
    free_.push_back(id);
    if (on_done) engine_->schedule_after(latency, on_done);
    return id;
  }
  live_[id] = f.generation;
  ++active_;
  for (LinkId l : path) links_[l].flows.push_back(id);
  mark_dirty(path);
  return id;
}

void FlowNetwork::mark_dirty(std::span<const LinkId> path) {
  dirty_.insert(dirty_.end(), path.begin(), path.end());
  if (!recompute_pending_) {
    recompute_pending_ = true;
    engine_->schedule_at(engine_->now(), [this] { recompute(); });
  }
}

void FlowNetwork::recompute() {
  recompute_pending_ = false;
  ++recomputations_;
  const std::int64_t now = engine_->now().value();
  const std::uint64_t mark = ++epoch_;

  // The connected component of the changed links: links and flows reachable through sharing.
  comp_flows_.clear();
  comp_links_.clear();
  for (LinkId l : dirty_) {
    if (links_[l].mark != mark) {
      links_[l].mark = mark;
      comp_links_.push_back(l);
    }
  }
  dirty_.clear();
  for (std::size_t i = 0; i < comp_links_.size(); ++i) {
    for (FlowId fid : links_[comp_links_[i]].flows) {
      Flow& f = flows_[fid];
      if (f.mark == mark) continue;
      f.mark = mark;
      comp_flows_.push_back(fid);
      for (LinkId l2 : f.path) {
        if (links_[l2].mark != mark) {
          links_[l2].mark = mark;
          comp_links_.push_back(l2);
        }
      }
    }
  }
  touched_ += comp_flows_.size();

  // Progress made at the old rates, then progressive filling: repeatedly saturate the link with
  // the smallest fair share and freeze its flows at that share.
  for (FlowId fid : comp_flows_) {
    Flow& f = flows_[fid];
    f.remaining = std::max(0.0, f.remaining - f.rate * static_cast<double>(now - f.updated) * 1e-9);
    f.updated = now;
    f.frozen = false;
  }
  for (LinkId l : comp_links_) {
    links_[l].residual = links_[l].capacity;
    links_[l].unfrozen = static_cast<int>(links_[l].flows.size());
  }
  old_rate_.clear();
  for (FlowId fid : comp_flows_) old_rate_.push_back(flows_[fid].rate);
  // A lazy min-heap of (fair share, link): freezing flows changes the shares of the links they
  // cross, which are pushed again; entries whose share is out of date are skipped on pop.
  heap_.clear();
  for (LinkId l : comp_links_) {
    const Link& k = links_[l];
    if (k.unfrozen > 0) heap_.push_back({k.residual / k.unfrozen, l});
  }
  auto cmp = [](const ShareEntry& a, const ShareEntry& b) {
    return a.share != b.share ? a.share > b.share : a.link > b.link;
  };
  std::make_heap(heap_.begin(), heap_.end(), cmp);
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), cmp);
    const ShareEntry e = heap_.back();
    heap_.pop_back();
    Link& k = links_[e.link];
    if (k.unfrozen == 0) continue;
    const double current = std::max(0.0, k.residual) / k.unfrozen;
    if (current != e.share) continue;  // stale: a fresher entry for this link is in the heap
    // Rounding can leave a residual a hair below zero; a flow must never stall at rate 0.
    const double share = std::max(current, k.capacity * 1e-12);
    for (FlowId fid : k.flows) {
      Flow& f = flows_[fid];
      if (f.frozen) continue;
      f.frozen = true;
      f.rate = share;
      for (LinkId l2 : f.path) {
        links_[l2].residual -= share;
        --links_[l2].unfrozen;
        if (l2 != e.link && links_[l2].unfrozen > 0) {
          heap_.push_back({std::max(0.0, links_[l2].residual) / links_[l2].unfrozen, l2});
          std::push_heap(heap_.begin(), heap_.end(), cmp);
        }
      }
    }
  }
  for (std::size_t i = 0; i < comp_flows_.size(); ++i) {
    const FlowId fid = comp_flows_[i];
    if (flows_[fid].rate != old_rate_[i]) schedule_completion(fid);
  }
}

void FlowNetwork::schedule_completion(FlowId fid) {
  Flow& f = flows_[fid];
  // A new generation invalidates the completion event scheduled at the old rate.
  f.generation = next_generation(f.generation);
  live_[fid] = f.generation;
  const double seconds = f.remaining / f.rate;
  const Nanoseconds at = engine_->now() + from_seconds_ceil(seconds);
  const std::uint32_t gen = f.generation;
  engine_->schedule_at(at, [this, fid, gen] { complete(fid, gen); });
}

void FlowNetwork::complete(FlowId fid, std::uint32_t generation) {
  if (live_[fid] != generation) return;  // stale: the rate changed since, or the flow ended
  live_[fid] = 0;
  Flow& f = flows_[fid];
  f.remaining = 0;
  --active_;
  for (LinkId l : f.path) {
    auto& v = links_[l].flows;
    auto it = std::find(v.begin(), v.end(), fid);
    *it = v.back();
    v.pop_back();
  }
  mark_dirty(f.path);
  // Copies first: the callback may start a flow that reuses this slot (and grow flows_).
  Callback done = f.on_done;
  const Nanoseconds latency = f.latency;
  free_.push_back(fid);
  if (done) {
    if (latency == Nanoseconds(0)) {
      done();
    } else {
      engine_->schedule_after(latency, done);
    }
  }
}

}  // namespace hopsim::sim
