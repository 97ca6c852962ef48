// One generic codec for every narrow IEEE-style float the engines use (bf16, fp16, fp8 e4m3, fp8 e5m2):
// sign bit, kExpBits of biased exponent, kManBits of mantissa, subnormals, and the all-ones exponent
// reserved for inf (mantissa 0) and NaN (mantissa != 0), exactly like IEEE binary16. This is the
// layout of ml_dtypes' bfloat16, float16, float8_e4m3 and float8_e5m2 (not the "fn"/"fnuz" variants).
//
// Internal header of tn_numerics: the bulk loops in convert.cpp include it so the codec inlines and
// vectorises. Both directions compute every candidate and then pick one with select_bits, never a
// data-dependent branch.
//
// The float arithmetic below (subnormal rounding by adding a magic constant) relies on the default
// round-to-nearest-even floating-point environment and no flush-to-zero; the simulator never changes
// either.
#pragma once
#include <bit>
#include <cstdint>
#include <type_traits>

#include "sim/numerics/select_bits.hpp"

namespace tn::num {

template <int kExpBits, int kManBits>
struct IeeeLikeFloat {
  static_assert(kExpBits >= 2 && kExpBits <= 8 && kManBits >= 1 && kManBits <= 22);
  static constexpr int kBits = 1 + kExpBits + kManBits;
  static_assert(kBits == 8 || kBits == 16, "stored in a uint8_t or uint16_t");
  using Storage = std::conditional_t<kBits == 8, uint8_t, uint16_t>;

  static constexpr int kBias = (1 << (kExpBits - 1)) - 1;
  // Distance between the fp32 mantissa and ours: how many low fp32 mantissa bits get rounded away.
  static constexpr int kShift = 23 - kManBits;

  // Narrow-format bit fields.
  static constexpr uint32_t kManMask = (1u << kManBits) - 1;
  static constexpr uint32_t kMagMask = (1u << (kExpBits + kManBits)) - 1;
  static constexpr uint32_t kInf = ((1u << kExpBits) - 1) << kManBits;
  static constexpr uint32_t kQuietBit = 1u << (kManBits - 1);

  // fp32 bit patterns (magnitudes) of the format's landmarks. kRebias is the exponent re-bias from
  // ours to fp32's, as an addend to an fp32 bit pattern (wraps around when negative).
  static constexpr uint32_t kRebias = static_cast<uint32_t>(127 - kBias) << 23;
  static constexpr uint32_t kMinNormalF32 = static_cast<uint32_t>(127 - kBias + 1) << 23;  // 2^(1-bias)
  // 2^(emax+1) with emax = bias (top exponent is reserved): everything at or above overflows.
  static constexpr uint32_t kOverflowF32 = static_cast<uint32_t>(127 + kBias + 1) << 23;
  // Adding this to a value below kMinNormalF32 leaves the fp32 ulp equal to our subnormal ulp
  // 2^(1-bias-kManBits), so the fp32 adder performs the RNE rounding to a subnormal for us.
  static constexpr uint32_t kDenormMagicF32 = static_cast<uint32_t>(127 - kBias + 1 + kShift) << 23;
  static constexpr uint32_t kF32ExpMask = 0xffu << 23;

  // fp32 -> narrow, round to nearest even. Overflow (including values that round up past the max
  // finite) becomes inf like IEEE and ml_dtypes astype; NaN keeps its sign and top payload bits and
  // gets the quiet bit set (what x86 F16C vcvtps2ph does).
  static constexpr Storage encode(float x) {
    const uint32_t bits = std::bit_cast<uint32_t>(x);
    const uint32_t sign = bits & 0x80000000u;
    const uint32_t mag = bits ^ sign;  // |x| bits, which order like |x| (NaNs above inf)

    // Every candidate keeps our exponent and mantissa where fp32 has them (bits kShift and up) and is
    // shifted down once at the end: selecting among 32-bit lanes and narrowing once is much cheaper
    // in SIMD than narrowing each candidate and mask.
    const uint32_t nan = (kInf | kQuietBit | ((mag >> kShift) & kManMask)) << kShift;

    // Normal range: re-bias the exponent and add just under half an ulp, plus one if the kept
    // mantissa is odd: round half to even. A carry out of the mantissa bumps the exponent, which is
    // exactly right (and yields inf past the max finite).
    const uint32_t odd = (mag >> kShift) & 1u;
    const uint32_t normal = mag - kRebias + (1u << (kShift - 1)) - 1u + odd;

    uint32_t out;
    if constexpr (kExpBits == 8) {
      // fp32's exponent range: inf survives the normal path (zero mantissa) and fp32 subnormals round
      // like normals, so only NaN needs a case of its own.
      out = select_bits(mag > 0x7f800000u, nan, normal);
    } else {
      const uint32_t huge = select_bits(mag > 0x7f800000u, nan, kInf << kShift);
      const float magic = std::bit_cast<float>(kDenormMagicF32);
      const uint32_t subnormal =
          (std::bit_cast<uint32_t>(std::bit_cast<float>(mag) + magic) - kDenormMagicF32) << kShift;
      out = select_bits(mag >= kOverflowF32, huge, select_bits(mag < kMinNormalF32, subnormal, normal));
    }
    // The selected candidate is below 2^(kExpBits + 23), so the sign fits just above it.
    return static_cast<Storage>((out | (sign >> (8 - kExpBits))) >> kShift);
  }

  // narrow -> fp32, always exact. NaN payload bits are carried over unchanged (a plain widening; a
  // signalling NaN stays signalling until arithmetic quiets it).
  static constexpr float decode(Storage bits) {
    const uint32_t b = bits;
    if constexpr (kExpBits == 8) {
      return std::bit_cast<float>(b << (32 - kBits));  // bf16 is the top half of an fp32
    } else {
      const uint32_t sign = (b >> (kBits - 1)) << 31;
      const uint32_t shifted = (b & kMagMask) << kShift;  // our exponent/mantissa at fp32 positions
      const uint32_t exp = shifted & kF32ExpMask;
      const uint32_t normal = shifted + kRebias;
      // Our all-ones exponent field + kRebias = 128 + bias; another kRebias reaches fp32's 255.
      const uint32_t special = normal + kRebias;
      // Subnormal: read the mantissa as 2^(1-bias) * (1 + m/2^M), then subtract the 2^(1-bias); exact.
      const float min_normal = std::bit_cast<float>(kMinNormalF32);
      const uint32_t subnormal =
          std::bit_cast<uint32_t>(std::bit_cast<float>(shifted + kMinNormalF32) - min_normal);
      const uint32_t exp_all_ones = static_cast<uint32_t>((1u << kExpBits) - 1) << 23;
      const uint32_t out =
          select_bits(exp == exp_all_ones, special, select_bits(exp == 0, subnormal, normal));
      return std::bit_cast<float>(out | sign);
    }
  }
};

using BFloat16Format = IeeeLikeFloat<8, 7>;
using Float16Format = IeeeLikeFloat<5, 10>;
using Float8E4M3Format = IeeeLikeFloat<4, 3>;  // max finite 240, as ml_dtypes float8_e4m3
using Float8E5M2Format = IeeeLikeFloat<5, 2>;  // max finite 57344

}  // namespace tn::num
