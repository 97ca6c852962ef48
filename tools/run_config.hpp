// A run config: which kernel with which parameters, on which hardware, with which inputs, in which mode,
// and what to trace. See configs/runs/*.json; every key is checked (ConfigError names the JSON path).
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tools/json_reader.hpp"

namespace tn::cli {

enum class RunMode {
  kFunctional,  // timeless numerics only
  kTiming,      // simulated time, numerics computed along the way
  kTimingOnly,  // simulated time without numerics (large shapes)
  kBoth,        // both, and the outputs must agree bit for bit
};

std::string_view run_mode_name(RunMode m);

struct RunConfig {
  std::string file;
  nlohmann::json document;  // the whole file, kept alive for `params`
  std::string description;
  std::string kernel;
  std::string hardware = "trn2";
  nlohmann::json hardware_overrides = nlohmann::json::object();
  uint32_t seed = 0;
  std::map<std::string, std::string> input_files;  // tensor name -> .npy path (relative to the config)
  RunMode mode = RunMode::kBoth;
  bool check_numerics = true;
  bool trace_perfetto = true;
  bool trace_json = false;
  bool trace_flows = false;

  JsonObject params() const;
};

RunConfig load_run_config(const std::string& file);

}  // namespace tn::cli
