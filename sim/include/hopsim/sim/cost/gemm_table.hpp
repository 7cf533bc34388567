#pragma once
//! Published per-shape GEMM throughput tables (e.g. DeepGEMM's H800 README rows) and what the
//! cost model predicts for each row: one home for the fit tool, the tests and the docs.

#include <string>
#include <vector>

#include "hopsim/sim/cost/cost_model.hpp"

namespace hopsim::sim {

struct PublishedGemm {
  std::string layout;  //!< "normal", "contiguous" (grouped) or "masked" (grouped)
  int groups = 1;
  long long m = 0;  //!< rows per group
  long long n = 0;
  long long k = 0;
  double tflops = 0;  //!< as published
};

//! Reads a CSV with header `layout,groups,m,n,k,tflops` ('#' lines are comments). Throws
//! ConfigError naming the file and line for anything else.
[[nodiscard]] std::vector<PublishedGemm> read_gemm_table(const std::string& path);

//! The row as an FP8 kernel shape: FLOPs 2 g m n k; HBM bytes g (m k + n k) in FP8 plus the BF16
//! output g m n 2.
[[nodiscard]] KernelShape gemm_shape(const PublishedGemm& row);

//! TFLOPS the cost model predicts for the row on `sms` SMs, kernel time only (no launch gap).
[[nodiscard]] double predicted_tflops(const CostModel& model, const PublishedGemm& row, int sms);

}  // namespace hopsim::sim
