#include "sim/func/matmul_kernel.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace tn::sim {

namespace {

// The definition the kernel must match bit for bit: each output summed in k order from +0.0f.
std::vector<float> scalar_matmul(const std::vector<float>& st, const std::vector<float>& mv, int64_t K,
                                 int64_t M, int64_t N) {
  std::vector<float> out(static_cast<size_t>(M * N));
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      float acc = 0.0f;
      for (int64_t k = 0; k < K; ++k) {
        acc += st[k * M + m] * mv[k * N + n];
      }
      out[m * N + n] = acc;
    }
  }
  return out;
}

// Values whose products and sums round, overflow and underflow: wide exponents, subnormals, signed zeros,
// infinities and NaNs among ordinary numbers.
std::vector<float> awkward_values(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> mantissa(-2.0f, 2.0f);
  std::uniform_int_distribution<int> exponent(-140, 120), pick(0, 99);
  std::vector<float> v(count);
  for (float& x : v) {
    const int p = pick(rng);
    if (p == 0) {
      x = -0.0f;
    } else if (p == 1) {
      x = std::numeric_limits<float>::infinity();
    } else if (p == 2) {
      x = std::numeric_limits<float>::quiet_NaN();
    } else if (p == 3) {
      x = std::numeric_limits<float>::denorm_min() * float(pick(rng));
    } else if (p < 20) {
      x = std::ldexp(mantissa(rng), exponent(rng));
    } else {
      x = mantissa(rng);
    }
  }
  return v;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("matmul kernel: bit-identical to the k-ordered scalar loop for every shape's blocks and tails") {
  // PE shapes (128 x 128 x 512), and shapes that exercise every remainder: rows not a multiple of 4,
  // columns with a 16-wide block and a scalar tail, a single row, column or contraction step.
  const int64_t shapes[][3] = {{128, 128, 512}, {128, 128, 64}, {7, 5, 83},  {1, 1, 1},
                               {3, 9, 16},      {64, 1, 130},   {2, 130, 17}};
  uint32_t seed = 1;
  for (const auto& s : shapes) {
    const int64_t K = s[0], M = s[1], N = s[2];
    CAPTURE(K);
    CAPTURE(M);
    CAPTURE(N);
    const std::vector<float> st = awkward_values(size_t(K * M), seed++);
    const std::vector<float> mv = awkward_values(size_t(K * N), seed++);
    std::vector<float> out(size_t(M * N), 12345.0f);
    matmul_k_ordered(st.data(), mv.data(), out.data(), K, M, N);
    CHECK(bit_equal(out, scalar_matmul(st, mv, K, M, N)));
  }
}

TEST_CASE("matmul kernel: the order of the sum is k's: a cancellation that another order would not give") {
  // 1e8 + 1 - 1e8 in k order is 0 in fp32 (1e8 + 1 rounds back to 1e8); summed as 1e8 - 1e8 + 1 it is 1.
  const std::vector<float> st = {1.0f, 1.0f, 1.0f};
  const std::vector<float> mv = {1e8f, 1.0f, -1e8f};
  float out = -1.0f;
  matmul_k_ordered(st.data(), mv.data(), &out, 3, 1, 1);
  CHECK(out == 0.0f);
  // A lone -0 product summed onto the fresh +0 accumulator gives +0, as the hardware's zeroed accumulator.
  const float neg = -0.0f, one = 1.0f;
  matmul_k_ordered(&one, &neg, &out, 1, 1, 1);
  CHECK_FALSE(std::signbit(out));
}

}  // namespace tn::sim
