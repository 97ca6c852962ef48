// A tiled matmul, C[M, N] = A[M, K] @ B[K, N] with A given transposed (a_t is [K, M], the stationary
// layout, as NKI's matmul tutorial takes lhsT), in one of two schedules:
//  - resident (trnsim's timing calibration case): A^T resident in SBUF and B streamed in 512-column
//    blocks, PE-bound at max(N=512, 64) cycles per 128x128x512 matmul, the 78.6 TFLOPS per-core peak of
//    hardware.md §1.3; C is float32.
//  - blocked: the NKI matmul tutorial's fully optimised kernel (`nki_matmul_fully_optimized_`, hardware.md
//    §5 #1: 6.97 ms for [4096, 8192] @ [8192, 8192] bf16 on Trn1), blocks of 2048 rows of C, 1024 columns
//    and 1024 of K (16, 2 and 8 tiles). Per column block, C's rows accumulate in SBUF in the input dtype:
//    per K block the lhsT block and the rhs block are loaded ([128, 2048] and [128, 1024] per K tile),
//    each [128, 512] tile of C sums its 8 K tiles in PSUM and is added into SBUF; then each 128-row tile
//    of C is stored as [128, 1024]. Loads go to two buffers in turn so that the next block's loads
//    overlap this one's matmuls. C has the input dtype.
#pragma once
#include <cstdint>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "kernels/attention_cte.hpp"

namespace tn::kernels {

enum class MatmulSchedule : uint8_t { kResident, kBlocked };

struct MatmulParams {
  int64_t m = 0, k = 0, n = 0;     // resident: multiples of 128, 128 and 512; blocked: of 2048, 1024, 1024
  DType dtype = DType::kBFloat16;  // a_t and b; c is float32 (resident) or dtype (blocked)
  MatmulSchedule schedule = MatmulSchedule::kResident;
  DType c_dtype() const { return schedule == MatmulSchedule::kBlocked ? dtype : DType::kFloat32; }
};

void check_matmul_params(const MatmulParams& p, const isa::MemoryLimits& limits);
// The instructions build_matmul emits, from its loops' trip counts without building (tools/run_estimate.hpp):
// the A^T loads, then per 512-column block of B its loads and per 128-row tile of C the K-tile matmuls (two
// instructions each), a copy-out and a store. The builder adds none, so this is the count
// (kernels/tests/kernel_estimate_test.cpp).
double matmul_instruction_estimate(const MatmulParams& p);
// HBM tensors: inputs "a_t" [K, M], "b" [K, N]; output "c" [M, N] of c_dtype().
isa::Program build_matmul(const MatmulParams& p, const isa::MemoryLimits& limits);

}  // namespace tn::kernels
