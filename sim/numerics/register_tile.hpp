// The one register-blocked kernel behind the emulated tensor-engine multiply (sim/func/matmul_kernel) and
// the float64 attention reference (kernels/reference/attention_block): a Rows x (Vecs * lanes) block of
// outputs kept in vector registers while a sum of rank-1 updates streams through it.
//
// out[r][c] = (accumulate ? out[r][c] : +0) + sum over s = 0..steps-1, in that order, of
//             a[r * a_row + s * a_step] * b[s * b_step + c]
// with each product rounded and then added (the build uses -ffp-contract=off). Blocking changes which sums
// run together, never one sum's operations, so every output equals the plain scalar loop's bit for bit, at
// whatever vector width the including function's target clone has (GCC vector extensions: element-wise
// IEEE operations).
#pragma once
#include <cstdint>

namespace tn::num {

template <typename T>
struct RegisterTileTypes {
  typedef T Vec __attribute__((vector_size(64)));
  typedef T UnalignedVec __attribute__((vector_size(64), aligned(alignof(T))));
  static constexpr int64_t kLanes = 64 / sizeof(T);
};

template <typename T, int64_t Rows, int64_t Vecs>
inline __attribute__((always_inline)) void register_tile(const T* a, int64_t a_row, int64_t a_step,
                                                         const T* b, int64_t b_step, int64_t steps, T* out,
                                                         int64_t out_row, bool accumulate) {
  using Vec = typename RegisterTileTypes<T>::Vec;
  using UnalignedVec = typename RegisterTileTypes<T>::UnalignedVec;
  constexpr int64_t kLanes = RegisterTileTypes<T>::kLanes;
  // Fully unrolled, so the accumulators are registers rather than a stack array.
  Vec acc[Rows][Vecs];
#pragma GCC unroll 16
  for (int64_t r = 0; r < Rows; ++r) {
#pragma GCC unroll 16
    for (int64_t v = 0; v < Vecs; ++v) {
      acc[r][v] = accumulate ? *reinterpret_cast<const UnalignedVec*>(out + r * out_row + v * kLanes) : Vec{};
    }
  }
  for (int64_t s = 0; s < steps; ++s) {
    Vec bs[Vecs];
#pragma GCC unroll 16
    for (int64_t v = 0; v < Vecs; ++v) {
      bs[v] = *reinterpret_cast<const UnalignedVec*>(b + s * b_step + v * kLanes);
    }
#pragma GCC unroll 16
    for (int64_t r = 0; r < Rows; ++r) {
      const T ar = a[r * a_row + s * a_step];
#pragma GCC unroll 16
      for (int64_t v = 0; v < Vecs; ++v) {
        acc[r][v] += ar * bs[v];
      }
    }
  }
#pragma GCC unroll 16
  for (int64_t r = 0; r < Rows; ++r) {
#pragma GCC unroll 16
    for (int64_t v = 0; v < Vecs; ++v) {
      *reinterpret_cast<UnalignedVec*>(out + r * out_row + v * kLanes) = acc[r][v];
    }
  }
}

// One output of the same sum, for the rows and columns a tile does not cover: from +0, s ascending.
template <typename T>
inline T ordered_dot(const T* a, int64_t a_step, const T* b, int64_t b_step, int64_t steps) {
  T sum = 0;
  for (int64_t s = 0; s < steps; ++s)
    sum += a[s * a_step] * b[s * b_step];
  return sum;
}

}  // namespace tn::num
