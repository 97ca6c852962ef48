// fp32 -> integer casts: round half to even (an assumption, kernels.md §7.1 item 3), saturation, NaN.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "sim/numerics/convert.hpp"
#include "sim/numerics/float_formats.hpp"

namespace tn::num {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST_CASE("ties round to even") {
  CHECK(f32_to_i32(0.5f) == 0);
  CHECK(f32_to_i32(1.5f) == 2);
  CHECK(f32_to_i32(2.5f) == 2);
  CHECK(f32_to_i32(-0.5f) == 0);
  CHECK(f32_to_i32(-1.5f) == -2);
  CHECK(f32_to_i32(-2.5f) == -2);
  CHECK(f32_to_i32(2.4999998f) == 2);
  CHECK(f32_to_i32(2.5000002f) == 3);
  CHECK(f32_to_i32(8388607.5f) == 8388608);    // largest fp32 with a fraction
  CHECK(f32_to_i32(16777217.0f) == 16777216);  // not an fp32: the literal already rounded
  CHECK(f32_to_u32(2.5f) == 2);
  CHECK(f32_to_u32(3.5f) == 4);
  CHECK(f32_to_i8(-3.5f) == -4);
  CHECK(f32_to_u8(254.5f) == 254);
}

TEST_CASE("saturation at the destination limits") {
  CHECK(f32_to_i32(2147483520.0f) == 2147483520);  // largest fp32 below 2^31
  CHECK(f32_to_i32(2147483648.0f) == std::numeric_limits<int32_t>::max());
  CHECK(f32_to_i32(-2147483648.0f) == std::numeric_limits<int32_t>::min());
  CHECK(f32_to_i32(-3e9f) == std::numeric_limits<int32_t>::min());
  CHECK(f32_to_i32(kInf) == std::numeric_limits<int32_t>::max());
  CHECK(f32_to_i32(-kInf) == std::numeric_limits<int32_t>::min());

  CHECK(f32_to_u32(4294967040.0f) == 4294967040u);  // largest fp32 below 2^32
  CHECK(f32_to_u32(4294967296.0f) == std::numeric_limits<uint32_t>::max());
  CHECK(f32_to_u32(-1.0f) == 0);
  CHECK(f32_to_u32(-0.5f) == 0);
  CHECK(f32_to_u32(-kInf) == 0);
  CHECK(f32_to_u32(kInf) == std::numeric_limits<uint32_t>::max());

  CHECK(f32_to_i8(127.0f) == 127);
  CHECK(f32_to_i8(127.5f) == 127);  // rounds to 128, then saturates
  CHECK(f32_to_i8(-128.5f) == -128);
  CHECK(f32_to_i8(-129.0f) == -128);
  CHECK(f32_to_i8(1e20f) == 127);

  CHECK(f32_to_u8(255.0f) == 255);
  CHECK(f32_to_u8(255.5f) == 255);
  CHECK(f32_to_u8(300.0f) == 255);
  CHECK(f32_to_u8(-1.0f) == 0);
}

TEST_CASE("NaN becomes 0") {
  CHECK(f32_to_i32(kNaN) == 0);
  CHECK(f32_to_i32(-kNaN) == 0);
  CHECK(f32_to_u32(kNaN) == 0);
  CHECK(f32_to_i8(kNaN) == 0);
  CHECK(f32_to_u8(kNaN) == 0);
}

TEST_CASE("round_to on integer dtypes gives the stored integer back as a float") {
  CHECK(round_to(DType::kInt32, 2.5f) == 2.0f);
  CHECK(round_to(DType::kInt32, 3e9f) == 2147483648.0f);  // INT32_MAX, rounded to fp32
  CHECK(round_to(DType::kUInt32, -7.0f) == 0.0f);
  CHECK(round_to(DType::kInt8, 200.0f) == 127.0f);
  CHECK(round_to(DType::kInt8, -0.4f) == 0.0f);
  CHECK(round_to(DType::kUInt8, 77.5f) == 78.0f);
  CHECK(round_to(DType::kUInt8, kNaN) == 0.0f);
}

}  // namespace
}  // namespace tn::num
