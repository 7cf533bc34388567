// hopsim-measure: runs a measurement plan on the local GPU under CUPTI, alone and concurrently on
// green-context SM partitions, and writes a trace SQLite for `hopsim calibrate`.
// Usage: hopsim-measure PLAN.yaml -o trace.sqlite [--only CLASS] [--dry-run] [--command-line S]

#include <cuda.h>
#include <cuda_runtime_api.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cupti_recorder.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/profiler/calibrate/measure_plan.hpp"
#include "hopsim/profiler/calibrate/trace_schema.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "partition.hpp"
#include "runners.hpp"

namespace hm {
using namespace hopsim::measure;  // NOLINT: this file's own program
using hopsim::profiler::calibrate::describe_plan;
using hopsim::profiler::calibrate::load_plan;
using hopsim::profiler::calibrate::Plan;
using hopsim::profiler::calibrate::PlanEntry;
using hopsim::profiler::calibrate::work_of;
}  // namespace hm

namespace {

void check_rt(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

// Tag layout: measurement id in the high bits, repeat in the low 16.
std::uint64_t tag(long long id, int repeat) {
  return (static_cast<std::uint64_t>(id) << 16) | static_cast<std::uint64_t>(repeat);
}

struct Measurement {
  long long id = 0;
  const hm::PlanEntry* entry = nullptr;
  int sms = 0;
  std::string role = "alone";
  long long concurrent_with = 0;
  std::string note;
};

std::string shape_json(const hm::PlanEntry& e, const std::string& note) {
  std::ostringstream o;
  o << "{";
  bool first = true;
  for (const auto& [k, v] : e.shape) {
    o << (first ? "" : ",") << "\"" << k << "\":" << v;
    first = false;
  }
  if (!note.empty()) o << (first ? "" : ",") << "\"note\":\"" << note << "\"";
  o << "}";
  return o.str();
}

class Db {
 public:
  explicit Db(const std::string& path) {
    std::filesystem::remove(path);
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK)
      throw std::runtime_error("cannot create " + path);
    exec(hopsim::profiler::calibrate::kMeasureTraceSchema);
    exec("BEGIN");
  }
  ~Db() {
    exec_noexcept("COMMIT");
    sqlite3_close(db_);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err != nullptr ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("SQLite: " + msg);
    }
  }
  // Prepared insert with text/integer/real/null values bound in order.
  struct Value {
    enum Kind { kNull, kInt, kReal, kText } kind = kNull;
    long long i = 0;
    double d = 0;
    std::string s;
  };
  static Value I(long long v) { return Value{Value::kInt, v, 0, {}}; }
  static Value R(double v) { return Value{Value::kReal, 0, v, {}}; }
  static Value T(std::string v) { return Value{Value::kText, 0, 0, std::move(v)}; }
  static Value N() { return Value{}; }
  void insert(const std::string& sql, const std::vector<Value>& vals) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("SQLite prepare: ") + sqlite3_errmsg(db_));
    for (std::size_t i = 0; i < vals.size(); ++i) {
      const int col = static_cast<int>(i) + 1;
      const Value& v = vals[i];
      if (v.kind == Value::kInt) sqlite3_bind_int64(st, col, v.i);
      if (v.kind == Value::kReal) sqlite3_bind_double(st, col, v.d);
      if (v.kind == Value::kText) sqlite3_bind_text(st, col, v.s.c_str(), -1, SQLITE_TRANSIENT);
      if (v.kind == Value::kNull) sqlite3_bind_null(st, col);
    }
    const int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
      throw std::runtime_error(std::string("SQLite insert: ") + sqlite3_errmsg(db_));
  }

 private:
  void exec_noexcept(const char* sql) noexcept {
    sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  }
  sqlite3* db_ = nullptr;
};

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Runs `runner` warmup+repeats times on `p`, tagging each recorded repeat.
void run_alone(hm::Runner& runner, const hm::Partition& p, long long id, const hm::Plan& plan) {
  p.make_current();
  auto* s = reinterpret_cast<cudaStream_t>(p.stream());
  for (int w = 0; w < plan.warmup; ++w) runner.launch(s, p.sms());
  check_rt(cudaStreamSynchronize(s), "warmup");
  for (int r = 0; r < plan.repeats; ++r) {
    hm::CuptiRecorder::push_tag(tag(id, r));
    runner.launch(s, p.sms());
    hm::CuptiRecorder::pop_tag();
    // One repeat at a time so a repeat's span is its own kernels only.
    check_rt(cudaStreamSynchronize(s), "repeat");
  }
}

int usage() {
  std::cerr << "usage: hopsim-measure PLAN.yaml -o TRACE.sqlite [--only CLASS] [--dry-run]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string plan_path;
  std::string out_path;
  std::string only;
  std::string command_line;
  bool dry_run = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    command_line += (i > 1 ? " " : "") + a;
    if (a == "-o" && i + 1 < argc) {
      out_path = argv[++i];
      command_line += std::string(" ") + argv[i];
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
      command_line += std::string(" ") + argv[i];
    } else if (a == "--dry-run") {
      dry_run = true;
    } else if (a == "-h" || a == "--help") {
      return usage(), 0;
    } else if (plan_path.empty() && a[0] != '-') {
      plan_path = a;
    } else {
      return usage();
    }
  }
  if (plan_path.empty() || (out_path.empty() && !dry_run)) return usage();
  try {
    const hm::Plan plan = hm::load_plan(plan_path);
    std::vector<const hm::PlanEntry*> entries;
    for (const auto& e : plan.entries)
      if (only.empty() || e.kernel_class == only) entries.push_back(&e);
    if (dry_run) {
      std::cout << hm::describe_plan(plan);
      return 0;
    }
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0)
      throw std::runtime_error(
          "no CUDA device available (hopsim-measure needs an NVIDIA GPU and driver)");
    check_rt(cudaSetDevice(0), "cudaSetDevice");
    check_rt(cudaFree(nullptr), "context init");
    cudaDeviceProp prop{};
    check_rt(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    CUdevice dev = 0;
    if (cuDeviceGet(&dev, 0) != CUDA_SUCCESS) throw std::runtime_error("cuDeviceGet failed");
    int driver = 0;
    int runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    int sm_clock_khz = 0;
    int mem_clock_khz = 0;
    int bus_width = 0;
    cudaDeviceGetAttribute(&sm_clock_khz, cudaDevAttrClockRate, 0);
    cudaDeviceGetAttribute(&mem_clock_khz, cudaDevAttrMemoryClockRate, 0);
    cudaDeviceGetAttribute(&bus_width, cudaDevAttrGlobalMemoryBusWidth, 0);

    Db db(out_path);
    const std::map<std::string, std::string> prov{
        {"format", "hopsim-measure-trace"},
        {"format_version", std::to_string(hopsim::profiler::calibrate::kMeasureTraceVersion)},
        {"device_name", prop.name},
        {"sm_count", std::to_string(prop.multiProcessorCount)},
        {"compute_capability", std::to_string(prop.major) + "." + std::to_string(prop.minor)},
        {"sm_clock_mhz_max", std::to_string(sm_clock_khz / 1000)},
        {"memory_clock_mhz", std::to_string(mem_clock_khz / 1000)},
        {"memory_bus_width_bits", std::to_string(bus_width)},
        {"memory_bytes", std::to_string(prop.totalGlobalMem)},
        {"driver_version", std::to_string(driver)},
        {"cuda_runtime_version", std::to_string(runtime)},
        {"cuda_toolkit_version", std::to_string(CUDA_VERSION)},
        {"hopsim_git_commit", HOPSIM_GIT_COMMIT},
        {"hopsim_version", HOPSIM_MEASURE_VERSION},
        {"date_utc", now_utc()},
        {"command_line", "hopsim-measure " + command_line},
        {"plan", plan.name},
        {"warmup", std::to_string(plan.warmup)},
        {"repeats", std::to_string(plan.repeats)},
    };
    for (const auto& [k, v] : prov)
      db.insert("INSERT INTO provenance VALUES (?, ?)", {Db::T(k), Db::T(v)});

    const hm::Partitioner parts(dev);
    // Buffers are allocated with the primary context current; partitions switch contexts, so
    // it is made current again before each runner is set up.
    CUcontext primary = nullptr;
    if (cuDevicePrimaryCtxRetain(&primary, dev) != CUDA_SUCCESS)
      throw std::runtime_error("cuDevicePrimaryCtxRetain failed");
    std::vector<Measurement> ms;
    std::map<std::string, std::unique_ptr<hm::Runner>> runners;
    hm::CuptiRecorder recorder;
    long long next_id = 1;
    for (const auto* e : entries) {
      std::cerr << "measuring " << e->label << " [" << e->kernel_class << "]\n";
      cuCtxSetCurrent(primary);
      auto runner = hm::make_runner(*e);
      check_rt(cudaDeviceSynchronize(), "setup");
      for (int sms : e->partitions) {
        if (!runner->partitionable() && sms < parts.total_sms()) continue;
        const auto p = parts.alone(sms);
        Measurement m{next_id++, e, p->sms(), "alone", 0, runner->note()};
        run_alone(*runner, *p, m.id, plan);
        ms.push_back(m);
      }
      runners[e->label] = std::move(runner);
    }
    // Concurrent pairs: the copy on ~c SMs beside a compute kernel on the rest, launched together.
    if (only.empty()) {
      hm::PlanEntry copy_entry{
          "concurrent_copy", "comm_copy", {{"bytes", plan.concurrent_copy_bytes}}, {}};
      for (int c : plan.concurrent_copy_sms) {
        hm::Runner* copy = nullptr;
        cuCtxSetCurrent(primary);
        auto copy_runner = hm::make_runner(copy_entry);
        copy = copy_runner.get();
        for (const auto& label : plan.concurrent_compute) {
          hm::Runner* comp = runners.at(label).get();
          const hm::PlanEntry* ce = nullptr;
          for (const auto& x : plan.entries)
            if (x.label == label) ce = &x;
          auto [cp, pp] = parts.pair(c);
          Measurement mc{next_id++, ce, pp->sms(), "compute_concurrent", 0, comp->note()};
          Measurement mk{next_id++, nullptr, cp->sms(), "copy_concurrent", mc.id, ""};
          mc.concurrent_with = mk.id;
          auto* cs = reinterpret_cast<cudaStream_t>(cp->stream());
          auto* ps = reinterpret_cast<cudaStream_t>(pp->stream());
          for (int r = 0; r < plan.warmup + plan.repeats; ++r) {
            const bool rec = r >= plan.warmup;
            const int rep = r - plan.warmup;
            cp->make_current();
            if (rec) hm::CuptiRecorder::push_tag(tag(mk.id, rep));
            copy->launch(cs, cp->sms());
            if (rec) hm::CuptiRecorder::pop_tag();
            pp->make_current();
            if (rec) hm::CuptiRecorder::push_tag(tag(mc.id, rep));
            comp->launch(ps, pp->sms());
            if (rec) hm::CuptiRecorder::pop_tag();
            check_rt(cudaStreamSynchronize(cs), "copy");
            check_rt(cudaStreamSynchronize(ps), "compute");
          }
          ms.push_back(mc);
          mk.entry = nullptr;
          ms.push_back(mk);
        }
      }
      check_rt(cudaDeviceSynchronize(), "end");
      for (auto& m : ms)
        if (m.role == "copy_concurrent")
          m.note = "copy_bytes=" + std::to_string(plan.concurrent_copy_bytes);
    }
    const hm::Recording rec = recorder.finish();
    cuCtxSetCurrent(primary);

    for (const auto& m : ms) {
      hm::PlanEntry copy_entry{
          "concurrent_copy", "comm_copy", {{"bytes", plan.concurrent_copy_bytes}}, {}};
      const hm::PlanEntry& e = m.entry != nullptr ? *m.entry : copy_entry;
      const auto w = hm::work_of(e);
      db.insert("INSERT INTO measurements VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                {Db::I(m.id), Db::T(e.kernel_class), Db::T(e.label),
                 Db::T(w.flops_basis ? "flops" : "bytes"), Db::T(shape_json(e, m.note)),
                 Db::R(w.flops), Db::R(w.bytes), Db::I(m.sms), Db::T(m.role),
                 m.concurrent_with != 0 ? Db::I(m.concurrent_with) : Db::N(), Db::I(plan.repeats)});
    }
    for (const auto& [id, c] : rec.contexts)
      db.insert("INSERT INTO contexts VALUES (?,?,?,?,?)",
                {Db::I(id), Db::I(c.device), Db::I(c.green ? 1 : 0),
                 c.green ? Db::I(c.sms) : Db::N(), Db::I(c.parent)});
    long long kid = 0;
    for (const auto& k : rec.kernels) {
      const auto ctx = rec.contexts.find(k.context);
      const bool green = ctx != rec.contexts.end() && ctx->second.green;
      const auto ext = rec.external_id.find(k.correlation);
      db.insert("INSERT INTO kernels VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                {Db::I(++kid),
                 Db::T(k.name),
                 Db::I(static_cast<long long>(k.start)),
                 Db::I(static_cast<long long>(k.end)),
                 Db::I(k.device),
                 Db::I(k.stream),
                 Db::I(k.context),
                 Db::I(k.correlation),
                 Db::I(k.grid[0]),
                 Db::I(k.grid[1]),
                 Db::I(k.grid[2]),
                 Db::I(k.block[0]),
                 Db::I(k.block[1]),
                 Db::I(k.block[2]),
                 Db::I(k.registers),
                 Db::I(k.shared_bytes),
                 Db::I(green ? 1 : 0),
                 green ? Db::I(ctx->second.sms) : Db::I(prop.multiProcessorCount),
                 ext != rec.external_id.end() ? Db::I(static_cast<long long>(ext->second >> 16))
                                              : Db::N(),
                 ext != rec.external_id.end() ? Db::I(static_cast<long long>(ext->second & 0xFFFF))
                                              : Db::N()});
    }
    for (const auto& c : rec.copies) {
      if (c.is_memset) {
        db.insert(
            "INSERT INTO memset(bytes,start_ns,end_ns,device,stream,context,correlation) VALUES "
            "(?,?,?,?,?,?,?)",
            {Db::I(static_cast<long long>(c.bytes)), Db::I(static_cast<long long>(c.start)),
             Db::I(static_cast<long long>(c.end)), Db::I(c.device), Db::I(c.stream),
             Db::I(c.context), Db::I(c.correlation)});
      } else {
        db.insert(
            "INSERT INTO memcpy(kind,bytes,start_ns,end_ns,device,stream,context,correlation) "
            "VALUES (?,?,?,?,?,?,?,?)",
            {Db::I(c.kind), Db::I(static_cast<long long>(c.bytes)),
             Db::I(static_cast<long long>(c.start)), Db::I(static_cast<long long>(c.end)),
             Db::I(c.device), Db::I(c.stream), Db::I(c.context), Db::I(c.correlation)});
      }
    }
    for (const auto& a : rec.api)
      db.insert(
          "INSERT INTO runtime_api(cbid,start_ns,end_ns,process,thread,correlation) VALUES "
          "(?,?,?,?,?,?)",
          {Db::I(a.cbid), Db::I(static_cast<long long>(a.start)),
           Db::I(static_cast<long long>(a.end)), Db::I(a.process), Db::I(a.thread),
           Db::I(a.correlation)});
    // Overlap check of each concurrent pair: the two partitions are disjoint by construction,
    // so their kernels should overlap in time; the recorded overlap shows whether they did.
    db.exec(
        "INSERT INTO overlaps SELECT mc.id, mk.id, "
        "SUM(MAX(0, MIN(kc.end_ns, kk.end_ns) - MAX(kc.start_ns, kk.start_ns))), "
        "SUM(kc.end_ns - kc.start_ns), SUM(kk.end_ns - kk.start_ns), "
        "MIN(kc.context != kk.context) "
        "FROM measurements mc JOIN measurements mk ON mk.id = mc.concurrent_with "
        "JOIN kernels kc ON kc.measurement_id = mc.id JOIN kernels kk ON kk.measurement_id = mk.id "
        "AND kk.repeat = kc.repeat WHERE mc.role = 'compute_concurrent' GROUP BY mc.id, mk.id");
    // Report the overlap of each pair here too, so a run whose partitions did not overlap is
    // noticed at once (it would mean the green contexts serialised).
    std::map<std::pair<long long, long long>, std::pair<std::uint64_t, std::uint64_t>> span;
    for (const auto& k : rec.kernels) {
      const auto ext = rec.external_id.find(k.correlation);
      if (ext == rec.external_id.end()) continue;
      auto& sp = span[{static_cast<long long>(ext->second >> 16),
                       static_cast<long long>(ext->second & 0xFFFF)}];
      sp.first = sp.first == 0 ? k.start : std::min(sp.first, k.start);
      sp.second = std::max(sp.second, k.end);
    }
    for (const auto& m : ms) {
      if (m.role != "compute_concurrent") continue;
      std::uint64_t overlap = 0;
      std::uint64_t compute = 0;
      for (int r = 0; r < plan.repeats; ++r) {
        const auto a = span.find({m.id, r});
        const auto b = span.find({m.concurrent_with, r});
        if (a == span.end() || b == span.end()) continue;
        const std::uint64_t lo = std::max(a->second.first, b->second.first);
        const std::uint64_t hi = std::min(a->second.second, b->second.second);
        overlap += hi > lo ? hi - lo : 0;
        compute += a->second.second - a->second.first;
      }
      const double frac =
          compute > 0 ? static_cast<double>(overlap) / static_cast<double>(compute) : 0.0;
      std::cerr << (overlap == 0 ? "WARNING: no overlap: " : "overlap: ") << m.entry->label
                << " on " << m.sms << " SMs with a copy on the other SMs: " << frac * 100
                << "% of its time\n";
    }
    // The same recording in the importer's trace layout (docs/TRACES.md), so `hopsim import` and
    // `hopsim compare` can read measured kernels too. Measurement ids are not part of it.
    const std::filesystem::path import_path =
        std::filesystem::path(out_path).replace_extension(".import.sqlite");
    {
      namespace tr = hopsim::profiler::trace;
      tr::TraceWriter w(import_path);
      for (const auto& [k, v] : prov) w.set_info(k, v);
      w.add_device(tr::DeviceInfo{0, prop.name, prop.multiProcessorCount,
                                  static_cast<std::int64_t>(prop.totalGlobalMem), prop.major,
                                  prop.minor, sm_clock_khz});
      for (const auto& k : rec.kernels) {
        tr::GpuActivity a;
        a.kind = tr::ActivityKind::kKernel;
        a.device = k.device;
        a.stream = k.stream;
        a.start = hopsim::Nanoseconds(static_cast<std::int64_t>(k.start));
        a.end = hopsim::Nanoseconds(static_cast<std::int64_t>(k.end));
        a.name = k.name;
        a.correlation = k.correlation;
        a.grid = tr::Dim3{k.grid[0], k.grid[1], k.grid[2]};
        a.block = tr::Dim3{k.block[0], k.block[1], k.block[2]};
        w.add_activity(a);
      }
      for (const auto& c : rec.copies) {
        tr::GpuActivity a;
        a.kind = c.is_memset ? tr::ActivityKind::kMemset : tr::ActivityKind::kMemcpy;
        a.device = c.device;
        a.stream = c.stream;
        a.start = hopsim::Nanoseconds(static_cast<std::int64_t>(c.start));
        a.end = hopsim::Nanoseconds(static_cast<std::int64_t>(c.end));
        a.name = c.is_memset ? "memset" : "memcpy";
        a.correlation = c.correlation;
        a.bytes = static_cast<std::int64_t>(c.bytes);
        w.add_activity(a);
      }
      for (const auto& api : rec.api) {
        tr::RuntimeCall r;
        const std::string name = "cbid_" + std::to_string(api.cbid);
        r.name = name;
        r.pid = api.process;
        r.tid = api.thread;
        r.start = hopsim::Nanoseconds(static_cast<std::int64_t>(api.start));
        r.end = hopsim::Nanoseconds(static_cast<std::int64_t>(api.end));
        r.correlation = api.correlation;
        w.add_runtime(r);
      }
      w.commit();
    }
    std::cerr << "wrote " << rec.kernels.size() << " kernel records, " << ms.size()
              << " measurements to " << out_path << "\n";
    return 0;
  } catch (const hopsim::ConfigError& e) {
    std::cerr << "hopsim-measure: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "hopsim-measure: error: " << e.what() << "\n";
    return 1;
  }
}
