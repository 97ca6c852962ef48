#include "kernels/matmul.hpp"

#include "kernels/builder/program_builder.hpp"

namespace tn::kernels {

using namespace isa;

namespace {
constexpr int64_t kTileK = 128, kTileM = 128, kTileN = 512;
constexpr int64_t kMaxExtent = int64_t{1} << 24;
}  // namespace

void check_matmul_params(const MatmulParams& p, const MemoryLimits& limits) {
  auto reject = [](const std::string& param, const std::string& rule) {
    throw KernelParamError("matmul: " + param + ": " + rule);
  };
  // Each extent bounded before the SBUF-fit product below (2^24: far past any shape SBUF or HBM holds).
  if (p.m <= 0 || p.m % kTileM || p.m > kMaxExtent)
    reject("m", "must be a positive multiple of 128, at most 2^24");
  if (p.k <= 0 || p.k % kTileK || p.k > kMaxExtent)
    reject("k", "must be a positive multiple of 128, at most 2^24");
  if (p.n <= 0 || p.n % kTileN || p.n > kMaxExtent)
    reject("n", "must be a positive multiple of 512, at most 2^24");
  if (p.dtype != DType::kBFloat16 && p.dtype != DType::kFloat16 && p.dtype != DType::kFloat32) {
    reject("dtype", "must be bfloat16, float16 or float32");
  }
  // A^T resident plus two B blocks and two output tiles per partition.
  const int64_t bytes = (p.k / kTileK) * p.m * dtype_size(p.dtype) +
                        2 * (p.k / kTileK) * kTileN * dtype_size(p.dtype) + 2 * kTileN * 4;
  if (bytes > limits.sbuf_partition_bytes) {
    reject("m, k", "A^T (" + std::to_string(p.k) + " x " + std::to_string(p.m) +
                       ") must stay resident in SBUF: needs " + std::to_string(bytes) +
                       " bytes per partition");
  }
}

double matmul_instruction_estimate(const MatmulParams& p) {
  const double kt = static_cast<double>(p.k / kTileK), blocks = static_cast<double>(p.n / kTileN),
               tiles = static_cast<double>(p.m / kTileM);
  return kt + blocks * (kt + tiles * (2 * kt + 2));  // a matmul is a LoadStationary and a MultiplyMoving
}

Program build_matmul(const MatmulParams& p, const MemoryLimits& limits) {
  check_matmul_params(p, limits);
  ProgramBuilder b("matmul", limits);
  const int32_t a_t = b.hbm_tensor("a_t", p.dtype, {p.k, p.m}, TensorKind::kInput);
  const int32_t bm = b.hbm_tensor("b", p.dtype, {p.k, p.n}, TensorKind::kInput);
  const int32_t c = b.hbm_tensor("c", DType::kFloat32, {p.m, p.n}, TensorKind::kOutput);
  const int32_t load_queue = b.dma_queue("qSyncIO0");
  const int32_t b_queue = b.dma_queue("qSyncIO1");
  const int32_t store_queue = b.dma_queue("qSyncIO2");
  const int64_t kt = p.k / kTileK;

  // A^T resident: k-tile i holds rows [128 i, 128 i + 128) of a_t, i.e. [128 partitions, M].
  Buffer a_sb = b.sbuf("a_t_sb", p.dtype, kTileK, {kt, p.m});
  for (int64_t i = 0; i < kt; ++i) {
    b.dma_copy(load_queue, reshape(a_sb.ap, i * p.m, {{1, p.m}}),
               hbm_ap(a_t, p.dtype, i * kTileK * p.m, {p.m, kTileK}, {{1, p.m}}));
  }
  Buffer b_sb[2] = {b.sbuf("b_sb", p.dtype, kTileK, {kt, kTileN}),
                    b.sbuf("b_sb", p.dtype, kTileK, {kt, kTileN})};
  Buffer c_sb[2] = {b.sbuf("c_sb", DType::kFloat32, kTileM, {kTileN}),
                    b.sbuf("c_sb", DType::kFloat32, kTileM, {kTileN})};
  int64_t tile_count = 0;
  for (int64_t nb = 0; nb < p.n / kTileN; ++nb) {
    Buffer& bt = b_sb[nb % 2];
    for (int64_t i = 0; i < kt; ++i) {
      b.dma_copy(b_queue, reshape(bt.ap, i * kTileN, {{1, kTileN}}),
                 hbm_ap(bm, p.dtype, i * kTileK * p.n + nb * kTileN, {p.n, kTileK}, {{1, kTileN}}));
    }
    for (int64_t mt = 0; mt < p.m / kTileM; ++mt, ++tile_count) {
      // Rotate over all 8 PSUM banks so PE never waits for the copy-out of the previous tile.
      Buffer acc =
          b.psum_at_bank("c_psum", static_cast<int32_t>(tile_count % 8), DType::kFloat32, kTileM, {kTileN});
      for (int64_t i = 0; i < kt; ++i) {
        b.matmul(acc.ap, reshape(a_sb.ap, i * p.m + mt * kTileM, {{1, kTileM}}),
                 reshape(bt.ap, i * kTileN, {{1, kTileN}}), i > 0);
      }
      // Alternate the PSUM copy-out between DVE and ACT, as tuned NKI kernels do, to keep up with PE.
      Buffer& ct = c_sb[tile_count % 2];
      if (tile_count % 2 == 0) {
        b.tensor_copy(ct.ap, acc.ap, Engine::kDve);
      } else {
        b.activation(ct.ap, acc.ap, ActFunc::kCopy);
      }
      b.dma_copy(store_queue,
                 hbm_ap(c, DType::kFloat32, mt * kTileM * p.n + nb * kTileN, {p.n, kTileM}, {{1, kTileN}}),
                 ct.ap);
    }
  }
  return b.finish();
}

}  // namespace tn::kernels
