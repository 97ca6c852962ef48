// round_half_away is std::llround for every double the cost models can produce, and for the rest.
#include "sim/timing/rounding.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>

namespace tn::timing {

TEST_CASE("round_half_away equals std::llround: halves, neighbours of halves, integers, extremes") {
  const double cases[] = {0.0,
                          -0.0,
                          0.5,
                          1.5,
                          2.5,
                          0.49999999999999994,
                          std::nextafter(0.5, 1.0),
                          std::nextafter(2.5, 0.0),
                          4503599627370495.5,  // 2^52 - 0.5
                          4503599627370497.0,
                          9007199254740993.0,
                          4.5e18,
                          4.7e18,
                          -2.5,
                          -0.5,
                          std::numeric_limits<double>::denorm_min(),
                          1e-300};
  for (const double x : cases) {
    CAPTURE(x);
    CHECK(round_half_away(x) == std::llround(x));
  }
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> small(0.0, 1e6), wide(0.0, 1e15);
  for (int i = 0; i < 200000; ++i) {
    const double a = small(rng), b = wide(rng), h = std::floor(a) + 0.5;
    REQUIRE(round_half_away(a) == std::llround(a));
    REQUIRE(round_half_away(b) == std::llround(b));
    REQUIRE(round_half_away(h) == std::llround(h));
  }
}

}  // namespace tn::timing
