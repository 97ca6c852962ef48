// Finds the instructions a new instruction must wait for, from the memory it reads and writes: the last
// writer of anything it reads (RAW) or writes (WAW), and every reader since (WAR). On-chip memory is
// tracked as byte intervals per group of kPartitionGroup partitions (an access to some partitions of a
// group conservatively counts for the whole group), so that writes to disjoint partition ranges of one tile
// (gathered KV blocks of 16 rows, say) do not wait for each other; HBM as element intervals per tensor.
// Adjacent intervals with the same history are merged so the maps stay small.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "isa/program.hpp"

namespace tn::kernels {

inline constexpr int32_t kPartitionGroup = 16;

struct Access {
  int32_t space;   // HBM tensor t: t >= 0; on-chip: negative, one per memory and partition group
  int64_t lo, hi;  // [lo, hi)
  bool is_write;
};

class DependencyTracker {
 public:
  explicit DependencyTracker(int32_t num_streams_hint = 16) : m_num_streams(num_streams_hint) {}

  // Records instruction (stream, index) doing `accesses`; appends to `deps` the (stream, index) of every
  // earlier instruction it depends on (possibly with duplicates).
  void record(int32_t stream, int32_t index, const std::vector<Access>& accesses,
              std::vector<isa::InstrRef>& deps);

 private:
  struct Segment {
    int64_t end = 0;
    isa::InstrRef writer;                // stream -1: never written
    std::vector<isa::InstrRef> readers;  // latest reader per stream since the last write
  };
  using SpaceMap = std::map<int64_t, Segment>;  // start -> segment covering [start, end)

  SpaceMap& space(int32_t id);
  static SpaceMap::iterator split(SpaceMap& m, int64_t at);

  struct Range {
    SpaceMap* map = nullptr;
    SpaceMap::iterator first, last;
  };

  int32_t m_num_streams;
  // By space id (Access::space): stable addresses, so record() can hold them across insertions.
  std::vector<std::unique_ptr<SpaceMap>> m_hbm_spaces, m_on_chip_spaces;
  std::vector<Range> m_ranges;  // record()'s scratch: each access's segments
};

std::vector<Access> accesses_of(const isa::Operation& op);
// The accesses of one pattern (for orderings the builder adds beside an instruction's own operands).
std::vector<Access> accesses_of(const isa::AccessPattern& ap, bool is_write);
// The space of partition group `group` (partitions group * kPartitionGroup ...) of SBUF or PSUM.
int32_t on_chip_space(isa::MemKind mem, int32_t group);

}  // namespace tn::kernels
