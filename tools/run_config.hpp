// A run config: which kernel with which parameters, on which hardware, with which inputs, in which mode,
// and what to trace. See configs/runs/*.json; every key is checked (ConfigError names the JSON path).
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernels/reference/npy.hpp"
#include "tools/json_reader.hpp"

namespace tn::cli {

enum class RunMode {
  kFunctional,  // timeless numerics only
  kTiming,      // simulated time, numerics computed along the way
  kTimingOnly,  // simulated time without numerics (large shapes)
  kBoth,        // both, and the outputs must agree bit for bit
};

std::string_view run_mode_name(RunMode m);

// Where a multi-rank kernel runs (collectives.md, hardware.md §2). Every field may be left out.
struct LaunchConfig {
  bool given = false;
  uint32_t ranks = 0;  // 0: the kernel's own count
  std::string system;  // a configs/systems preset or a path; "": the smallest preset that fits
  nlohmann::json system_overrides = nlohmann::json::object();
  std::string placement = "packed";  // "packed" or "one_per_chip"
  std::string algorithm = "auto";    // "auto", "mesh", "ring", "rdh" or "kangaring"
};

struct RunConfig {
  std::string file;
  nlohmann::json document;  // the whole file, kept alive for `params`
  std::string description;
  std::string kernel;
  // The folder the config's relative paths resolve from: its own, or "paths_relative_to" (itself relative
  // to the config's folder), which a sweep sets so its points find the files beside their base config.
  std::string paths_from;
  std::string hardware = "trn2";
  nlohmann::json hardware_overrides = nlohmann::json::object();
  uint32_t seed = 0;
  std::map<std::string, std::string> input_files;  // tensor name -> .npy path, resolved
  // bfloat16 / float8 tensors in .npy files (inputs read, inputs and outputs written): float32 values, or
  // their raw bits ('<u2', '|u1') with "npy": {"narrow_floats": "bits"}.
  ref::NarrowFloats npy_narrow_floats = ref::NarrowFloats::kAsFloat32;
  RunMode mode = RunMode::kBoth;
  bool check_numerics = true;
  bool trace_perfetto = true;
  bool trace_json = false;
  bool trace_flows = false;
  std::vector<uint32_t> trace_ranks;  // the ranks written to the trace; empty: all
  LaunchConfig launch;

  JsonObject params() const;
};

RunConfig load_run_config(const std::string& file);

}  // namespace tn::cli
