// What a sweep runs, shared by the local `trnsim sweep` (tools/sweep_command.cpp) and its MPI helper
// (tools/sweep_mpi_main.cpp): the points a spec expands to, which of them DIR already holds, where each
// point's files live, and each point's result file.
//
// SPEC: {"description": "...", "base": "run_config.json" | {a run config},
//        "product": {"params.seqlen_q": [1024, 2048], "mode": ["timing", "functional"]},
//        "zip": {"params.seqlen_kv": [512, 1024], "params.d": [64, 128]}}
// A key is a dotted path into the run config. The points are every combination of the product's lists (the
// first key, in key order, varying slowest), each with every tuple of the zip's lists (equal lengths).
// Relative paths in a base file (inputs.files, a program's files) resolve from the base file's folder.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/junit_report.hpp"

namespace tn::cli {

struct SweepPoint {
  std::vector<nlohmann::json> values;  // one per swept key, in Sweep::keys order
  nlohmann::json config;
};

struct Sweep {
  std::vector<std::string> keys;  // product keys, then zip keys
  std::vector<SweepPoint> points;
};

// The points of a spec file; errors name the spec's JSON path.
Sweep read_sweep_spec(const std::string& file);

// "0007": point 7's folder name.
std::string point_name(size_t i);
// DIR/points/NNNN: the point's config.json, result.json and run/ (the run folder).
std::filesystem::path point_dir(const std::filesystem::path& out, size_t i);
// "point 0007  params.d=64, params.scale=0.125": how lines name a point.
std::string point_label(const Sweep& sweep, size_t i);

// A sweep in DIR: every point's result known so far, and the points left to run.
struct SweepPlan {
  Sweep sweep;
  std::vector<std::optional<CheckResult>> results;  // the points done before; nullopt for those to run
  std::vector<size_t> to_run;                       // in point order
  size_t reused = 0;
};

// Expands the spec and looks in DIR/points: a point is done when its folder holds the same config and a
// result that is not an error (errors are retried). Each point to run gets an emptied folder holding its
// config.json.
SweepPlan plan_sweep(const std::string& spec_file, const std::filesystem::path& out);

// Writes DIR/points/NNNN/result.json: {"verdict", "line", "message", "seconds"} and the keys of `extra`
// (the MPI sweep's "rank" and "host"), what the next plan_sweep reads back.
void write_point_result(const std::filesystem::path& out, size_t i, const CheckResult& r,
                        const nlohmann::json& extra = nlohmann::json::object());

}  // namespace tn::cli
