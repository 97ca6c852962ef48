#include "sim/timing/hw_config.hpp"

#include <cstdlib>
#include <filesystem>

#include "sim/io/json_file.hpp"
#include "sim/timing/cited_constants.hpp"
#include "sim/timing/config_dir.hpp"

#ifndef TRNSIM_SOURCE_DIR
#error "TRNSIM_SOURCE_DIR must be defined (sim/timing/CMakeLists.txt sets it)"
#endif

namespace tn::timing {

namespace {

using nlohmann::json;

#define TN_HW_PARAM_ROW(group, key, type, unit, range) \
  CitedConstant<HwConfig>{#group, #key, unit, range, &HwConfig::group##_##key},
const CitedConstant<HwConfig> kParams[] = {TN_HW_CONSTANTS(TN_HW_PARAM_ROW)};
#undef TN_HW_PARAM_ROW

const CitedConstants<HwConfig, HwConfigError>& table() {
  static const CitedConstants<HwConfig, HwConfigError> t{kParams};
  return t;
}

// The relations between constants that must hold for the model to mean anything; each refusal names
// every constant involved, by JSON path.
void check_relations(const HwConfig& hw, const std::string& label) {
  using Table = CitedConstants<HwConfig, HwConfigError>;
  const auto n = [](int64_t x) { return std::to_string(x); };
  if (hw.hbm_stacks * hw.hbm_cores_per_stack != hw.chip_neuron_cores) {
    Table::fail(label, "$.hbm.cores_per_stack",
                n(hw.hbm_stacks) + " stacks ($.hbm.stacks) x " + n(hw.hbm_cores_per_stack) +
                    " cores per stack = " + n(hw.hbm_stacks * hw.hbm_cores_per_stack) +
                    ", but the chip has " + n(hw.chip_neuron_cores) +
                    " NeuronCores ($.chip.neuron_cores): every core sits on one stack (hardware.md §1.9)");
  }
  if (hw.dve_perf_mode_2x_factor > hw.dve_perf_mode_4x_factor) {
    Table::fail(label, "$.dve.perf_mode_2x_factor",
                format_number(hw.dve_perf_mode_2x_factor) + " exceeds $.dve.perf_mode_4x_factor (" +
                    format_number(hw.dve_perf_mode_4x_factor) +
                    "): the 2x mode's conditions are the 4x mode's relaxed (hardware.md §1.4)");
  }
  // The timed run keeps one uncommitted instruction per engine (sim/sc/timed_system.cpp): that holds
  // when no instruction's commit outlasts the next instruction's shortest occupancy.
  const auto check_latency = [&](const char* group, int64_t latency, int64_t min_ii, int64_t overhead) {
    if (latency > min_ii + overhead) {
      const std::string g = std::string("$.") + group;
      Table::fail(label, g + ".dependency_latency_cycles",
                  n(latency) + " exceeds " + g + ".min_ii_cycles + " + g + ".static_overhead_cycles (" +
                      n(min_ii) + " + " + n(overhead) +
                      "): an instruction's output must be committed before the shortest next instruction "
                      "on its engine ends (hardware.md §4.1: 100 after 164 cycles)");
    }
  };
  check_latency("act", hw.act_dependency_latency_cycles, hw.act_min_ii_cycles, hw.act_static_overhead_cycles);
  check_latency("dve", hw.dve_dependency_latency_cycles, hw.dve_min_ii_cycles, hw.dve_static_overhead_cycles);
}

HwConfig from_file(const json& root, const std::string& label) {
  using Table = CitedConstants<HwConfig, HwConfigError>;
  if (!root.is_object())
    Table::fail(label, "$", std::string("expected an object, got ") + root.type_name());
  for (const auto& [k, v] : root.items()) {
    if (k != "name" && k != "description" && !table().is_group(k))
      Table::fail(label, io::json_path_child("$", k), "unknown key");
  }
  HwConfig hw;
  hw.name = Table::require_string(root, "name", label, "$").get<std::string>();
  hw.description = Table::require_string(root, "description", label, "$").get<std::string>();
  table().load(hw, root, label, table().groups());
  check_relations(hw, label);
  return hw;
}

}  // namespace

isa::MemoryLimits HwConfig::memory_limits() const {
  isa::MemoryLimits l;
  l.num_partitions = static_cast<int32_t>(sbuf_partitions);
  l.sbuf_partition_bytes = sbuf_bytes_per_partition;
  l.psum_partition_bytes = psum_bytes_per_partition;
  l.psum_bank_bytes = psum_bank_bytes;
  l.pe_max_moving_free = pe_max_moving_free;
  l.pe_max_stationary_free = static_cast<int32_t>(pe_max_stationary_free);
  l.neuron_core_version = static_cast<int32_t>(chip_neuron_core_version);
  return l;
}

double HwConfig::clock_mhz(isa::Engine engine) const {
  switch (engine) {
    case isa::Engine::kPe:
      return pe_clock_mhz;
    case isa::Engine::kAct:
      return act_clock_mhz;
    case isa::Engine::kDve:
      return dve_clock_mhz;
    case isa::Engine::kPool:
      return pool_clock_mhz;
    case isa::Engine::kSp:
    case isa::Engine::kDma:
    case isa::Engine::kCc:  // CC-cores are sequencers too; their collectives are timed in ns
      return sp_clock_mhz;
  }
  throw std::invalid_argument("clock_mhz: unknown engine");
}

nlohmann::json HwConfig::to_json() const {
  json j = json::object();
  j["name"] = name;
  table().to_json(*this, j, table().groups());
  return j;
}

std::filesystem::path hw_preset_path(std::string_view preset_name) {
  const std::string file = std::string(preset_name) + ".json";
  return config_dir() / "hw" / file;
}

HwConfig load_hw_config(const std::string& path_or_preset_name, const nlohmann::json& overrides) {
  const std::string& spec = path_or_preset_name;
  const bool is_path = spec.find('/') != std::string::npos ||
                       (spec.size() >= 5 && spec.compare(spec.size() - 5, 5, ".json") == 0);
  const std::filesystem::path file = is_path ? std::filesystem::path(spec) : hw_preset_path(spec);
  const std::string label = is_path ? spec : "hw/" + spec + ".json";
  if (!std::filesystem::is_regular_file(file)) {
    throw HwConfigError(label + ": cannot open " + file.string() +
                        (is_path ? "" : " (no hardware preset named '" + spec + "')"));
  }
  json root;
  try {
    root = io::read_json(file.string());
  } catch (const io::JsonSyntaxError& e) {
    throw HwConfigError(e.what());  // names the file, line and column
  }
  HwConfig hw = from_file(root, label);
  hw.origin = file.string();
  table().apply_overrides(hw, overrides, table().groups(), "hardware constants");
  check_relations(hw, "overrides");
  return hw;
}

}  // namespace tn::timing
