#include "hopsim/sim/runner/pipeline_executor.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <unordered_map>

#include "hopsim/core/error.hpp"
#include "hopsim/sim/engine/engine.hpp"
#include "hopsim/sim/network/flow_model.hpp"
#include "hopsim/sim/runner/variation.hpp"
#include "op_tasks.hpp"

namespace hopsim::sim {
namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): the executor's own parts

// Records of in-flight transfers, reused once done so that memory follows what is in flight,
// not the length of the run.
template <class T>
class SlotPool {
 public:
  std::uint32_t add(const T& item) {
    if (free_.empty()) {
      items_.push_back(item);
      return static_cast<std::uint32_t>(items_.size() - 1);
    }
    const std::uint32_t id = free_.back();
    free_.pop_back();
    items_[id] = item;
    return id;
  }
  T& operator[](std::uint32_t id) { return items_[id]; }
  //! Frees the slot and returns its record.
  T take(std::uint32_t id) {
    free_.push_back(id);
    return items_[id];
  }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> free_;
};

struct LaneState {
  bool busy = false;
  std::size_t head = 0;  // next task of the template's order to start
  int running = -1;
  Nanoseconds began{};         // the sub-op's work began
  double traffic_scale = 1.0;  // the running payload's bytes over its programmed traffic
  Stretch stretch;             // how the running compute sub-op is stretched
};

struct RankState {
  std::size_t cursor = 0;
  bool running = false;
  const TaskTemplate* tmpl = nullptr;
  std::vector<int> deps;  // unfinished predecessors per task of tmpl
  int tasks_left = 0;
  LaneState lanes[kLaneCount];
  std::vector<int> deps_left;
  // Exposed-communication accounting: integrate over lane states.
  Nanoseconds last_change{};
  bool comm_blocking = false;  // the compute lane runs communication (no SMs reserved)
  Nanoseconds op_started{};
  Nanoseconds dp_free{};  // the fast path: buckets run one after another
  // Without overlap_grad_reduce: the (stage, slot) buckets made final, started at the rank's end.
  std::vector<std::pair<int, int>> dp_pending;
  RankStats stats;
};

class Executor {
 public:
  //! Simulates replicas [first, first + count) of the options' replicas: whole collective
  //! groups, which share nothing with other groups (each GPU has its own ports).
  Executor(const Schedule& s, const PipelineProgram& p, const ExecutorOptions& o, int first,
           int count)
      : s_(s), p_(p), o_(o), first_(first), reps_(count) {
    validate();
    build_edges();
    build_dp_triggers();
    const int ranks = s_.ranks;
    state_.resize(static_cast<std::size_t>(reps_));
    for (auto& rep : state_) {
      rep.resize(static_cast<std::size_t>(ranks));
      for (int r = 0; r < ranks; ++r) rep[r].deps_left = deps_init_[r];
    }
    if (p_.network.shared) {
      // Four ports per GPU (NIC send/receive, NVLink send/receive) of every simulated GPU.
      std::vector<double> caps;
      caps.reserve(static_cast<std::size_t>(reps_) * ranks * 4);
      for (int i = 0; i < reps_ * ranks; ++i) {
        caps.insert(caps.end(), 2, std::max(1.0, p_.network.nic_capacity));
        caps.insert(caps.end(), 2, std::max(1.0, p_.network.nvlink_capacity));
      }
      net_ = std::make_unique<FlowNetwork>(engine_, std::move(caps));
    }
  }

  ExecutionResult run() {
    for (int rep = 0; rep < reps_; ++rep)
      for (int r = 0; r < s_.ranks; ++r) try_start(rep, r);
    ExecutionResult res;
    if (o_.stop_after.value() > 0 && compute_lower_bound(s_, p_, o_) > o_.stop_after) {
      // Known to pass the bound before a single event: stop without simulating.
      res.stopped = true;
      res.makespan = o_.stop_after;
      return res;
    }
    if (o_.stop_after.value() > 0) {
      engine_.run_until(o_.stop_after);
      // Stopped only if some rank still has pipeline work; what follows the pipeline (the
      // gradient reduce-scatter) may run past the bound without making the makespan larger.
      bool pipeline_done = true;
      for (int rep = 0; rep < reps_ && pipeline_done; ++rep) {
        for (int r = 0; r < s_.ranks; ++r) {
          if (state_[rep][r].cursor != s_.ops[r].size()) {
            pipeline_done = false;
            break;
          }
        }
      }
      if (!pipeline_done && engine_.pending() > 0) {
        res.stopped = true;
        res.makespan = o_.stop_after;
        res.engine_events = engine_.events_processed();
        res.sub_ops_executed = sub_ops_;
        return res;
      }
    }
    engine_.run();
    res.engine_events = engine_.events_processed();
    res.sub_ops_executed = sub_ops_;
    for (int rep = 0; rep < reps_; ++rep) {
      for (int r = 0; r < s_.ranks; ++r) {
        const RankState& st = state_[rep][r];
        if (st.cursor != s_.ops[r].size()) {
          throw PlanError("pipeline executor: deadlock: rank " + std::to_string(r) +
                          " stopped before op " + std::to_string(st.cursor) + " (" +
                          format_op(s_.ops[r][st.cursor]) + ")");
        }
        res.makespan = std::max(res.makespan, st.stats.finish);
        res.dp_sync_end = std::max(res.dp_sync_end, st.stats.dp_sync_end);
      }
    }
    for (int r = 0; r < s_.ranks; ++r) res.ranks.push_back(state_[0][r].stats);
    res.class_busy = class_busy_;
    return res;
  }

 private:
  void validate() const {
    if (static_cast<int>(p_.stages.size()) != s_.stages) {
      throw PlanError("pipeline executor: program has " + std::to_string(p_.stages.size()) +
                      " stages but the schedule has " + std::to_string(s_.stages));
    }
    if (o_.replicas < 1 || o_.collective_group < 1 || o_.replicas % o_.collective_group != 0) {
      throw PlanError("pipeline executor: collective group (" +
                      std::to_string(o_.collective_group) + ") must divide the replicas (" +
                      std::to_string(o_.replicas) + ")");
    }
    if (!o_.replica_compute_scale.empty() &&
        static_cast<int>(o_.replica_compute_scale.size()) != o_.replicas) {
      throw PlanError("pipeline executor: one compute scale per replica expected");
    }
  }

  void build_edges() {
    const DependencyGraph g = build_dependencies(s_);
    succ_.resize(static_cast<std::size_t>(s_.ranks));
    deps_init_.resize(static_cast<std::size_t>(s_.ranks));
    for (int r = 0; r < s_.ranks; ++r) {
      succ_[r].resize(s_.ops[r].size());
      deps_init_[r].assign(s_.ops[r].size(), 0);
    }
    for (int r = 0; r < s_.ranks; ++r) {
      for (std::size_t i = 0; i < s_.ops[r].size(); ++i) {
        for (std::size_t k = 0; k < g.preds[r][i].size(); ++k) {
          const OpRef& pr = g.preds[r][i][k];
          const OpRef me{r, static_cast<int>(i)};
          succ_[pr.rank][pr.index].push_back(classify_edge(
              s_.ops[pr.rank][pr.index], pr, s_.ops[r][i], me, p_, g.feeds_backward[r][i][k]));
          ++deps_init_[r][i];
        }
      }
    }
  }

  // Gradient sync, bucketed per block: a block's bucket starts when the rank's last op with
  // weight gradients of its stage has finished the block's last weight-gradient sub-op (the
  // gradient is then final for the step, as a DDP/ZeRO bucket hook sees it).
  void build_dp_triggers() {
    last_wgrad_op_ = last_weight_gradient_ops(s_);
    dp_trigger_ = dp_triggers(p_);
  }

  // Called when a sub-op finishes: starts the reduce-scatter buckets it makes final.
  void maybe_start_dp(int rep, int r, const Task& task) {
    if (!task.dp_trigger) return;
    const auto it = dp_trigger_.find(task.op);
    RankState& st = state_[rep][r];
    const ScheduleOp& op = s_.ops[r][st.cursor];
    const int stage = backward_part(op).stage;
    const auto last = last_wgrad_op_[r].find(stage);
    if (last == last_wgrad_op_[r].end() || last->second != static_cast<int>(st.cursor)) return;
    for (int slot : it->second) {
      if (p_.overlap_grad_reduce) {
        start_dp(rep, r, stage, slot);
      } else {
        st.dp_pending.emplace_back(stage, slot);
      }
    }
  }

  // One gradient bucket's reduce-scatter: over the step network's ports, or alone.
  void start_dp(int rep, int r, int stage, int slot) {
    RankState& st = state_[rep][r];
    const ChunkProgram& c = p_.stages[static_cast<std::size_t>(stage)];
    const PortTraffic& t = c.dp_sync[static_cast<std::size_t>(slot)];
    if (st.stats.dp_sync_start.value() == 0) st.stats.dp_sync_start = engine_.now();
    if (net_ && !t.empty()) {
      require_capacity(t);
      const auto done = [this, rep, r] { dp_done(rep, r); };
      if (t.nic_bytes > 0) {
        const LinkId path[2] = {port(rep, r, 0), port(rep, r, 1)};
        net_->start(path, Bytes(static_cast<std::int64_t>(std::ceil(t.nic_bytes))), t.latency,
                    done);
      }
      if (t.nvlink_bytes > 0) {
        const LinkId path[2] = {port(rep, r, 2), port(rep, r, 3)};
        net_->start(path, Bytes(static_cast<std::int64_t>(std::ceil(t.nvlink_bytes))), t.latency,
                    done);
      }
    } else {
      st.dp_free =
          std::max(st.dp_free, engine_.now()) + c.dp_sync_time[static_cast<std::size_t>(slot)];
      engine_.schedule_at(st.dp_free, [this, rep, r] { dp_done(rep, r); });
    }
  }

  void dp_done(int rep, int r) {
    RankState& st = state_[rep][r];
    st.stats.dp_sync_end = std::max(st.stats.dp_sync_end, engine_.now());
  }

  void account(RankState& st) {
    const Nanoseconds now = engine_.now();
    const Nanoseconds dt = now - st.last_change;
    if ((st.lanes[1].busy && !st.lanes[0].busy) || (st.lanes[0].busy && st.comm_blocking)) {
      st.stats.exposed_comm += dt;
    }
    st.last_change = now;
  }

  void try_start(int rep, int r) {
    RankState& st = state_[rep][r];
    if (st.running || st.cursor >= s_.ops[r].size() || st.deps_left[st.cursor] > 0) return;
    const ScheduleOp& op = s_.ops[r][st.cursor];
    st.running = true;
    st.op_started = engine_.now();
    st.tmpl = &task_template(op);
    st.deps.resize(st.tmpl->tasks.size());
    for (std::size_t i = 0; i < st.tmpl->tasks.size(); ++i) st.deps[i] = st.tmpl->tasks[i].deps;
    st.tasks_left = static_cast<int>(st.tmpl->tasks.size());
    for (auto& lane : st.lanes) lane.head = 0;
    if (st.tasks_left == 0) {
      op_done(rep, r);
      return;
    }
    for (int l = 0; l < kLaneCount; ++l) start_next(rep, r, static_cast<Lane>(l));
  }

  const TaskTemplate& task_template(const ScheduleOp& op) {
    auto [it, fresh] = templates_.try_emplace(template_key(op));
    if (!fresh) return it->second;
    TaskTemplate& t = it->second;
    build_task_template(op, p_, t);
    for (Task& task : t.tasks) {
      // Looked up once per kind of op, not on every finished sub-op of the step.
      task.dp_trigger = task.part == PartKind::kBackward && dp_trigger_.contains(task.op);
    }
    return t;
  }

  // Starts the lane's next task in issue order if the lane is free and the task is ready.
  void start_next(int rep, int r, Lane l) {
    RankState& st = state_[rep][r];
    LaneState& lane = st.lanes[static_cast<int>(l)];
    const std::vector<int>& order = st.tmpl->order[static_cast<std::size_t>(l)];
    if (lane.busy || lane.head >= order.size()) return;
    const int t = order[lane.head];
    const Task& task = st.tmpl->tasks[static_cast<std::size_t>(t)];
    if (st.deps[static_cast<std::size_t>(t)] > 0) return;
    ++lane.head;
    account(st);
    lane.busy = true;
    lane.running = t;
    lane.traffic_scale = 1.0;
    lane.stretch = {routed_load(rep, r, t, *task.op), time_scale(rep, r, t, *task.op), {}};
    if (l == Lane::kCompute) st.comm_blocking = task.op->cls != WorkClass::kCompute;
    if (task.op->collective && o_.collective_group > 1) {
      arrive(rep, r, l, t);
      return;
    }
    lane.began = engine_.now();
    if (uses_flows(*task.op)) {
      start_flows(rep, 1, r, l, task.op->traffic);
      return;
    }
    lane.stretch.interference = interference(st, *task.op);
    engine_.schedule_at(engine_.now() + stretched(*task.op, lane.stretch),
                        [this, rep, r, l] { finish(rep, r, l); });
  }

  // Routing loads of one EP group for one micro-batch and layer. The group's token copies are
  // conserved, so each member's draw is taken relative to the group's mean draw: loads average
  // 1, and with one member (no EP) the load is exactly 1.
  struct GroupLoads {
    double mean = 1.0;  // of the members' draws; 0 when every draw was 0 (then all loads are 1)
    double max = 1.0;
  };
  struct LoadKey {
    int group, rank, direction, micro_batch, stage, slot;
    friend bool operator==(const LoadKey&, const LoadKey&) = default;
  };
  struct LoadKeyHash {
    std::size_t operator()(const LoadKey& k) const {
      std::uint64_t h = 0;
      for (int v : {k.group, k.rank, k.direction, k.micro_batch, k.stage, k.slot}) {
        h = (h ^ static_cast<std::uint32_t>(v)) * 0x100000001B3ULL;  // FNV-1a over the fields
      }
      return static_cast<std::size_t>(h);
    }
  };

  // The part (micro-batch, direction, stage) of replica `rep`'s rank `r` that task part `part`
  // of its current op works on.
  [[nodiscard]] const OpPart& current_part(int rep, int r, PartKind part) const {
    const RankState& st = state_[static_cast<std::size_t>(rep)][static_cast<std::size_t>(r)];
    const ScheduleOp& op = s_.ops[static_cast<std::size_t>(r)][st.cursor];
    return part == PartKind::kForward ? forward_part(op) : backward_part(op);
  }

  [[nodiscard]] double draw(int rep, int r, const OpPart& p, int slot) const {
    return routing_load(o_.seed, first_ + rep, r, p.direction, p.micro_batch, p.stage, slot,
                        o_.routing_cv);
  }

  const GroupLoads& group_loads(int rep, int r, const OpPart& p, int slot) {
    const int g = rep / o_.collective_group;
    const auto [it, fresh] = group_loads_.try_emplace(
        LoadKey{g, r, p.direction, p.micro_batch, p.stage, slot}, GroupLoads{});
    if (fresh) {
      double sum = 0, max = 0;
      for (int m = g * o_.collective_group; m < (g + 1) * o_.collective_group; ++m) {
        const double x = draw(m, r, p, slot);
        sum += x;
        max = std::max(max, x);
      }
      it->second.mean = sum / o_.collective_group;
      it->second.max = max;
    }
    return it->second;
  }

  // Replica `rep`'s rank `r`'s routing load for the micro-batch and layer of `so`.
  [[nodiscard]] double load(int rep, int r, PartKind part, const SubOp& so) {
    const OpPart& p = current_part(rep, r, part);
    const GroupLoads& g = group_loads(rep, r, p, so.slot);
    return g.mean > 0 ? draw(rep, r, p, so.slot) / g.mean : 1.0;
  }

  // The group's busiest receiver's load: how much longer than balanced a payload phase lasts.
  [[nodiscard]] double busiest_load(int rep, int r, PartKind part, const SubOp& so) {
    const GroupLoads& g = group_loads(rep, r, current_part(rep, r, part), so.slot);
    return g.mean > 0 ? g.max / g.mean : 1.0;
  }

  // The load task `task` (sub-op `so`) of replica `rep`'s rank `r` runs its routed kernels at:
  // 1 without routing variation or routed kernels.
  double routed_load(int rep, int r, int task, const SubOp& so) {
    if (so.cls != WorkClass::kCompute || o_.routing_cv <= 0 || so.routed.value() <= 0) return 1.0;
    const RankState& st = state_[static_cast<std::size_t>(rep)][static_cast<std::size_t>(r)];
    return load(rep, r, st.tmpl->tasks[static_cast<std::size_t>(task)].part, so);
  }

  // The factor task `task` (sub-op `so`) of replica `rep`'s rank `r` runs at, launch gaps
  // included: the replica's straggler scale times the rank's kernel-time draw; 1 for
  // communication.
  double time_scale(int rep, int r, int task, const SubOp& so) const {
    if (so.cls != WorkClass::kCompute) return 1.0;
    double k = 1.0;
    if (!o_.replica_compute_scale.empty())
      k = o_.replica_compute_scale[static_cast<std::size_t>(first_ + rep)];
    if (o_.kernel_time_cv > 0) {
      const RankState& st = state_[static_cast<std::size_t>(rep)][static_cast<std::size_t>(r)];
      const double z =
          keyed_normal(o_.seed, static_cast<std::uint64_t>(first_ + rep),
                       static_cast<std::uint64_t>(r), st.cursor, static_cast<std::uint64_t>(task));
      k *= std::max(0.05, 1.0 + o_.kernel_time_cv * z);
    }
    return k;
  }

  // How long sub-op `so` runs stretched by `s`: its routed kernels at the routing load, the
  // whole at the time scale, plus the interference.
  static Nanoseconds stretched(const SubOp& so, const Stretch& s) {
    if (so.cls != WorkClass::kCompute) return so.duration;
    Nanoseconds d = so.duration;
    if (s.routed_load != 1.0) d = d - so.routed + hopsim::scaled(so.routed, s.routed_load);
    if (s.time_scale != 1.0) d = hopsim::scaled(d, s.time_scale);
    return d + s.interference;
  }

  // Full mode: a collective sub-op starts when every replica of its group has reached it.
  void arrive(int rep, int r, Lane l, int task) {
    const RankState& st = state_[rep][r];
    const int group = rep / o_.collective_group;
    // (group, rank, op index, task index) identifies the collective: every replica runs the same
    // schedule and builds the same tasks.
    const std::uint64_t key =
        (((static_cast<std::uint64_t>(group) * 256 + static_cast<std::uint64_t>(r)) << 20) +
         static_cast<std::uint64_t>(st.cursor))
            << 16 |
        static_cast<std::uint64_t>(task);
    auto& count = rendezvous_[key];
    if (++count < o_.collective_group) return;
    rendezvous_.erase(key);
    const Task& tk = st.tmpl->tasks[static_cast<std::size_t>(task)];
    const SubOp& so = *tk.op;
    const int first = group * o_.collective_group;
    // A payload phase ends when its busiest receiver has its tokens: the group's largest load
    // (at least 1: loads average 1).
    double busiest = 1.0;
    if (o_.routing_cv > 0 && is_ep_payload(so)) busiest = busiest_load(rep, r, tk.part, so);
    for (int m = first; m < first + o_.collective_group; ++m) {
      LaneState& lane = state_[static_cast<std::size_t>(m)][static_cast<std::size_t>(r)]
                            .lanes[static_cast<int>(l)];
      lane.began = engine_.now();
      lane.traffic_scale = busiest;
    }
    if (uses_flows(so)) {
      start_flows(first, o_.collective_group, r, l, so.traffic.with_bytes_scaled(busiest));
      return;
    }
    const Nanoseconds end = engine_.now() + hopsim::scaled(so.duration, busiest);
    for (int m = first; m < first + o_.collective_group; ++m) {
      engine_.schedule_at(end, [this, m, r, l] { finish(m, r, l); });
    }
  }

  // Partitions interfere: a compute sub-op that starts while the comm partition moves a payload
  // loses hbm_share of HBM bandwidth in its memory-bound kernels.
  [[nodiscard]] Nanoseconds interference(const RankState& st, const SubOp& so) const {
    const StepNetwork& n = p_.network;
    if (n.comm_hbm_bytes_per_wire_byte <= 0 || n.hbm_bandwidth <= 0 ||
        so.cls != WorkClass::kCompute || so.memory_bound.value() <= 0) {
      return Nanoseconds(0);
    }
    const LaneState& comm = st.lanes[static_cast<int>(Lane::kComm)];
    if (!comm.busy || comm.running < 0) return Nanoseconds(0);
    const SubOp& c = *st.tmpl->tasks[static_cast<std::size_t>(comm.running)].op;
    if (c.traffic.empty() || c.duration.value() <= 0) return Nanoseconds(0);
    const double rate = n.comm_hbm_bytes_per_wire_byte *
                        (c.traffic.nic_bytes + c.traffic.nvlink_bytes) / to_seconds(c.duration);
    const double share = std::min(0.9, rate / n.hbm_bandwidth);
    return Nanoseconds(static_cast<std::int64_t>(
        std::llround(static_cast<double>(so.memory_bound.value()) * share / (1.0 - share))));
  }

  [[nodiscard]] bool uses_flows(const SubOp& so) const { return net_ && !so.traffic.empty(); }

  [[nodiscard]] LinkId port(int rep, int r, int which) const {
    return static_cast<LinkId>((rep * s_.ranks + r) * 4 + which);
  }

  // The payload of a communication sub-op on `n` replicas from `first` (its EP group in full
  // mode): each member's share crosses its own NIC and NVLink ports; the sub-op ends for every
  // member when the last byte of the slowest member has arrived.
  // A port without a capacity runs at a 1 B/s placeholder: traffic there would make the step
  // last for years instead of failing (it did, for a DP sync no other traffic shared a port
  // with). Refuse it.
  void require_capacity(const PortTraffic& t) const {
    const bool nic = t.nic_bytes > 0 && !(p_.network.nic_capacity > 0);
    const bool nvlink = t.nvlink_bytes > 0 && !(p_.network.nvlink_capacity > 0);
    if (nic || nvlink) {
      throw PlanError(std::string("pipeline executor: traffic on a ") + (nic ? "NIC" : "NVLink") +
                      " port the step network has no capacity for");
    }
  }

  void start_flows(int first, int n, int r, Lane l, const PortTraffic& t) {
    require_capacity(t);
    const std::uint32_t id = collectives_.add(Collective{first, n, r, l, 0});
    for (int m = first; m < first + n; ++m) {
      if (t.nic_bytes > 0) {
        const LinkId path[2] = {port(m, r, 0), port(m, r, 1)};
        ++collectives_[id].pending;
        net_->start(path, Bytes(static_cast<std::int64_t>(std::ceil(t.nic_bytes))), t.latency,
                    [this, id] { flow_done(id); });
      }
      if (t.nvlink_bytes > 0) {
        const LinkId path[2] = {port(m, r, 2), port(m, r, 3)};
        ++collectives_[id].pending;
        net_->start(path, Bytes(static_cast<std::int64_t>(std::ceil(t.nvlink_bytes))), t.latency,
                    [this, id] { flow_done(id); });
      }
    }
  }

  void flow_done(std::uint32_t id) {
    if (--collectives_[id].pending > 0) return;
    const Collective c = collectives_.take(id);
    // Called from an engine event (FlowNetwork runs completion callbacks as events or inline
    // from one, and lets them start flows), so the members finish here, in member order.
    for (int m = c.first; m < c.first + c.members; ++m) finish(m, c.rank, c.lane);
  }

  void finish(int rep, int r, Lane l) {
    RankState& st = state_[rep][r];
    LaneState& lane = st.lanes[static_cast<int>(l)];
    const int t = lane.running;
    const Task& task = st.tmpl->tasks[static_cast<std::size_t>(t)];
    const SubOp& so = *task.op;
    account(st);
    lane.busy = false;
    lane.running = -1;
    if (l == Lane::kCompute) st.comm_blocking = false;
    ++sub_ops_;
    const Nanoseconds start = lane.began;
    const Nanoseconds ran = engine_.now() - start;
    if (first_ + rep == 0) {
      st.stats.lane_busy[static_cast<int>(l)] += ran;
      if (so.cls == WorkClass::kCompute) st.stats.compute_busy += ran;
      class_busy_[static_cast<int>(so.cls)] += ran;
      st.stats.flops += so.flops;
    }
    if (o_.on_sub_op) {
      o_.on_sub_op(SubOpEvent{first_ + rep, r, l, so.cls, &so, current_part(rep, r, task.part),
                              s_.ops[r][st.cursor].type, start, engine_.now(),
                              task.part == PartKind::kBackward, lane.traffic_scale, lane.stretch});
    }
    maybe_start_dp(rep, r, task);
    for (int s : task.succ) {
      if (s >= 0) --st.deps[static_cast<std::size_t>(s)];
    }
    if (--st.tasks_left == 0) {
      op_done(rep, r);
      return;
    }
    for (int k = 0; k < kLaneCount; ++k) start_next(rep, r, static_cast<Lane>(k));
  }

  // Successors are released when the whole op is done, both halves of an F&B pair included:
  // DualPipe batches a pair's sends and waits for them at the next compute point (DualPipe
  // comm.py).
  void op_done(int rep, int r) {
    RankState& st = state_[rep][r];
    const std::size_t i = st.cursor;
    const Nanoseconds now = engine_.now();
    st.running = false;
    st.stats.finish = now;
    if (first_ + rep == 0 && s_.ops[r][i].type == OpType::kFB)
      st.stats.pair_times.push_back(now - st.op_started);
    ++st.cursor;
    // Without overlap, the rank's buckets start together once its last op is done (Megatron-
    // Core's finish_grad_sync after the pipeline), in the order backward made them final.
    if (st.cursor == s_.ops[r].size()) {
      for (const auto& [stage, slot] : st.dp_pending) start_dp(rep, r, stage, slot);
      st.dp_pending.clear();
    }
    for (const Edge& e : succ_[r][i]) {
      const int to_rank = e.to.rank;
      const int to_index = e.to.index;
      if (e.delay.value() == 0) {
        release(rep, to_rank, to_index);
      } else if (net_) {
        send(rep, r, to_rank, to_index, e.from_part == PartKind::kForward);
      } else {
        if (o_.on_transfer) {
          o_.on_transfer(TransferEvent{first_ + rep, r, to_rank, e.from_part == PartKind::kForward,
                                       now, now + e.delay});
        }
        engine_.schedule_at(now + e.delay,
                            [this, rep, to_rank, to_index] { release(rep, to_rank, to_index); });
      }
    }
    try_start(rep, r);
  }

  // A pipeline send over the step network: activations or gradients cross the sender's and the
  // receiver's NIC (stages on different nodes) or NVLink ports, sharing them with EP payloads.
  void send(int rep, int from, int to_rank, int to_index, bool forward) {
    const PortTraffic& t = forward ? p_.network.pp_forward : p_.network.pp_backward;
    const int k = p_.network.pp_over_nic ? 0 : 2;
    const double bytes = p_.network.pp_over_nic ? t.nic_bytes : t.nvlink_bytes;
    const std::uint32_t id = sends_.add(Send{rep, from, to_rank, to_index, forward, engine_.now()});
    const LinkId path[2] = {port(rep, from, k), port(rep, to_rank, k + 1)};
    net_->start(path, Bytes(static_cast<std::int64_t>(std::ceil(std::max(bytes, 1.0)))), t.latency,
                [this, id] { send_done(id); });
  }

  void send_done(std::uint32_t id) {
    const Send s = sends_.take(id);
    if (o_.on_transfer) {
      o_.on_transfer(
          TransferEvent{first_ + s.rep, s.from, s.to_rank, s.forward, s.start, engine_.now()});
    }
    release(s.rep, s.to_rank, s.to_index);
  }

  void release(int rep, int r, int index) {
    RankState& st = state_[rep][r];
    if (--st.deps_left[static_cast<std::size_t>(index)] == 0 &&
        static_cast<std::size_t>(index) == st.cursor) {
      try_start(rep, r);
    }
  }

  const Schedule& s_;
  const PipelineProgram& p_;
  const ExecutorOptions& o_;
  const int first_;  // the first simulated replica, of the options' replicas
  const int reps_;   // replicas simulated here
  Engine engine_;
  std::vector<std::vector<std::vector<Edge>>> succ_;
  std::vector<std::vector<int>> deps_init_;
  std::vector<std::vector<RankState>> state_;
  std::unordered_map<std::uint64_t, int> rendezvous_;
  std::unordered_map<LoadKey, GroupLoads, LoadKeyHash> group_loads_;
  std::unordered_map<std::uint64_t, TaskTemplate> templates_;      // node-based: stable addresses
  std::vector<std::unordered_map<int, int>> last_wgrad_op_;        // per rank: stage -> op index
  std::unordered_map<const SubOp*, std::vector<int>> dp_trigger_;  // W sub-op -> slots made final
  struct Collective {
    int first = 0;
    int members = 1;
    int rank = 0;
    Lane lane = Lane::kComm;
    int pending = 0;
  };
  struct Send {
    int rep = 0;
    int from = 0;
    int to_rank = 0;
    int to_index = 0;
    bool forward = true;
    Nanoseconds start{};
  };
  std::unique_ptr<FlowNetwork> net_;  // the step's shared ports (StepNetwork::shared)
  SlotPool<Collective> collectives_;
  SlotPool<Send> sends_;
  std::array<Nanoseconds, kWorkClassCount> class_busy_{};
  std::uint64_t sub_ops_ = 0;
};

}  // namespace

Nanoseconds compute_lower_bound(const Schedule& schedule, const PipelineProgram& program,
                                const ExecutorOptions& options) {
  if (options.kernel_time_cv > 0 || options.routing_cv > 0) return Nanoseconds(0);
  for (double k : options.replica_compute_scale) {
    if (k < 1.0) return Nanoseconds(0);
  }
  const auto compute = [](const std::vector<SubOp>& ops) {
    Nanoseconds t{0};
    for (const SubOp& so : ops) {
      if (so.lane == Lane::kCompute && so.cls == WorkClass::kCompute) t += so.duration;
    }
    return t;
  };
  // Per stage: forward, input-gradient and weight-gradient compute. Every op runs all of its
  // chunks' sub-ops (an F&B pair runs the forward chunk and the whole backward chunk).
  std::vector<std::array<Nanoseconds, 3>> stage;
  for (const ChunkProgram& c : program.stages) {
    stage.push_back({compute(c.forward), compute(c.backward_input), compute(c.backward_weight)});
  }
  const auto at = [&](int s) -> const std::array<Nanoseconds, 3>& {
    if (s < 0 || s >= static_cast<int>(stage.size())) {
      throw PlanError("pipeline executor: schedule names stage " + std::to_string(s) +
                      " of a program with " + std::to_string(stage.size()));
    }
    return stage[static_cast<std::size_t>(s)];
  };
  const auto op_compute = [&](const ScheduleOp& op) {
    const auto& f = at(op.part.stage);
    switch (op.type) {
      case OpType::kF:
        return f[0];
      case OpType::kB:
        return f[1] + f[2];
      case OpType::kBi:
        return f[1];
      case OpType::kW:
        return f[2];
      case OpType::kFB: {
        const auto& b = at(op.backward.stage);
        return f[0] + b[1] + b[2];
      }
    }
    return Nanoseconds(0);
  };
  // The step with every op as long as its compute and transfers free: a rank runs its ops one
  // after another and an op's successors are released when it is done (the executor's rules),
  // so each op ends no earlier than here. This holds the pipeline's fill and drain, not only the
  // busiest rank's work.
  const int ranks = static_cast<int>(schedule.ops.size());
  const DependencyGraph g = build_dependencies(schedule);
  std::vector<std::vector<Nanoseconds>> end(static_cast<std::size_t>(ranks));
  std::size_t left = 0;
  for (int r = 0; r < ranks; ++r) {
    end[static_cast<std::size_t>(r)].reserve(schedule.ops[static_cast<std::size_t>(r)].size());
    left += schedule.ops[static_cast<std::size_t>(r)].size();
  }
  Nanoseconds bound{0};
  for (bool progress = true; left > 0 && progress;) {
    progress = false;
    for (int r = 0; r < ranks; ++r) {
      auto& mine = end[static_cast<std::size_t>(r)];
      const auto& ops = schedule.ops[static_cast<std::size_t>(r)];
      while (mine.size() < ops.size()) {
        const std::size_t i = mine.size();
        Nanoseconds start = i > 0 ? mine.back() : Nanoseconds(0);
        bool ready = true;
        for (const OpRef& pr : g.preds[static_cast<std::size_t>(r)][i]) {
          const auto& theirs = end[static_cast<std::size_t>(pr.rank)];
          if (static_cast<std::size_t>(pr.index) >= theirs.size()) {
            ready = false;
            break;
          }
          start = std::max(start, theirs[static_cast<std::size_t>(pr.index)]);
        }
        if (!ready) break;
        mine.push_back(start + op_compute(ops[i]));
        bound = std::max(bound, mine.back());
        --left;
        progress = true;
      }
    }
  }
  // A schedule that cannot complete keeps the bound found so far; the executor reports it.
  return bound;
}

ExecutionResult execute_pipeline(const Schedule& schedule, const PipelineProgram& program,
                                 const ExecutorOptions& options) {
  // Collective groups share nothing: a collective rendezvous is within a group and every GPU has
  // its own ports. Without observers (which see events in completion order over all replicas),
  // the groups run one after another on engines of their own: the same results, with the
  // working set of one group (16,384 GPUs: 16 groups of 1,024) instead of all.
  const int group = std::max(1, options.collective_group);
  if (options.on_sub_op || options.on_transfer || options.replicas <= group ||
      options.replicas % group != 0) {
    Executor ex(schedule, program, options, 0, options.replicas);
    return ex.run();
  }
  ExecutionResult all;
  for (int first = 0; first < options.replicas; first += group) {
    Executor ex(schedule, program, options, first, group);
    ExecutionResult r = ex.run();
    all.makespan = std::max(all.makespan, r.makespan);
    all.dp_sync_end = std::max(all.dp_sync_end, r.dp_sync_end);
    all.sub_ops_executed += r.sub_ops_executed;
    all.engine_events += r.engine_events;
    if (first == 0) {
      all.ranks = std::move(r.ranks);
      all.class_busy = r.class_busy;
    }
    if (r.stopped) {
      // Known to pass the bound: the other groups would not change that.
      all.stopped = true;
      all.makespan = options.stop_after;
      return all;
    }
    if (options.on_group_done) options.on_group_done(first / group + 1, options.replicas / group);
  }
  return all;
}

}  // namespace hopsim::sim
