// A span of simulated time in integer picoseconds, [start_ps, end_ps].
#pragma once
#include <cstdint>

namespace tn::timing {

struct TimeInterval {
  uint64_t start_ps = 0;
  uint64_t end_ps = 0;
  bool operator==(const TimeInterval&) const = default;
};

}  // namespace tn::timing
