// `hopsim plan`: search parallel plans for a model on a cluster and explain the best ones.

#include "commands.hpp"

namespace hopsim::cli {

void register_plan(CLI::App& app, Io io) { (void)app; (void)io; }

}  // namespace hopsim::cli
