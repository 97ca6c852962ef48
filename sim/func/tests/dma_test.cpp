#include <doctest/doctest.h>

#include "sim/func/tests/bench.hpp"

namespace tn::sim {

using isa::DmaCopy;
using isa::DmaTranspose;
using isa::hbm_ap;
using isa::sbuf_ap;
using isa::TensorKind;
using test::Bench;

TEST_CASE("dma: copies cast src -> fp32 -> dst with round to nearest even") {
  Bench b(isa::Engine::kDma, "qSyncIO0");
  const float tie_down = 1.0f + 0x1p-8f, tie_up = 1.0f + 3 * 0x1p-8f, above = 1.0f + 0x1p-8f + 0x1p-20f;
  int32_t in = b.tensor("in", DType::kFloat32, {4}, TensorKind::kInput, {1.0f, tie_down, tie_up, above});
  int32_t out = b.tensor("out", DType::kFloat32, {4}, TensorKind::kOutput);
  auto s = sbuf_ap(DType::kBFloat16, 0, 0, 1, {{1, 4}});
  b.exec(DmaCopy{s, hbm_ap(in, DType::kFloat32, 0, {4, 1}, {{1, 4}})});
  const std::vector<float> want = {1.0f, 1.0f, 1.0f + 0x1p-6f, 1.0f + 0x1p-7f};
  CHECK(b.get(s) == want);
  b.exec(DmaCopy{hbm_ap(out, DType::kFloat32, 0, {4, 1}, {{1, 4}}), s});
  CHECK(b.hbm.read("out") == want);
  // int32 -> fp32 (kernels.md §7.1 item 7: cp_offset arrives as int32).
  int32_t ints = b.tensor("ints", DType::kInt32, {2}, TensorKind::kInput, {-7, 65536});
  auto f = sbuf_ap(DType::kFloat32, 64, 0, 2, {});
  b.exec(DmaCopy{f, hbm_ap(ints, DType::kInt32, 0, {1, 2}, {})});
  CHECK(b.get(f) == std::vector<float>{-7, 65536});
}

TEST_CASE("dma: strided and broadcast HBM patterns, and shapes that differ") {
  Bench b(isa::Engine::kDma, "qSyncIO0");
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) {
    v[i] = float(i);
  }
  int32_t x = b.tensor("x", DType::kFloat32, {4, 6}, TensorKind::kInput, v);
  auto even_cols = sbuf_ap(DType::kFloat32, 0, 0, 4, {{1, 3}});
  b.exec(DmaCopy{even_cols, hbm_ap(x, DType::kFloat32, 0, {6, 4}, {{2, 3}})});
  CHECK(b.get(even_cols) == std::vector<float>{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22});
  // Row 1 broadcast to 3 partitions (partition stride 0).
  auto rows = sbuf_ap(DType::kFloat32, 64, 0, 3, {{1, 6}});
  b.exec(DmaCopy{rows, hbm_ap(x, DType::kFloat32, 6, {0, 3}, {{1, 6}})});
  const auto got = b.get(rows);
  for (int p = 0; p < 3; ++p) {
    for (int f = 0; f < 6; ++f) {
      CHECK(got[p * 6 + f] == float(6 + f));
    }
  }
  // [1 x 6] on chip into a [2 x 3] HBM window: element i to element i.
  int32_t y = b.tensor("y", DType::kFloat32, {2, 3}, TensorKind::kOutput);
  b.exec(
      DmaCopy{hbm_ap(y, DType::kFloat32, 0, {3, 2}, {{1, 3}}), sbuf_ap(DType::kFloat32, 64, 1, 1, {{1, 6}})});
  CHECK(b.hbm.read("y") == std::vector<float>{6, 7, 8, 9, 10, 11});
  CHECK_THROWS_WITH_AS(b.exec(DmaCopy{hbm_ap(y, DType::kFloat32, 0, {3, 2}, {{1, 3}}), even_cols}),
                       "qSyncIO0[3] dma_copy (kernel.cpp:13): dst has 6 elements, src 12", ExecutionError);
}

TEST_CASE("dma: HBM -> HBM copies, here transposing through the patterns") {
  Bench b(isa::Engine::kDma, "qSyncIO0");
  int32_t a = b.tensor("a", DType::kBFloat16, {2, 3}, TensorKind::kInput, {1, 2, 3, 4, 5, 6});
  int32_t t = b.tensor("t", DType::kBFloat16, {3, 2}, TensorKind::kInternal);
  // src walks a row by row; dst puts a's row i into t's column i.
  b.exec(DmaCopy{hbm_ap(t, DType::kBFloat16, 0, {1, 2}, {{2, 3}}),
                 hbm_ap(a, DType::kBFloat16, 0, {3, 2}, {{1, 3}})});
  CHECK(b.hbm.read("t") == std::vector<float>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("dma: dma_transpose moves raw 16-bit values to dst(f, p)") {
  Bench b(isa::Engine::kDma, "qSyncIO0");
  int32_t a = b.tensor("a", DType::kBFloat16, {2, 3}, TensorKind::kInput, {1, 2, 3, 4, 5, 6});
  auto dst = sbuf_ap(DType::kBFloat16, 0, 0, 3, {{1, 2}});
  b.exec(DmaTranspose{dst, hbm_ap(a, DType::kBFloat16, 0, {3, 2}, {{1, 3}})});
  CHECK(b.get(dst) == std::vector<float>{1, 4, 2, 5, 3, 6});
  // SBUF -> SBUF with a 2-d source [2, [[2,2],[1,2]]] flattened to [2, 4]; fp16 NaN payload survives.
  auto src = sbuf_ap(DType::kFloat16, 64, 0, 2, {{2, 2}, {1, 2}});
  const std::vector<uint16_t> words = {0x3c00, 0x7e01, 0x0001, 0x8000, 0x4000, 0x4200, 0xfc00, 0x7c00};
  b.io().write_raw(src, "src", test::bytes_of(words).data());
  auto dst2 = sbuf_ap(DType::kFloat16, 128, 0, 4, {{1, 2}});
  b.exec(DmaTranspose{dst2, src});
  CHECK(b.get_raw(dst2) == test::bytes_of(std::vector<uint16_t>{0x3c00, 0x4000, 0x7e01, 0x4200, 0x0001,
                                                                0xfc00, 0x8000, 0x7c00}));
  // 4-byte dtypes transpose too (hardware.md §1.8); 1-byte ones do not.
  auto f32 = sbuf_ap(DType::kFloat32, 256, 0, 2, {{1, 2}});
  b.put(f32, {1, 2, 3, 4});
  auto f32_dst = sbuf_ap(DType::kFloat32, 512, 0, 2, {{1, 2}});
  b.exec(DmaTranspose{f32_dst, f32});
  CHECK(b.get(f32_dst) == std::vector<float>{1, 3, 2, 4});
  auto u8 = sbuf_ap(DType::kUInt8, 768, 0, 2, {{1, 2}});
  b.put(u8, {1, 2, 3, 4});
  CHECK_THROWS_WITH_AS(b.exec(DmaTranspose{sbuf_ap(DType::kUInt8, 800, 0, 2, {{1, 2}}), u8}),
                       doctest::Contains("DMA transpose moves a 2- or 4-byte dtype unchanged; src is uint8"),
                       ExecutionError);
}

TEST_CASE("dma: the blocked transpose moves each block of the innermost dim to the partitions") {
  Bench b(isa::Engine::kDma, "qSyncIO0");
  // src [2 partitions, 3 blocks, 2]: src[p][b][f] = 10 p + 3 b... as values 0..11 in [P, B, F] order.
  auto src = sbuf_ap(DType::kBFloat16, 0, 0, 2, {{2, 3}, {1, 2}});
  b.put(src, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  // dst [2 partitions (f), 3 blocks, 2 (p)]: dst[f][b][p] = src[p][b][f].
  auto dst = sbuf_ap(DType::kBFloat16, 64, 0, 2, {{2, 3}, {1, 2}});
  b.exec(DmaTranspose{dst, src});
  CHECK(b.get(dst) == std::vector<float>{0, 6, 2, 8, 4, 10, 1, 7, 3, 9, 5, 11});
}

TEST_CASE("dma: a PE transpose has only the plain form") {
  Bench b(isa::Engine::kPe, "Tensor");
  auto src = sbuf_ap(DType::kBFloat16, 0, 0, 2, {{2, 3}, {1, 2}});
  b.put(src, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  CHECK_THROWS_WITH_AS(
      b.exec(isa::PeTranspose{isa::psum_ap(DType::kBFloat16, 0, 0, 2, {{2, 3}, {1, 2}}), src}),
      doctest::Contains("dst is [2 x 6] but must be [6 x 2]"), ExecutionError);
}

}  // namespace tn::sim
