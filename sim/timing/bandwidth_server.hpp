// A busy-until server (simulator-design-notes.md §2.5, gem5's SimpleMemory): one resource that moves
// bytes at a fixed rate, serving reservations first come, first served. O(1) per transfer, no events:
// the caller passes `now` and gets the transfer's time back.
#pragma once
#include <algorithm>
#include <cstdint>

#include "sim/timing/time_interval.hpp"

namespace tn::timing {

class BandwidthServer {
 public:
  explicit BandwidthServer(double bytes_per_ns);

  // Time to move `bytes` at `efficiency` x the full rate, rounded to the nearest picosecond.
  uint64_t duration_ps(uint64_t bytes, double efficiency = 1.0) const;
  // Moves `bytes` starting no earlier than `now_ps` and no earlier than the end of the previous
  // reservation. `now_ps` may lie in the future (a DMA reserves its data phase at issue time).
  TimeInterval reserve(uint64_t now_ps, uint64_t bytes, double efficiency = 1.0) {
    return reserve_for(now_ps, bytes, duration_ps(bytes, efficiency));
  }
  // The same with the duration already known (duration_ps of a server with this rate).
  TimeInterval reserve_for(uint64_t now_ps, uint64_t bytes, uint64_t duration_ps) {
    const uint64_t start = std::max(now_ps, m_busy_until_ps);
    m_busy_until_ps = start + duration_ps;
    m_busy_ps += duration_ps;
    m_bytes += bytes;
    return {start, start + duration_ps};
  }

  uint64_t busy_until_ps() const { return m_busy_until_ps; }
  uint64_t busy_ps() const { return m_busy_ps; }  // total reserved time
  uint64_t bytes() const { return m_bytes; }      // total bytes served
  double bytes_per_ns() const { return m_bytes_per_ns; }

 private:
  double m_bytes_per_ns;
  uint64_t m_busy_until_ps = 0;
  uint64_t m_busy_ps = 0;
  uint64_t m_bytes = 0;
};

}  // namespace tn::timing
