#include "tools/report_data.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "tools/json_reader.hpp"
#include "tools/run_summary.hpp"

namespace tn::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Reads summary.json and checks what the page relies on, so that a summary from another version (or
// hand-edited) is refused naming the file and the JSON path rather than drawing a page of blanks.
json read_summary(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw ConfigError(file.string() + ": missing: a run folder holds the summary.json its run wrote");
  json s = read_json_file(file.string());
  const JsonObject top(s, file.string(), "$");
  const int64_t version = top.get_int("schema_version");
  if (version != kSummarySchemaVersion) {
    top.fail("schema_version", "is " + std::to_string(version) + ", and this trnsim reads schema_version " +
                                   std::to_string(kSummarySchemaVersion) +
                                   " (rerun the config with this trnsim to report it)");
  }
  top.get_string("kernel");
  const std::string mode = top.get_string("mode");
  top.get_object("hardware").get_string("name");
  top.get_object("params");
  top.get_object("numerics").get_bool("checked");
  if (mode != "functional") {
    const JsonObject t = top.get_object("timing");
    for (const char* key : {"total_ns", "model_flops", "hardware_flops", "peak_flops_per_s",
                            "mfu_estimated_percent", "hfu_estimated_percent", "mbu_estimated_percent"})
      t.get_number(key);
    const JsonObject hbm = t.get_object("hbm");
    for (const char* key : {"read_bytes", "write_bytes", "achieved_GBps", "peak_GBps"})
      hbm.get_number(key);
    if (!t.raw("cores").is_array() || t.raw("cores").empty())
      t.fail("cores", "expected a list of cores");
    for (size_t i = 0; i < t.raw("cores").size(); ++i) {
      const JsonObject core(t.raw("cores")[i], file.string(),
                            t.path_of("cores") + "[" + std::to_string(i) + "]");
      core.get_object("engines");
    }
  }
  return s;
}

// A multi-rank run: each rank's busiest core per engine (busy %), spread over the ranks, and the time
// each rank's last slice ended (from the trace, when there is one).
json rank_spread(const json& timing, const json* timeline) {
  std::map<int64_t, std::map<std::string, double>> busy;  // rank -> engine -> max over its cores
  for (const json& core : timing["cores"]) {
    const int64_t rank = core.value("rank", int64_t(0));
    for (const auto& [name, e] : core["engines"].items()) {
      if (e.value("instructions", uint64_t(0)) == 0)
        continue;
      double& b = busy[rank][name];
      b = std::max(b, e.value("busy_percent", 0.0));
    }
  }
  std::map<int64_t, double> end_ns;
  if (timeline) {
    for (const json& p : (*timeline)["processes"]) {
      if (p.contains("rank")) {
        double& e = end_ns[p["rank"].get<int64_t>()];
        e = std::max(e, p["end_ns"].get<double>());
      }
    }
  }
  std::map<std::string, std::vector<double>> by_engine;
  json per_rank = json::array();
  for (const auto& [rank, engines] : busy) {
    json r = {{"rank", rank}, {"busy_percent", engines}};
    if (end_ns.count(rank))
      r["end_ns"] = end_ns[rank];
    per_rank.push_back(std::move(r));
    for (const auto& [name, b] : engines)
      by_engine[name].push_back(b);
  }
  json engines = json::array();
  for (const auto& [name, values] : by_engine) {
    json e = spread(values);
    e["engine"] = name;
    e["ranks"] = values.size();
    engines.push_back(std::move(e));
  }
  json out = {{"count", busy.size()}, {"engines", std::move(engines)}, {"per_rank", std::move(per_rank)}};
  if (!end_ns.empty()) {
    std::vector<double> ends;
    for (const auto& [rank, e] : end_ns)
      ends.push_back(e);
    out["end_ns"] = spread(ends);
  }
  return out;
}

// A trace that is not its summary's (a run's files mixed by hand) or that lost slices (cut at a packet
// boundary, so it still decodes) is refused: each traced core must hold a slice per instruction the summary
// counts for it.
void check_trace_matches_summary(const json& timeline, const json& timing, const fs::path& trace_file,
                                 const fs::path& summary_file) {
  for (const json& p : timeline["processes"]) {
    if (!p.contains("core"))
      continue;
    const json* match = nullptr;
    for (const json& core : timing["cores"]) {
      if (core.value("core", -1) == p["core"].get<int>() &&
          (!p.contains("rank") || core.value("rank", -1) == p["rank"].get<int>()))
        match = &core;
    }
    if (!match) {
      throw ConfigError(trace_file.string() + ": process '" + p["name"].get<std::string>() +
                        "' is no core of " + summary_file.string() + ": the trace is another run's");
    }
    uint64_t instructions = 0;
    for (const auto& [name, e] : (*match)["engines"].items())
      instructions += e.value("instructions", uint64_t(0));
    if (instructions != p["instructions"].get<uint64_t>()) {
      throw ConfigError(trace_file.string() + ": '" + p["name"].get<std::string>() + "' holds " +
                        std::to_string(p["instructions"].get<uint64_t>()) + " instruction slices where " +
                        summary_file.string() + " counts " + std::to_string(instructions) +
                        ": the trace is truncated or another run's");
    }
  }
}

}  // namespace

json roofline_of(const json& timing) {
  const double model = timing["model_flops"].get<double>(), hardware = timing["hardware_flops"].get<double>();
  // A "program" kernel has no model of its useful work (model FLOPs 0): its matmul work stands in.
  const bool use_model = model > 0;
  const double flops = use_model ? model : hardware;
  const json& hbm = timing["hbm"];
  const double bytes = hbm["read_bytes"].get<double>() + hbm["write_bytes"].get<double>();
  const double seconds = timing["total_ns"].get<double>() * 1e-9;
  const double peak = timing["peak_flops_per_s"].get<double>();
  const double bandwidth = hbm["peak_GBps"].get<double>() * 1e9;  // bytes/s
  json r = {{"flops", flops},
            {"flops_kind", use_model ? "model" : "hardware"},
            {"hbm_bytes", bytes},
            {"peak_flops_per_s", peak},
            {"peak_bytes_per_s", bandwidth},
            {"ridge_intensity", peak / bandwidth}};
  if (bytes > 0 && flops > 0 && seconds > 0) {
    const double intensity = flops / bytes, achieved = flops / seconds;
    const double roof = std::min(peak, intensity * bandwidth);
    r["intensity"] = intensity;
    r["achieved_flops_per_s"] = achieved;
    r["attainable_flops_per_s"] = roof;
    r["percent_of_roof"] = 100.0 * achieved / roof;
    r["bound"] = intensity < peak / bandwidth ? "memory" : "compute";
  }
  return r;
}

json run_report_data(const fs::path& dir, const TimelineLimits& limits) {
  const json summary = read_summary(dir / "summary.json");
  json data = {
      {"kind", "run"},
      {"folder", dir.filename().empty() ? dir.parent_path().filename().string() : dir.filename().string()}};
  const std::string mode = summary["mode"].get<std::string>();
  const bool timed = summary.contains("timing");
  if (!timed) {
    data["no_timeline"] =
        "This run was functional (mode \"" + mode +
        "\"): it computed the outputs (and checked their numerics, if asked) with no simulated "
        "time, so it has no timeline, busy time, time per opcode or roofline. Run the "
        "config with mode timing, timing_only or both to see them.";
  }
  const fs::path trace_file = dir / "trace.pftrace";
  std::error_code ec;
  json timeline;
  if (timed && fs::exists(trace_file, ec)) {
    timeline = read_timeline(trace_file, limits);
    check_trace_matches_summary(timeline, summary["timing"], trace_file, dir / "summary.json");
    data["opcodes_from"] = "trace";
  } else if (timed) {
    data["no_timeline"] =
        "This folder has no trace.pftrace: the run was made without a Perfetto trace "
        "(\"trace\": {\"perfetto\": false}), so there is no timeline; busy time, the time "
        "per opcode (from summary.json) and the roofline come from summary.json.";
    data["opcodes_from"] = "summary";
  }
  if (timed) {
    data["roofline"] = roofline_of(summary["timing"]);
    if (summary.contains("ranks"))
      data["ranks"] = rank_spread(summary["timing"], timeline.is_null() ? nullptr : &timeline);
  }
  if (!timeline.is_null())
    data["timeline"] = std::move(timeline);
  data["summary"] = summary;
  return data;
}

}  // namespace tn::cli
