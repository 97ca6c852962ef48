// FourAryHeap pops what std::priority_queue pops, over random pushes, pops and replace_top()s.
#include "sim/sc/four_ary_heap.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <queue>
#include <random>
#include <vector>

TEST_CASE("four-ary heap: the same pop order as a binary heap") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    tn::sc::FourAryHeap<uint64_t> heap;
    std::priority_queue<uint64_t, std::vector<uint64_t>, std::greater<uint64_t>> reference;
    const uint64_t range = round % 2 ? 1000 : 10;  // few distinct values: many equal keys
    for (int step = 0; step < 5000; ++step) {
      const uint64_t v = rng() % range;
      const int op = heap.empty() ? 0 : int(rng() % 3);
      if (op == 0) {
        heap.push(v);
        reference.push(v);
      } else if (op == 1) {
        heap.pop();
        reference.pop();
      } else {
        heap.replace_top(v);
        reference.pop();
        reference.push(v);
      }
      REQUIRE(heap.size() == reference.size());
      if (!heap.empty())
        REQUIRE(heap.top() == reference.top());
    }
  }
}
