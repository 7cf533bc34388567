#include "hopsim/measure/options.hpp"

namespace hopsim::measure {

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    o.command_line += (i > 0 ? " " : "") + a;
    // Options that take a value consume the next argument, which must exist.
    const auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError("option " + a + " needs a value");
      ++i;
      o.command_line += " " + args[i];
      return args[i];
    };
    if (a == "-o" || a == "--output") {
      o.out_path = value();
    } else if (a == "--only") {
      o.only = value();
    } else if (a == "--dry-run") {
      o.dry_run = true;
    } else if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (!a.empty() && a[0] == '-') {
      throw UsageError("unknown option " + a);
    } else if (!o.plan_path.empty()) {
      throw UsageError("one plan only (got " + o.plan_path + " and " + a + ")");
    } else {
      o.plan_path = a;
    }
  }
  if (o.help) return o;
  if (o.plan_path.empty()) throw UsageError("missing the measurement plan (PLAN.yaml)");
  if (o.out_path.empty() && !o.dry_run) throw UsageError("missing -o TRACE.sqlite");
  return o;
}

std::string usage_text() {
  return "usage: hopsim-measure PLAN.yaml -o TRACE.sqlite [--only CLASS] [--dry-run]\n"
         "Runs a measurement plan on GPU 0 under CUPTI and writes TRACE.sqlite (for hopsim "
         "calibrate,\nand read by hopsim import, trace summary and compare as any trace). "
         "--dry-run lists the\nmeasurements and exits.\n";
}

}  // namespace hopsim::measure
