// fp32 -> narrow float rounding: ties to even between every pair of neighbours, overflow to inf,
// subnormal boundaries and signed zero.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "sim/numerics/tests/narrow_formats.hpp"

namespace tn::num::test {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// The exact midpoint as an fp32; it always exists for these formats (fp32 has more mantissa and
// exponent range), which the CHECK confirms.
float exact_float(double x) {
  const float f = static_cast<float>(x);
  CHECK(static_cast<double>(f) == x);
  return f;
}

// Around the midpoint of lo and hi: the midpoint itself goes to the even one, one fp32 ulp either
// side goes to the nearer one. Same with both negated.
void check_rounding_between(const NarrowFormat& f, double lo_value, double hi_value, uint32_t lo, uint32_t hi,
                            uint32_t even) {
  const float mid = exact_float((lo_value + hi_value) / 2);
  const float above = std::nextafter(mid, kInf);
  const float below = std::nextafter(mid, 0.0f);
  CHECK(f.encode(mid) == even);
  CHECK(f.encode(above) == hi);
  CHECK(f.encode(below) == lo);
  CHECK(f.encode(-mid) == (even | f.sign_bit()));
  CHECK(f.encode(-above) == (hi | f.sign_bit()));
  CHECK(f.encode(-below) == (lo | f.sign_bit()));
}

TEST_CASE("midpoints between neighbouring values round to the even one") {
  for (const NarrowFormat& f : kNarrowFormats) {
    CAPTURE(f.name);
    // Non-negative finite patterns are ordered like their values, from +0 to the max finite; the
    // last mantissa bit is bit 0 of the pattern.
    for (uint32_t lo = 0; lo < f.max_finite(); ++lo) {
      const uint32_t hi = lo + 1;
      CAPTURE(lo);
      check_rounding_between(f, f.reference_value(lo), f.reference_value(hi), lo, hi,
                             (lo & 1) == 0 ? lo : hi);
    }
  }
}

// Round to nearest, ties to even, found by searching the sorted list of reference values: an encoder
// that shares nothing with the library's bit manipulation.
class NearestValueEncoder {
 public:
  explicit NearestValueEncoder(const NarrowFormat& f) : f_(f) {
    for (uint32_t b = 0; b <= f.max_finite(); ++b) {
      values_.push_back(f.reference_value(b));
    }
    // One step past the max finite: the value that inf stands for when rounding.
    values_.push_back(values_.back() + (values_.back() - values_[values_.size() - 2]));
  }

  uint32_t encode(float x) const {
    const double a = std::fabs(static_cast<double>(x));
    const uint32_t sign = std::signbit(x) ? f_.sign_bit() : 0;
    const auto it = std::lower_bound(values_.begin(), values_.end(), a);
    if (it == values_.end()) {
      return f_.inf() | sign;
    }
    uint32_t b = static_cast<uint32_t>(it - values_.begin());  // the pattern is the index
    if (*it != a) {
      // Both differences are exact in double: a and the neighbours are close, with few bits.
      const double below = a - *(it - 1);
      const double above = *it - a;
      if (below < above || (below == above && (b - 1) % 2 == 0)) {
        b -= 1;
      }
    }
    return b | sign;
  }

 private:
  const NarrowFormat& f_;
  std::vector<double> values_;
};

TEST_CASE("encode agrees with a nearest-value search on random fp32 inputs") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (const NarrowFormat& f : kNarrowFormats) {
    CAPTURE(f.name);
    const NearestValueEncoder reference(f);
    // Exponents from below the smallest subnormal to above the max, so every regime is hit.
    std::uniform_int_distribution<int> exponent(-f.bias() - f.man_bits - 3, f.bias() + 3);
    int mismatches = 0;
    for (int i = 0; i < 200000; ++i) {
      const uint32_t bits = any_bits(rng);
      const float x =
          i % 2 == 0 ? std::bit_cast<float>(bits)
                     : std::ldexp(1.0f + static_cast<float>(bits & 0x7fffffu) / 8388608.0f, exponent(rng)) *
                           ((bits >> 31) != 0 ? -1.0f : 1.0f);
      if (std::isnan(x)) {
        continue;
      }
      const uint32_t got = f.encode(x);
      const uint32_t want = reference.encode(x);
      if (got != want && ++mismatches <= 5) {
        CAPTURE(std::bit_cast<uint32_t>(x));
        CHECK(got == want);
      }
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("values that round past the max finite become inf") {
  for (const NarrowFormat& f : kNarrowFormats) {
    CAPTURE(f.name);
    const double max = f.reference_value(f.max_finite());
    const double ulp = max - f.reference_value(f.max_finite() - 1);
    // The next step above the max has an even (zero) mantissa and is inf, so the tie goes there.
    check_rounding_between(f, max, max + ulp, f.max_finite(), f.inf(), f.inf());
    CHECK(f.encode(std::numeric_limits<float>::max()) == f.inf());
    CHECK(f.encode(kInf) == f.inf());
    CHECK(f.encode(-kInf) == (f.inf() | f.sign_bit()));
  }
}

TEST_CASE("overflow thresholds, spelled out") {
  CHECK(fp8_e4m3_to_f32(0x77) == 240.0f);
  CHECK(f32_to_fp8_e4m3(240.0f) == 0x77);
  CHECK(f32_to_fp8_e4m3(247.99998f) == 0x77);
  CHECK(f32_to_fp8_e4m3(248.0f) == 0x78);  // inf, not saturated to 240
  CHECK(f32_to_fp8_e4m3(-248.0f) == 0xf8);
  CHECK(f32_to_fp8_e4m3(448.0f) == 0x78);  // the OCP e4m3fn max is out of range here

  CHECK(fp8_e5m2_to_f32(0x7b) == 57344.0f);
  CHECK(f32_to_fp8_e5m2(61439.996f) == 0x7b);
  CHECK(f32_to_fp8_e5m2(61440.0f) == 0x7c);

  CHECK(f16_to_f32(0x7bff) == 65504.0f);
  CHECK(f32_to_f16(65519.996f) == 0x7bff);
  CHECK(f32_to_f16(65520.0f) == 0x7c00);

  const float bf16_max = std::ldexp(255.0f / 128.0f, 127);  // (2 - 2^-7) * 2^127
  CHECK(bf16_to_f32(0x7f7f) == bf16_max);
  CHECK(f32_to_bf16(std::ldexp(511.0f / 256.0f, 127)) == 0x7f80);  // halfway to 2^128
  CHECK(f32_to_bf16(std::nextafter(std::ldexp(511.0f / 256.0f, 127), 0.0f)) == 0x7f7f);
}

TEST_CASE("subnormal boundaries") {
  for (const NarrowFormat& f : kNarrowFormats) {
    CAPTURE(f.name);
    const float min_subnormal = static_cast<float>(std::ldexp(1.0, 1 - f.bias() - f.man_bits));
    const float min_normal = static_cast<float>(std::ldexp(1.0, 1 - f.bias()));
    CHECK(f.decode(1) == min_subnormal);
    CHECK(f.decode(1u << f.man_bits) == min_normal);
    CHECK(f.encode(min_subnormal / 2) == 0);  // tie between 0 and the min subnormal: 0 is even
    CHECK(f.encode(std::nextafter(min_subnormal / 2, 1.0f)) == 1);
    CHECK(f.encode(min_subnormal * 1.5f) == 2);  // tie between 1 and 2 ulps: 2 is even
    CHECK(f.encode(min_normal) == (1u << f.man_bits));
    CHECK(f.encode(std::nextafter(min_normal, 0.0f)) == (1u << f.man_bits));  // rounds up to it
    CHECK(f.encode(min_normal - min_subnormal) == (1u << f.man_bits) - 1);    // max subnormal
  }
}

TEST_CASE("fp32 subnormals") {
  const float denorm_min = std::numeric_limits<float>::denorm_min();
  CHECK(f32_to_f16(denorm_min) == 0);
  CHECK(f32_to_f16(-denorm_min) == 0x8000);
  CHECK(f32_to_fp8_e4m3(-denorm_min) == 0x80);
  // bf16 shares fp32's exponent range, so fp32 subnormals round to bf16 subnormals.
  CHECK(f32_to_bf16(std::bit_cast<float>(0x00010000u)) == 0x0001);
  CHECK(f32_to_bf16(std::bit_cast<float>(0x00008000u)) == 0x0000);  // tie to even
  CHECK(f32_to_bf16(std::bit_cast<float>(0x00018000u)) == 0x0002);  // tie to even
  CHECK(f32_to_bf16(std::bit_cast<float>(0x007fffffu)) == 0x0080);  // rounds up to the min normal
}

TEST_CASE("signed zero") {
  for (const NarrowFormat& f : kNarrowFormats) {
    CAPTURE(f.name);
    CHECK(f.encode(0.0f) == 0);
    CHECK(f.encode(-0.0f) == f.sign_bit());
    const float quarter_min_subnormal = static_cast<float>(std::ldexp(1.0, -1 - f.bias() - f.man_bits));
    CHECK(f.encode(-quarter_min_subnormal) == f.sign_bit());  // underflow keeps the sign
    CHECK(std::signbit(f.decode(f.sign_bit())));
    CHECK(f.decode(f.sign_bit()) == 0.0f);
  }
}

}  // namespace
}  // namespace tn::num::test
