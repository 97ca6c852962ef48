// A trace counter whose changes are known ahead of time (a DMA's data phase is timed at issue) but
// must reach the sink in time order. Changes are keyed by trace nanosecond and summed; flush_before()
// emits the value after each nanosecond that can no longer change, skipping repeats.
//
// flush_before() runs at every simulated time with work due, for every counter, and changes arrive
// nearly in time order, so pending changes are a vector sorted by nanosecond with a consumed prefix: an
// add at or past the last pending nanosecond appends, and a flush with nothing due is one comparison.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "traces/trace_sink.hpp"

namespace tn::sc {

class CounterTimeline {
 public:
  CounterTimeline() { add(0, 0.0); }  // every counter starts with a sample of 0 at t = 0
  void add(uint64_t time_ps, double delta);
  // Emits the samples of every nanosecond before `now_ns`: nothing later can change them.
  void flush_before(trace::TraceSink& sink, trace::TrackId track, uint64_t now_ns) {
    if (m_head < m_pending.size() && m_pending[m_head].first < now_ns)
      emit_before(sink, track, now_ns);
  }
  void flush_all(trace::TraceSink& sink, trace::TrackId track) { flush_before(sink, track, UINT64_MAX); }
  // The earliest nanosecond with a pending change (UINT64_MAX: none).
  uint64_t next_ns() const { return m_head < m_pending.size() ? m_pending[m_head].first : UINT64_MAX; }

 private:
  void emit_before(trace::TraceSink& sink, trace::TrackId track, uint64_t now_ns);

  // (nanosecond, summed delta), strictly increasing in nanosecond from m_head on; [0, m_head) is emitted.
  std::vector<std::pair<uint64_t, double>> m_pending;
  size_t m_head = 0;
  double m_value = 0;
  bool m_emitted = false;
  double m_last_emitted = 0;
};

}  // namespace tn::sc
