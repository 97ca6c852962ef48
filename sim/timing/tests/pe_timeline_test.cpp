#include "sim/timing/pe_timeline.hpp"

#include <doctest/doctest.h>

using tn::timing::PeTimeline;
using tn::timing::TimeInterval;

TEST_CASE("pe_timeline: LoadStationary overlaps the previous multiply") {
  // bf16 128x128x512 pairs on trn2: LS = 32 cycles = 13333 ps, MM = 512 cycles = 213333 ps.
  PeTimeline pe;
  CHECK(pe.load_stationary(0, 13333) == TimeInterval{0, 13333});
  CHECK(pe.multiply(0, 213333) == TimeInterval{13333, 226666});  // waits for its LS
  // The sequencer moves on at MM0's start: LS1 may start then, under MM0.
  CHECK(pe.load_stationary(13333, 13333) == TimeInterval{13333, 26666});
  CHECK(pe.multiply(13333, 213333) == TimeInterval{226666, 439999});  // after MM0 ends
  CHECK(pe.load_stationary(226666, 13333) == TimeInterval{226666, 239999});
  CHECK(pe.multiply(226666, 213333) == TimeInterval{439999, 653332});  // one MM per 213333 ps: PE-bound
}

TEST_CASE("pe_timeline: a long LoadStationary bounds the throughput") {
  // fp32 LS of M=128: 128 cycles = 53333 ps; bf16 MM of N=64: 64 cycles = 26667 ps.
  PeTimeline pe;
  CHECK(pe.load_stationary(0, 53333) == TimeInterval{0, 53333});
  CHECK(pe.multiply(0, 26667) == TimeInterval{53333, 80000});
  CHECK(pe.load_stationary(53333, 53333) == TimeInterval{53333, 106666});
  CHECK(pe.multiply(53333, 26667) == TimeInterval{106666, 133333});  // max(LS, MM) = LS per pair
}

TEST_CASE("pe_timeline: the sequencer's ready time and LS order are respected") {
  PeTimeline pe;
  CHECK(pe.multiply(100, 50) == TimeInterval{100, 150});
  CHECK(pe.load_stationary(0, 10) == TimeInterval{100, 110});  // not before the multiply started
  CHECK(pe.load_stationary(0, 10) == TimeInterval{110, 120});  // one stationary load at a time
  CHECK(pe.multiply(500, 10) == TimeInterval{500, 510});
}
