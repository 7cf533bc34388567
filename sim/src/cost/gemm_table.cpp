#include "hopsim/sim/cost/gemm_table.hpp"

#include <cmath>
#include <sstream>

#include "hopsim/core/config/config_file.hpp"
#include "hopsim/core/error.hpp"

namespace hopsim::sim {
namespace {

// A positive integer of at most `max`: GEMM dimensions far beyond any GPU's memory are refused
// rather than left to overflow the byte counts.
long long parse_int(const std::string& text, long long max, const SourceLocation& at) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || v <= 0) {
    throw ConfigError(at, "expected a positive integer, got '" + text + "'");
  }
  if (v > max) {
    throw ConfigError(at, "expected at most " + std::to_string(max) + ", got '" + text + "'");
  }
  return v;
}

// A published throughput: positive, finite, decimals allowed, at most 100,000 TFLOPS.
double parse_tflops(const std::string& text, const SourceLocation& at) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !std::isfinite(v) || v <= 0 || v > 1e5) {
    throw ConfigError(at, "expected TFLOPS, a number in (0, 100000], got '" + text + "'");
  }
  return v;
}

}  // namespace

std::vector<PublishedGemm> read_gemm_table(const std::string& path) {
  std::istringstream in(config::read_config_file(path, "GEMM table"));
  std::vector<PublishedGemm> rows;
  std::string line;
  int line_no = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    const SourceLocation at{path, line_no, 1, {}};
    if (!header) {
      if (line != "layout,groups,m,n,k,tflops") {
        throw ConfigError(at, "expected the header 'layout,groups,m,n,k,tflops'");
      }
      header = true;
      continue;
    }
    if (f.size() != 6) throw ConfigError(at, "expected 6 fields, got " + std::to_string(f.size()));
    PublishedGemm r;
    r.layout = f[0];
    if (r.layout != "normal" && r.layout != "contiguous" && r.layout != "masked") {
      throw ConfigError(at, "layout must be normal, contiguous or masked, got '" + r.layout + "'");
    }
    // Each field located by its column (1-based) and named by its header.
    const auto field = [&](std::size_t i, const char* name) {
      int col = 1;
      for (std::size_t j = 0; j < i; ++j) col += static_cast<int>(f[j].size()) + 1;
      return SourceLocation{path, line_no, col, name};
    };
    constexpr long long kMaxDim = 1LL << 24;  // 16M rows or columns per group
    r.groups = static_cast<int>(parse_int(f[1], 4096, field(1, "groups")));
    r.m = parse_int(f[2], kMaxDim, field(2, "m"));
    r.n = parse_int(f[3], kMaxDim, field(3, "n"));
    r.k = parse_int(f[4], kMaxDim, field(4, "k"));
    r.tflops = parse_tflops(f[5], field(5, "tflops"));
    rows.push_back(r);
  }
  if (rows.empty()) throw ConfigError(SourceLocation{path, line_no, 0, {}}, "no rows");
  return rows;
}

KernelShape gemm_shape(const PublishedGemm& r) {
  KernelShape k;
  k.cls = KernelClass::kGemmFp8;
  const double g = r.groups;
  k.flops = Flops(2.0 * g * static_cast<double>(r.m) * static_cast<double>(r.n) *
                  static_cast<double>(r.k));
  k.bytes = Bytes(r.groups * (r.m * r.k + r.n * r.k + 2 * r.m * r.n));
  k.m = r.m;
  k.n = r.n;
  k.k = r.k;
  k.groups = r.groups;
  return k;
}

double predicted_tflops(const CostModel& model, const PublishedGemm& row, int sms) {
  const KernelShape k = gemm_shape(row);
  const Nanoseconds t = model.cost(k, sms).run();  // DeepGEMM's table times kernels alone
  return k.flops.value() / to_seconds(t) / 1e12;
}

}  // namespace hopsim::sim
