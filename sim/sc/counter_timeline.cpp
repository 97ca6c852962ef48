#include "sim/sc/counter_timeline.hpp"

#include <cmath>

namespace tn::sc {

void CounterTimeline::flush_before(trace::TraceSink& sink, trace::TrackId track, uint64_t now_ns) {
  auto it = m_pending.begin();
  for (; it != m_pending.end() && it->first < now_ns; ++it) {
    m_value += it->second;
    // Rates added and later removed in floating point may leave dust; a counter that went back to
    // idle should read exactly 0.
    if (std::fabs(m_value) < 1e-9) {
      m_value = 0;
    }
    if (!m_emitted || m_value != m_last_emitted) {
      sink.counter(track, it->first, m_value);
      m_emitted = true;
      m_last_emitted = m_value;
    }
  }
  m_pending.erase(m_pending.begin(), it);
}

}  // namespace tn::sc
