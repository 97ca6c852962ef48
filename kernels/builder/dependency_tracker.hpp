// Finds the instructions a new instruction must wait for, from the memory it reads and writes: the last
// writer of anything it reads (RAW) or writes (WAW), and every reader since (WAR). Memory is tracked as
// byte intervals per on-chip memory (all partitions together, conservatively) and element intervals per
// HBM tensor; adjacent intervals with the same history are merged so the map stays small.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "isa/program.hpp"

namespace tn::kernels {

struct Access {
  int32_t space;   // 0 = SBUF, 1 = PSUM, 2 + t = HBM tensor t
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

  int32_t m_num_streams;
  std::map<int32_t, SpaceMap> m_spaces;
};

std::vector<Access> accesses_of(const isa::Operation& op);

}  // namespace tn::kernels
