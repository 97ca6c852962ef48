#include "sim/timing/bandwidth_server.hpp"

#include <doctest/doctest.h>

using tn::timing::BandwidthServer;
using tn::timing::TimeInterval;

TEST_CASE("bandwidth_server: back-to-back transfers serialise") {
  BandwidthServer s(23.0);  // B/ns
  const uint64_t mib = 1 << 20;
  // 1048576 B / 23 B/ns = 45590.261 ns
  CHECK(s.reserve(0, mib) == TimeInterval{0, 45590261});
  // the second waits for the first: 2x the time of one
  CHECK(s.reserve(0, mib) == TimeInterval{45590261, 91180522});
  CHECK(s.busy_until_ps() == 91180522);
  CHECK(s.busy_ps() == 91180522);
  CHECK(s.bytes() == 2 * mib);
}

TEST_CASE("bandwidth_server: an idle server starts at now; efficiency stretches the time") {
  BandwidthServer s(23.0);
  CHECK(s.reserve(1000, 23000) == TimeInterval{1000, 1001000});             // 23000 B / 23 B/ns = 1000 ns
  CHECK(s.reserve(5000000, 23000, 0.5) == TimeInterval{5000000, 7000000});  // gap kept; 0.5 -> 2000 ns
  CHECK(s.duration_ps(0) == 0);
  CHECK_THROWS(BandwidthServer(0.0));
}
