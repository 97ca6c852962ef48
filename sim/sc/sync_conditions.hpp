// The semaphore conditions an instruction needs before it may start: its waits and, for sem_wait, its
// own condition (the same rule as run_functional).
#pragma once
#include <variant>

#include "isa/program.hpp"

namespace tn::sc {

template <class F>
void for_each_condition(const isa::Instruction& in, F&& f) {
  for (const isa::SemCondition& c : in.waits) {
    f(c);
  }
  if (const auto* w = std::get_if<isa::SemWait>(&in.op.get())) {
    f(isa::SemCondition{w->sem, w->at_least});
  }
}

}  // namespace tn::sc
