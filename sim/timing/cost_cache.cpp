#include "sim/timing/cost_cache.hpp"

namespace tn::timing {

const InstructionCost& CostCache::fill(isa::OpRef op, isa::Engine engine) {
  InstructionCost c = cost(op.get(), engine, m_hw);  // throws before anything is stored
  std::vector<uint32_t>& slots = m_slot[static_cast<size_t>(engine)];
  if (op.id() >= slots.size()) {
    slots.resize(size_t(op.id()) + 1, kEmpty);
  }
  slots[op.id()] = uint32_t(m_costs.size());
  m_costs.push_back(c);
  return m_costs.back();
}

}  // namespace tn::timing
