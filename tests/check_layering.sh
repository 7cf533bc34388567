#!/bin/bash
# Dependencies point one way (docs/ARCHITECTURE.md): core/ and sim/ include no CUDA, CUPTI or Qt
# header; core/ includes nothing from sim/, profiler/, planner/ or cli/; sim/ nothing from
# profiler/, planner/ or cli/; hopsim-measure's CPU half (kernels/measure/core, include) no CUDA,
# CUPTI or kernel header, so it builds without nvcc. Prints every offending line; fails if any.
set -u
root=${1:?usage: check_layering.sh SOURCE_DIR}
cd "$root" || exit 2
bad=0
check() {  # folder, regex, what
  local hits
  hits=$(grep -rnE "^\s*#\s*include\s*[<\"]($2)" "$1" --include='*.hpp' --include='*.cpp' --include='*.h' || true)
  if [ -n "$hits" ]; then
    echo "$1 must not include $3:"
    echo "$hits"
    bad=1
  fi
}
check core 'cuda|cupti|nvtx|Q[A-Z]|qt|hopsim/(sim|profiler|planner|kernels)/' "CUDA/Qt headers or higher layers"
check sim 'cuda|cupti|nvtx|Q[A-Z]|qt|hopsim/(profiler|planner|kernels)/' "CUDA/Qt headers or higher layers"
check profiler 'hopsim/(planner)/|commands\.hpp' "the planner or the CLI"
check planner 'hopsim/(profiler|kernels|frontend)/|commands\.hpp' "the profiler, kernels or the CLI"
check profiler 'hopsim/frontend/' "the front ends' shared code"
check frontend 'Q[A-Z]|qt|commands\.hpp' "Qt or the CLI"
check kernels/measure/core 'cuda|cupti|cublas|nvtx|hopsim/kernels/|commands\.hpp' "CUDA headers, kernels or the CLI"
check kernels/measure/include 'cuda|cupti|cublas|nvtx|hopsim/kernels/|commands\.hpp' "CUDA headers, kernels or the CLI"
[ $bad -eq 0 ] && echo "layering ok"
exit $bad
