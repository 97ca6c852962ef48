// VectorE (DVE) costs, hardware.md §1.4, the §3 instruction table and §4.1: cost ~ max(MIN_II, N x
// passes) cycles, where N is the free elements per partition, and no less than MIN_II plus the static
// overhead that tiny instructions show (dve_cycles, cost_rules.hpp).
// v3 adds perf modes (§1.4) that divide the streaming part by 4 or 2. Instructions that may also run on
// ScalarE or GpSimd dispatch to those engines' formulas here, so each row has one cost_of().
#include <algorithm>
#include <cmath>

#include "sim/timing/cost_rules.hpp"

namespace tn::timing::rules {

uint64_t dve_cycles(int64_t n, double passes, double speedup, const CostContext& c) {
  const auto stream = static_cast<int64_t>(std::ceil(double(n) * passes * double(c.stride_factor) / speedup));
  return uint64_t(std::max<int64_t>(stream, c.hw.dve_min_ii_cycles + c.hw.dve_static_overhead_cycles));
}

namespace {

bool inner_contiguous(const isa::AccessPattern& ap) { return innermost_stride(ap) == 1; }

// v3 perf mode for tensor_copy / tensor_scalar (§1.4): 4x SBUF->SBUF with BF16/FP16 in and out and a
// contiguous innermost dimension; 2x for the same but non-contiguous, or with one side in PSUM.
double copy_perf_mode(const isa::AccessPattern& dst, const isa::AccessPattern& src, const HwConfig& hw) {
  if (!is_16bit_float(dst.dtype) || !is_16bit_float(src.dtype)) {
    return 1.0;
  }
  const bool dst_sbuf = dst.mem == isa::MemKind::kSbuf, src_sbuf = src.mem == isa::MemKind::kSbuf;
  if (dst_sbuf && src_sbuf) {
    return inner_contiguous(dst) && inner_contiguous(src) ? hw.dve_perf_mode_4x_factor
                                                          : hw.dve_perf_mode_2x_factor;
  }
  return dst_sbuf != src_sbuf ? hw.dve_perf_mode_2x_factor : 1.0;
}

// ScalarE runs tensor_copy / tensor_scalar like a one-input activation; v4 does BF16/FP16 at 2x (§1.5).
uint64_t act_copy_cycles(const isa::AccessPattern& dst, const isa::AccessPattern& src, const CostContext& c) {
  const bool fast = is_16bit_float(dst.dtype) && is_16bit_float(src.dtype);
  return act_cycles(dst.free_size(), fast ? c.hw.act_bf16_perf_factor : 1.0, c);
}

// tensor_copy / tensor_scalar: max(MIN_II, N) on DVE with the perf modes (one op costs the same as
// two, §3); ScalarE or GpSimd formulas on those engines.
InstructionCost copy_like(const isa::AccessPattern& dst, const isa::AccessPattern& src,
                          const CostContext& c) {
  switch (c.engine) {
    case isa::Engine::kAct:
      return cycles_only(act_copy_cycles(dst, src, c));
    case isa::Engine::kPool:
      return cycles_only(pool_cycles(dst.free_size(), 1, c));
    default:
      return cycles_only(dve_cycles(dst.free_size(), 1.0, copy_perf_mode(dst, src, c.hw), c));
  }
}

}  // namespace

// tensor_tensor (§3): one pass if one input is in PSUM, or both are in SBUF, all BF16, the op is
// add/multiply/subtract and access is contiguous; otherwise two passes. v3 perf mode 2x when both
// inputs are in SBUF and everything is BF16/FP16 (§1.4). On GpSimd: one pass per input.
InstructionCost cost_of(const isa::TensorTensor& op, const CostContext& c) {
  const int64_t n = op.dst.free_size();
  if (c.engine == isa::Engine::kPool) {
    return cycles_only(pool_cycles(n, 2, c));
  }
  const bool a_psum = op.a.mem == isa::MemKind::kPsum, b_psum = op.b.mem == isa::MemKind::kPsum;
  const bool both_sbuf = op.a.mem == isa::MemKind::kSbuf && op.b.mem == isa::MemKind::kSbuf;
  const bool all_bf16 =
      op.a.dtype == DType::kBFloat16 && op.b.dtype == DType::kBFloat16 && op.dst.dtype == DType::kBFloat16;
  const bool simple_op =
      op.op == isa::AluOp::kAdd || op.op == isa::AluOp::kMultiply || op.op == isa::AluOp::kSubtract;
  const bool contiguous = inner_contiguous(op.a) && inner_contiguous(op.b) && inner_contiguous(op.dst);
  const double passes = (a_psum || b_psum || (both_sbuf && all_bf16 && simple_op && contiguous)) ? 1.0 : 2.0;
  const bool all_16bit =
      is_16bit_float(op.a.dtype) && is_16bit_float(op.b.dtype) && is_16bit_float(op.dst.dtype);
  const double perf = both_sbuf && all_16bit ? c.hw.dve_perf_mode_2x_factor : 1.0;
  return cycles_only(dve_cycles(n, passes, perf, c));
}

InstructionCost cost_of(const isa::TensorScalar& op, const CostContext& c) {
  return copy_like(op.dst, op.src, c);
}

InstructionCost cost_of(const isa::TensorCopy& op, const CostContext& c) {
  return copy_like(op.dst, op.src, c);
}

// scalar_tensor_tensor (§3): N if BF16 subtract -> multiply with N even, otherwise 2N.
InstructionCost cost_of(const isa::ScalarTensorTensor& op, const CostContext& c) {
  const int64_t n = op.dst.free_size();
  const bool bf16 = op.src.dtype == DType::kBFloat16 && op.tensor.dtype == DType::kBFloat16 &&
                    op.dst.dtype == DType::kBFloat16;
  const bool one_pass =
      bf16 && op.op0 == isa::AluOp::kSubtract && op.op1 == isa::AluOp::kMultiply && n % 2 == 0;
  return cycles_only(dve_cycles(n, one_pass ? 1.0 : 2.0, 1.0, c));
}

// tensor_reduce (§3): N/2 if BF16 in and out with add or max, otherwise N (N = elements read).
InstructionCost cost_of(const isa::TensorReduce& op, const CostContext& c) {
  const bool half = op.src.dtype == DType::kBFloat16 && op.dst.dtype == DType::kBFloat16 &&
                    (op.op == isa::AluOp::kAdd || op.op == isa::AluOp::kMax);
  return cycles_only(dve_cycles(op.src.free_size(), half ? 0.5 : 1.0, 1.0, c));
}

// memset (§3): max(MIN_II, N/2) for a zero fill of BF16/FP16, otherwise max(MIN_II, N); GpSimd 150 + N.
InstructionCost cost_of(const isa::Memset& op, const CostContext& c) {
  const int64_t n = op.dst.free_size();
  if (c.engine == isa::Engine::kPool) {
    return cycles_only(pool_cycles(n, 1, c));
  }
  const bool half = op.value == 0.0f && is_16bit_float(op.dst.dtype);
  return cycles_only(dve_cycles(n, half ? 0.5 : 1.0, 1.0, c));
}

// nc_stream_shuffle (§3): max(MIN_II, N).
InstructionCost cost_of(const isa::StreamShuffle& op, const CostContext& c) {
  return cycles_only(dve_cycles(op.dst.free_size(), 1.0, 1.0, c));
}

// reciprocal at full precision on DVE (§3): max(MIN_II, 8N).
InstructionCost cost_of(const isa::Reciprocal& op, const CostContext& c) {
  return cycles_only(dve_cycles(op.dst.free_size(), 8.0, 1.0, c));
}

// range_select (§3): max(MIN_II, N).
InstructionCost cost_of(const isa::RangeSelect& op, const CostContext& c) {
  return cycles_only(dve_cycles(op.dst.free_size(), 1.0, 1.0, c));
}

// tensor_scalar_reduce (§3): max(MIN_II, N) + MIN_II.
InstructionCost cost_of(const isa::TensorScalarReduce& op, const CostContext& c) {
  return cycles_only(dve_cycles(op.src.free_size(), 1.0, 1.0, c) + uint64_t(c.hw.dve_min_ii_cycles));
}

}  // namespace tn::timing::rules
