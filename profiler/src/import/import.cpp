#include "hopsim/profiler/import/import.hpp"

#include <algorithm>
#include <array>
#include <fstream>

#include "duplicate_filter.hpp"
#include "hopsim/core/enum_names.hpp"
#include "hopsim/profiler/import/kineto.hpp"
#include "hopsim/profiler/import/measure_trace.hpp"
#include "hopsim/profiler/import/nsys.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"

namespace hopsim::profiler::import {

using trace::TraceError;

constexpr EnumNames<TraceFormat::kMeasureTrace> kFormatNames{
    {"auto", "kineto", "nsys", "hopsim", "measure"}};

std::string_view to_string(TraceFormat f) {
  return kFormatNames.name(f, "unknown");
}

TraceFormat parse_format(std::string_view s) {
  if (const auto f = kFormatNames.value(s)) return *f;
  throw TraceError("", "",
                   "unknown trace format '" + std::string(s) +
                       "' (expected auto, kineto, nsys, hopsim or measure)");
}

TraceFormat detect_format(const std::filesystem::path& file) {
  std::ifstream f(file, std::ios::binary);
  if (!f) throw TraceError(file.string(), "", "cannot open file");
  std::array<char, 64> head{};
  f.read(head.data(), head.size());
  const auto n = static_cast<std::size_t>(f.gcount());
  const std::string_view h(head.data(), n);
  if (h.starts_with(std::string_view("SQLite format 3\0", 16))) {
    if (trace::is_hopsim_trace(file)) return TraceFormat::kHopsimTrace;
    if (looks_like_measure_trace(file)) return TraceFormat::kMeasureTrace;
    if (looks_like_nsys(file)) return TraceFormat::kNsysSqlite;
    throw TraceError(file.string(), "",
                     "SQLite file is neither a hopsim trace (tables provenance, gpu_activities), "
                     "a hopsim-measure trace (tables provenance, measurements, kernels) nor an "
                     "nsys export (tables StringIds, CUPTI_ACTIVITY_KIND_KERNEL)");
  }
  if (n >= 2 && static_cast<unsigned char>(h[0]) == 0x1f &&
      static_cast<unsigned char>(h[1]) == 0x8b) {
    return TraceFormat::kKinetoJson;
  }
  std::size_t i = 0;
  if (h.starts_with("\xEF\xBB\xBF")) i = 3;  // UTF-8 byte order mark
  while (i < n && (h[i] == ' ' || h[i] == '\n' || h[i] == '\r' || h[i] == '\t')) ++i;
  if (i < n && (h[i] == '{' || h[i] == '[')) return TraceFormat::kKinetoJson;
  throw TraceError(file.string(), "",
                   "unrecognised trace format (expected Kineto JSON[.gz], an nsys SQLite export "
                   "or a hopsim trace)");
}

trace::Trace read_trace(const std::filesystem::path& in, std::optional<std::int64_t> rank) {
  const TraceFormat format = detect_format(in);
  if (format == TraceFormat::kHopsimTrace) return trace::load_trace(in, rank);
  trace::CollectingSink sink;
  ImportOptions opt;
  opt.format = format;  // detected once: each detection opens and reads the file
  (void)import_into(in, sink, opt);
  trace::Trace t = sink.finish();
  // One trace: its rank is the one it claims, else 0 (as in a database of one trace).
  const std::int64_t own = trace::claimed_rank(t.provenance).value_or(0);
  if (rank && *rank != own) {
    throw TraceError(in.string(), "",
                     "is the trace of rank " + std::to_string(own) + ", not " +
                         std::to_string(*rank) + " (a trace's rank is its distributedInfo.rank)");
  }
  return t;
}

std::vector<std::filesystem::path> trace_files(const std::vector<std::filesystem::path>& inputs) {
  std::vector<std::filesystem::path> out;
  for (const auto& in : inputs) {
    if (std::filesystem::is_directory(in)) {
      for (auto& f : trace_files_in(in)) out.push_back(std::move(f));
    } else {
      out.push_back(in);
    }
  }
  return out;
}

std::vector<std::filesystem::path> trace_files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (name.ends_with(".json") || name.ends_with(".json.gz") || name.ends_with(".sqlite")) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

ImportStats import_into(const std::filesystem::path& in, trace::TraceSink& out,
                        const ImportOptions& opt) {
  ImportStats rep;
  ProblemLog duplicates;
  DuplicateFilter sink(out, duplicates);
  const TraceFormat format = opt.format == TraceFormat::kAuto ? detect_format(in) : opt.format;
  switch (format) {
    case TraceFormat::kKinetoJson:
      rep = import_kineto_file(in, sink, KinetoOptions{.progress = opt.progress});
      break;
    case TraceFormat::kNsysSqlite:
      rep = import_nsys(in, sink, opt.progress);
      break;
    case TraceFormat::kMeasureTrace:
      rep = import_measure_trace(in, sink);
      break;
    case TraceFormat::kHopsimTrace: {
      // Own traces are small (one recording session); a load-and-copy keeps one code path for
      // validation, and provenance entries of the recording are kept.
      const trace::Trace t = trace::load_trace(in, opt.rank);
      for (const auto& [k, v] : t.provenance) {
        if (k != "schema_version" && k != "importer_version") sink.set_info(k, v);
      }
      for (const auto& d : t.devices) sink.add_device(d);
      for (const auto& a : t.activities) sink.add_activity(a);
      for (const auto& r : t.runtime) sink.add_runtime(r);
      for (const auto& a : t.annotations) sink.add_annotation(a);
      for (const auto& f : t.flows) sink.add_flow(f);
      rep.format = TraceFormat::kHopsimTrace;
      rep.input_bytes = static_cast<std::int64_t>(std::filesystem::file_size(in));
      for (const auto& a : t.activities) {
        ++(a.kind == trace::ActivityKind::kKernel
               ? rep.kernels
               : (a.kind == trace::ActivityKind::kMemcpy ? rep.memcpys : rep.memsets));
      }
      rep.runtime_calls = static_cast<std::int64_t>(t.runtime.size());
      rep.annotations = static_cast<std::int64_t>(t.annotations.size());
      rep.flows = static_cast<std::int64_t>(t.flows.size());
      rep.devices = static_cast<std::int64_t>(t.devices.size());
      if (!t.provenance.contains("source_format")) sink.set_info("source_format", "hopsim_trace");
      // Problems the original import recorded stay with the trace.
      for (const auto& p : t.problems) {
        if (const auto id = problem_named(p.name)) rep.problems.add(*id, p.count, p.first_location);
      }
      break;
    }
    case TraceFormat::kAuto:
      break;
  }
  // What the filter dropped was counted by the importer on the way in.
  rep.kernels -= sink.dropped(trace::ActivityKind::kKernel);
  rep.memcpys -= sink.dropped(trace::ActivityKind::kMemcpy);
  rep.memsets -= sink.dropped(trace::ActivityKind::kMemset);
  rep.runtime_calls -= sink.dropped_runtime_calls();
  rep.problems.merge(duplicates);
  for (const auto& p : rep.problems.entries()) out.add_problem(p);
  std::int64_t skipped_total = 0;
  for (const auto& [reason, count] : rep.skipped) {
    skipped_total += count;
    sink.set_info("skipped: " + reason, std::to_string(count));
  }
  sink.set_info("skipped_events", std::to_string(skipped_total));
  // No import time: the same input gives a byte-identical database (determinism).
  if (!opt.command.empty()) sink.set_info("import_command", opt.command);
  if (opt.progress) {
    std::error_code ec;
    const bool rows = format == TraceFormat::kNsysSqlite;
    const std::uint64_t n =
        rows ? static_cast<std::uint64_t>(rep.activities() + rep.runtime_calls + rep.annotations)
             : std::filesystem::file_size(in, ec);
    opt.progress(ec ? 0 : n, ec ? 0 : n, rows ? "rows" : "bytes");
  }
  return rep;
}

ImportStats import_trace(const std::filesystem::path& in, const std::filesystem::path& out,
                         const ImportOptions& opt) {
  return import_job({in}, out, opt).stats.front();
}

JobImport import_job(const std::vector<std::filesystem::path>& inputs,
                     const std::filesystem::path& out, const ImportOptions& opt,
                     const std::function<void(std::size_t, std::size_t)>& on_file) {
  if (inputs.empty()) throw TraceError(out.string(), "", "no trace to import");
  for (const auto& in : inputs) {
    if (std::filesystem::exists(out) && std::filesystem::exists(in) &&
        std::filesystem::equivalent(in, out)) {
      throw TraceError(out.string(), "", "output would overwrite the input");
    }
  }
  JobImport job;
  trace::TraceWriter writer(out);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (i > 0) writer.next_trace();
    job.stats.push_back(import_into(inputs[i], writer, opt));
    if (on_file) on_file(i + 1, inputs.size());
  }
  writer.commit();
  job.traces = writer.traces();
  if (!writer.rank_note().empty()) job.warnings.push_back(writer.rank_note());
  return job;
}

}  // namespace hopsim::profiler::import
