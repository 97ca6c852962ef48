// Semaphore values of one NeuronCore (hardware.md §1.2: engines synchronise through atomic semaphores).
#pragma once
#include <cstdint>
#include <span>
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
  bool all_satisfied(std::span<const isa::SemCondition> cs) const {
    for (const auto& c : cs) {
      if (!satisfied(c))
        return false;
    }
    return true;
  }
  // The consuming waits' decrements, applied when the instruction starts, atomically with the check
  // that its waits hold (isa::SemCondition::consume). Calls on_change(sem) after each change.
  template <class OnChange>
  void consume(std::span<const isa::SemCondition> cs, OnChange&& on_change) {
    for (const auto& c : cs) {
      if (c.consume > 0) {
        m_values[c.sem] -= c.consume;
        on_change(c.sem);
      }
    }
  }
  void consume(std::span<const isa::SemCondition> cs) {
    consume(cs, [](int32_t) {});
  }
  static bool consumes(std::span<const isa::SemCondition> cs) {
    for (const auto& c : cs) {
      if (c.consume > 0)
        return true;
    }
    return false;
  }

 private:
  std::vector<int64_t> m_values;
};

}  // namespace tn::sim
