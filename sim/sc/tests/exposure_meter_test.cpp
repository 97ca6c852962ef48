// ExposureMeter: communication time that compute did not hide, worked by hand on small timelines.
#include "sim/sc/exposure_meter.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

namespace tn::sc {
namespace {

TEST_CASE("exposure: the idle stretches of a collective's flight, compute on several engines") {
  // Collective [10, 50); compute [0, 20) on one engine, [15, 25) and [30, 40) on another:
  // idle while in flight = [25, 30) + [40, 50) = 15.
  ExposureMeter m(1);
  m.compute(0, 0, 20);
  m.collective_started(0, 7, 10);
  m.compute(0, 15, 25);
  m.compute(0, 30, 40);
  CHECK(m.collective_ended(0, 7, 50) == 15);
}

TEST_CASE("exposure: overlapping collectives share the idle time, the oldest first") {
  // A [10, 50), B [20, 60), compute [30, 35): idle [10, 30) and [35, 50) go to A (35), [50, 60) to B
  // (10); together the union of their flights less compute, 50 - 5.
  ExposureMeter m(1);
  m.collective_started(0, 1, 10);
  m.collective_started(0, 2, 20);
  m.compute(0, 30, 35);
  CHECK(m.collective_ended(0, 1, 50) == 35);
  CHECK(m.collective_ended(0, 2, 60) == 10);
}

TEST_CASE("exposure: hidden communication is zero, ranks are separate") {
  // Rank 0 computes through the whole flight; rank 1 never computes.
  ExposureMeter m(2);
  m.compute(0, 0, 100);
  m.collective_started(0, 3, 10);
  m.collective_started(1, 3, 10);
  CHECK(m.collective_ended(0, 3, 40) == 0);
  CHECK(m.collective_ended(1, 3, 40) == 30);
  CHECK_THROWS_AS(m.collective_ended(1, 3, 50), std::logic_error);  // not in flight any more
}

}  // namespace
}  // namespace tn::sc
