// cond ? a : b, spelled as mask arithmetic so that it always becomes a SIMD blend. With ?: gcc -O2
// (which keeps -ftrapping-math) may sink a possibly-trapping fp32 add or float->int cast into a branch,
// or fail to vectorise a conditional that mixes 16- and 32-bit lanes; either way the loop stays
// scalar. Internal header of tn_numerics.
#pragma once
#include <cstdint>

namespace tn::num {

constexpr uint32_t select_bits(bool cond, uint32_t a, uint32_t b) {
  const uint32_t mask = 0u - static_cast<uint32_t>(cond);
  return (a & mask) | (b & ~mask);
}

}  // namespace tn::num
