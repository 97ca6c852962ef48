// A trace counter whose changes are known ahead of time (a DMA's data phase is timed at issue) but
// must reach the sink in time order. Changes are keyed by trace nanosecond and summed; flush_before()
// emits the value after each nanosecond that can no longer change, skipping repeats.
#pragma once
#include <cstdint>
#include <map>

#include "traces/trace_sink.hpp"

namespace tn::sc {

class CounterTimeline {
 public:
  CounterTimeline() { add(0, 0.0); }  // every counter starts with a sample of 0 at t = 0

  void add(uint64_t time_ps, double delta) { m_pending[time_ps / 1000] += delta; }
  // Emits the samples of every nanosecond before `now_ns`: nothing later can change them.
  void flush_before(trace::TraceSink& sink, trace::TrackId track, uint64_t now_ns);
  void flush_all(trace::TraceSink& sink, trace::TrackId track) { flush_before(sink, track, UINT64_MAX); }

 private:
  std::map<uint64_t, double> m_pending;
  double m_value = 0;
  bool m_emitted = false;
  double m_last_emitted = 0;
};

}  // namespace tn::sc
