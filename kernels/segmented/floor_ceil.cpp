#include "kernels/segmented/floor_ceil.hpp"

#include "kernels/attention_cte.hpp"

namespace tn::kernels {

using namespace isa;

namespace {

std::vector<int64_t> free_shape_of(const AccessPattern& ap) {
  std::vector<int64_t> shape;
  for (int i = 0; i < ap.ndim; ++i)
    shape.push_back(ap.dims[i].count);
  if (shape.empty())
    shape.push_back(1);
  return shape;
}

Program build_rounding_kernel(const char* name, const RoundingKernelParams& p, const MemoryLimits& limits,
                              void (*round)(ProgramBuilder&, const AccessPattern&, const AccessPattern&,
                                            Loc)) {
  if (p.p_size <= 0 || p.p_size > limits.num_partitions) {
    throw KernelParamError(std::string(name) + ": p_size: must be in 1.." +
                           std::to_string(limits.num_partitions));
  }
  // Bounded before any byte count is formed: one fp32 tile of f_size elements must fit a partition.
  const int64_t max_f_size = limits.sbuf_partition_bytes / 4;
  if (p.f_size <= 0 || p.f_size > max_f_size) {
    throw KernelParamError(std::string(name) + ": f_size: must be in 1.." + std::to_string(max_f_size) +
                           " (an fp32 tile of f_size elements per partition fits SBUF)");
  }
  try {
    ProgramBuilder b(name, limits);
    const int32_t x = b.hbm_tensor("x", DType::kFloat32, {p.p_size, p.f_size}, TensorKind::kInput);
    const int32_t out = b.hbm_tensor("out", DType::kInt32, {p.p_size, p.f_size}, TensorKind::kOutput);
    const int32_t queue = b.dma_queue("qSyncIO0");
    Buffer src = b.sbuf("src", DType::kFloat32, p.p_size, {p.f_size});
    Buffer dst = b.sbuf("dst", DType::kInt32, p.p_size, {p.f_size});
    b.dma_copy(queue, src.ap, hbm_ap(x, DType::kFloat32, 0, {p.f_size, p.p_size}, {{1, p.f_size}}));
    round(b, dst.ap, src.ap, Loc::current());
    b.dma_copy(queue, hbm_ap(out, DType::kInt32, 0, {p.f_size, p.p_size}, {{1, p.f_size}}), dst.ap);
    return b.finish();
  } catch (const AllocationError& e) {
    // The source, result and scratch tiles together: the builder knows their sizes, the message the
    // parameter.
    throw KernelParamError(std::string(name) + ": f_size: " + std::to_string(p.f_size) +
                           " elements per partition do not fit SBUF with the kernel's scratch tiles (" +
                           e.what() + ")");
  }
}

}  // namespace

void floor_nisa(ProgramBuilder& b, const AccessPattern& dst, const AccessPattern& src, Loc loc) {
  const auto mark = b.mark();
  const int32_t p = src.num_partitions;
  const auto shape = free_shape_of(src);
  const AccessPattern c = b.sbuf("floor_c", DType::kInt32, p, shape, 4, loc).ap;
  const AccessPattern cf = b.sbuf("floor_cf", DType::kFloat32, p, shape, 4, loc).ap;
  const AccessPattern cm1 = b.sbuf("floor_cm1", DType::kInt32, p, shape, 4, loc).ap;
  const AccessPattern gt = b.sbuf("floor_gt", DType::kInt8, p, shape, 4, loc).ap;
  const AccessPattern le = b.sbuf("floor_le", DType::kInt8, p, shape, 4, loc).ap;
  const AccessPattern t = b.sbuf("floor_t", DType::kInt32, p, shape, 4, loc).ap;
  b.tensor_copy(c, src, Engine::kDve, loc);  // c = int(x), truncating or rounding
  b.tensor_copy(cf, c, Engine::kDve, loc);   // cf = float(c)
  b.tensor_scalar(cm1, c, AluOp::kSubtract, imm(1.0f), AluOp::kBypass, imm(0.0f), false, false, Engine::kDve,
                  loc);                                           // cm1 = c - 1
  b.tensor_tensor(gt, cf, src, AluOp::kIsGt, Engine::kDve, loc);  // gt = cf > x (c rounded up)
  b.tensor_scalar(le, gt, AluOp::kBitwiseXor, imm(1.0f), AluOp::kBypass, imm(0.0f), false, false,
                  Engine::kDve,
                  loc);                                              // le = 1 - gt
  b.tensor_tensor(t, cm1, gt, AluOp::kMultiply, Engine::kDve, loc);  // t = (c - 1) * gt
  b.tensor_tensor(dst, c, le, AluOp::kMultiply, Engine::kDve, loc);  // dst = c * le
  b.tensor_tensor(dst, dst, t, AluOp::kAdd, Engine::kDve, loc);      // floor = (c-1)*gt + c*le
  b.release(mark);
}

void ceil_nisa(ProgramBuilder& b, const AccessPattern& dst, const AccessPattern& src, Loc loc) {
  const auto mark = b.mark();
  const auto shape = free_shape_of(src);
  const AccessPattern neg = b.sbuf("ceil_neg", DType::kFloat32, src.num_partitions, shape, 4, loc).ap;
  const AccessPattern fl = b.sbuf("ceil_floor", DType::kInt32, src.num_partitions, shape, 4, loc).ap;
  b.tensor_scalar(neg, src, AluOp::kMultiply, imm(-1.0f), AluOp::kBypass, imm(0.0f), false, false,
                  Engine::kDve, loc);
  floor_nisa(b, fl, neg, loc);
  b.tensor_scalar(dst, fl, AluOp::kMultiply, imm(-1.0f), AluOp::kBypass, imm(0.0f), false, false,
                  Engine::kDve, loc);
  b.release(mark);
}

Program build_floor_nisa_kernel(const RoundingKernelParams& p, const MemoryLimits& limits) {
  return build_rounding_kernel("floor_nisa_kernel", p, limits, floor_nisa);
}

Program build_ceil_nisa_kernel(const RoundingKernelParams& p, const MemoryLimits& limits) {
  return build_rounding_kernel("ceil_nisa_kernel", p, limits, ceil_nisa);
}

}  // namespace tn::kernels
