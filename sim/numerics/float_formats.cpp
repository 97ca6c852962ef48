#include "sim/numerics/float_formats.hpp"

#include "sim/numerics/ieee_like_float.hpp"
#include "sim/numerics/saturating_int_cast.hpp"

namespace tn::num {

uint16_t f32_to_bf16(float x) { return BFloat16Format::encode(x); }
float bf16_to_f32(uint16_t bits) { return BFloat16Format::decode(bits); }

uint16_t f32_to_f16(float x) { return Float16Format::encode(x); }
float f16_to_f32(uint16_t bits) { return Float16Format::decode(bits); }

uint8_t f32_to_fp8_e4m3(float x) { return Float8E4M3Format::encode(x); }
float fp8_e4m3_to_f32(uint8_t bits) { return Float8E4M3Format::decode(bits); }

uint8_t f32_to_fp8_e5m2(float x) { return Float8E5M2Format::encode(x); }
float fp8_e5m2_to_f32(uint8_t bits) { return Float8E5M2Format::decode(bits); }

int32_t f32_to_i32(float x) { return saturating_int_cast<int32_t>(x); }
uint32_t f32_to_u32(float x) { return saturating_int_cast<uint32_t>(x); }
int8_t f32_to_i8(float x) { return saturating_int_cast<int8_t>(x); }
uint8_t f32_to_u8(float x) { return saturating_int_cast<uint8_t>(x); }

// Spot checks evaluated by the compiler; the exhaustive tests live in tests/.
static_assert(Float8E4M3Format::decode(0x77) == 240.0f);  // max finite e4m3
static_assert(Float8E4M3Format::encode(248.0f) == 0x78);  // tie above the max rounds to inf
static_assert(Float8E5M2Format::decode(0x7b) == 57344.0f);
static_assert(Float16Format::encode(65520.0f) == 0x7c00);
static_assert(BFloat16Format::encode(1.00390625f) == 0x3f80);  // 1 + 2^-8: tie to even (down)

}  // namespace tn::num
