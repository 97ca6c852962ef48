// The data movement of collectives (kernels.md §6.7, collectives.md §2). A collective involves every rank
// of a replica-group row, so no single core's Executor can run it: the runners gather the members (each
// rank's instruction and executor) once all have arrived and call run_collective, the same in functional
// and timed runs.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "isa/program.hpp"
#include "sim/func/executor.hpp"
#include "sim/func/rendezvous.hpp"

namespace tn::sim {

// One rank's part: the instruction it issued and the executor that holds its memory (for an LNC2 rank, its
// core 0's; the tensors must then be shared, since both cores issue the collective).
struct CollectiveMember {
  uint32_t rank = 0;
  Executor* exec = nullptr;
  const isa::Operation* op = nullptr;
};

// Moves the data of one collective among `members`, in their replica-group row's order. Every src is read
// before any dst is written, bit for bit. Throws InstructionFault when the members' instructions disagree
// (kind, dtype or sizes) or a read finds unwritten memory; the message names the member's rank.
void run_collective(std::span<const CollectiveMember> members);

// At LNC2 every core of a rank issues the collective, so its tensors must be the rank's shared HBM: an
// ExecutionError naming the arrival and the private tensor otherwise.
void check_collective_shared(const Rendezvous::Arrival& a, const Rendezvous& meetings);

// The row of `group` that holds `rank`, or nullptr.
const std::vector<int32_t>* replica_row(const isa::Program& program, int32_t group, uint32_t rank);

}  // namespace tn::sim
