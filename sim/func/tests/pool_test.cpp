#include <doctest/doctest.h>

#include "sim/func/tests/bench.hpp"

namespace tn::sim {

using isa::CmpOp;
using isa::kFmin;
using isa::sbuf_ap;
using test::Bench;

TEST_CASE("pool: iota = base + p * channel_multiplier + sum steps * i, p relative to the first partition") {
  Bench b(isa::Engine::kPool, "pool");
  auto dst = sbuf_ap(DType::kInt32, 0, 64, 3, {{4, 2}, {1, 4}});
  b.exec(isa::Iota{dst, 5, 100, {10, 1, 0, 0}});
  std::vector<float> want;
  for (int p = 0; p < 3; ++p) {
    for (int i0 = 0; i0 < 2; ++i0) {
      for (int i1 = 0; i1 < 4; ++i1) {
        want.push_back(float(5 + 100 * p + 10 * i0 + i1));
      }
    }
  }
  CHECK(b.get(dst) == want);

  auto f = sbuf_ap(DType::kFloat32, 64, 0, 2, {{1, 3}});
  b.exec(isa::Iota{f, -3, -1, {2, 0, 0, 0}});
  CHECK(b.get(f) == std::vector<float>{-3, -1, 1, -4, -2, 0});
  // Cast on write: 257 is a bf16 tie and rounds to even (256).
  auto h = sbuf_ap(DType::kBFloat16, 128, 0, 1, {{1, 2}});
  b.exec(isa::Iota{h, 257, 0, {1, 0, 0, 0}});
  CHECK(b.get(h) == std::vector<float>{256, 258});
}

TEST_CASE("pool: affine_select builds a causal mask with fill, p relative to dst's first partition") {
  Bench b(isa::Engine::kPool, "pool");
  auto src = sbuf_ap(DType::kFloat32, 0, 32, 4, {{1, 4}});
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) {
    v[i] = float(i + 1);
  }
  b.put(src, v);
  auto dst = sbuf_ap(DType::kFloat32, 64, 32, 4, {{1, 4}});
  // keep where p - f >= 0 (the diagonal and below).
  b.exec(isa::AffineSelect{dst, src, 0, 1, {-1, 0, 0, 0}, CmpOp::kGe, kFmin});
  const float M = kFmin;
  CHECK(b.get(dst) == std::vector<float>{1, M, M, M, 5, 6, M, M, 9, 10, 11, M, 13, 14, 15, 16});
  // The same with gt: -1 + p - f > 0 keeps f < p - 1.
  auto dst2 = sbuf_ap(DType::kFloat32, 128, 32, 4, {{1, 4}});
  b.exec(isa::AffineSelect{dst2, src, -1, 1, {-1, 0, 0, 0}, CmpOp::kGt, -1.0f});
  CHECK(b.get(dst2) == std::vector<float>{-1, -1, -1, -1, -1, -1, -1, -1, 9, -1, -1, -1, 13, 14, -1, -1});
  // Strictly below the diagonal, in place, with a 2-d pattern: keep where -1 + p - (2 * i0 + i1) >= 0.
  auto src2 = sbuf_ap(DType::kFloat32, 0, 32, 4, {{2, 2}, {1, 2}});
  b.exec(isa::AffineSelect{src2, src2, -1, 1, {-2, -1, 0, 0}, CmpOp::kGe, -1.0f});
  CHECK(b.get(src) == std::vector<float>{-1, -1, -1, -1, 5, -1, -1, -1, 9, 10, -1, -1, 13, 14, 15, -1});
}

}  // namespace tn::sim
