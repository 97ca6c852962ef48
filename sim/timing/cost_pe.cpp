// TensorE (PE array) costs, hardware.md §1.3 and the §3 nc_matmul / nc_transpose rows. TensorE is
// deeply pipelined, so an instruction costs its initiation interval, not its latency; the overlap of a
// LoadStationary with the previous multiply is PeTimeline's business, not the cost's.
#include <algorithm>

#include "sim/timing/cost_rules.hpp"

namespace tn::timing::rules {

namespace {
int64_t dtype_factor(DType t, int64_t fp32_factor) { return t == DType::kFloat32 ? fp32_factor : 1; }
}  // namespace

// Fast LoadStationary (hardware.md §1.3, [S14]): up to ls_speed_factor (4x) faster than a multiply of
// the same free size, i.e. ceil(M / 4) cycles for a stationary of free size M (trn1 example: 128/4 =
// 32 cycles); FP32 costs fp32_factor (4x) more, like the multiply.
InstructionCost cost_of(const isa::LoadStationary& op, const CostContext& c) {
  const int64_t m = op.stationary.free_size() * c.stride_factor;
  const int64_t ls = c.hw.pe_ls_speed_factor;
  return cycles_only(uint64_t((m + ls - 1) / ls * dtype_factor(op.stationary.dtype, c.hw.pe_fp32_factor)));
}

// MultiplyMoving (hardware.md §1.3, the §3 nc_matmul row [S11,S14,S21]): II = max(min(64, M), N) cycles,
// where 64 is MM_INIT_LATENCY, M the stationary free size (= dst partitions) and N the moving free size:
// max(N, 64) for a full 128-column stationary, less for a narrow one. fp32_factor (4x) for FP32 operands.
// FLOPs 2*K*M*N with K = contraction partitions.
InstructionCost cost_of(const isa::MultiplyMoving& op, const CostContext& c) {
  const int64_t n = op.moving.free_size();
  const int64_t m = op.dst.num_partitions;
  const int64_t ii =
      std::max<int64_t>(n * c.stride_factor, std::min<int64_t>(c.hw.pe_mm_min_ii_cycles, m));
  InstructionCost out = cycles_only(uint64_t(ii * dtype_factor(op.moving.dtype, c.hw.pe_fp32_factor)));
  out.flops = 2.0 * double(op.moving.num_partitions) * double(op.dst.num_partitions) * double(n);
  if (op.accumulate) {
    out.read.psum += uint64_t(op.dst.bytes());  // near-memory read-accumulate-write (§1.3)
  }
  return out;
}

// PE transpose (hardware.md §1.3, §3 [S21]): max(P, min(64, F)) cycles for back-to-back transposes;
// FP32 costs transpose_fp32_factor (v3 true transpose mode: 2x, v2 identity matmul: 4x). Its FLOPs are
// those of the identity matmul that implements it, 2*P*F*P, reported as transpose FLOPs.
InstructionCost cost_of(const isa::PeTranspose& op, const CostContext& c) {
  const int64_t p = op.src.num_partitions;
  const int64_t f = op.src.free_size();
  const int64_t base = std::max<int64_t>(p, std::min<int64_t>(c.hw.pe_mm_min_ii_cycles, f));
  InstructionCost out = cycles_only(
      uint64_t(base * c.stride_factor * dtype_factor(op.src.dtype, c.hw.pe_transpose_fp32_factor)));
  out.transpose_flops = 2.0 * double(p) * double(f) * double(p);
  return out;
}

}  // namespace tn::timing::rules
