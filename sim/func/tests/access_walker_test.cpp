#include <doctest/doctest.h>

#include "sim/func/tests/bench.hpp"

namespace tn::sim {

using isa::hbm_ap;
using isa::psum_ap;
using isa::sbuf_ap;
using test::Bench;

TEST_CASE("access walker: elements in partition-major, free row-major order with strides and broadcast") {
  Bench b;
  // 2 partitions x 6 contiguous fp32 at byte 64.
  b.put(sbuf_ap(DType::kFloat32, 64, 4, 2, {{1, 6}}), {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15});
  // [[2,3]] picks every other element, [[3,2],[1,2]] a 2x2 window, [[0,2],[1,3]] repeats a row,
  // [[-1,6]] walks backwards from the last element.
  CHECK(b.get(sbuf_ap(DType::kFloat32, 64, 4, 2, {{2, 3}})) == std::vector<float>{0, 2, 4, 10, 12, 14});
  CHECK(b.get(sbuf_ap(DType::kFloat32, 64, 4, 2, {{3, 2}, {1, 2}})) ==
        std::vector<float>{0, 1, 3, 4, 10, 11, 13, 14});
  CHECK(b.get(sbuf_ap(DType::kFloat32, 68, 5, 1, {{0, 2}, {1, 3}})) ==
        std::vector<float>{11, 12, 13, 11, 12, 13});
  CHECK(b.get(sbuf_ap(DType::kFloat32, 64 + 20, 4, 1, {{-1, 6}})) == std::vector<float>{5, 4, 3, 2, 1, 0});
  // Mergeable dims ([[3,2],[1,3]] is one run of 6) and unit dims change nothing.
  CHECK(b.get(sbuf_ap(DType::kFloat32, 64, 4, 2, {{3, 2}, {7, 1}, {1, 3}})) ==
        b.get(sbuf_ap(DType::kFloat32, 64, 4, 2, {{1, 6}})));
  // No free dims: one element per partition.
  CHECK(b.get(sbuf_ap(DType::kFloat32, 72, 4, 2, {})) == std::vector<float>{2, 12});
}

TEST_CASE("access walker: writes cast to the dtype, set flags, and a broadcast write keeps the last value") {
  Bench b;
  auto ap = sbuf_ap(DType::kBFloat16, 0, 0, 1, {{0, 3}});
  b.put(ap, {1.0f, 2.0f, 3.0f});
  CHECK(b.get(sbuf_ap(DType::kBFloat16, 0, 0, 1, {})) == std::vector<float>{3.0f});
  CHECK(b.core.sbuf.written_row(0)[0] == 1);
  CHECK(b.core.sbuf.written_row(0)[1] == 1);
  CHECK(b.core.sbuf.written_row(0)[2] == 0);
  // Strided write: every third bf16.
  b.put(sbuf_ap(DType::kBFloat16, 100, 0, 1, {{3, 3}}), {1.0f, 1.0f + 0x1p-8f, 7.0f});
  CHECK(b.get(sbuf_ap(DType::kBFloat16, 100, 0, 1, {{3, 3}})) == std::vector<float>{1.0f, 1.0f, 7.0f});
  CHECK_THROWS_WITH(b.get(sbuf_ap(DType::kBFloat16, 100, 0, 1, {{1, 2}})),
                    "test reads uninitialised sbuf partition 0 bytes [102, 104)");
}

TEST_CASE("access walker: uninitialised reads name the field, memory, partition and bytes") {
  Bench b;
  auto ap = psum_ap(DType::kFloat32, 2048, 0, 3, {{2, 4}});
  b.put(psum_ap(DType::kFloat32, 2048, 0, 2, {{1, 8}}), std::vector<float>(16, 1.0f));
  // Partition 2 is missing; every element of it is checked (strided run).
  CHECK_THROWS_WITH(b.get(ap), "test reads uninitialised psum partition 2 bytes [2048, 2052)");
  // A partially written element (one of its bytes) is uninitialised too.
  b.put(sbuf_ap(DType::kUInt8, 8, 1, 1, {}), {5.0f});
  CHECK_THROWS_WITH(b.get(sbuf_ap(DType::kInt32, 8, 1, 1, {})),
                    "test reads uninitialised sbuf partition 1 bytes [8, 12)");
}

TEST_CASE("access walker: HBM patterns with partition stride, and out-of-range accesses") {
  Bench b;
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) {
    v[i] = float(i);
  }
  int32_t t = b.tensor("x", DType::kFloat32, {3, 4}, isa::TensorKind::kInput, v);
  // Columns 1..2 of every row; then the transpose-like [[1,4]] x [[4,3]] walk.
  CHECK(b.get(hbm_ap(t, DType::kFloat32, 1, {4, 3}, {{1, 2}})) == std::vector<float>{1, 2, 5, 6, 9, 10});
  CHECK(b.get(hbm_ap(t, DType::kFloat32, 0, {1, 2}, {{4, 3}})) == std::vector<float>{0, 4, 8, 1, 5, 9});
  CHECK_THROWS_WITH(b.get(hbm_ap(t, DType::kFloat32, 1, {4, 3}, {{1, 4}})),
                    doctest::Contains("elements [1, 12] outside hbm tensor 'x' of 12 elements"));
  CHECK_THROWS_WITH(b.get(hbm_ap(t, DType::kBFloat16, 0, {4, 1}, {{1, 4}})),
                    doctest::Contains("dtype bfloat16 differs from hbm tensor 'x'"));
  CHECK_THROWS_WITH(b.get(sbuf_ap(DType::kFloat32, 224 * 1024 - 4, 0, 1, {{1, 2}})),
                    doctest::Contains("outside the 229376-byte sbuf partition"));
  CHECK_THROWS_WITH(b.get(sbuf_ap(DType::kFloat32, 0, 120, 16, {})),
                    doctest::Contains("partitions [120, 136) outside the 128 sbuf partitions"));
  int32_t out = b.tensor("out", DType::kFloat32, {4}, isa::TensorKind::kOutput);
  CHECK_THROWS_WITH(b.get(hbm_ap(out, DType::kFloat32, 0, {0, 1}, {{1, 4}})),
                    "test reads uninitialised hbm tensor 'out' element 0 (row 0 of the pattern)");
}

}  // namespace tn::sim
