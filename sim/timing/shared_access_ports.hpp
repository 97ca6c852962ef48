// The on-chip memory ports that engines share on NeuronCore-v2 (hardware.md §1.6 [S11,S12]): VectorE and
// GpSimdE cannot access SBUF at the same time, nor VectorE and ScalarE PSUM; v3 lifts both. Modelled per
// instruction: an instruction that touches a shared memory starts no earlier than the end of the other
// engine's last instruction that touched it (no finer interleaving is published). On v3 and later the
// ports are not shared, and PSUM bank collisions, the one remaining conflict (§1.6: "unless both engines
// hit the same bank"), have no published cost (§6), so nothing is modelled there.
#pragma once
#include <array>
#include <cstdint>

#include "isa/engine.hpp"
#include "sim/timing/cost_model.hpp"
#include "sim/timing/hw_config.hpp"

namespace tn::timing {

class SharedAccessPorts {
 public:
  explicit SharedAccessPorts(const HwConfig& hw) : m_shared(hw.chip_neuron_core_version < 3) {}

  bool shared() const { return m_shared; }
  // The earliest an instruction of `engine` whose traffic is `cost` may start.
  uint64_t earliest_start(isa::Engine engine, const InstructionCost& cost) const;
  // It runs until `end_ps`.
  void occupy(isa::Engine engine, const InstructionCost& cost, uint64_t end_ps);

 private:
  bool m_shared;
  std::array<uint64_t, isa::kNumEngineKinds> m_sbuf_until{}, m_psum_until{};
};

}  // namespace tn::timing
