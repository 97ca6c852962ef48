// Where a run's ranks go: the launch section of a run config resolved against the kernel (how many ranks
// its parameters make) and the hardware (which chips the system has), with errors at their JSON path.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "sim/timing/collective_model.hpp"
#include "sim/timing/fabric.hpp"
#include "sim/timing/hw_config.hpp"
#include "sim/timing/system_config.hpp"
#include "tools/kernel_catalog.hpp"
#include "tools/run_config.hpp"

namespace tn::cli {

struct ResolvedLaunch {
  uint32_t ranks = 1;
  std::optional<timing::SystemConfig> system;  // multi-rank kernels only
  timing::Placement placement;
  std::optional<timing::CollectiveAlgorithm> algorithm;  // forced; else Neuron's thresholds
  std::vector<uint32_t> traced_ranks;
  nlohmann::json summary;  // summary.json's "launch"
};

// A single-rank kernel takes no launch of more than one rank. A multi-rank kernel runs KernelSetup::ranks
// ranks (a launch.ranks must agree) on launch.system, or on the first preset of system_preset_names()
// whose chip is the run's hardware and that holds them.
ResolvedLaunch resolve_launch(const RunConfig& config, const KernelSetup& k, const timing::HwConfig& hw);

}  // namespace tn::cli
