#pragma once
//! A simulated step written as the Kineto trace a PyTorch profiler would record on one GPU:
//! kernels on a compute and a communication stream, their launches, a user annotation per
//! sub-op named as DeepSeek-style code names its phases, and one ProfilerStep.

#include <iosfwd>

#include "hopsim/core/scenario.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::profiler::exporter {

//! Writes pipeline rank `rank` of `result` (run with RunOptions::collect_timeline) as Kineto
//! JSON. Annotations are "<unit>.<attn|mlp|dispatch|combine>(F|B|W)" (the shipped component map
//! reads them); kernels are named after their sub-op. Throws std::invalid_argument when the
//! result holds no timeline or the rank is out of range.
void write_kineto(std::ostream& out, const Scenario& scenario, const sim::SimResult& result,
                  int rank);

}  // namespace hopsim::profiler::exporter
