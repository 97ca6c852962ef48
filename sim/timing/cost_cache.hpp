// The cost of each distinct (operation, engine) pair, computed once. cost() is a pure function of the
// operation, the engine and the hardware, and a program repeats few distinct operations (they are
// interned: isa/operation_pool), so a timed run that executes an instruction millions of times (a loop,
// or the same program on every rank) asks the formulas once per operation instead of per execution.
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

#include "isa/operation_pool.hpp"
#include "sim/timing/cost_model.hpp"

namespace tn::timing {

class CostCache {
 public:
  explicit CostCache(const HwConfig& hw) : m_hw(hw) {}

  // cost(op.get(), engine, hw); throws as it does (an engine that cannot run the operation) every time.
  const InstructionCost& get(isa::OpRef op, isa::Engine engine) {
    std::vector<uint32_t>& slots = m_slot[static_cast<size_t>(engine)];
    if (op.id() < slots.size() && slots[op.id()] != kEmpty) {
      return m_costs[slots[op.id()]];
    }
    return fill(op, engine);
  }

 private:
  static constexpr uint32_t kEmpty = ~uint32_t{0};
  const InstructionCost& fill(isa::OpRef op, isa::Engine engine);

  const HwConfig& m_hw;
  std::vector<uint32_t> m_slot[isa::kNumEngineKinds];  // by engine, then operation id: index into m_costs
  std::deque<InstructionCost> m_costs;                 // a deque: references stay valid as it grows
};

}  // namespace tn::timing
