// Spreads the slices of one logical track over lanes so that no lane ever holds two overlapping
// slices. Both trace formats need this: Perfetto's SLICE_END closes the most recent open slice of a
// track, so overlapping slices on one track corrupt durations (peers-perfetto-profiler.md §2(b),
// perfetto #1159), and JSON `X` events on one tid must nest (§2(a)). Each writer maps a lane index to
// its own output track (a protobuf track uuid, a JSON tid).
#pragma once
#include <cstdint>
#include <vector>

namespace tn::trace {

class LaneAllocator {
 public:
  struct Placement {
    uint32_t lane = 0;
    bool is_new = false;  // the lane did not exist before this slice: the writer must define it
  };

  // Places [start_ns, end_ns] (end_ns >= start_ns) in the first lane whose last slice ended at or
  // before start_ns, opening a new lane if there is none. Slices may arrive in any order; a lane only
  // ever receives slices in non-decreasing, non-overlapping time order.
  Placement place(uint64_t start_ns, uint64_t end_ns);
  uint32_t lane_count() const { return static_cast<uint32_t>(m_last_end.size()); }

 private:
  std::vector<uint64_t> m_last_end;  // per lane: end of its latest slice
};

}  // namespace tn::trace
