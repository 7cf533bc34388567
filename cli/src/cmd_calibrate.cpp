// `hopsim calibrate trace.sqlite -o calibration.yaml`: fits efficiency curves per kernel class
// and bandwidth-vs-SMs curves from a hopsim-measure trace; with --from-trace, time scales from a
// real run's trace; with --gemm-table, the GEMM tile model from a per-shape table
// (docs/CALIBRATION.md).

#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/format.hpp"
#include "hopsim/planner/hash.hpp"
#include "hopsim/profiler/attribute/component_map.hpp"
#include "hopsim/profiler/calibrate/calibration.hpp"
#include "hopsim/profiler/calibrate/trace_fit.hpp"
#include "hopsim/profiler/calibrate/trace_input.hpp"
#include "hopsim/profiler/calibrate/transfer.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "hopsim/sim/cost/gemm_fit.hpp"
#include "table.hpp"

namespace hopsim::cli {
namespace {

namespace cal = profiler::calibrate;

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// The fit as text: each component, the scales, what could not be identified, the errors.
void print_fit(std::ostream& out, const cal::TraceFit& fit) {
  for (const auto& w : fit.warnings) out << "warning: " << w << "\n";
  out << "component       measured ms  modelled ms  fitted ms  left out ms\n";
  for (const auto& c : fit.components) {
    out << c.component << std::string(c.component.size() < 14 ? 14 - c.component.size() : 1, ' ')
        << fmt("%13.3f", c.measured_ms) << fmt("%13.3f", c.modelled_ms)
        << fmt("%11.3f", c.fitted_ms) << fmt("%13.3f", c.left_out_ms) << "\n";
  }
  for (const auto& [g, v] : fit.scales) out << "time scale " << g << ": " << fmt("%.4f", v) << "\n";
  for (const auto& g : fit.unidentified) {
    out << "warning: " << g << " cannot be told apart from the other groups by these "
        << "components (minimum-norm answer)\n";
  }
  out << "fit: rms relative error " << fmt("%.2f%%", 100 * fit.rms_rel_error)
      << ", leave-one-component-out " << fmt("%.2f%%", 100 * fit.leave_one_out_rms_rel_error);
  if (fit.engine_runs > 0) out << "; the step engine ran " << fit.engine_runs << " times";
  out << "\n";
  if (fit.launch_overhead) {
    out << "launch overhead: " << fmt("%.2f", to_us(*fit.launch_overhead))
        << " us, the median gap before the " << fit.queued_kernels
        << " kernels that waited in a compute stream's queue (the model's was "
        << fmt("%.2f", to_us(fit.model_launch_overhead)) << " us)\n";
  } else {
    out << "launch overhead: not fitted, no kernel waited in a compute stream's queue (the "
        << "trace is host-bound); the model's " << fmt("%.2f", to_us(fit.model_launch_overhead))
        << " us kept\n";
  }
  if (fit.comm_hbm_bytes_per_wire_byte) {
    double added = 0;
    for (const auto& c : fit.components) added += c.interference_ms;
    out << "HBM interference: " << fmt("%.3f", *fit.comm_hbm_bytes_per_wire_byte)
        << " HBM bytes per byte a communication kernel sends (the model's was "
        << fmt("%.3f", fit.model_comm_hbm_bytes_per_wire_byte) << "), adding " << fmt("%.3f", added)
        << " ms to the components above\n";
  } else {
    out << "HBM interference: not fitted, " << fit.interference_note << "; the model's "
        << fmt("%.3f", fit.model_comm_hbm_bytes_per_wire_byte) << " kept\n";
  }
}

}  // namespace

void register_calibrate(CLI::App& app, Io io) {
  auto* cmd =
      app.add_subcommand("calibrate", "Fit kernel efficiency curves from a hopsim-measure trace");
  auto trace = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  // Datasheet peaks for efficiency_max, H100 SXM by default (third-party pages:
  // glennklockwood.com/garden/processors/h100, codesota.com). H800 has the same SMs and tensor
  // cores, so the same figures apply.
  auto bf16 = std::make_shared<double>(989.4);
  auto fp8 = std::make_shared<double>(1978.9);
  auto hbm = std::make_shared<double>(3350.0);
  cmd->add_option("trace", *trace, "Trace SQLite written by hopsim measure");
  cmd->add_option("-o,--output", *out, "Calibration YAML to write")->required();
  // --from-trace: time scales fitted to a real run's annotated trace (docs/CALIBRATION.md).
  auto from_trace = std::make_shared<std::string>();
  auto scenario = std::make_shared<std::string>();
  auto components = std::make_shared<std::string>();
  auto rank = std::make_shared<int>(0);
  auto trace_rank = std::make_shared<std::optional<std::int64_t>>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--from-trace", *from_trace,
                  "Trace of a real run (Kineto JSON, nsys export or `hopsim import` output): fit "
                  "the cost model's GEMM, "
                  "attention, memory-bound and DeepEP time scales to its annotated components "
                  "and the launch overhead to its queued gaps");
  cmd->add_option("--scenario", *scenario, "With --from-trace: the scenario the run was");
  cmd->add_option("--rank", *rank, "With --from-trace: the pipeline rank the trace captured")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--components", *components,
                  "With --from-trace: extra annotation-to-component rules (YAML)");
  add_trace_rank_option(cmd, *trace_rank);
  cmd->add_flag("--json", *json, "With --from-trace: print the fit as JSON (times in ns)");
  auto fit_from_trace = [io, out, from_trace, scenario, components, rank, trace_rank, trace, json] {
    if (scenario->empty()) throw CLI::ValidationError("--from-trace", "needs --scenario");
    if (!trace->empty()) {
      throw CLI::ValidationError("--from-trace", "takes no hopsim-measure trace as well");
    }
    const Scenario sc = load_scenario_arg(*scenario, io);
    validate_plan(sc);
    auto map = profiler::attribute::ComponentMap::shipped();
    if (!components->empty()) {
      map = profiler::attribute::ComponentMap::from_file(*components).followed_by(map);
    }
    const auto t = profiler::import::read_trace(*from_trace, *trace_rank);
    const auto fit =
        cal::fit_time_scales(sc, t, profiler::classify::KernelClassifier::shipped(), map, *rank);
    if (*json) {
      auto ns = [](double ms) { return static_cast<std::int64_t>(std::llround(ms * 1e6)); };
      nlohmann::ordered_json j;
      j["scales"] = fit.scales;
      j["unidentified"] = fit.unidentified;
      j["components"] = nlohmann::ordered_json::array();
      for (const auto& c : fit.components) {
        j["components"].push_back({{"component", c.component},
                                   {"measured_ns", ns(c.measured_ms)},
                                   {"modelled_ns", ns(c.modelled_ms)},
                                   {"fitted_ns", ns(c.fitted_ms)},
                                   {"left_out_ns", ns(c.left_out_ms)},
                                   {"interference_ns", ns(c.interference_ms)}});
      }
      j["rms_rel_error"] = fit.rms_rel_error;
      j["leave_one_out_rms_rel_error"] = fit.leave_one_out_rms_rel_error;
      j["engine_runs"] = fit.engine_runs;
      j["launch_gaps"] = {{"queued_kernels", fit.queued_kernels},
                          {"queued_gap_p50_ns", fit.queued_gap_p50_ns},
                          {"model_launch_overhead_ns", fit.model_launch_overhead.value()}};
      if (fit.launch_overhead) {
        j["launch_overhead_ns"] = fit.launch_overhead->value();
      } else {
        j["launch_overhead_ns"] = nullptr;
      }
      if (fit.comm_hbm_bytes_per_wire_byte) {
        j["comm_hbm_bytes_per_wire_byte"] = *fit.comm_hbm_bytes_per_wire_byte;
      } else {
        j["comm_hbm_bytes_per_wire_byte"] = nullptr;
        j["interference_not_fitted"] = fit.interference_note;
      }
      j["warnings"] = fit.warnings;
      j["output"] = *out;
      io.out << j.dump(2) << "\n";
    } else {
      print_fit(io.out, fit);
    }
    std::map<std::string, std::string> provenance{
        {"calibrated_from_trace", *from_trace},
        {"trace_sha256", planner::file_sha256_hex(*from_trace)},
        {"scenario", *scenario},
        {"pipeline_rank", std::to_string(*rank)},
        {"calibrated_at_utc", now_utc()},
        {"calibrated_by", std::string("hopsim calibrate --from-trace ") + HOPSIM_CLI_VERSION}};
    // Which rank of a job database the fit read (the sha256 is the whole database's).
    if (*trace_rank) provenance["trace_rank"] = std::to_string(**trace_rank);
    const auto c = cal::calibration_from_fit(fit, sc, provenance);
    cal::save_calibration(c, *out);
    if (!*json) io.out << "calibration written to " << *out << " (use with --calibration)\n";
  };
  // --gemm-table: the GEMM tile model refitted to a per-shape table (docs/CALIBRATION.md).
  auto gemm_table = std::make_shared<std::string>();
  auto table_gpu = std::make_shared<std::string>();
  cmd->add_option("--gemm-table", *gemm_table,
                  "Per-shape GEMM throughput table (CSV layout,groups,m,n,k,tflops, e.g. your "
                  "GEMM library's benchmark): fit the GEMM tile model's constants to it");
  cmd->add_option("--gpu", *table_gpu, "With --gemm-table: the GPU profile it was measured on");
  auto fit_from_table = [io, out, gemm_table, table_gpu, trace] {
    if (table_gpu->empty()) throw CLI::ValidationError("--gemm-table", "needs --gpu");
    if (!trace->empty()) {
      throw CLI::ValidationError("--gemm-table", "takes no hopsim-measure trace as well");
    }
    const GpuProfile gpu = load_gpu_profile(*table_gpu);
    const auto rows = sim::read_gemm_table(*gemm_table);
    const sim::GemmFit f = sim::fit_gemm_model(gpu, rows);
    const sim::CostModel model(gpu, sim::with_gemm_fit(gpu, f));
    const std::string rms = fmt("%.4f", sim::rms_log_error(gpu, rows, f));
    io.out << "GEMM tile model fitted to " << rows.size() << " rows of " << printable(*gemm_table)
           << " on " << gpu.name << " (" << gpu.sms << " SMs)\n";
    Table t({"layout", "groups x m", "n", "k", "table TFLOPS", "model", "error"});
    for (const auto& r : rows) {
      const double p = sim::predicted_tflops(model, r, gpu.sms);
      t.add({r.layout, std::to_string(r.groups) + " x " + std::to_string(r.m), std::to_string(r.n),
             std::to_string(r.k), fmt("%.0f", r.tflops), fmt("%.0f", p),
             fmt("%+.1f%%", 100 * (p / r.tflops - 1))});
    }
    t.print(io.out);
    io.out << "main-loop efficiency " << fmt("%.4f", f.efficiency)
           << " of the sustained-clock peak, operand feed " << fmt("%.1f", f.feed_gb_per_s_per_sm)
           << " GB/s per SM, tile overhead " << fmt("%.0f", f.tile_overhead_ns)
           << " ns, HBM streaming " << fmt("%.3f", f.hbm_tb_per_s) << " TB/s, kernel overhead "
           << fmt("%.0f", f.kernel_overhead_ns) << " ns, overlap exponent "
           << fmt("%.2f", f.overlap_exponent) << "; rms log error " << rms << "\n";
    cal::Calibration c;
    c.device = gpu.name;
    c.sm_count = gpu.sms;
    c.gemm_tile = f;
    c.provenance = {
        {"calibrated_from_gemm_table", *gemm_table},
        {"gemm_table_sha256", planner::file_sha256_hex(*gemm_table)},
        {"gpu_profile", *table_gpu},
        {"fit_rms_log_error", rms},
        {"calibrated_at_utc", now_utc()},
        {"calibrated_by", std::string("hopsim calibrate --gemm-table ") + HOPSIM_CLI_VERSION}};
    cal::save_calibration(c, *out);
    io.out << "calibration written to " << *out << " (use with --calibration)\n";
  };
  auto* bf16_opt = cmd->add_option("--peak-bf16-tflops", *bf16,
                                   "Nominal dense BF16 peak (default H100 SXM 989.4)");
  auto* fp8_opt = cmd->add_option("--peak-fp8-tflops", *fp8,
                                  "Nominal dense FP8 peak (default H100 SXM 1978.9)");
  auto* hbm_opt =
      cmd->add_option("--peak-hbm-gbps", *hbm, "Nominal HBM bandwidth in GB/s (default 3350)");
  // A campaign on one GPU for predictions on another (docs/CALIBRATION.md, "Measured on one GPU,
  // used for another").
  auto measured_on = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  cmd->add_option("--measured-on", *measured_on,
                  "GPU profile the trace was measured on (e.g. h200-sxm); its datasheet peaks "
                  "replace the H100 defaults");
  cmd->add_option("--target-gpu", *target,
                  "Write the calibration for this GPU profile instead (e.g. h800-sxm5): compute-"
                  "bound classes keep their per-SM rate, memory-bound ones scale by HBM bandwidth")
      ->needs("--measured-on");
  auto gemm_kernels = std::make_shared<std::string>("hopsim");
  cmd->add_option("--gemm-kernels", *gemm_kernels,
                  "Which measured GEMMs stand for the cost model's: hopsim (its own kernels, "
                  "with its attention) or cublas (cuBLASLt FP8 and cuBLAS BF16, what PyTorch "
                  "runs; attention keeps its defaults)")
      ->check(CLI::IsMember({"hopsim", "cublas"}));
  cmd->callback([io, trace, out, bf16, fp8, hbm, from_trace, fit_from_trace, gemm_table,
                 fit_from_table, measured_on, target, bf16_opt, fp8_opt, hbm_opt, gemm_kernels] {
    if (!from_trace->empty() && !gemm_table->empty()) {
      throw CLI::ValidationError("--gemm-table", "give --from-trace or --gemm-table, not both");
    }
    if (!from_trace->empty()) {
      fit_from_trace();
      return;
    }
    if (!gemm_table->empty()) {
      fit_from_table();
      return;
    }
    if (trace->empty()) {
      throw CLI::ValidationError("trace",
                                 "a hopsim-measure trace, --from-trace with --scenario, or "
                                 "--gemm-table with --gpu");
    }
    std::optional<GpuProfile> source;
    if (!measured_on->empty()) {
      source = load_gpu_profile(*measured_on);
      if (bf16_opt->count() == 0) *bf16 = source->bf16_dense.value() / 1e12;
      if (fp8_opt->count() == 0) *fp8 = source->fp8_dense.value() / 1e12;
      if (hbm_opt->count() == 0) *hbm = source->hbm_bandwidth.value() / 1e9;
    }
    const auto in = cal::read_trace(*trace);
    cal::CalibrateOptions opt;
    for (const char* c : {"gemm_fp8", "grouped_gemm_fp8", "cublaslt_gemm_fp8"})
      opt.nominal_peaks[c] = *fp8 * 1e12;
    for (const char* c : {"gemm_bf16", "cublas_gemm_bf16", "attention_fwd", "attention_bwd"})
      opt.nominal_peaks[c] = *bf16 * 1e12;
    for (const char* c :
         {"moe_router", "moe_permute", "moe_combine", "rmsnorm", "quantize_fp8", "hbm_copy"})
      opt.nominal_peaks[c] = *hbm * 1e9;
    std::vector<std::string> skipped;
    auto c = cal::calibrate(in, opt, &skipped);
    c.provenance["calibrated_from"] = *trace;
    c.provenance["trace_sha256"] = planner::file_sha256_hex(*trace);
    // Which measured class stands for each cost-model class (docs/CALIBRATION.md, "Which
    // kernels stand for the cost model's").
    if (const auto missing = cal::choose_cost_model_classes(c, *gemm_kernels)) {
      throw CLI::ValidationError("--gemm-kernels", "the trace has no '" + *missing +
                                                       "' measurements (kernel plan entries of "
                                                       "that class)");
    }
    c.provenance["calibrated_at_utc"] = now_utc();
    c.provenance["calibrated_by"] = std::string("hopsim calibrate ") + HOPSIM_CLI_VERSION;
    if (source && c.sm_count != source->sms) {
      throw CLI::ValidationError(
          "--measured-on", "the trace was measured on " + std::to_string(c.sm_count) + " SMs, '" +
                               *measured_on + "' has " + std::to_string(source->sms));
    }
    if (!target->empty()) {
      const GpuProfile to = load_gpu_profile(*target);
      c = cal::transfer_calibration(c, *source, to, *measured_on, *target);
      const auto f = cal::transfer_factors(*source, to);
      io.out << "transferred from " << *measured_on << " to " << *target
             << ": compute-bound x clock ratio " << fmt("%.4g", f.clock)
             << ", memory-bound x HBM ratio " << fmt("%.4g", f.hbm) << "\n";
    }
    for (const auto& w : cal::drop_exceeded_peaks(c)) io.out << "warning: " << w << "\n";
    cal::save_calibration(c, *out);

    io.out << "device: " << c.device << " (" << c.sm_count << " SMs)\n";
    io.out << "class                 basis  points  rate_max      eff_max  sm_exp  work0      "
              "rms_err  max_err\n";
    for (const auto& k : c.classes) {
      const bool fl = k.basis == cal::WorkBasis::kFlops;
      io.out << k.kernel_class
             << std::string(k.kernel_class.size() < 22 ? 22 - k.kernel_class.size() : 1, ' ')
             << (fl ? "flops  " : "bytes  ") << fmt("%6.0f", k.fit.points) << "  "
             << fmt(fl ? "%7.1f TF/s" : "%7.1f GB/s", k.rate_max / (fl ? 1e12 : 1e9)) << "  "
             << fmt("%6.3f", k.efficiency_max()) << "  " << fmt("%6.3f", k.sm_exponent) << "  "
             << fmt("%9.3g", k.work0) << "  " << fmt("%6.2f%%", 100 * k.fit.rms_rel_error) << "  "
             << fmt("%6.2f%%", 100 * k.fit.max_rel_error) << "\n";
    }
    for (const auto& [name, curve] : {std::pair{"hbm", c.hbm}, std::pair{"copy", c.copy}})
      if (curve)
        io.out << name << " bandwidth: " << fmt("%.1f", curve->bandwidth_max / 1e9)
               << " GB/s max, sms0 " << fmt("%.2f", curve->sms0) << ", rms error "
               << fmt("%.2f%%", 100 * curve->fit.rms_rel_error) << " over " << curve->fit.points
               << " points\n";
    for (const auto& s : skipped)
      io.out << "skipped " << s << ": fewer than 2 points measured alone\n";
    // Concurrent runs against the alone curve at the same partition size: the slowdown that
    // sharing HBM and L2 with a copy kernel costs.
    for (const auto& p : in.points) {
      if (p.role != "compute_concurrent") continue;
      const auto* k = c.find(p.kernel_class);
      if (k == nullptr) continue;
      const double predicted = p.work / k->rate(p.partition_sms, p.work, c.sm_count);
      io.out << "concurrent " << p.label << " on " << p.partition_sms
             << " SMs: " << fmt("%.3f", p.median_seconds / predicted) << "x its alone-curve time\n";
    }
    io.out << "calibration written to " << *out << "\n";
  });
}

}  // namespace hopsim::cli
