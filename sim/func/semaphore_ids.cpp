#include "sim/func/semaphore_ids.hpp"

#include <variant>

#include "isa/validator.hpp"
#include "sim/func/executor.hpp"

namespace tn::sim {

void check_semaphore_ids(const isa::Program& p, const std::string& prefix) {
  const auto count = static_cast<int32_t>(p.semaphores.size());
  for (size_t s = 0; s < p.streams.size(); ++s) {
    const isa::Stream& st = p.streams[s];
    // A stream without a completion semaphore (-1) simply signals nothing when instructions retire.
    if (st.completion_sem >= count) {
      throw ExecutionError(prefix + "stream " + st.name + ": completion semaphore " +
                           std::to_string(st.completion_sem) + " does not exist");
    }
    for (size_t i = 0; i < st.instructions.size(); ++i) {
      const isa::Instruction& in = st.instructions[i];
      const auto check = [&](int32_t id) {
        if (id < 0 || id >= count) {
          throw ExecutionError(prefix + isa::describe_instruction(p, s, i) + ": semaphore " +
                               std::to_string(id) + " does not exist");
        }
      };
      for (const isa::SemCondition& w : in.waits)
        check(w.sem);
      const isa::Operation& op = in.op.get();
      if (const auto* sig = std::get_if<isa::SemSignal>(&op))
        check(sig->sem);
      if (const auto* wait = std::get_if<isa::SemWait>(&op))
        check(wait->sem);
    }
  }
}

}  // namespace tn::sim
