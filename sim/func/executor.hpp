// The semantics of every instruction, timeless. The functional runner and the SystemC timing model both
// call Executor::execute, which is why their outputs are bit-identical.
#pragma once
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "sim/func/access_walker.hpp"
#include "sim/func/core_state.hpp"
#include "sim/func/execution_log.hpp"
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
  // `hbm` (the rank's) must already hold the program's input tensors; outputs and internal tensors are
  // declared. `rank` is the launch rank the core belongs to (rank_id and the replica-group positions).
  Executor(const isa::Program& program, CoreState& core, Hbm& hbm, uint32_t rank = 0);

  // Applies instruction `index` of stream `stream` to memory and the stream's registers, and returns
  // the index of the stream's next instruction (index + 1, or a taken branch's target; the stream's
  // length means it has ended). Synchronisation instructions (sem_signal, sem_wait) have no memory
  // effect: the runners implement them.
  //
  // numerics = false (timing-only runs) applies only the sequencer instructions (registers, branches,
  // reg_check), so control flow is followed exactly; data instructions are skipped, and reg_load, whose
  // value would come from SBUF nothing computed, is an ExecutionError. A timing-only run evaluates its
  // value slice (sim/func/value_slice.hpp) with numerics = true; on a core that holds data, a dma_gather
  // outside the slice still reads and checks its indices (last_gather_indices) but moves nothing.
  //
  // Collectives are not executed here: they involve other ranks, so the runners move their data with
  // run_collective (sim/func/collective_exec.hpp) once every member has arrived.
  size_t execute(size_t stream, size_t index, bool numerics = true);

  // Non-null: every instruction executed with numerics is recorded in `log` as core `core` of this
  // executor's rank, with a digest of what it read (for naming races, sim/func/race_report.hpp).
  void log_to(ExecutionLog* log, uint32_t core);

  const isa::Program& program() const { return m_program; }
  uint32_t rank() const { return m_rank; }
  // This core's view of memory, for the collectives that move data between ranks.
  AccessWalker& memory() { return m_io; }
  // Register `reg` of stream `stream` (all zero before the run).
  int32_t register_value(size_t stream, int32_t reg) const { return m_regs.at(stream).at(size_t(reg)); }
  // The index values the last dma_gather executed read, as signed int32 ("7,3,-1"), for the trace.
  const std::string& last_gather_indices() const { return m_gather_indices; }

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
  void run(const isa::StreamShuffle& op);
  void run(const isa::Reciprocal& op);
  void run(const isa::RangeSelect& op);
  void run(const isa::TensorScalarReduce& op);
  void run(const isa::Iota& op);
  void run(const isa::AffineSelect& op);
  void run(const isa::DmaCopy& op);
  void run(const isa::DmaTranspose& op);
  void run(const isa::DmaGather& op);
  void gather(const isa::DmaGather& op, bool move_data);
  void run(const isa::SemSignal& op);
  void run(const isa::SemWait& op);
  void run(const isa::RegLoad& op);  // exec_control.cpp
  void run(const isa::RegSet& op);
  void run(const isa::RegOp& op);
  void run(const isa::Branch& op);
  void run(const isa::RegCheck& op);
  void run(const isa::DmaCopyRegOffset& op);  // exec_dma.cpp
  void run(const isa::AllGather& op);         // exec_collective.cpp
  void run(const isa::AllToAll& op);
  void run(const isa::CollectivePermute& op);
  void run(const isa::RankId& op);
  void run(const isa::ProcessingRankId& op);
  void run(const isa::CoreBarrier& op);

  // The current stream's register `reg`, faulting on an id outside 0..63 (programs may be unvalidated).
  int32_t& reg(int32_t id, const char* field);

  // Shared by tensor_copy and dma_copy: raw bytes when the dtypes match (bit-exact, NaN payloads
  // included), else src -> fp32 -> dst.
  void copy_converting(const isa::AccessPattern& dst, const isa::AccessPattern& src);
  // Shared by pe_transpose and dma_transpose: dst[f, p] = src[p, f] with src's free dims flattened, or,
  // with allow_blocks (dma_transpose), also the blocked form dst[f, b, p] = src[p, b, f]
  // (isa/transpose_shape.hpp).
  void transpose(const isa::AccessPattern& dst, const isa::AccessPattern& src, bool allow_blocks);
  // iota / affine_select: base + p * channel_multiplier + sum_k steps[k] * i_k over `ap`'s free dims,
  // [P, free...] order, p relative to ap's first partition, into m_affine.
  void affine_values(const isa::AccessPattern& ap, int64_t base, int64_t channel_multiplier,
                     const isa::Steps& steps);

  const isa::Program& m_program;
  uint32_t m_rank = 0;
  CoreState& m_core;
  std::vector<HbmTensor*> m_tensors;
  AccessWalker m_io;
  // Scratch reused across instructions (no per-instruction allocation once warm).
  std::vector<float> m_in0, m_in1, m_out, m_col0, m_col1, m_col2;
  std::vector<std::byte> m_raw, m_raw_out;
  std::vector<int64_t> m_affine;
  // Sequencer registers, per stream; the stream and next index of the instruction being executed.
  std::vector<std::array<int32_t, isa::kNumRegisters>> m_regs;
  size_t m_stream = 0, m_next = 0;
  std::string m_gather_indices;
  ExecutionLog* m_log = nullptr;
  uint32_t m_log_core = 0;
  uint64_t m_read_digest = 0;  // of the instruction being executed, when logging
};

// Instructions the sequencer itself runs (registers and control flow; hardware.md §1.2).
bool is_sequencer_control(const isa::Operation& op);
// all_gather, all_to_all and collective_permute_implicit: data between the ranks of a replica group.
bool is_collective(const isa::Operation& op);

}  // namespace tn::sim
