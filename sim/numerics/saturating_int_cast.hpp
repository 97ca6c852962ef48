// fp32 -> integer dtype, as an engine writing an int32/uint32/int8/uint8 output does.
//
// The hardware rounding mode for float -> int conversion is not published (kernels.md §7.1 item 3).
// We assume round to nearest, ties to even (the IEEE default and what the fp32 -> narrow float casts
// do), saturation at the destination limits, and NaN -> 0. Revisit if measurements disagree.
//
// Internal header of tn_numerics (inlined into the bulk loops of convert.cpp). Branch-free, via
// select_bits, so that those loops vectorise.
#pragma once
#include <bit>
#include <cstdint>
#include <limits>

#include "sim/numerics/select_bits.hpp"

namespace tn::num {

// x rounded to an integral value, ties to even; inf and NaN pass through. Relies on the default
// round-to-nearest-even environment: adding 2^23 to a magnitude below 2^23 leaves no fraction bits.
inline float round_half_even(float x) {
  constexpr uint32_t kNoFractionBitsF32 = 0x4b000000u;  // 2^23: every fp32 at or above it is integral
  const float no_fraction_bits = std::bit_cast<float>(kNoFractionBitsF32);
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const uint32_t sign = bits & 0x80000000u;
  const uint32_t mag = bits ^ sign;
  const float rounded = (std::bit_cast<float>(mag) + no_fraction_bits) - no_fraction_bits;
  const uint32_t signed_rounded = std::bit_cast<uint32_t>(rounded) | sign;  // keeps -0.4 -> -0
  return std::bit_cast<float>(select_bits(mag < kNoFractionBitsF32, signed_rounded, bits));
}

template <typename Int>
inline Int saturating_int_cast(float x) {
  using Limits = std::numeric_limits<Int>;
  static_assert(sizeof(Int) <= 4);
  // 2^digits (the first integer past the max) and the min are exact in fp32 for every Int here; the
  // max itself (e.g. 2^31-1) may not be, so in-range values are clamped to the largest fp32 below
  // 2^digits and the max is selected separately.
  constexpr float kFirstAboveMax = static_cast<float>(uint64_t{1} << Limits::digits);
  constexpr float kLargestBelow = std::bit_cast<float>(std::bit_cast<uint32_t>(kFirstAboveMax) - 1u);
  constexpr float kMin = static_cast<float>(Limits::min());

  const float r = round_half_even(x);
  const bool is_nan = r != r;
  const bool too_big = r >= kFirstAboveMax;
  const bool too_small = !(r > kMin);  // also NaN, so that the cast below always sees a valid value
  const float clamped = std::bit_cast<float>(
      select_bits(too_small, std::bit_cast<uint32_t>(kMin),
                  select_bits(too_big, std::bit_cast<uint32_t>(kLargestBelow), std::bit_cast<uint32_t>(r))));
  const uint32_t cast = static_cast<uint32_t>(static_cast<Int>(clamped));
  const uint32_t max = static_cast<uint32_t>(Limits::max());
  // Int -> uint32 -> Int is the identity (modular conversions, well defined since C++20).
  return static_cast<Int>(select_bits(is_nan, 0u, select_bits(too_big, max, cast)));
}

}  // namespace tn::num
