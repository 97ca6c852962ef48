// The semantics of every instruction, timeless. The functional runner and the SystemC timing model both
// call Executor::execute, which is why their outputs are bit-identical.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "sim/func/core_state.hpp"
#include "sim/func/hbm.hpp"

namespace tn::sim {

// A run-time fault (read of unwritten memory, bad runtime value). The message names the instruction
// (stream, index, mnemonic, kernel source line) and what went wrong.
class ExecutionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Executor {
 public:
  // `hbm` must already hold the program's input tensors; outputs and internal tensors are declared.
  Executor(const isa::Program& program, CoreState& core, Hbm& hbm);

  // Applies instruction `index` of stream `stream` to memory. Synchronisation instructions (sem_signal,
  // sem_wait) have no memory effect: the runners implement them.
  void execute(size_t stream, size_t index);

  const isa::Program& program() const { return m_program; }

 private:
  const isa::Program& m_program;
  CoreState& m_core;
  std::vector<HbmTensor*> m_tensors;
};

}  // namespace tn::sim
