#include <doctest/doctest.h>

#include "traces/lane_allocator.hpp"

namespace tn::trace {
namespace {

TEST_CASE("LaneAllocator: first lane whose last slice ended at or before the start") {
  LaneAllocator a;
  auto p = a.place(0, 100);
  CHECK(p.lane == 0);
  CHECK(p.is_new);
  p = a.place(50, 150);  // overlaps lane 0
  CHECK(p.lane == 1);
  CHECK(p.is_new);
  p = a.place(100, 180);  // touches lane 0's end exactly: allowed
  CHECK(p.lane == 0);
  CHECK(!p.is_new);
  p = a.place(20, 40);  // out of order: earlier than every lane's last end
  CHECK(p.lane == 2);
  CHECK(p.is_new);
  p = a.place(150, 160);  // lane 0 busy until 180, lane 1 free from 150
  CHECK(p.lane == 1);
  p = a.place(40, 40);  // zero length right after lane 2's slice
  CHECK(p.lane == 2);
  CHECK(a.lane_count() == 3);
}

TEST_CASE("LaneAllocator: sequential slices stay on one lane") {
  LaneAllocator a;
  for (uint64_t i = 0; i < 1000; ++i) {
    CHECK(a.place(i * 10, i * 10 + 10).lane == 0);
  }
  CHECK(a.lane_count() == 1);
}

}  // namespace
}  // namespace tn::trace
