// The tensor engine's fp32 multiply-accumulate as a fast, bit-exact kernel.
#pragma once
#include <cstdint>

namespace tn::sim {

// out[m * N + n] = sum over k = 0..K-1 of stationary[k * M + m] * moving[k * N + n], each output summed
// in k order from +0.0f, every product rounded to fp32 and then added (no fused multiply-add). Every
// output is therefore exactly what the plain scalar triple loop gives, whatever vector width the CPU
// offers: the kernel changes only which outputs are computed together, never one output's operations.
void matmul_k_ordered(const float* stationary, const float* moving, float* out, int64_t K, int64_t M,
                      int64_t N);

}  // namespace tn::sim
