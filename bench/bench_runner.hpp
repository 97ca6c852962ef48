// What the benchmarks share: running one config through the trnsim executable (its own process, so the
// peak memory is that run's alone) and reading back its summary, and the configs more than one prints.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace tn::bench {

struct TrnsimRun {
  bool ok = false;
  nlohmann::json summary;  // summary.json plus "process_wall_s": the whole process, start to exit
  std::string error;       // trnsim's stderr when it failed
};

// Writes `config` to dir/name.json and runs `trnsim run` on it into dir/name/.
TrnsimRun try_run_trnsim(const std::filesystem::path& dir, const std::string& name,
                         const nlohmann::json& config);

// The same, exiting the benchmark with trnsim's message if the run fails; returns the summary.
nlohmann::json run_trnsim(const std::filesystem::path& dir, const std::string& name,
                          const nlohmann::json& config);

// Runs a benchmark helper executable that prints one JSON object, and parses it.
nlohmann::json run_json_program(const std::string& command);

// A fresh scratch folder under the system temp dir.
std::filesystem::path scratch(const std::string& name);

// ring_attention_spmd_fwd at the API's headline scale: 16K tokens per rank, causal contiguous bf16, b 1,
// h 1, d 128, training, one rank per chip of a trn2u-ultraserver, timing-only without a trace.
nlohmann::json ring_headline_config(int ranks);

// attention_cte causal bf16, bs 1, d 128 at one sequence length (the speed sweep's case).
nlohmann::json attention_causal_config(int64_t seqlen, const std::string& mode);

}  // namespace tn::bench
