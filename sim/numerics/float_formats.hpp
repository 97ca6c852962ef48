// Scalar, bit-exact conversions between fp32 and the other element types the engines read and write
// (dtype list: hardware.md §3). Bulk versions for inner loops are in convert.hpp.
//
// Narrow floats (bf16, fp16, fp8 e4m3, fp8 e5m2) are IEEE-style: subnormals, and the all-ones exponent
// reserved for inf/NaN. fp32 -> narrow rounds to nearest even, values that round past the max finite
// become inf (non-saturating, like IEEE and ml_dtypes astype), and NaN stays a NaN of the same sign
// with the quiet bit set. narrow -> fp32 is exact.
//
// float8_e4m3 is the IEEE-style e4m3 that NKI calls float8_e4m3 on trn1/trn2 (ml_dtypes float8_e4m3:
// bias 7, max finite 240, has inf), not the OCP "e4m3fn" (max 448, no inf).
#pragma once
#include <cstdint>

namespace tn::num {

uint16_t f32_to_bf16(float x);
float bf16_to_f32(uint16_t bits);

uint16_t f32_to_f16(float x);
float f16_to_f32(uint16_t bits);

uint8_t f32_to_fp8_e4m3(float x);
float fp8_e4m3_to_f32(uint8_t bits);

uint8_t f32_to_fp8_e5m2(float x);
float fp8_e5m2_to_f32(uint8_t bits);

// fp32 -> integer dtypes. The hardware's float -> int rounding mode is not published (kernels.md
// §7.1 item 3); we assume round to nearest, ties to even. Out-of-range values saturate to the
// destination limits (+-inf included) and NaN becomes 0.
int32_t f32_to_i32(float x);
uint32_t f32_to_u32(float x);
int8_t f32_to_i8(float x);
uint8_t f32_to_u8(float x);

}  // namespace tn::num
