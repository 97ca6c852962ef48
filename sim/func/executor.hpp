// The semantics of every instruction, timeless. The functional runner and the SystemC timing model both
// call Executor::execute, which is why their outputs are bit-identical.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "sim/func/access_walker.hpp"
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
  // One overload per row of isa/instructions.def, listed by hand so that a new row without semantics
  // fails to compile at the std::visit in execute(). Defined in exec_<engine>.cpp.
  void run(const isa::LoadStationary& op);
  void run(const isa::MultiplyMoving& op);
  void run(const isa::PeTranspose& op);
  void run(const isa::Activation& op);
  void run(const isa::TensorTensor& op);
  void run(const isa::TensorScalar& op);
  void run(const isa::ScalarTensorTensor& op);
  void run(const isa::TensorReduce& op);
  void run(const isa::TensorCopy& op);
  void run(const isa::Memset& op);
  void run(const isa::Reciprocal& op);
  void run(const isa::RangeSelect& op);
  void run(const isa::TensorScalarReduce& op);
  void run(const isa::Iota& op);
  void run(const isa::AffineSelect& op);
  void run(const isa::DmaCopy& op);
  void run(const isa::DmaTranspose& op);
  void run(const isa::SemSignal& op);
  void run(const isa::SemWait& op);

  // Shared by tensor_copy and dma_copy: raw bytes when the dtypes match (bit-exact, NaN payloads
  // included), else src -> fp32 -> dst.
  void copy_converting(const isa::AccessPattern& dst, const isa::AccessPattern& src);
  // Shared by pe_transpose and dma_transpose: dst[f, p] = src[p, f] with src's free dims flattened.
  void transpose(const isa::AccessPattern& dst, const isa::AccessPattern& src);
  // iota / affine_select: base + p * channel_multiplier + sum_k steps[k] * i_k over `ap`'s free dims,
  // [P, free...] order, p relative to ap's first partition, into m_affine.
  void affine_values(const isa::AccessPattern& ap, int64_t base, int64_t channel_multiplier,
                     const isa::Steps& steps);

  const isa::Program& m_program;
  CoreState& m_core;
  std::vector<HbmTensor*> m_tensors;
  AccessWalker m_io;
  // Scratch reused across instructions (no per-instruction allocation once warm).
  std::vector<float> m_in0, m_in1, m_out, m_col0, m_col1, m_col2;
  std::vector<std::byte> m_raw, m_raw_out;
  std::vector<int64_t> m_affine;
};

}  // namespace tn::sim
