// What `trnsim report` shows of a sweep: DIR/results.csv (tools/sweep_command.cpp writes it) read into the
// JSON the page charts: each point's swept values, verdict and figures, and which swept keys vary, the
// one to chart along (the numeric key with the most values) and the others, one line per combination.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>

namespace tn::cli {

// {"kind": "sweep", "folder", "columns": [header], "keys": [swept keys], "points": [[cells], ...],
//  "varying": [swept keys taking more than one value], "x_key" (or null), "series_keys": [...]}.
// Throws ConfigError naming the file (and line) when results.csv is missing, empty or malformed.
nlohmann::json sweep_report_data(const std::filesystem::path& dir);

}  // namespace tn::cli
