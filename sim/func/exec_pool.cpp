// GpSimd engine semantics (hardware.md §1.6, §3 "Instruction summary", kernels.md §6.4).
#include "sim/func/alu.hpp"
#include "sim/func/executor.hpp"

namespace tn::sim {

// Exact int64 values of the affine expression. p counts from the pattern's first partition (a
// pattern starting at partition 32 has p = 0 there), so that the same instruction placed in another
// quadrant computes the same values; i_k indexes ap.dims[k] (steps are outermost first like dims).
void Executor::affine_values(const isa::AccessPattern& ap, int64_t base, int64_t channel_multiplier,
                             const isa::Steps& steps) {
  m_io.require_valid(ap, "dst");
  const int32_t P = ap.num_partitions;
  const int64_t F = ap.free_size();
  const int nd = ap.ndim;
  m_affine.resize(static_cast<size_t>(P * F));
  int64_t* out = m_affine.data();
  for (int32_t p = 0; p < P; ++p) {
    int64_t value = base + p * channel_multiplier;
    std::array<int64_t, isa::kMaxFreeDims> idx{};
    for (int64_t e = 0; e < F; ++e) {
      *out++ = value;
      for (int d = nd - 1; d >= 0; --d) {  // odometer, innermost dim fastest
        value += steps[d];
        if (++idx[d] < ap.dims[d].count) {
          break;
        }
        value -= steps[d] * ap.dims[d].count;
        idx[d] = 0;
      }
    }
  }
}

// The value is computed exactly in int64 (the row's "int32" holds for every value a valid kernel
// produces) and written through fp32 like every engine output: exact for |value| <= 2^24, which covers
// the positions and indices kernels generate; float dsts get the (rounded) float value.
void Executor::run(const isa::Iota& op) {
  affine_values(op.dst, op.base, op.channel_multiplier, op.steps);
  m_out.resize(m_affine.size());
  for (size_t i = 0; i < m_affine.size(); ++i) {
    m_out[i] = static_cast<float>(m_affine[i]);
  }
  m_io.write(op.dst, "dst", m_out.data());
}

// Keeps src where (base + p*cm + sum steps*i) cmp 0, else writes `fill` (the causal mask, kernels.md
// §6.4). p and i_k are those of dst, as for iota.
void Executor::run(const isa::AffineSelect& op) {
  AccessWalker::require_shape(op.src, "src", op.dst.num_partitions, op.dst.free_size());
  m_io.read(op.src, "src", m_in0);
  affine_values(op.dst, op.base, op.channel_multiplier, op.steps);
  m_out.resize(m_affine.size());
  alu::compare_with_zero(op.cmp, m_affine.data(), m_out.data(), m_affine.size());
  for (size_t i = 0; i < m_in0.size(); ++i) {
    m_in0[i] = m_out[i] != 0.0f ? m_in0[i] : op.fill;
  }
  m_io.write(op.dst, "dst", m_in0.data());
}

}  // namespace tn::sim
