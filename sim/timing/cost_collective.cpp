// Collectives have no per-instruction cost: the collective model (sim/timing/collective_model.hpp) times
// them once every member has arrived, against the links, DMA engines and HBM stacks they share. The
// rank-id registers and the core barrier run on a sequencer, like the register instructions of
// cost_sync.cpp.
#include "sim/timing/cost_rules.hpp"

namespace tn::timing::rules {

InstructionCost cost_of(const isa::AllGather&, const CostContext&) { return {}; }
InstructionCost cost_of(const isa::AllToAll&, const CostContext&) { return {}; }
InstructionCost cost_of(const isa::CollectivePermute&, const CostContext&) { return {}; }

InstructionCost cost_of(const isa::RankId&, const CostContext& c) {
  return cycles_only(uint64_t(c.hw.sp_sequencer_instruction_cycles));
}
InstructionCost cost_of(const isa::ProcessingRankId&, const CostContext& c) {
  return cycles_only(uint64_t(c.hw.sp_sequencer_instruction_cycles));
}
// A semaphore write to the other core and a wait on its own (hardware.md §1.10): the sync instruction's
// cost; the wait itself is the runner's.
InstructionCost cost_of(const isa::CoreBarrier&, const CostContext& c) {
  return cycles_only(uint64_t(c.hw.sp_sync_instruction_cycles));
}

}  // namespace tn::timing::rules
