// Test-side description of the four narrow float formats, and a reference decoder written straight
// from the format definition in double precision, independent of the library's bit tricks.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "sim/numerics/float_formats.hpp"

namespace tn::num::test {

struct NarrowFormat {
  std::string_view name;
  int exp_bits;
  int man_bits;
  uint32_t (*encode)(float);  // through the public scalar API
  float (*decode)(uint32_t);

  int bits() const { return 1 + exp_bits + man_bits; }
  int bias() const { return (1 << (exp_bits - 1)) - 1; }
  uint32_t sign_bit() const { return 1u << (bits() - 1); }
  uint32_t exp_field(uint32_t b) const { return (b >> man_bits) & ((1u << exp_bits) - 1); }
  uint32_t man_field(uint32_t b) const { return b & ((1u << man_bits) - 1); }
  bool is_nan(uint32_t b) const { return exp_field(b) == (1u << exp_bits) - 1 && man_field(b) != 0; }
  uint32_t inf() const { return ((1u << exp_bits) - 1) << man_bits; }
  uint32_t max_finite() const { return inf() - 1; }
  uint32_t pattern_count() const { return 1u << bits(); }

  // sign * 2^(e-bias) * (1 + m/2^M) for normals, sign * 2^(1-bias) * (m/2^M) for subnormals.
  double reference_value(uint32_t b) const {
    const double sign = (b & sign_bit()) != 0 ? -1.0 : 1.0;
    const uint32_t e = exp_field(b);
    const double m = man_field(b);
    const double scale = std::ldexp(1.0, man_bits);
    if (e == (1u << exp_bits) - 1) {
      return m == 0 ? sign * std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::quiet_NaN();
    }
    if (e == 0) {
      return sign * std::ldexp(m / scale, 1 - bias());
    }
    return sign * std::ldexp(1.0 + m / scale, static_cast<int>(e) - bias());
  }
};

inline const NarrowFormat kNarrowFormats[] = {
    {"bfloat16", 8, 7, [](float x) -> uint32_t { return f32_to_bf16(x); },
     [](uint32_t b) { return bf16_to_f32(static_cast<uint16_t>(b)); }},
    {"float16", 5, 10, [](float x) -> uint32_t { return f32_to_f16(x); },
     [](uint32_t b) { return f16_to_f32(static_cast<uint16_t>(b)); }},
    {"float8_e4m3", 4, 3, [](float x) -> uint32_t { return f32_to_fp8_e4m3(x); },
     [](uint32_t b) { return fp8_e4m3_to_f32(static_cast<uint8_t>(b)); }},
    {"float8_e5m2", 5, 2, [](float x) -> uint32_t { return f32_to_fp8_e5m2(x); },
     [](uint32_t b) { return fp8_e5m2_to_f32(static_cast<uint8_t>(b)); }},
};

}  // namespace tn::num::test
