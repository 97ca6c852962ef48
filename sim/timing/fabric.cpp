#include "sim/timing/fabric.hpp"

namespace tn::timing {

Placement place_ranks(const SystemConfig& system, uint32_t cores_per_chip, uint32_t ranks, uint32_t lnc,
                      PlacementPolicy policy) {
  if (ranks == 0 || lnc == 0 || lnc > cores_per_chip || cores_per_chip % lnc != 0) {
    throw PlacementError("cannot place ranks of " + std::to_string(lnc) + " NeuronCores on chips of " +
                         std::to_string(cores_per_chip));
  }
  const uint64_t chips = uint64_t(system.system_chips);
  const uint64_t per_chip = policy == PlacementPolicy::kPacked ? cores_per_chip / lnc : 1;
  if (uint64_t(ranks) > chips * per_chip) {
    throw PlacementError(std::to_string(ranks) + " ranks of " + std::to_string(lnc) +
                         " NeuronCores do not fit " + system.name + " (" + std::to_string(chips) +
                         " chips of " + std::to_string(cores_per_chip) + " NeuronCores: at most " +
                         std::to_string(chips * per_chip) +
                         (policy == PlacementPolicy::kPacked ? " ranks)" : " ranks one per chip)"));
  }
  Placement p;
  p.cores_per_chip = cores_per_chip;
  for (uint32_t r = 0; r < ranks; ++r) {
    const uint32_t chip = uint32_t(r / per_chip);
    const uint32_t first = chip * cores_per_chip + uint32_t(r % per_chip) * lnc;
    p.chip_of_rank.push_back(chip);
    std::vector<uint32_t> cores;
    for (uint32_t c = 0; c < lnc; ++c)
      cores.push_back(first + c);
    p.cores_of_rank.push_back(std::move(cores));
  }
  return p;
}

Fabric::Fabric(const SystemConfig& system) : m_system(system) {
  const uint32_t chips = uint32_t(system.system_chips);
  if (system.topology == Topology::kTorus) {
    m_dims[0] = system.torus_x;
    m_dims[1] = system.torus_y;
    m_dims[2] = system.torus_z;
    const double gbps[3] = {system.torus_x_link_gb_per_s, system.torus_y_link_gb_per_s,
                            system.torus_z_link_gb_per_s};
    m_slot.assign(size_t(chips) * 6, -1);
    for (uint32_t chip = 0; chip < chips; ++chip) {
      for (int d = 0; d < 3; ++d) {
        if (m_dims[d] > 1) {
          add_link(torus_link(chip, d, true), gbps[d]);  // GB/s == B/ns
          add_link(torus_link(chip, d, false), gbps[d]);
        }
      }
    }
  } else {
    m_slot.assign(size_t(chips) * 2, -1);
    for (uint32_t chip = 0; chip < chips; ++chip) {
      add_link(chip * 2, system.switch_port_gb_per_s);
      add_link(chip * 2 + 1, system.switch_port_gb_per_s);
    }
  }
}

void Fabric::add_link(uint32_t id, double bytes_per_ns) {
  m_slot[id] = int32_t(m_links.size());
  m_ids.push_back(id);
  m_links.emplace_back(bytes_per_ns);
}

std::vector<uint32_t> Fabric::route(uint32_t from, uint32_t to) const {
  std::vector<uint32_t> links;
  if (from == to)
    return links;
  if (m_system.topology == Topology::kSwitch)
    return {from * 2, to * 2 + 1};
  // Chip c sits at (c % X, (c / X) % Y, c / (X * Y)).
  int64_t at[3] = {from % m_dims[0], (from / m_dims[0]) % m_dims[1], from / (m_dims[0] * m_dims[1])};
  const int64_t dst[3] = {to % m_dims[0], (to / m_dims[0]) % m_dims[1], to / (m_dims[0] * m_dims[1])};
  for (int d = 0; d < 3; ++d) {
    const int64_t n = m_dims[d];
    const int64_t forward = ((dst[d] - at[d]) % n + n) % n;
    const bool positive = forward <= n - forward;
    for (int64_t step = 0; step < (positive ? forward : n - forward); ++step) {
      const uint32_t chip = uint32_t(at[0] + m_dims[0] * (at[1] + m_dims[1] * at[2]));
      links.push_back(torus_link(chip, d, positive));
      at[d] = ((at[d] + (positive ? 1 : -1)) % n + n) % n;
    }
  }
  return links;
}

std::string Fabric::link_name(uint32_t id) const {
  if (m_system.topology == Topology::kSwitch)
    return "chip " + std::to_string(id / 2) + (id % 2 == 0 ? " up" : " down");
  const char* dims = "xyz";
  return "chip " + std::to_string(id / 6) + " " + ((id % 2) == 0 ? "+" : "-") + dims[(id % 6) / 2];
}

}  // namespace tn::timing
