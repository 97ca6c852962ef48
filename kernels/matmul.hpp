// A tiled matmul, C[M, N] = A[M, K] @ B[K, N] with A given transposed (a_t is [K, M], the stationary
// layout, as NKI's matmul tutorial takes lhsT). It is trnsim's timing calibration case: with A^T resident
// in SBUF and B streamed in 512-column blocks, it runs PE-bound at max(N=512, 64) cycles per 128x128x512
// matmul, i.e. the 78.6 TFLOPS per-core peak of hardware.md §1.3.
#pragma once
#include <cstdint>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "kernels/attention_cte.hpp"

namespace tn::kernels {

struct MatmulParams {
  int64_t m = 0, k = 0, n = 0;     // multiples of 128, 128 and 512
  DType dtype = DType::kBFloat16;  // a_t and b; c is float32
};

void check_matmul_params(const MatmulParams& p, const isa::MemoryLimits& limits);
// The instructions build_matmul emits, from its loops' trip counts without building (tools/run_estimate.hpp):
// the A^T loads, then per 512-column block of B its loads and per 128-row tile of C the K-tile matmuls (two
// instructions each), a copy-out and a store. The builder adds none, so this is the count
// (kernels/tests/kernel_estimate_test.cpp).
double matmul_instruction_estimate(const MatmulParams& p);
// HBM tensors: inputs "a_t" [K, M], "b" [K, N]; output "c" [M, N] float32.
isa::Program build_matmul(const MatmulParams& p, const isa::MemoryLimits& limits);

}  // namespace tn::kernels
