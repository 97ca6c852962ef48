// Rounding a duration in (fractional) picoseconds to whole picoseconds, as std::llround does (halves away
// from zero), without the libm call: the cost models round several times per instruction, and the call
// was a tenth of a ring run's scheduler time. The result equals std::llround's for every double.
#pragma once
#include <cmath>
#include <cstdint>

namespace tn::timing {

inline int64_t round_half_away(double x) {
  // Non-negative and below 2^62: truncation is exact, and so is the fraction x - trunc(x).
  if (!(x >= 0.0 && x < 4.6e18))
    return std::llround(x);  // negative, huge or NaN: the library's answer
  const auto whole = static_cast<int64_t>(x);
  return whole + (x - static_cast<double>(whole) >= 0.5 ? 1 : 0);
}

}  // namespace tn::timing
