// `trnsim report DIR [--out FILE]`: one self-contained HTML page (inline CSS and JS, the data embedded as
// JSON, nothing fetched) of a run folder (summary, engine timeline, busy time, time per opcode, roofline,
// ranks and collectives) or of a sweep folder (its points charted and tabled).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "tools/report_timeline.hpp"

namespace tn::cli {

struct ReportOptions {
  std::string dir;
  std::string out;  // default: DIR/report.html
  TimelineLimits limits;
};

// Writes the report and prints what it holds and the file written; returns 0. Throws ConfigError naming
// the file for anything it cannot report.
int write_report_page(const ReportOptions& options);

// The page for `data` (what run_report_data or sweep_report_data gives): the template with the data in a
// <script type="application/json"> element. The same data gives the same bytes.
std::string report_page(const nlohmann::json& data, const std::string& title);

}  // namespace tn::cli
