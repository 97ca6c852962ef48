// CounterTimeline emits what the plain definition emits: every nanosecond's summed changes, in time
// order, once no later change can reach it, skipping repeats (here a std::map, the earlier
// implementation, as the reference), over random adds (mostly in time order, some earlier, some at a
// nanosecond already pending) and flushes.
#include "sim/sc/counter_timeline.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "sim/sc/tests/recording_sink.hpp"

namespace {

struct ReferenceTimeline {
  std::map<uint64_t, double> pending{{0, 0.0}};
  double value = 0, last = 0;
  bool emitted = false;
  void flush_before(std::vector<std::pair<uint64_t, double>>& out, uint64_t now_ns) {
    auto it = pending.begin();
    for (; it != pending.end() && it->first < now_ns; ++it) {
      value += it->second;
      if (std::fabs(value) < 1e-9)
        value = 0;
      if (!emitted || value != last) {
        out.emplace_back(it->first, value);
        emitted = true;
        last = value;
      }
    }
    pending.erase(pending.begin(), it);
  }
};

}  // namespace

TEST_CASE("counter timeline: the samples of the plain map definition") {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 20; ++round) {
    tn::sc::testing::RecordingSink sink;
    tn::sc::CounterTimeline timeline;
    ReferenceTimeline reference;
    std::vector<std::pair<uint64_t, double>> expected;
    uint64_t now_ps = 0;
    for (int step = 0; step < 3000; ++step) {
      const int op = int(rng() % 4);
      if (op == 0) {
        now_ps += rng() % 5000;
        timeline.flush_before(sink, 1, now_ps / 1000);
        reference.flush_before(expected, now_ps / 1000);
        continue;
      }
      // A change at or after now (a DMA's data phase), sometimes on a nanosecond already pending, and
      // a rate later removed (floating-point dust must read as 0).
      const uint64_t at = now_ps + (op == 1 ? 0 : rng() % (op == 2 ? 20000 : 500));
      const double delta = (rng() % 2 ? 1.0 : -1.0) * double(rng() % 7) * 0.1;
      timeline.add(at, delta);
      reference.pending[at / 1000] += delta;
    }
    timeline.flush_all(sink, 1);
    reference.flush_before(expected, UINT64_MAX);
    REQUIRE(sink.samples.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      CHECK(sink.samples[i].ts_ns == expected[i].first);
      CHECK(sink.samples[i].value == expected[i].second);
    }
  }
}
