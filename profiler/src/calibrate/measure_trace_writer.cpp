#include "hopsim/profiler/calibrate/measure_trace_writer.hpp"

#include <system_error>

#include "hopsim/core/io/sqlite.hpp"
#include "hopsim/profiler/calibrate/trace_schema.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"

namespace hopsim::profiler::calibrate {

namespace {

std::filesystem::path temp_name(const std::filesystem::path& out) {
  auto p = out;
  p += ".tmp";
  return p;
}

// Opens a fresh temporary file: a leftover from a crashed run must not be appended to.
const std::filesystem::path& fresh(const std::filesystem::path& tmp) {
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  return tmp;
}

bool setup(const sqlite::Db& db) {
  // The file is renamed into place only when complete, so a journal buys nothing.
  db.exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
  db.exec(kMeasureTraceSchema);
  db.exec("BEGIN");
  return true;
}

template <class T>
void bind_optional(sqlite::Stmt& s, int i, const std::optional<T>& v) {
  if (v) {
    s.bind(i, static_cast<std::int64_t>(*v));
  } else {
    s.bind_null(i);
  }
}

}  // namespace

struct MeasureTraceWriter::Impl {
  std::filesystem::path out;
  std::filesystem::path tmp;
  sqlite::Db db;
  bool ready;  // the schema exists before the statements below are prepared against it
  sqlite::Stmt provenance;
  sqlite::Stmt measurement;
  sqlite::Stmt kernel;
  sqlite::Stmt ins_memcpy;
  sqlite::Stmt ins_memset;
  sqlite::Stmt api;
  sqlite::Stmt context;
  bool committed = false;

  Impl(std::filesystem::path o, std::filesystem::path t)
      : out(std::move(o)),
        tmp(std::move(t)),
        db(fresh(tmp), sqlite::Open::kCreate, trace::throw_trace_error),
        ready(setup(db)),
        provenance(db, "INSERT INTO provenance(key, value) VALUES (?, ?)"),
        measurement(db,
                    "INSERT INTO measurements(id, kernel_class, label, basis, shape, flops, "
                    "bytes, partition_sms, role, concurrent_with, repeats) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?)"),
        kernel(db,
               "INSERT INTO kernels(name, start_ns, end_ns, device, stream, context, "
               "correlation, grid_x, grid_y, grid_z, block_x, block_y, block_z, registers, "
               "shared_bytes, green_ctx, green_ctx_sms, measurement_id, repeat) "
               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
        ins_memcpy(db,
                   "INSERT INTO memcpy(kind, bytes, start_ns, end_ns, device, stream, context, "
                   "correlation) VALUES (?,?,?,?,?,?,?,?)"),
        ins_memset(db,
                   "INSERT INTO memset(bytes, start_ns, end_ns, device, stream, context, "
                   "correlation) VALUES (?,?,?,?,?,?,?)"),
        api(db,
            "INSERT INTO runtime_api(cbid, start_ns, end_ns, process, thread, correlation) "
            "VALUES (?,?,?,?,?,?)"),
        context(db,
                "INSERT INTO contexts(context, device, green_ctx, sms, parent_context) "
                "VALUES (?,?,?,?,?)") {}
};

MeasureTraceWriter::MeasureTraceWriter(std::filesystem::path out) {
  auto tmp = temp_name(out);
  impl_ = std::make_unique<Impl>(std::move(out), std::move(tmp));
}

MeasureTraceWriter::~MeasureTraceWriter() {
  if (impl_ && !impl_->committed) {
    impl_->db.close();
    std::error_code ec;
    std::filesystem::remove(impl_->tmp, ec);
  }
}

void MeasureTraceWriter::set_provenance(std::string_view key, std::string_view value) {
  auto& s = impl_->provenance;
  s.bind(1, key);
  s.bind(2, value);
  s.run();
}

void MeasureTraceWriter::add(const MeasurementRow& m) {
  auto& s = impl_->measurement;
  s.bind(1, static_cast<std::int64_t>(m.id));
  s.bind(2, m.kernel_class);
  s.bind(3, m.label);
  s.bind(4, std::string_view(m.flops_basis ? "flops" : "bytes"));
  s.bind(5, m.shape_json);
  s.bind_real(6, m.flops);
  s.bind_real(7, m.bytes);
  s.bind(8, static_cast<std::int64_t>(m.partition_sms));
  s.bind(9, m.role);
  bind_optional(s, 10, m.concurrent_with);
  s.bind(11, static_cast<std::int64_t>(m.repeats));
  s.run();
}

void MeasureTraceWriter::add(const KernelRow& k) {
  auto& s = impl_->kernel;
  s.bind(1, k.name);
  s.bind(2, k.start_ns);
  s.bind(3, k.end_ns);
  s.bind(4, k.device);
  s.bind(5, k.stream);
  s.bind(6, k.context);
  s.bind(7, k.correlation);
  for (int i = 0; i < 3; ++i) {
    s.bind(8 + i, static_cast<std::int64_t>(k.grid[static_cast<std::size_t>(i)]));
    s.bind(11 + i, static_cast<std::int64_t>(k.block[static_cast<std::size_t>(i)]));
  }
  s.bind(14, static_cast<std::int64_t>(k.registers));
  s.bind(15, static_cast<std::int64_t>(k.shared_bytes));
  s.bind(16, static_cast<std::int64_t>(k.green_ctx ? 1 : 0));
  s.bind(17, static_cast<std::int64_t>(k.green_ctx_sms));
  bind_optional(s, 18, k.measurement_id);
  bind_optional(s, 19, k.repeat);
  s.run();
}

void MeasureTraceWriter::add(const CopyRow& c) {
  auto& s = c.is_memset ? impl_->ins_memset : impl_->ins_memcpy;
  int i = 1;
  if (!c.is_memset) s.bind(i++, static_cast<std::int64_t>(c.kind));
  for (const std::int64_t v :
       {c.bytes, c.start_ns, c.end_ns, c.device, c.stream, c.context, c.correlation})
    s.bind(i++, v);
  s.run();
}

void MeasureTraceWriter::add(const RuntimeApiRow& r) {
  auto& s = impl_->api;
  s.bind(1, static_cast<std::int64_t>(r.cbid));
  s.bind(2, r.start_ns);
  s.bind(3, r.end_ns);
  s.bind(4, r.process);
  s.bind(5, r.thread);
  s.bind(6, r.correlation);
  s.run();
}

void MeasureTraceWriter::add(const ContextRow& c) {
  auto& s = impl_->context;
  s.bind(1, c.context);
  s.bind(2, c.device);
  s.bind(3, static_cast<std::int64_t>(c.green ? 1 : 0));
  bind_optional(s, 4, c.sms);
  s.bind(5, c.parent);
  s.run();
}

void MeasureTraceWriter::commit() {
  auto& db = impl_->db;
  // Per concurrent pair, summed over repeats: how long the compute and the copy kernels of the
  // same repeat overlapped in time. The two partitions are disjoint by construction, so no
  // overlap means the green contexts serialised.
  db.exec(
      "INSERT INTO overlaps SELECT mc.id, mk.id, "
      "SUM(MAX(0, MIN(kc.end_ns, kk.end_ns) - MAX(kc.start_ns, kk.start_ns))), "
      "SUM(kc.end_ns - kc.start_ns), SUM(kk.end_ns - kk.start_ns), "
      "MIN(kc.context != kk.context) "
      "FROM measurements mc JOIN measurements mk ON mk.id = mc.concurrent_with "
      "JOIN kernels kc ON kc.measurement_id = mc.id JOIN kernels kk ON kk.measurement_id = mk.id "
      "AND kk.repeat = kc.repeat WHERE mc.role = 'compute_concurrent' GROUP BY mc.id, mk.id;"
      "COMMIT;");
  db.close();
  std::error_code ec;
  std::filesystem::rename(impl_->tmp, impl_->out, ec);
  if (ec) {
    const std::string why = ec.message();
    std::filesystem::remove(impl_->tmp, ec);
    throw trace::TraceError(impl_->out.string(), "",
                            "cannot move the finished trace into place: " + why);
  }
  impl_->committed = true;
}

}  // namespace hopsim::profiler::calibrate
