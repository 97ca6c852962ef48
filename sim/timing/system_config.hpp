// Systems of several chips (hardware.md §2, collectives.md §1): how many chips, the preset of each chip, how
// they are joined (a torus of neighbour links, or a switch), and the CC-core and collective-algorithm
// constants. Loaded from configs/systems/*.json, every constant {"value", "unit", "source"} as in
// configs/hw/ (sim/timing/cited_constants.hpp); overrides work the same way.
#pragma once
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tn::timing {

// X(group, key, C++ type, unit, bound); the field is group_key. Every system has the common constants;
// a torus also the torus group, a switched system the switch group.
#define TN_SYSTEM_COMMON_CONSTANTS(X)                           \
  X(system, chips, int64_t, "count", kPositive)                 \
  X(cc, cores_per_neuron_core, int64_t, "count", kPositive)     \
  X(cc, trigger_latency_ns, double, "ns", kNonNegative)         \
  X(cc, hop_latency_ns, double, "ns", kNonNegative)             \
  X(cc, packet_bytes, int64_t, "bytes", kPositive)              \
  X(algorithms, mesh_max_bytes, int64_t, "bytes", kNonNegative) \
  X(algorithms, rdh_max_bytes, int64_t, "bytes", kNonNegative)
#define TN_SYSTEM_TORUS_CONSTANTS(X)                      \
  X(torus, x, int64_t, "count", kPositive)                \
  X(torus, y, int64_t, "count", kPositive)                \
  X(torus, z, int64_t, "count", kPositive)                \
  X(torus, x_link_gb_per_s, double, "GB/s", kNonNegative) \
  X(torus, y_link_gb_per_s, double, "GB/s", kNonNegative) \
  X(torus, z_link_gb_per_s, double, "GB/s", kNonNegative)
#define TN_SYSTEM_SWITCH_CONSTANTS(X) X(switch, port_gb_per_s, double, "GB/s", kPositive)

class SystemConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Topology : uint8_t {
  kTorus,   // chips on an x * y * z torus, each joined to its neighbours in every dimension of size > 1
  kSwitch,  // every chip has one port (each direction) into a non-blocking switch
};

struct SystemConfig {
  std::string name;
  std::string description;
  std::string origin;  // the file it was loaded from
  std::string chip;    // the hardware preset of every chip (configs/hw/<chip>.json)
  Topology topology = Topology::kTorus;

#define TN_SYSTEM_DECLARE_FIELD(group, key, type, unit, bound) type group##_##key = 0;
  TN_SYSTEM_COMMON_CONSTANTS(TN_SYSTEM_DECLARE_FIELD)
  TN_SYSTEM_TORUS_CONSTANTS(TN_SYSTEM_DECLARE_FIELD)
  TN_SYSTEM_SWITCH_CONSTANTS(TN_SYSTEM_DECLARE_FIELD)
#undef TN_SYSTEM_DECLARE_FIELD

  // The resolved values, in the overrides' shape plus name, chip and topology.
  nlohmann::json to_json() const;
};

// Loads a preset by name ("trn2.48xlarge" -> <configs>/systems/trn2.48xlarge.json) or by path (anything
// containing '/'), then applies `overrides` ({"torus": {"x_link_gb_per_s": 128}}). Every problem throws
// SystemConfigError naming the file (or "overrides") and the JSON path.
SystemConfig load_system_config(const std::string& path_or_preset_name, const nlohmann::json& overrides = {});

// config_dir()/systems/<name>.json (sim/timing/config_dir.hpp).
std::filesystem::path system_preset_path(std::string_view preset_name);

// The presets in configs/systems/, by name, in the order a default is chosen: smallest first.
std::vector<std::string> system_preset_names();

}  // namespace tn::timing
