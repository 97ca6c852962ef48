// What a run reports: the timing section of summary.json (engines, opcodes, loops, MFU, HBM, collectives)
// and the one-screen text `trnsim run` prints.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "sim/sc/timed_run.hpp"
#include "sim/timing/hw_config.hpp"
#include "tools/kernel_catalog.hpp"

namespace tn::cli {

// summary.json's `schema_version`: 2 renamed mfu_percent, hfu_percent and matmul_flops to the profiler's
// mfu_estimated_percent, hfu_estimated_percent and hardware_flops, and added mbu_estimated_percent. 3 names
// the engines as the profiler does, in the keys of timing.cores[].engines and their "engine" (Tensor, Scalar,
// Vector, GpSimd, Sync, DMA, CC-core; were pe, act, dve, pool, sp, dma, cc).
inline constexpr int kSummarySchemaVersion = 3;

// {min, median, max, mean} of some values (all 0 for none): how figures over ranks or instances are given.
nlohmann::json spread(std::vector<double> values);

// summary.json's "timing" section.
nlohmann::json timing_summary(const sc::TimedRunResult& t, const KernelSetup& k, double model_flops,
                              const timing::HwConfig& hw);

// The one-screen summary printed by `trnsim run` (several ranks: min / median / max over ranks).
std::string summary_text(const nlohmann::json& summary);

}  // namespace tn::cli
