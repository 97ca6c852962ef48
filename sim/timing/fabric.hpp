// The chips of a system and the links between them (hardware.md §2), as bandwidth resources: where the
// ranks of a launch sit, and which links a transfer between two chips crosses. Pure C++: the collective
// model reserves the links it routes over, taking `now` and returning times.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/timing/bandwidth_server.hpp"
#include "sim/timing/system_config.hpp"

namespace tn::timing {

enum class PlacementPolicy : uint8_t {
  kPacked,      // rank r takes the next lnc NeuronCores: consecutive ranks share a chip while they fit
  kOnePerChip,  // rank r alone on chip r (its cores the chip's first lnc)
};

class PlacementError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where every rank of a launch runs: its chip and its physical NeuronCores, numbered over the system
// (chip * cores_per_chip + core on the chip), which also picks their HBM stacks.
struct Placement {
  uint32_t cores_per_chip = 0;
  std::vector<uint32_t> chip_of_rank;
  std::vector<std::vector<uint32_t>> cores_of_rank;  // physical core ids, one per core of the rank
};

// Throws PlacementError when the ranks do not fit (naming what fits).
Placement place_ranks(const SystemConfig& system, uint32_t cores_per_chip, uint32_t ranks, uint32_t lnc,
                      PlacementPolicy policy);

class Fabric {
 public:
  explicit Fabric(const SystemConfig& system);

  // The directed links a transfer from chip `from` to chip `to` crosses, in order: on a torus by dimension
  // order (x, then y, then z), each the shorter way round (ties go the positive way); through a switch the
  // sender's up-port then the receiver's down-port. Empty for the same chip.
  std::vector<uint32_t> route(uint32_t from, uint32_t to) const;

  BandwidthServer& link(uint32_t id) { return m_links[size_t(m_slot.at(id))]; }
  const BandwidthServer& link(uint32_t id) const { return m_links[size_t(m_slot.at(id))]; }
  // The ids of the links that exist, ascending (a torus dimension of size 1 has none).
  const std::vector<uint32_t>& link_ids() const { return m_ids; }
  // "chip 3 +x", "chip 5 up"; for summaries and traces.
  std::string link_name(uint32_t id) const;

 private:
  // Torus link ids: chip * 6 + dimension * 2 + (0 for the positive direction, 1 for the negative); switch
  // ports: chip * 2 + (0 up, 1 down).
  static uint32_t torus_link(uint32_t chip, int dim, bool positive) {
    return chip * 6 + uint32_t(dim) * 2 + (positive ? 0 : 1);
  }
  void add_link(uint32_t id, double bytes_per_ns);

  const SystemConfig& m_system;
  int64_t m_dims[3] = {1, 1, 1};
  std::vector<int32_t> m_slot;  // link id -> index into m_links, or -1
  std::vector<uint32_t> m_ids;
  std::vector<BandwidthServer> m_links;
};

}  // namespace tn::timing
