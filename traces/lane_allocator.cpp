#include "traces/lane_allocator.hpp"

#include <cassert>
#include <cstddef>

namespace tn::trace {

LaneAllocator::Placement LaneAllocator::place(uint64_t start_ns, uint64_t end_ns) {
  assert(end_ns >= start_ns);
  // Linear first fit: a track rarely needs more than a handful of lanes (DMA queue depth).
  for (size_t i = 0; i < m_last_end.size(); ++i) {
    if (m_last_end[i] <= start_ns) {
      m_last_end[i] = end_ns;
      return {static_cast<uint32_t>(i), false};
    }
  }
  m_last_end.push_back(end_ns);
  return {static_cast<uint32_t>(m_last_end.size() - 1), true};
}

}  // namespace tn::trace
