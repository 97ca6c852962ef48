// Every bit pattern of every narrow float: decoded value against the reference formula, and
// decode -> encode returning the same bits.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>

#include "sim/numerics/tests/narrow_formats.hpp"

namespace tn::num::test {
namespace {

TEST_CASE("every narrow-float bit pattern decodes to the value of its definition") {
  for (const NarrowFormat& f : kNarrowFormats) {
    CAPTURE(f.name);
    int mismatches = 0;
    for (uint32_t b = 0; b < f.pattern_count(); ++b) {
      const float got = f.decode(b);
      const double want = f.reference_value(b);
      const bool ok = f.is_nan(b)
                          ? std::isnan(got)
                          : static_cast<double>(got) == want && std::signbit(got) == std::signbit(want);
      if (!ok && ++mismatches <= 5) {
        CAPTURE(b);
        CHECK(static_cast<double>(got) == want);
      }
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("every narrow-float bit pattern survives decode then encode") {
  for (const NarrowFormat& f : kNarrowFormats) {
    CAPTURE(f.name);
    int mismatches = 0;
    for (uint32_t b = 0; b < f.pattern_count(); ++b) {
      const uint32_t back = f.encode(f.decode(b));
      // NaN stays NaN of the same sign (the payload may gain the quiet bit).
      const bool ok = f.is_nan(b) ? f.is_nan(back) && (back & f.sign_bit()) == (b & f.sign_bit()) : back == b;
      if (!ok && ++mismatches <= 5) {
        CAPTURE(b);
        CHECK(back == b);
      }
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("NaN encodes as a quiet NaN of the same sign") {
  const float quiet = std::bit_cast<float>(0x7fc00000u);
  const float signalling = std::bit_cast<float>(0x7f800001u);
  const float negative_payload = std::bit_cast<float>(0xffa12345u);
  for (const NarrowFormat& f : kNarrowFormats) {
    CAPTURE(f.name);
    const uint32_t quiet_bit = 1u << (f.man_bits - 1);
    for (float nan : {quiet, signalling, negative_payload}) {
      const uint32_t b = f.encode(nan);
      CHECK(f.is_nan(b));
      CHECK((b & quiet_bit) != 0);
      CHECK(((b & f.sign_bit()) != 0) == std::signbit(nan));
    }
  }
}

TEST_CASE("bfloat16 NaN keeps its top payload bits") {
  CHECK(f32_to_bf16(std::bit_cast<float>(0x7fa10000u)) == 0x7fe1);  // quiet bit added
  CHECK(f32_to_bf16(std::bit_cast<float>(0xffc00001u)) == 0xffc0);  // low payload bits dropped
}

}  // namespace
}  // namespace tn::num::test
