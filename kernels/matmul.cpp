#include "kernels/matmul.hpp"

#include "kernels/builder/program_builder.hpp"

namespace tn::kernels {

using namespace isa;

namespace {
constexpr int64_t kTileK = 128, kTileM = 128, kTileN = 512;
constexpr int64_t kMaxExtent = int64_t{1} << 24;
// The NKI tutorial's blocks: TILES_IN_BLOCK_M = 16, TILES_IN_BLOCK_N = 2, TILES_IN_BLOCK_K = 8.
constexpr int64_t kTilesInBlockM = 16, kTilesInBlockN = 2, kTilesInBlockK = 8;
constexpr int64_t kBlockM = kTileM * kTilesInBlockM, kBlockN = kTileN * kTilesInBlockN,
                  kBlockK = kTileK * kTilesInBlockK;

// Bytes per partition the blocked schedule holds: C's row blocks of this column block, two lhsT and two rhs
// blocks (loads alternate between them), and two packed output tiles.
int64_t blocked_sbuf_bytes(const MatmulParams& p) {
  const int64_t e = dtype_size(p.dtype);
  return (p.m / kBlockM) * kTilesInBlockM * kBlockN * e + 2 * kTilesInBlockK * kBlockM * e +
         2 * kTilesInBlockK * kBlockN * e + 2 * kBlockN * e;
}
}  // namespace

void check_matmul_params(const MatmulParams& p, const MemoryLimits& limits) {
  auto reject = [](const std::string& param, const std::string& rule) {
    throw KernelParamError("matmul: " + param + ": " + rule);
  };
  if (p.dtype != DType::kBFloat16 && p.dtype != DType::kFloat16 && p.dtype != DType::kFloat32) {
    reject("dtype", "must be bfloat16, float16 or float32");
  }
  if (p.schedule == MatmulSchedule::kBlocked) {
    // The tutorial's asserts: M % BLOCK_M, N % BLOCK_N and K % BLOCK_K are 0.
    if (p.m <= 0 || p.m % kBlockM || p.m > kMaxExtent)
      reject("m", "the blocked schedule needs a positive multiple of 2048, at most 2^24");
    if (p.k <= 0 || p.k % kBlockK || p.k > kMaxExtent)
      reject("k", "the blocked schedule needs a positive multiple of 1024, at most 2^24");
    if (p.n <= 0 || p.n % kBlockN || p.n > kMaxExtent)
      reject("n", "the blocked schedule needs a positive multiple of 1024, at most 2^24");
    if (blocked_sbuf_bytes(p) > limits.sbuf_partition_bytes) {
      reject("m", "the blocked schedule accumulates M = " + std::to_string(p.m) +
                      " rows of C in SBUF: needs " + std::to_string(blocked_sbuf_bytes(p)) +
                      " bytes per partition, more than the " + std::to_string(limits.sbuf_partition_bytes));
    }
    return;
  }
  // Each extent bounded before the SBUF-fit product below (2^24: far past any shape SBUF or HBM holds).
  if (p.m <= 0 || p.m % kTileM || p.m > kMaxExtent)
    reject("m", "must be a positive multiple of 128, at most 2^24");
  if (p.k <= 0 || p.k % kTileK || p.k > kMaxExtent)
    reject("k", "must be a positive multiple of 128, at most 2^24");
  if (p.n <= 0 || p.n % kTileN || p.n > kMaxExtent)
    reject("n", "must be a positive multiple of 512, at most 2^24");
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
  if (p.schedule == MatmulSchedule::kBlocked) {
    // Per column block: a memset per row block; per K block the rhs loads, then per row block the lhsT
    // loads and per [128, 512] tile 8 matmuls (two instructions each) and an add; then per 128-row tile two
    // packing copies and a store.
    const double bm = double(p.m / kBlockM), bn = double(p.n / kBlockN), bk = double(p.k / kBlockK);
    const double tiles_per_block = double(kTilesInBlockM * kTilesInBlockN);
    return bn *
           (bm + bk * (kTilesInBlockK + bm * (kTilesInBlockK + tiles_per_block * (2 * kTilesInBlockK + 1))) +
            bm * kTilesInBlockM * (kTilesInBlockN + 1));
  }
  const double kt = static_cast<double>(p.k / kTileK), blocks = static_cast<double>(p.n / kTileN),
               tiles = static_cast<double>(p.m / kTileM);
  return kt + blocks * (kt + tiles * (2 * kt + 2));  // a matmul is a LoadStationary and a MultiplyMoving
}

namespace {

void build_blocked(ProgramBuilder& b, const MatmulParams& p, int32_t a_t, int32_t bm, int32_t c) {
  const int32_t lhs_queue = b.dma_queue("qSyncIO0");
  const int32_t rhs_queue = b.dma_queue("qSyncIO1");
  const int32_t store_queue = b.dma_queue("qSyncIO2");
  const int64_t blocks_m = p.m / kBlockM, blocks_n = p.n / kBlockN, blocks_k = p.k / kBlockK;
  // result[m block][bm tile][bn tile] = [128, 512] tiles of C's rows, in the input dtype (the tutorial's
  // result_tiles).
  Buffer result = b.sbuf("result_tiles", p.dtype, kTileM, {blocks_m, kTilesInBlockM, kTilesInBlockN, kTileN});
  Buffer lhs[2] = {b.sbuf("lhsT_tiles", p.dtype, kTileK, {kTilesInBlockK, kBlockM}),
                   b.sbuf("lhsT_tiles", p.dtype, kTileK, {kTilesInBlockK, kBlockM})};
  Buffer rhs[2] = {b.sbuf("rhs_tiles", p.dtype, kTileK, {kTilesInBlockK, kBlockN}),
                   b.sbuf("rhs_tiles", p.dtype, kTileK, {kTilesInBlockK, kBlockN})};
  Buffer packed[2] = {b.sbuf("result_packed", p.dtype, kTileM, {kBlockN}),
                      b.sbuf("result_packed", p.dtype, kTileM, {kBlockN})};
  const int64_t block_elements = kTilesInBlockM * kTilesInBlockN * kTileN;  // one m block, per partition
  int64_t lhs_loads = 0, rhs_loads = 0, tile_count = 0, stores = 0;
  for (int64_t n = 0; n < blocks_n; ++n) {
    for (int64_t m = 0; m < blocks_m; ++m)
      b.memset(reshape(result.ap, m * block_elements, {{1, block_elements}}), 0.0f);
    for (int64_t k = 0; k < blocks_k; ++k) {
      Buffer& rt = rhs[rhs_loads++ % 2];
      for (int64_t i = 0; i < kTilesInBlockK; ++i) {
        b.dma_copy(rhs_queue, reshape(rt.ap, i * kBlockN, {{1, kBlockN}}),
                   hbm_ap(bm, p.dtype, (k * kBlockK + i * kTileK) * p.n + n * kBlockN, {p.n, kTileK},
                          {{1, kBlockN}}));
      }
      for (int64_t m = 0; m < blocks_m; ++m) {
        Buffer& lt = lhs[lhs_loads++ % 2];
        for (int64_t i = 0; i < kTilesInBlockK; ++i) {
          b.dma_copy(lhs_queue, reshape(lt.ap, i * kBlockM, {{1, kBlockM}}),
                     hbm_ap(a_t, p.dtype, (k * kBlockK + i * kTileK) * p.m + m * kBlockM, {p.m, kTileK},
                            {{1, kBlockM}}));
        }
        for (int64_t tn = 0; tn < kTilesInBlockN; ++tn) {
          for (int64_t tm = 0; tm < kTilesInBlockM; ++tm, ++tile_count) {
            Buffer acc = b.psum_at_bank("res_tile", static_cast<int32_t>(tile_count % 8), DType::kFloat32,
                                        kTileM, {kTileN});
            for (int64_t i = 0; i < kTilesInBlockK; ++i) {
              b.matmul(acc.ap, reshape(lt.ap, i * kBlockM + tm * kTileM, {{1, kTileM}}),
                       reshape(rt.ap, i * kBlockN + tn * kTileN, {{1, kTileN}}), i > 0);
            }
            const AccessPattern tile =
                reshape(result.ap, m * block_elements + (tm * kTilesInBlockN + tn) * kTileN, {{1, kTileN}});
            b.tensor_tensor(tile, tile, acc.ap, AluOp::kAdd);
          }
        }
      }
    }
    // Each 128-row tile of C's column block, packed into [128, 1024] for one store.
    for (int64_t m = 0; m < blocks_m; ++m) {
      for (int64_t tm = 0; tm < kTilesInBlockM; ++tm) {
        Buffer& out = packed[stores++ % 2];
        for (int64_t tn = 0; tn < kTilesInBlockN; ++tn) {
          b.tensor_copy(
              reshape(out.ap, tn * kTileN, {{1, kTileN}}),
              reshape(result.ap, m * block_elements + (tm * kTilesInBlockN + tn) * kTileN, {{1, kTileN}}));
        }
        b.dma_copy(store_queue,
                   hbm_ap(c, p.dtype, (m * kBlockM + tm * kTileM) * p.n + n * kBlockN, {p.n, kTileM},
                          {{1, kBlockN}}),
                   out.ap);
      }
    }
  }
}

}  // namespace

Program build_matmul(const MatmulParams& p, const MemoryLimits& limits) {
  check_matmul_params(p, limits);
  ProgramBuilder b("matmul", limits);
  const int32_t a_t = b.hbm_tensor("a_t", p.dtype, {p.k, p.m}, TensorKind::kInput);
  const int32_t bm = b.hbm_tensor("b", p.dtype, {p.k, p.n}, TensorKind::kInput);
  const int32_t c = b.hbm_tensor("c", p.c_dtype(), {p.m, p.n}, TensorKind::kOutput);
  if (p.schedule == MatmulSchedule::kBlocked) {
    build_blocked(b, p, a_t, bm, c);
    return b.finish();
  }
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
