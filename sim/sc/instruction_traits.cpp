#include "sim/sc/instruction_traits.hpp"

#include <variant>

#include "sim/func/executor.hpp"
#include "sim/func/semaphores.hpp"
#include "sim/timing/cost_model.hpp"

namespace tn::sc {

namespace {

uint16_t traits_of(const isa::Instruction& in, isa::Engine engine) {
  const isa::Operation& op = in.op.get();
  uint16_t t = 0;
  if (!in.waits.empty() || std::holds_alternative<isa::SemWait>(op))
    t |= kHasConditions;
  if (sim::Semaphores::consumes(in.waits))
    t |= kConsumes;
  if (sim::is_collective(op) || std::holds_alternative<isa::CoreBarrier>(op))
    t |= kMeeting;
  if (timing::is_dma_transfer(op))
    t |= kDmaTransfer;
  if (engine == isa::Engine::kPe && isa::engines_of(op) == isa::kPe)
    t |= kPeArray;  // TensorE's own instructions, not the semaphore instructions its sequencer may run
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

}  // namespace

ProgramTraits::ProgramTraits(const isa::Program& p)
    : m_streams(p.streams.size()), m_opcodes(p.streams.size()) {
  for (size_t s = 0; s < p.streams.size(); ++s) {
    const isa::Stream& st = p.streams[s];
    m_streams[s].reserve(st.instructions.size());
    m_opcodes[s].reserve(st.instructions.size());
    for (const isa::Instruction& in : st.instructions) {
      m_streams[s].push_back(traits_of(in, st.engine));
      m_opcodes[s].push_back(uint8_t(in.op.get().index()));
    }
  }
}

}  // namespace tn::sc
