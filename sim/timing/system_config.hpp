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

#include "sim/timing/cited_constants.hpp"

namespace tn::timing {

// The ranges of the system constants, each with its physical meaning (sim/timing/cited_constants.hpp).
namespace system_range {
inline constexpr Range kChips{
    1, 1024, false,
    "16 per trn1/trn2 instance, 64 or 144 per UltraServer (hardware.md §2); at most "
    "1024"};
inline constexpr Range kTorusEdge{1, 64, false,
                                  "4 chips along each dimension of a Trn2 torus, hardware.md §2"};
// A dimension of one chip has no links (0); one of more chips needs links of at least kLinkMinGbPerS.
inline constexpr double kLinkMinGbPerS = 1;
inline constexpr Range kLinkBandwidth{0, 10000, false,
                                      "96-256 GB/s per NeuronLink (hardware.md §2); 0 for a dimension of one "
                                      "chip"};
inline constexpr Range kPortBandwidth{kLinkMinGbPerS, 10000, false,
                                      "Trn3's switch ports carry 128-320 GB/s per chip, hardware.md §2"};
inline constexpr Range kCcCores{
    1, 8, false, "2 CC-cores per NeuronCore on Trn2, 3 on Trn1 (collectives.md §1, hardware.md §1.1)"};
inline constexpr Range kPacketBytes{
    512, 16777216, false, "collective packets are up to 64 KiB, compute DMA 4 KiB (collectives.md §1)"};
inline constexpr Range kThresholdBytes{
    0, 1099511627776.0, false,
    "a message size per rank, Mesh below 1 MB, RDH to 56 MB (hardware.md §2); "
    "at most 1 TiB"};
}  // namespace system_range

// X(group, key, C++ type, unit, range); the field is group_key. Every system has the common constants;
// a torus also the torus group, a switched system the switch group. Relations (chips = x * y * z, a
// dimension of several chips has links, RDH takes over from Mesh) are checked after loading.
#define TN_SYSTEM_COMMON_CONSTANTS(X)                                            \
  X(system, chips, int64_t, "count", system_range::kChips)                       \
  X(cc, cores_per_neuron_core, int64_t, "count", system_range::kCcCores)         \
  X(cc, trigger_latency_ns, double, "ns", ::tn::timing::kLatencyNsRange)         \
  X(cc, hop_latency_ns, double, "ns", ::tn::timing::kLatencyNsRange)             \
  X(cc, packet_bytes, int64_t, "bytes", system_range::kPacketBytes)              \
  X(algorithms, mesh_max_bytes, int64_t, "bytes", system_range::kThresholdBytes) \
  X(algorithms, rdh_max_bytes, int64_t, "bytes", system_range::kThresholdBytes)
#define TN_SYSTEM_TORUS_CONSTANTS(X)                                      \
  X(torus, x, int64_t, "count", system_range::kTorusEdge)                 \
  X(torus, y, int64_t, "count", system_range::kTorusEdge)                 \
  X(torus, z, int64_t, "count", system_range::kTorusEdge)                 \
  X(torus, x_link_gb_per_s, double, "GB/s", system_range::kLinkBandwidth) \
  X(torus, y_link_gb_per_s, double, "GB/s", system_range::kLinkBandwidth) \
  X(torus, z_link_gb_per_s, double, "GB/s", system_range::kLinkBandwidth)
#define TN_SYSTEM_SWITCH_CONSTANTS(X) X(switch, port_gb_per_s, double, "GB/s", system_range::kPortBandwidth)

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

#define TN_SYSTEM_DECLARE_FIELD(group, key, type, unit, range) type group##_##key = 0;
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
