#include <doctest/doctest.h>

#include <bit>

#include "sim/func/tests/bench.hpp"

namespace tn::sim {

using isa::LoadStationary;
using isa::MultiplyMoving;
using isa::PeTranspose;
using isa::psum_ap;
using isa::sbuf_ap;
using test::Bench;

TEST_CASE("pe: multiply_moving computes stationary^T @ moving with accumulate chains") {
  Bench b(isa::Engine::kPe, "pe");
  // stationary [K=3, M=2], moving [K=3, N=4] (fp32, small integers: exact).
  const std::vector<float> st = {1, 2, 3, 4, 5, 6};
  const std::vector<float> mv = {1, 0, -1, 2, 3, 1, 0, -2, 0.5f, 4, 2, 1};
  auto st_ap = sbuf_ap(DType::kFloat32, 0, 0, 3, {{1, 2}});
  auto mv_ap = sbuf_ap(DType::kFloat32, 64, 0, 3, {{1, 4}});
  auto dst = psum_ap(DType::kFloat32, 0, 0, 2, {{1, 4}});
  b.put(st_ap, st);
  b.put(mv_ap, mv);
  std::vector<float> want(8);
  for (int m = 0; m < 2; ++m) {
    for (int n = 0; n < 4; ++n) {
      double s = 0;
      for (int k = 0; k < 3; ++k) {
        s += double(st[k * 2 + m]) * mv[k * 4 + n];
      }
      want[m * 4 + n] = float(s);
    }
  }
  b.exec(LoadStationary{st_ap});
  b.exec(MultiplyMoving{dst, mv_ap, false});
  CHECK(b.get(dst) == want);
  // Accumulating twice more triples it; a fresh overwrite resets it.
  b.exec(MultiplyMoving{dst, mv_ap, true});
  b.exec(MultiplyMoving{dst, mv_ap, true});
  std::vector<float> triple = want;
  for (float& v : triple) {
    v *= 3;
  }
  CHECK(b.get(dst) == triple);
  b.exec(MultiplyMoving{dst, mv_ap, false});
  CHECK(b.get(dst) == want);
}

TEST_CASE("pe: sums run in k order in fp32 into a fresh accumulator, then add to PSUM") {
  Bench b(isa::Engine::kPe, "pe");
  auto st_ap = sbuf_ap(DType::kFloat32, 0, 0, 3, {});
  auto mv_ap = sbuf_ap(DType::kFloat32, 16, 0, 3, {});
  auto dst = psum_ap(DType::kFloat32, 0, 0, 1, {});
  b.put(st_ap, {1, 1, 1});
  // ((0 + 1e8) + 1) + -1e8 == 0 in fp32 (1e8 + 1 rounds back to 1e8); any other order or a wider
  // accumulator gives 1.
  b.put(mv_ap, {1e8f, 1.0f, -1e8f});
  b.exec(LoadStationary{st_ap});
  b.exec(MultiplyMoving{dst, mv_ap, false});
  CHECK(b.get(dst) == std::vector<float>{0.0f});
  // With accumulate the fresh sum (0) is added to PSUM (1), not summed on top of it term by term
  // (which would give ((1 + 1e8) + 1) - 1e8 = 0).
  b.put(dst, {1.0f});
  b.exec(MultiplyMoving{dst, mv_ap, true});
  CHECK(b.get(dst) == std::vector<float>{1.0f});
}

TEST_CASE("pe: bf16 inputs give exact fp32 products, partition offsets are relative") {
  Bench b(isa::Engine::kPe, "pe");
  const float x = 1.0f + 0x1p-7f;  // exact in bf16
  // stationary [K=2, M=2] at partitions 32..33, moving [K=2, N=3] at 64..65, dst at PSUM 96..97.
  auto st_ap = sbuf_ap(DType::kBFloat16, 128, 32, 2, {{1, 2}});
  auto mv_ap = sbuf_ap(DType::kBFloat16, 256, 64, 2, {{1, 3}});
  auto dst = psum_ap(DType::kFloat32, 2048, 96, 2, {{1, 3}});
  b.put(st_ap, {x, 1, 0, 2});
  b.put(mv_ap, {x, 2, 3, 1, -1, 4});
  b.exec(LoadStationary{st_ap});
  b.exec(MultiplyMoving{dst, mv_ap, false});
  // x * x = 1 + 2^-6 + 2^-14 needs 15 mantissa bits: kept by the fp32 product, lost in bf16.
  CHECK(b.get(dst) == std::vector<float>{x * x, 2 * x, 3 * x, x + 2, 2 - 2, 3 + 8});
  CHECK(x * x == 1.0f + 0x1p-6f + 0x1p-14f);
  CHECK(b.core.stationary_rows == 2);
  CHECK(b.core.stationary_cols == 2);
}

TEST_CASE("pe: accumulating onto unwritten PSUM and multiplying without a stationary are errors") {
  Bench b(isa::Engine::kPe, "pe");
  auto st_ap = sbuf_ap(DType::kBFloat16, 0, 0, 1, {{1, 1}});
  auto mv_ap = sbuf_ap(DType::kBFloat16, 64, 0, 1, {{1, 2}});
  auto dst = psum_ap(DType::kFloat32, 0, 0, 1, {{1, 2}});
  b.put(st_ap, {1});
  b.put(mv_ap, {1, 2});
  CHECK_THROWS_WITH_AS(b.exec(MultiplyMoving{dst, mv_ap, false}),
                       "pe[0] multiply_moving (kernel.cpp:10): no load_stationary has loaded the PE array",
                       ExecutionError);
  b.exec(LoadStationary{st_ap});
  CHECK_THROWS_WITH_AS(
      b.exec(MultiplyMoving{dst, mv_ap, true}),
      "pe[2] multiply_moving (kernel.cpp:12): dst reads uninitialised psum partition 0 bytes [0, 4)",
      ExecutionError);
}

TEST_CASE("pe: transpose keeps bits exactly, or widens to fp32") {
  Bench b(isa::Engine::kPe, "pe");
  auto src = sbuf_ap(DType::kBFloat16, 0, 0, 2, {{1, 3}});
  // Raw bf16 words, including a NaN with a payload and -0.
  const std::vector<uint16_t> words = {0x3f80, 0x7fc1, 0x8000, 0x4040, 0xff80, 0x0001};
  b.io().write_raw(src, "src", test::bytes_of(words).data());
  auto dst = psum_ap(DType::kBFloat16, 0, 0, 3, {{1, 2}});
  b.exec(PeTranspose{dst, src});
  CHECK(b.get_raw(dst) ==
        test::bytes_of(std::vector<uint16_t>{0x3f80, 0x4040, 0x7fc1, 0xff80, 0x8000, 0x0001}));
  auto dst32 = psum_ap(DType::kFloat32, 64, 0, 3, {{1, 2}});
  b.put(src, {1, 2, 3, 4, 5, 6});
  b.exec(PeTranspose{dst32, src});
  CHECK(b.get(dst32) == std::vector<float>{1, 4, 2, 5, 3, 6});
}

}  // namespace tn::sim
