// What an instruction's memory operands can touch, from its table row (isa/operands.hpp): one interval per
// operand of one space (an HBM tensor, SBUF or PSUM), over groups of partitions on chip. The builder
// derives dependencies from these (kernels/builder/dependency_tracker.hpp); the race report of a perturbed
// run (sim/func/race_report.hpp) finds the writers a read overlapped.
#pragma once
#include <cstdint>
#include <vector>

#include "isa/access_pattern.hpp"
#include "isa/operations.hpp"

namespace tn::isa {

// On-chip memory is tracked per group of kPartitionGroup partitions (an access to some partitions of a
// group counts for the whole group), so that writes to disjoint partition ranges of one tile (gathered KV
// blocks of 16 rows, say) are told apart without a footprint per partition.
inline constexpr int32_t kPartitionGroup = 16;
inline constexpr int32_t kPartitionGroups = 128 / kPartitionGroup;

// One operand's footprint: an interval of one space, over partition groups [first_group, last_group] of
// an on-chip memory (HBM tensors have group 0 only).
struct Access {
  int32_t space;   // HBM tensor t: t >= 0; on-chip: on_chip_space(memory)
  int64_t lo, hi;  // [lo, hi): elements of an HBM tensor, bytes within each partition on chip
  bool is_write;
  int32_t first_group = 0, last_group = 0;
};

// True when the two footprints share a space, a partition group and part of their interval.
bool overlaps(const Access& a, const Access& b);

// True when a read among `consumer` overlaps a write among `producer` (a read-after-write dependency).
bool reads_after_write(const std::vector<Access>& consumer, const std::vector<Access>& producer);

std::vector<Access> accesses_of(const Operation& op);
// The same appended to `out`, for callers that reuse one vector per instruction.
void append_accesses_of(const Operation& op, std::vector<Access>& out);
// The accesses of one pattern (for orderings the builder adds beside an instruction's own operands).
std::vector<Access> accesses_of(const AccessPattern& ap, bool is_write);
// The space of SBUF or PSUM.
int32_t on_chip_space(MemKind mem);

}  // namespace tn::isa
