// Finds the instructions a new instruction must wait for, from the memory it reads and writes: the last
// writer of anything it reads (RAW) or writes (WAW), and every reader since (WAR). On-chip memory is
// tracked as byte intervals per group of kPartitionGroup partitions (an access to some partitions of a
// group conservatively counts for the whole group), so that writes to disjoint partition ranges of one tile
// (gathered KV blocks of 16 rows, say) do not wait for each other; HBM as element intervals per tensor.
// A write leaves one interval where the history became uniform, so the maps stay small.
#pragma once
#include <array>
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
  static constexpr int32_t kGroups = 128 / kPartitionGroup;
  // The latest reader per stream since the last write, in the order the streams first read: usually one
  // or two, so a few live inline (splitting a segment copies every group's set without allocating).
  class ReaderSet {
   public:
    // Makes `r` its stream's reader, in place if the stream has one.
    void set(const isa::InstrRef& r);
    void append_to(std::vector<isa::InstrRef>& out) const;
    bool operator==(const ReaderSet& o) const;

   private:
    static constexpr size_t kInline = 3;
    std::array<isa::InstrRef, kInline> m_first{};
    uint8_t m_inline = 0;
    std::vector<isa::InstrRef> m_more;  // readers beyond the first kInline
  };
  // One place's history: its last writer and every reader since.
  struct History {
    isa::InstrRef writer;  // stream -1: never written
    ReaderSet readers;
    bool operator==(const History&) const = default;
  };
  // [start, end) of a space: the history of each of its partition groups there (HBM uses group 0 only).
  // One map per memory rather than per group, so an access to all 128 partitions walks one map once.
  struct Segment {
    int64_t end = 0;
    std::array<History, kGroups> groups;
  };
  using SpaceMap = std::map<int64_t, Segment>;  // start -> segment covering [start, end)

  SpaceMap& hbm_space(int32_t tensor);
  SpaceMap& on_chip_space_map(int32_t slot);
  static SpaceMap::iterator split(SpaceMap& m, int64_t at);

  // Consecutive accesses that differ only in their (consecutive) partition group: handled as one.
  struct Span {
    SpaceMap* map = nullptr;
    int32_t first_group = 0, last_group = 0;
    int64_t lo = 0, hi = 0;
    bool is_write = false;
    SpaceMap::iterator first, last;
  };

  int32_t m_num_streams;
  // By tensor / on-chip memory: stable addresses, so record() can hold them across insertions.
  std::vector<std::unique_ptr<SpaceMap>> m_hbm_spaces, m_on_chip_spaces;
  std::vector<Span> m_spans;  // record()'s scratch
};

std::vector<Access> accesses_of(const isa::Operation& op);
// The same appended to `out`, for callers that reuse one vector per instruction.
void append_accesses_of(const isa::Operation& op, std::vector<Access>& out);
// The accesses of one pattern (for orderings the builder adds beside an instruction's own operands).
std::vector<Access> accesses_of(const isa::AccessPattern& ap, bool is_write);
// The space of partition group `group` (partitions group * kPartitionGroup ...) of SBUF or PSUM.
int32_t on_chip_space(isa::MemKind mem, int32_t group);

}  // namespace tn::kernels
