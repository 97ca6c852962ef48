// Register-blocked fp32 matmul (see the header for the exactness argument). A tile of Rows x (Vecs * 16)
// outputs lives in vector registers for the whole k loop, so each k step loads one row slice of `moving`
// and a few stationary scalars instead of streaming the whole output through the cache, which is what
// bounded the plain k, m, n loop (about 10 GFLOP/s on the CI machine class).
#include "sim/func/matmul_kernel.hpp"

namespace tn::sim {

namespace {

// GCC vector extension: element-wise IEEE operations, lowered to whatever width the clone targets.
using Vec = float __attribute__((vector_size(64)));
using UnalignedVec = float __attribute__((vector_size(64), aligned(4)));  // loads and stores anywhere
constexpr int64_t kLanes = 16;
constexpr int64_t kRows = 4;  // 4 x 64 outputs = 16 zmm accumulators, leaving registers for the operands

template <int64_t Rows, int64_t Vecs>
inline __attribute__((always_inline)) void tile(const float* stationary, const float* moving, float* out,
                                                int64_t K, int64_t M, int64_t N, int64_t m0, int64_t n0) {
  // Fully unrolled, so the accumulators are registers rather than a stack array.
  Vec acc[Rows][Vecs];
#pragma GCC unroll 16
  for (int64_t i = 0; i < Rows; ++i) {
#pragma GCC unroll 16
    for (int64_t j = 0; j < Vecs; ++j) {
      acc[i][j] = Vec{};  // +0.0f, as the scalar loop's fresh accumulator
    }
  }
  for (int64_t k = 0; k < K; ++k) {
    const UnalignedVec* row = reinterpret_cast<const UnalignedVec*>(moving + k * N + n0);
    Vec b[Vecs];
#pragma GCC unroll 16
    for (int64_t j = 0; j < Vecs; ++j) {
      b[j] = row[j];
    }
    const float* s = stationary + k * M + m0;
#pragma GCC unroll 16
    for (int64_t i = 0; i < Rows; ++i) {
      const float a = s[i];
#pragma GCC unroll 16
      for (int64_t j = 0; j < Vecs; ++j) {
        acc[i][j] += a * b[j];
      }
    }
  }
#pragma GCC unroll 16
  for (int64_t i = 0; i < Rows; ++i) {
    UnalignedVec* dst = reinterpret_cast<UnalignedVec*>(out + (m0 + i) * N + n0);
#pragma GCC unroll 16
    for (int64_t j = 0; j < Vecs; ++j) {
      dst[j] = acc[i][j];
    }
  }
}

template <int64_t Vecs>
inline __attribute__((always_inline)) void column_block(const float* stationary, const float* moving,
                                                        float* out, int64_t K, int64_t M, int64_t N,
                                                        int64_t n0) {
  int64_t m0 = 0;
  for (; m0 + kRows <= M; m0 += kRows) {
    tile<kRows, Vecs>(stationary, moving, out, K, M, N, m0, n0);
  }
  for (; m0 < M; ++m0) {
    tile<1, Vecs>(stationary, moving, out, K, M, N, m0, n0);
  }
}

}  // namespace

__attribute__((target_clones("avx512f", "avx2", "default"))) void matmul_k_ordered(const float* stationary,
                                                                                   const float* moving,
                                                                                   float* out, int64_t K,
                                                                                   int64_t M, int64_t N) {
  int64_t n0 = 0;
  for (; n0 + 4 * kLanes <= N; n0 += 4 * kLanes) {
    column_block<4>(stationary, moving, out, K, M, N, n0);
  }
  for (; n0 + kLanes <= N; n0 += kLanes) {
    column_block<1>(stationary, moving, out, K, M, N, n0);
  }
  for (; n0 < N; ++n0) {
    for (int64_t m = 0; m < M; ++m) {
      float acc = 0.0f;
      for (int64_t k = 0; k < K; ++k) {
        acc += stationary[k * M + m] * moving[k * N + n0];
      }
      out[m * N + n0] = acc;
    }
  }
}

}  // namespace tn::sim
