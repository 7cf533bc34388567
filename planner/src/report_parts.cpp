#include "report_parts.hpp"

#include <regex>

#include "hopsim/core/format.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::planner::report_parts {

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

const ReportEntry* published_entry(const std::vector<ReportEntry>& entries) {
  for (const auto& e : entries) {
    if (published_run(e) != nullptr) return &e;
  }
  for (const auto& e : entries) {
    if (nearest_published_run(e.scenario) != nullptr) return &e;
  }
  return nullptr;
}

//! The same scenario on the other Hopper part, when both profiles ship.

std::pair<double, double> gpu_hours_band(const ReportEntry& e) {
  const double x = e.result.gpu_hours_per_trillion;
  return {x * (1 - e.uncertainty.relative), x * (1 + e.uncertainty.relative)};
}

std::string band_sentence(const std::vector<ReportEntry>& entries) {
  const Uncertainty& u = entries.front().uncertainty;
  return fmt(u.relative < 0.1 ? "Band: each cost figure +/- %.1f%%"
                              : "Band: each cost figure +/- %.0f%%",
             100 * u.relative) +
         " (the GPU-hours rows show it): " + u.source + ".";
}

bool calibrated(const std::vector<ReportEntry>& entries) {
  return !entries.empty() && entries.front().uncalibrated.has_value();
}

std::vector<Metric> summary_metrics(bool calibrated) {
  auto g = [](double v) { return grouped(v); };
  auto d2 = [](double v) { return fmt("%.2f", v); };
  auto p1 = [](double v) { return fmt("%.1f%%", 100 * v); };
  auto ms1 = [](double v) { return fmt("%.1f ms", v); };
  auto usd = [](double v) { return "$" + grouped(v); };
  std::vector<Metric> rows = {
      {"num_gpus", "GPUs",
       [](const ReportEntry& e) { return double(e.scenario.cluster.num_gpus()); }, g},
      {"step_time_ms", "step time", [](const ReportEntry& e) { return to_ms(e.result.step_time); },
       ms1},
      {"tokens_per_second_per_gpu", "tokens/s per GPU",
       [](const ReportEntry& e) { return e.result.tokens_per_second_per_gpu; }, g},
      {"mfu_bf16", "MFU (nominal BF16 peak)",
       [](const ReportEntry& e) { return e.result.mfu_bf16; }, p1},
      {"bubble_fraction", "pipeline bubble",
       [](const ReportEntry& e) { return e.result.bubble_fraction; }, p1},
      {"exposed_comm_fraction", "exposed communication",
       [](const ReportEntry& e) { return e.result.exposed_comm_fraction; }, p1},
      {"memory_gib", "memory per GPU (GiB)", [](const ReportEntry& e) { return e.memory_gib; },
       [](double v) { return fmt("%.1f", v); }},
      {"avg_power_watts", "average power per GPU (W)",
       [](const ReportEntry& e) { return e.result.avg_power_watts; }, g},
      {"gpu_hours_per_trillion", "GPU-hours per 1T tokens",
       [](const ReportEntry& e) { return e.result.gpu_hours_per_trillion; }, g},
      {"gpu_hours_per_trillion_low", "GPU-hours per 1T tokens, low end of the band",
       [](const ReportEntry& e) { return gpu_hours_band(e).first; }, g},
      {"gpu_hours_per_trillion_high", "GPU-hours per 1T tokens, high end of the band",
       [](const ReportEntry& e) { return gpu_hours_band(e).second; }, g},
      {"days_per_trillion", "wall-clock days per 1T tokens",
       [](const ReportEntry& e) { return e.result.days_per_trillion; }, d2},
      {"dollars_per_trillion", "USD per 1T tokens",
       [](const ReportEntry& e) { return e.result.dollars_per_trillion; }, usd},
      {"energy_kwh_per_trillion", "energy per 1T tokens (kWh)",
       [](const ReportEntry& e) { return e.result.energy_kwh_per_trillion; }, g},
      {"run_tokens", "training run: tokens",
       [](const ReportEntry& e) { return whole_run(e).tokens; },
       [](double v) { return fmt("%.3g", v); }},
      {"run_gpu_hours", "training run: GPU-hours",
       [](const ReportEntry& e) { return whole_run(e).gpu_hours; }, g},
      {"run_days", "training run: wall-clock days",
       [](const ReportEntry& e) { return whole_run(e).days; },
       [](double v) { return fmt("%.1f", v); }},
      {"run_dollars", "training run: USD",
       [](const ReportEntry& e) { return whole_run(e).dollars; }, usd},
      {"run_energy_kwh", "training run: energy (kWh)",
       [](const ReportEntry& e) { return whole_run(e).energy_kwh; }, g},
  };
  if (calibrated) {
    // After the band rows: what the calibration changed, on the two figures planners quote.
    const auto at = std::find_if(rows.begin(), rows.end(), [](const Metric& m) {
      return std::string_view(m.key) == "gpu_hours_per_trillion_high";
    });
    rows.insert(at + 1, {{"step_time_ms_uncalibrated", "step time, uncalibrated cost model",
                          [](const ReportEntry& e) {
                            return e.uncalibrated ? to_ms(e.uncalibrated->step_time) : 0;
                          },
                          ms1},
                         {"gpu_hours_per_trillion_uncalibrated",
                          "GPU-hours per 1T tokens, uncalibrated cost model",
                          [](const ReportEntry& e) {
                            return e.uncalibrated ? e.uncalibrated->gpu_hours_per_trillion : 0;
                          },
                          g}});
  }
  return rows;
}

std::string sweep_config_label(const StoredResult& r) {
  try {
    const auto j = nlohmann::ordered_json::parse(r.config);
    std::string s;
    for (const auto& [k, v] : j.items()) {
      const auto dot = k.rfind('.');
      s += (s.empty() ? "" : " ") + (dot == std::string::npos ? k : k.substr(dot + 1)) + "=" +
           v.get<std::string>();
    }
    return s.empty() ? "(base)" : s;
  } catch (const std::exception&) {
    return r.config;
  }
}

std::string interruptions_text(const ReportEntry& e) {
  const auto& i = e.scenario.cost.interruptions;
  if (!i) return "none modelled";
  return fmt("one per %.6g GPU-hours, ", i->gpu_hours_between) +
         fmt("%.3g min lost each: ", i->minutes_lost) +
         fmt("%.2f%% effective training time", 100 * e.result.effective_training_time);
}

std::string short_reason(const std::string& reason) {
  static const std::regex kPrefix(R"([^ ;]+:[0-9]+:[0-9]+: )");
  return std::regex_replace(reason, kPrefix, "");
}

}  // namespace hopsim::planner::report_parts
