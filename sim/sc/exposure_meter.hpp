// Exposed communication: how long collectives were in flight on a rank while none of its compute engines
// (PE, ACT, DVE, POOL, on any of its cores) was busy, i.e. communication that compute did not hide. Plain
// C++, fed in simulated-time order by the run recorder.
//
// Each exposed interval is attributed once, to the collective in flight on the rank that started first, so
// the exposures of a rank's collectives add up to its exposed time (two collectives side by side, like ring
// attention's K and V permutes, do not count the same wait twice).
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace tn::sc {

class ExposureMeter {
 public:
  explicit ExposureMeter(uint32_t ranks) : m_ranks(ranks) {}

  // A compute instruction of `rank` runs over [start_ps, end_ps); start_ps is the current time.
  void compute(uint32_t rank, uint64_t start_ps, uint64_t end_ps);
  // Collective `id` starts on `rank` at now_ps (its members have all arrived).
  void collective_started(uint32_t rank, uint64_t id, uint64_t now_ps);
  // Collective `id` ends on `rank` at now_ps: returns the exposed time attributed to it there.
  uint64_t collective_ended(uint32_t rank, uint64_t id, uint64_t now_ps);

 private:
  struct InFlight {
    uint64_t id = 0;
    uint64_t exposed_ps = 0;
  };
  // Every call's time is the current simulated time, so calls come in non-decreasing time and a
  // compute instruction starts no later than any later call: the rank is busy at a time x past last_ps
  // exactly when some compute instruction started so far ends after x, i.e. when busy_until_ps > x.
  struct Rank {
    uint64_t last_ps = 0;             // accounted up to here
    uint64_t busy_until_ps = 0;       // the latest end of its compute instructions
    std::vector<InFlight> in_flight;  // in order of start
  };
  // Accounts [last_ps, t): its idle stretch, if a collective is in flight, goes to the oldest one.
  static void advance(Rank& r, uint64_t t);

  std::vector<Rank> m_ranks;
};

}  // namespace tn::sc
