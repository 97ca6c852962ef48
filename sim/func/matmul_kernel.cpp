// Register-blocked fp32 matmul (see the header for the exactness argument). A tile of Rows x (Vecs * 16)
// outputs lives in vector registers for the whole k loop, so each k step loads one row slice of `moving`
// and a few stationary scalars instead of streaming the whole output through the cache, which is what
// bounded the plain k, m, n loop (about 10 GFLOP/s on the CI machine class).
#include "sim/func/matmul_kernel.hpp"

#include "sim/numerics/register_tile.hpp"

namespace tn::sim {

namespace {

constexpr int64_t kLanes = num::RegisterTileTypes<float>::kLanes;  // 16
constexpr int64_t kRows = 4;  // 4 x 64 outputs = 16 zmm accumulators, leaving registers for the operands

// Outputs [m0, m0 + Rows) x [n0, n0 + Vecs * 16): rows of the result are stationary columns.
template <int64_t Rows, int64_t Vecs>
inline __attribute__((always_inline)) void tile(const float* stationary, const float* moving, float* out,
                                                int64_t K, int64_t M, int64_t N, int64_t m0, int64_t n0) {
  num::register_tile<float, Rows, Vecs>(stationary + m0, 1, M, moving + n0, N, K, out + m0 * N + n0, N,
                                        false);
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
    for (int64_t m = 0; m < M; ++m)
      out[m * N + n0] = num::ordered_dot(stationary + m, M, moving + n0, N, K);
  }
}

}  // namespace tn::sim
