// Semaphore values of one NeuronCore (hardware.md §1.2: engines synchronise through atomic semaphores).
#pragma once
#include <cstdint>
#include <vector>

#include "isa/program.hpp"

namespace tn::sim {

class Semaphores {
 public:
  explicit Semaphores(const isa::Program& program) {
    for (const auto& s : program.semaphores)
      m_values.push_back(s.initial);
  }
  int64_t value(int32_t sem) const { return m_values[sem]; }
  void add(int32_t sem, int64_t delta) { m_values[sem] += delta; }
  bool satisfied(const isa::SemCondition& c) const { return m_values[c.sem] >= c.at_least; }
  bool all_satisfied(const std::vector<isa::SemCondition>& cs) const {
    for (const auto& c : cs) {
      if (!satisfied(c))
        return false;
    }
    return true;
  }

 private:
  std::vector<int64_t> m_values;
};

}  // namespace tn::sim
