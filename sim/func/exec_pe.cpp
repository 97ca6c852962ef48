// Tensor engine semantics (hardware.md §1.3, kernels.md §6.1).
#include <string>

#include "sim/func/executor.hpp"
#include "sim/func/matmul_kernel.hpp"

namespace tn::sim {

// The array holds the stationary operand as fp32 copies of its inputs; bf16/fp16/fp8 values are exact
// in fp32, so the products below are the hardware's.
void Executor::run(const isa::LoadStationary& op) {
  m_io.read(op.stationary, "stationary", m_core.stationary);
  m_core.stationary_rows = op.stationary.num_partitions;
  m_core.stationary_cols = static_cast<int32_t>(op.stationary.free_size());
}

// dst[m, n] (+)= sum_k stationary[k][m] * moving[k][n]. Products and sums are fp32 (no fused
// multiply-add: the build uses -ffp-contract=off), summed in k order 0..K-1 into a fresh zero
// accumulator, which is then added to the PSUM value when accumulating (PSUM's near-memory
// read-accumulate-write, hardware.md §1.3).
void Executor::run(const isa::MultiplyMoving& op) {
  const int64_t K = m_core.stationary_rows, M = m_core.stationary_cols;
  if (K == 0) {
    throw InstructionFault("no load_stationary has loaded the PE array");
  }
  if (op.moving.num_partitions != K) {
    throw InstructionFault("contraction mismatch: the stationary operand has " + std::to_string(K) +
                           " partitions, moving " + std::to_string(op.moving.num_partitions));
  }
  const int64_t N = op.moving.free_size();
  AccessWalker::require_shape(op.dst, "dst", M, N);
  m_io.read(op.moving, "moving", m_in0);
  m_out.resize(static_cast<size_t>(M * N));
  float* out = m_out.data();
  matmul_k_ordered(m_core.stationary.data(), m_in0.data(), out, K, M, N);
  if (op.accumulate) {
    // Accumulating onto PSUM nothing wrote is a kernel bug (kernels.md §7.1 item 1): the read reports it.
    m_io.read(op.dst, "dst", m_in1);
    for (size_t i = 0; i < m_out.size(); ++i) {
      out[i] = m_in1[i] + out[i];
    }
  }
  m_io.write(op.dst, "dst", out);
}

// v3 true transpose mode: bit-accurate, NaN and Inf included (hardware.md §1.3).
void Executor::run(const isa::PeTranspose& op) { transpose(op.dst, op.src, false); }

}  // namespace tn::sim
