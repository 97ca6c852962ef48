// isa::ChunkedVector, which holds every stream's instructions: vector semantics, stable elements while it
// grows, and every element constructed and destroyed exactly once.
#include "isa/chunked_vector.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <string>

namespace {

using tn::isa::ChunkedVector;

// Counts live instances, to catch a missed or doubled destruction.
struct Tracked {
  static inline int live = 0;
  std::string text;
  explicit Tracked(std::string t) : text(std::move(t)) { ++live; }
  Tracked(const Tracked& o) : text(o.text) { ++live; }
  Tracked(Tracked&& o) noexcept : text(std::move(o.text)) { ++live; }
  Tracked& operator=(const Tracked&) = default;
  ~Tracked() { --live; }
  bool operator==(const Tracked& o) const { return text == o.text; }
};

}  // namespace

TEST_CASE("chunked vector: indexing, growth across chunks, and elements that never move") {
  ChunkedVector<int, 4> v;
  CHECK(v.empty());
  std::vector<const int*> addresses;
  for (int i = 0; i < 37; ++i) {
    v.push_back(i * 3);
    addresses.push_back(&v.back());
  }
  REQUIRE(v.size() == 37);
  for (int i = 0; i < 37; ++i) {
    CHECK(v[size_t(i)] == i * 3);
    CHECK(&v[size_t(i)] == addresses[size_t(i)]);  // appending moved nothing
  }
  CHECK_THROWS_AS(v.at(37), std::out_of_range);
  CHECK(std::accumulate(v.begin(), v.end(), 0) == 3 * 36 * 37 / 2);
  CHECK(std::any_of(v.begin(), v.end(), [](int x) { return x == 99; }));
  CHECK(std::find(v.begin(), v.end(), 30) - v.begin() == 10);
  auto it = v.begin() + 5;
  CHECK(it[2] == 21);
  CHECK(*(--it) == 12);
  CHECK(v.end() - v.begin() == 37);
}

TEST_CASE("chunked vector: copies are deep, moves empty the source, equality is elementwise") {
  {
    ChunkedVector<Tracked, 2> a;
    for (int i = 0; i < 5; ++i)
      a.emplace_back(std::to_string(i));
    CHECK(Tracked::live == 5);
    ChunkedVector<Tracked, 2> b = a;
    CHECK(Tracked::live == 10);
    CHECK(a == b);
    b[4].text = "x";
    CHECK(!(a == b));
    CHECK(a[4].text == "4");
    ChunkedVector<Tracked, 2> c = std::move(b);
    CHECK(b.empty());
    CHECK(c.size() == 5);
    CHECK(Tracked::live == 10);
    c = a;
    CHECK(c == a);
    CHECK(Tracked::live == 10);
    c.clear();
    CHECK(Tracked::live == 5);
  }
  CHECK(Tracked::live == 0);
}
