// What `trnsim report` shows of one run, read from its folder into the JSON the page draws: the summary
// (summary.json as the run wrote it, so the page reads the summary's own field names), the roofline point,
// the per-rank spread of a multi-rank run, and the timeline of trace.pftrace when the run wrote one.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tools/report_timeline.hpp"

namespace tn::cli {

// The page data of run folder `dir`: {"kind": "run", "folder", "summary", "roofline" (timed runs),
// "ranks" (multi-rank runs), "timeline" or "no_timeline" (why there is none), "opcodes_from"}.
// Throws ConfigError naming the file for a missing or malformed summary.json (or one of another
// schema_version) and a corrupt or truncated trace.
nlohmann::json run_report_data(const std::filesystem::path& dir, const TimelineLimits& limits = {});

// The roofline of a timed run's summary "timing" section: arithmetic intensity (FLOPs per HBM byte), the
// achieved FLOP/s, PE peak and HBM peak bandwidth, and the ridge point where the two roofs meet.
nlohmann::json roofline_of(const nlohmann::json& timing);

}  // namespace tn::cli
