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
  impl_->provenance.run_with(key, value);
}

void MeasureTraceWriter::add(const MeasurementRow& m) {
  impl_->measurement.run_with(m.id, m.kernel_class, m.label, m.flops_basis ? "flops" : "bytes",
                              m.shape_json, m.flops, m.bytes, m.partition_sms, m.role,
                              m.concurrent_with, m.repeats);
}

void MeasureTraceWriter::add(const KernelRow& k) {
  impl_->kernel.run_with(k.name, k.start_ns, k.end_ns, k.device, k.stream, k.context, k.correlation,
                         k.grid[0], k.grid[1], k.grid[2], k.block[0], k.block[1], k.block[2],
                         k.registers, k.shared_bytes, k.green_ctx, k.green_ctx_sms,
                         k.measurement_id, k.repeat);
}

void MeasureTraceWriter::add(const CopyRow& c) {
  // memset has the columns of memcpy but `kind`.
  auto& s = c.is_memset ? impl_->ins_memset : impl_->ins_memcpy;
  const int first = c.is_memset ? 1 : s.bind_all(1, c.kind);
  s.bind_all(first, c.bytes, c.start_ns, c.end_ns, c.device, c.stream, c.context, c.correlation);
  s.run();
}

void MeasureTraceWriter::add(const RuntimeApiRow& r) {
  impl_->api.run_with(r.cbid, r.start_ns, r.end_ns, r.process, r.thread, r.correlation);
}

void MeasureTraceWriter::add(const ContextRow& c) {
  impl_->context.run_with(c.context, c.device, c.green, c.sms, c.parent);
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
