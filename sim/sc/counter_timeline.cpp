#include "sim/sc/counter_timeline.hpp"

#include <algorithm>
#include <cmath>

namespace tn::sc {

void CounterTimeline::add(uint64_t time_ps, double delta) {
  const uint64_t ns = time_ps / 1000;
  if (m_head == m_pending.size() || m_pending.back().first < ns) {
    m_pending.emplace_back(ns, delta);
    return;
  }
  const auto it = std::lower_bound(m_pending.begin() + std::ptrdiff_t(m_head), m_pending.end(), ns,
                                   [](const auto& change, uint64_t t) { return change.first < t; });
  if (it != m_pending.end() && it->first == ns)
    it->second += delta;
  else
    m_pending.emplace(it, ns, delta);
}

void CounterTimeline::emit_before(trace::TraceSink& sink, trace::TrackId track, uint64_t now_ns) {
  for (; m_head < m_pending.size() && m_pending[m_head].first < now_ns; ++m_head) {
    const auto& [ns, delta] = m_pending[m_head];
    m_value += delta;
    // Rates added and later removed in floating point may leave dust; a counter that went back to
    // idle should read exactly 0.
    if (std::fabs(m_value) < 1e-9) {
      m_value = 0;
    }
    if (!m_emitted || m_value != m_last_emitted) {
      sink.counter(track, ns, m_value);
      m_emitted = true;
      m_last_emitted = m_value;
    }
  }
  // Drop the emitted prefix once it is most of the vector, so memory follows what is pending.
  if (m_head * 2 >= m_pending.size()) {
    m_pending.erase(m_pending.begin(), m_pending.begin() + std::ptrdiff_t(m_head));
    m_head = 0;
  }
}

}  // namespace tn::sc
