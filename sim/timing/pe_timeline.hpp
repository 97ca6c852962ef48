// When TensorE instructions run (hardware.md §1.3 "Background LoadStationary"): the next stationary
// loads while the current multiply computes, so a LoadStationary may start once the previous multiply
// has started, and a multiply starts when both its LoadStationary and the previous multiply are done.
// Throughput is then bound by max(LS, MM), as in the architecture guide's figure. Transposes use the
// array like a multiply. Pure: the caller passes when the sequencer is ready and gets the interval.
#pragma once
#include <cstdint>

#include "sim/timing/time_interval.hpp"

namespace tn::timing {

class PeTimeline {
 public:
  TimeInterval load_stationary(uint64_t ready_ps, uint64_t duration_ps);
  // multiply_moving and pe_transpose.
  TimeInterval multiply(uint64_t ready_ps, uint64_t duration_ps);

 private:
  uint64_t m_mm_start_ps = 0;  // start of the latest multiply (LS may overlap it)
  uint64_t m_mm_end_ps = 0;
  uint64_t m_ls_end_ps = 0;
};

}  // namespace tn::timing
