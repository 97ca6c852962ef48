// What the benchmarks share: running one config through the trnsim executable (its own process, so the
// peak memory is that run's alone) and reading back its summary.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace tn::bench {

// Writes `config` to dir/name.json, runs `trnsim run` on it into dir/name/ and returns its summary.json;
// exits the benchmark with a message if the run fails.
nlohmann::json run_trnsim(const std::filesystem::path& dir, const std::string& name,
                          const nlohmann::json& config);

// A fresh scratch folder under the system temp dir.
std::filesystem::path scratch(const std::string& name);

}  // namespace tn::bench
