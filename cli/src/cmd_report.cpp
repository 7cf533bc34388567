// `hopsim report`: cost reports (HTML, Markdown, JSON) from scenarios or sweep databases.

#include "commands.hpp"

namespace hopsim::cli {

void register_report(CLI::App& app, Io io) { (void)app; (void)io; }

}  // namespace hopsim::cli
