// What the timed run asks of every instruction it starts (its opcode; does it wait, consume, meet, move
// data on the DMA engines, use the PE array, ...), decoded once per program instead of once per execution: a
// program's instructions run many times (loops, and the same program on every rank), and each question
// asked of the operation itself is a load from the operation pool and a variant dispatch.
#pragma once
#include <cstdint>
#include <vector>

#include "isa/program.hpp"

namespace tn::sc {

enum InstructionTrait : uint16_t {
  kHasConditions = 1 << 0,     // waits, or a sem_wait's own condition (sync_conditions.hpp)
  kConsumes = 1 << 1,          // a wait that takes a count (sim::Semaphores::consumes)
  kMeeting = 1 << 2,           // a collective or a core barrier
  kDmaTransfer = 1 << 3,       // timed by the DMA model (timing::is_dma_transfer)
  kPeArray = 1 << 4,           // on the PE stream and using the array (not a sequencer instruction)
  kLoadStationary = 1 << 5,    // load_stationary (overlaps the previous multiply)
  kGather = 1 << 6,            // dma_gather (its indices go to the trace)
  kLoopRegLoad = 1 << 7,       // reg_load into the loop register (a runtime loop's trip count)
  kSequencerControl = 1 << 8,  // a zero-time sequencer instruction (sim::is_sequencer_control)
  kSignal = 1 << 9,            // sem_signal (adds its delta at retirement)
  // On a ScalarE or VectorE stream: reads what the stream's previous SBUF/PSUM writer in program order
  // wrote, so it waits for that writer's commit (timing::InstructionCost::commit_latency_ps).
  kReadsLastWriter = 1 << 10,
};

class ProgramTraits {
 public:
  explicit ProgramTraits(const isa::Program& p);
  uint16_t of(uint32_t stream, uint32_t index) const { return m_streams[stream][index]; }
  // Its opcode: the operation's index in the instruction table (isa::Operation's alternative).
  uint8_t opcode(uint32_t stream, uint32_t index) const { return m_opcodes[stream][index]; }

 private:
  static_assert(isa::kNumOpcodes <= 256);
  std::vector<std::vector<uint16_t>> m_streams;
  std::vector<std::vector<uint8_t>> m_opcodes;
};

}  // namespace tn::sc
