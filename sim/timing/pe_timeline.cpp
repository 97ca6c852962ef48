#include "sim/timing/pe_timeline.hpp"

#include <algorithm>

namespace tn::timing {

TimeInterval PeTimeline::load_stationary(uint64_t ready_ps, uint64_t duration_ps) {
  // One stationary loads at a time, and never before the multiply using the current one has started.
  const uint64_t start = std::max({ready_ps, m_mm_start_ps, m_ls_end_ps});
  m_ls_end_ps = start + duration_ps;
  return {start, m_ls_end_ps};
}

TimeInterval PeTimeline::multiply(uint64_t ready_ps, uint64_t duration_ps) {
  const uint64_t start = std::max({ready_ps, m_ls_end_ps, m_mm_end_ps});
  m_mm_start_ps = start;
  m_mm_end_ps = start + duration_ps;
  return {start, m_mm_end_ps};
}

}  // namespace tn::timing
