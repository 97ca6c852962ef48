#include "tools/launch.hpp"

namespace tn::cli {

namespace {

timing::SystemConfig load_system(const RunConfig& c, const std::string& spec) {
  try {
    return timing::load_system_config(spec, c.launch.system_overrides);
  } catch (const std::exception& e) {
    throw ConfigError(c.file + ": $.launch.system: " + e.what());
  }
}

}  // namespace

ResolvedLaunch resolve_launch(const RunConfig& c, const KernelSetup& k, const timing::HwConfig& hw) {
  ResolvedLaunch out;
  if (!k.per_rank) {
    if (c.launch.ranks > 1) {
      throw ConfigError(c.file + ": $.launch.ranks: " + k.kernel +
                        " runs on one rank (it has no collectives); give ranks 1 or no launch");
    }
    if (!c.trace_ranks.empty() && (c.trace_ranks.size() != 1 || c.trace_ranks[0] != 0))
      throw ConfigError(c.file + ": $.trace.ranks: a one-rank run has only rank 0");
    return out;
  }
  out.ranks = k.ranks;
  if (c.launch.ranks != 0 && c.launch.ranks != k.ranks) {
    throw ConfigError(c.file + ": $.launch.ranks: " + std::to_string(c.launch.ranks) + ", but " + k.kernel +
                      "'s params make " + std::to_string(k.ranks) + " ranks");
  }
  const uint32_t lnc = uint32_t(k.programs.size());
  const uint32_t cores_per_chip = uint32_t(hw.chip_neuron_cores);
  const timing::PlacementPolicy policy = c.launch.placement == "one_per_chip"
                                             ? timing::PlacementPolicy::kOnePerChip
                                             : timing::PlacementPolicy::kPacked;
  if (!c.launch.system.empty()) {
    out.system = load_system(c, c.launch.system);
    if (out.system->chip != hw.name) {
      throw ConfigError(c.file + ": $.launch.system: " + out.system->name + " has " + out.system->chip +
                        " chips, but $.hardware is " + hw.name);
    }
  } else {
    std::string tried;
    for (const std::string& name : timing::system_preset_names()) {
      timing::SystemConfig s = load_system(c, name);
      if (s.chip != hw.name)
        continue;
      tried += (tried.empty() ? "" : ", ") + name;
      try {
        timing::place_ranks(s, cores_per_chip, out.ranks, lnc, policy);
      } catch (const timing::PlacementError&) {
        continue;
      }
      out.system = std::move(s);
      break;
    }
    if (!out.system) {
      throw ConfigError(c.file + ": $.launch.system: no system preset of " + hw.name + " chips holds " +
                        std::to_string(out.ranks) + " ranks of " + std::to_string(lnc) + " NeuronCores" +
                        (tried.empty() ? "" : " (tried " + tried + ")"));
    }
  }
  try {
    out.placement = timing::place_ranks(*out.system, cores_per_chip, out.ranks, lnc, policy);
  } catch (const timing::PlacementError& e) {
    throw ConfigError(c.file + ": $.launch.ranks: " + e.what());
  }
  if (c.launch.algorithm != "auto")
    out.algorithm = timing::algorithm_from_name(c.launch.algorithm);
  for (uint32_t r : c.trace_ranks) {
    if (r >= out.ranks) {
      throw ConfigError(c.file + ": $.trace.ranks: rank " + std::to_string(r) + " is outside the launch's " +
                        std::to_string(out.ranks) + " ranks");
    }
  }
  out.traced_ranks = c.trace_ranks;
  std::vector<uint32_t> chips = out.placement.chip_of_rank;
  chips.erase(std::unique(chips.begin(), chips.end()), chips.end());
  out.summary = {{"ranks", out.ranks},
                 {"cores_per_rank", lnc},
                 {"system", out.system->to_json()},
                 {"placement", c.launch.placement},
                 {"algorithm", c.launch.algorithm},
                 {"chips_used", chips.size()},
                 {"chip_of_rank", out.placement.chip_of_rank}};
  return out;
}

}  // namespace tn::cli
