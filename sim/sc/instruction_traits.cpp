#include "sim/sc/instruction_traits.hpp"

#include <algorithm>
#include <variant>
#include <vector>

#include "isa/footprint.hpp"
#include "sim/func/executor.hpp"
#include "sim/func/semaphores.hpp"
#include "sim/timing/cost_model.hpp"

namespace tn::sc {

namespace {

// A bit of op_traits() only: the operation is one of TensorE's own (isa::engines_of), which makes
// kPeArray on the PE stream.
constexpr uint16_t kPeOperation = 1 << 15;

// The traits that follow from the operation alone: computed once per distinct (interned) operation.
uint16_t op_traits(const isa::Operation& op) {
  uint16_t t = 0;
  if (std::holds_alternative<isa::SemWait>(op))
    t |= kHasConditions;
  if (sim::is_collective(op) || std::holds_alternative<isa::CoreBarrier>(op))
    t |= kMeeting;
  if (timing::is_dma_transfer(op))
    t |= kDmaTransfer;
  if (isa::engines_of(op) == isa::kPe)
    t |= kPeOperation;
  if (std::holds_alternative<isa::LoadStationary>(op))
    t |= kLoadStationary;
  if (std::holds_alternative<isa::DmaGather>(op))
    t |= kGather;
  if (const auto* load = std::get_if<isa::RegLoad>(&op); load && load->dst_reg == isa::kLoopRegister)
    t |= kLoopRegLoad;
  if (sim::is_sequencer_control(op))
    t |= kSequencerControl;
  if (std::holds_alternative<isa::SemSignal>(op))
    t |= kSignal;
  return t;
}

uint16_t traits_of(const isa::Instruction& in, isa::Engine engine, uint16_t of_op) {
  uint16_t t = of_op & ~kPeOperation;
  if (!in.waits.empty())
    t |= kHasConditions;
  if (sim::Semaphores::consumes(in.waits))
    t |= kConsumes;
  if (engine == isa::Engine::kPe && (of_op & kPeOperation))
    t |= kPeArray;  // TensorE's own instructions, not the semaphore instructions its sequencer may run
  return t;
}

// Marks kReadsLastWriter on a ScalarE or VectorE stream: the engines whose writes commit after the
// instruction ends (timing::cost). Footprints are per partition group (isa/footprint.hpp), so a read of
// other partitions of a group the writer touched counts as dependent: a wait too many, never one missed.
void mark_reads_of_last_writer(const isa::Stream& st, std::vector<uint16_t>& traits) {
  if (st.engine != isa::Engine::kAct && st.engine != isa::Engine::kDve)
    return;
  std::vector<isa::Access> writer, current;
  for (size_t i = 0; i < st.instructions.size(); ++i) {
    current.clear();
    isa::append_accesses_of(st.instructions[i].op.get(), current);
    if (isa::reads_after_write(current, writer))
      traits[i] |= kReadsLastWriter;
    const bool writes_on_chip = std::any_of(current.begin(), current.end(),
                                            [](const isa::Access& a) { return a.is_write && a.space < 0; });
    if (writes_on_chip)
      writer.swap(current);
  }
}

}  // namespace

ProgramTraits::ProgramTraits(const isa::Program& p)
    : m_streams(p.streams.size()), m_opcodes(p.streams.size()) {
  // op_traits() by operation id (a program repeats a few thousand distinct operations).
  constexpr uint16_t kUnknown = 0xFFFF;
  std::vector<uint16_t> of_op;
  for (size_t s = 0; s < p.streams.size(); ++s) {
    const isa::Stream& st = p.streams[s];
    m_streams[s].reserve(st.instructions.size());
    m_opcodes[s].reserve(st.instructions.size());
    for (const isa::Instruction& in : st.instructions) {
      const uint32_t id = in.op.id();
      if (id >= of_op.size())
        of_op.resize(std::max<size_t>(id + 1, 2 * of_op.size()), kUnknown);
      if (of_op[id] == kUnknown)
        of_op[id] = op_traits(in.op.get());
      m_streams[s].push_back(traits_of(in, st.engine, of_op[id]));
      m_opcodes[s].push_back(uint8_t(in.op.get().index()));
    }
    mark_reads_of_last_writer(st, m_streams[s]);
  }
}

}  // namespace tn::sc
