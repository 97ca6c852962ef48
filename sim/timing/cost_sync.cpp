// Semaphore instructions run on the issuing engine's sequencer (hardware.md §1.2). No cost is
// published for them (§3, §6), so they take sp.sync_instruction_cycles of the executing engine's clock
// (0 in the presets: a calibration parameter). Their effect (waiting, signalling) is the runner's.
#include "sim/timing/cost_rules.hpp"

namespace tn::timing::rules {

InstructionCost cost_of(const isa::SemSignal&, const CostContext& c) {
  return cycles_only(uint64_t(c.hw.sp_sync_instruction_cycles));
}

InstructionCost cost_of(const isa::SemWait&, const CostContext& c) {
  return cycles_only(uint64_t(c.hw.sp_sync_instruction_cycles));
}

// Register and control-flow instructions also run on the sequencer (hardware.md §1.2). No cost is
// published (§6), so each takes sp.sequencer_instruction_cycles of the executing stream's clock (0 in the
// presets: a calibration parameter). reg_load reads one SBUF element; hardware.md gives no figure for a
// sequencer's SBUF read, so it costs the same constant.
InstructionCost cost_of(const isa::RegLoad&, const CostContext& c) {
  return cycles_only(uint64_t(c.hw.sp_sequencer_instruction_cycles));
}
InstructionCost cost_of(const isa::RegSet&, const CostContext& c) {
  return cycles_only(uint64_t(c.hw.sp_sequencer_instruction_cycles));
}
InstructionCost cost_of(const isa::RegOp&, const CostContext& c) {
  return cycles_only(uint64_t(c.hw.sp_sequencer_instruction_cycles));
}
InstructionCost cost_of(const isa::Branch&, const CostContext& c) {
  return cycles_only(uint64_t(c.hw.sp_sequencer_instruction_cycles));
}
InstructionCost cost_of(const isa::RegCheck&, const CostContext& c) {
  return cycles_only(uint64_t(c.hw.sp_sequencer_instruction_cycles));
}

}  // namespace tn::timing::rules
