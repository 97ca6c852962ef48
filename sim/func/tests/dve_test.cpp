#include <doctest/doctest.h>

#include <cmath>

#include "sim/func/tests/bench.hpp"

namespace tn::sim {

using isa::AluOp;
using isa::CmpOp;
using isa::kFmin;
using isa::psum_ap;
using isa::sbuf_ap;
using test::Bench;

TEST_CASE("dve: tensor_tensor ops in fp32 with broadcast views and cast on write") {
  Bench b;
  auto a = sbuf_ap(DType::kFloat32, 0, 0, 2, {{1, 3}});
  auto row = sbuf_ap(DType::kFloat32, 64, 0, 2, {});  // one value per partition...
  auto bcast = row;
  bcast.ndim = 1;
  bcast.dims[0] = {0, 3};  // ...broadcast along the free axis
  auto dst = sbuf_ap(DType::kBFloat16, 128, 0, 2, {{1, 3}});
  b.put(a, {1, 2, 3, 4, 5, 6});
  b.put(row, {10, 0.5f});
  b.exec(isa::TensorTensor{dst, a, bcast, AluOp::kSubtract});
  CHECK(b.get(dst) == std::vector<float>{-9, -8, -7, 3.5f, 4.5f, 5.5f});
  b.exec(isa::TensorTensor{dst, a, bcast, AluOp::kIsGt});
  CHECK(b.get(dst) == std::vector<float>{0, 0, 0, 1, 1, 1});
  b.exec(isa::TensorTensor{dst, a, bcast, AluOp::kPow});
  // 3^10 = 59049 needs 16 significant bits: bf16 rounds it on write.
  CHECK(b.get(dst) == std::vector<float>{1, 1024, test::bf16(59049.0f), 2, test::bf16(std::pow(5.0f, 0.5f)),
                                         test::bf16(std::pow(6.0f, 0.5f))});
  CHECK(test::bf16(59049.0f) == 59136.0f);
  b.exec(isa::TensorTensor{dst, a, a, AluOp::kMax});
  CHECK(b.get(dst) == std::vector<float>{1, 2, 3, 4, 5, 6});
  auto dst32 = sbuf_ap(DType::kFloat32, 256, 0, 2, {{1, 3}});
  b.exec(isa::TensorTensor{dst32, a, bcast, AluOp::kDivide});
  CHECK(b.get(dst32)[2] == 3.0f / 10.0f);
  // In place: a = a * a.
  b.exec(isa::TensorTensor{a, a, a, AluOp::kMultiply});
  CHECK(b.get(a) == std::vector<float>{1, 4, 9, 16, 25, 36});
}

TEST_CASE("dve: integer dtypes, bitwise and shift ops on int32 values") {
  Bench b;
  auto x = sbuf_ap(DType::kInt32, 0, 0, 1, {{1, 4}});
  auto y = sbuf_ap(DType::kInt32, 64, 0, 1, {{1, 4}});
  auto dst = sbuf_ap(DType::kInt32, 128, 0, 1, {{1, 4}});
  b.put(x, {12, -8, 7, 1000});
  b.put(y, {10, 1, 33, 3});
  b.exec(isa::TensorTensor{dst, x, y, AluOp::kBitwiseAnd});
  CHECK(b.get(dst) == std::vector<float>{8, 0, 1, 0});
  b.exec(isa::TensorTensor{dst, x, y, AluOp::kBitwiseXor});
  CHECK(b.get(dst) == std::vector<float>{6, -7, 38, 1003});
  b.exec(isa::TensorTensor{dst, x, y, AluOp::kShiftLeft});
  CHECK(b.get(dst) == std::vector<float>{12 << 10, -16, 0, 8000});
  // Logical shift right of -8 (0xfffffff8) by 1 is 0x7ffffffc; fp32 carries it as 2^31, which the
  // int32 output saturates to 2^31 - 1.
  b.exec(isa::TensorTensor{dst, x, y, AluOp::kShiftRight});
  CHECK(b.get(dst) == std::vector<float>{0, 2147483647.0f, 0, 125});
  b.exec(isa::TensorTensor{dst, x, y, AluOp::kLogicalXor});
  CHECK(b.get(dst) == std::vector<float>{0, 0, 0, 0});
}

TEST_CASE("dve: tensor_scalar with reverse, column operands, and bypass") {
  Bench b;
  auto src = sbuf_ap(DType::kFloat32, 0, 0, 2, {{1, 3}});
  auto col = sbuf_ap(DType::kFloat32, 64, 0, 2, {});
  auto dst = sbuf_ap(DType::kFloat32, 128, 0, 2, {{1, 3}});
  b.put(src, {1, 2, 4, 8, 16, 32});
  b.put(col, {1, 2});
  // (10 - x) / col: reverse0 makes the scalar the left operand.
  b.exec(isa::TensorScalar{dst, src, AluOp::kSubtract, isa::imm(10), true, AluOp::kDivide, isa::column(col),
                           false});
  CHECK(b.get(dst) == std::vector<float>{9, 8, 6, 1, -3, -11});
  // col / x, then bypass (operand1 is not read even though it is an uninitialised column).
  auto junk = sbuf_ap(DType::kFloat32, 1024, 0, 2, {});
  b.exec(isa::TensorScalar{dst, src, AluOp::kDivide, isa::column(col), true, AluOp::kBypass,
                           isa::column(junk), false});
  CHECK(b.get(dst) == std::vector<float>{1, 0.5f, 0.25f, 0.25f, 0.125f, 0.0625f});
  b.exec(isa::TensorScalar{dst, src, AluOp::kIsGe, isa::imm(4), false, AluOp::kMultiply, isa::imm(3), false});
  CHECK(b.get(dst) == std::vector<float>{0, 0, 3, 3, 3, 3});
}

TEST_CASE("dve: scalar_tensor_tensor computes (src op0 s) op1 tensor") {
  Bench b;
  auto src = sbuf_ap(DType::kFloat32, 0, 0, 2, {{1, 2}});
  auto t = psum_ap(DType::kFloat32, 0, 0, 2, {{1, 2}});
  auto col = sbuf_ap(DType::kFloat32, 64, 0, 2, {});
  auto dst = sbuf_ap(DType::kFloat32, 128, 0, 2, {{1, 2}});
  b.put(src, {1, 2, 3, 4});
  b.put(t, {10, 20, 30, 40});
  b.put(col, {1, 2});
  b.exec(isa::ScalarTensorTensor{dst, src, AluOp::kSubtract, isa::column(col), AluOp::kMultiply, t});
  CHECK(b.get(dst) == std::vector<float>{0, 20, 30, 80});
}

TEST_CASE("dve: tensor_reduce over the innermost axes, sequentially, with negate") {
  Bench b;
  auto src = sbuf_ap(DType::kFloat32, 0, 0, 2, {{3, 2}, {1, 3}});
  b.put(src, {1, -5, 3, 2, 2, -1, 0, 4, -4, 7, 1, 1});
  auto dst2 = sbuf_ap(DType::kFloat32, 64, 0, 2, {{1, 2}});
  b.exec(isa::TensorReduce{dst2, src, AluOp::kMax, 1, true});
  CHECK(b.get(dst2) == std::vector<float>{-3, -2, -4, -7});
  b.exec(isa::TensorReduce{dst2, src, AluOp::kAbsMax, 1, false});
  CHECK(b.get(dst2) == std::vector<float>{5, 2, 4, 7});
  auto dst1 = sbuf_ap(DType::kFloat32, 128, 0, 2, {});
  b.exec(isa::TensorReduce{dst1, src, AluOp::kAdd, 2, false});
  CHECK(b.get(dst1) == std::vector<float>{2, 9});
  b.exec(isa::TensorReduce{dst1, src, AluOp::kMin, 2, true});
  CHECK(b.get(dst1) == std::vector<float>{5, 4});
  // Sequential fp32 sum: (1e8 + 1) + 1 stays 1e8; a pairwise or wider sum would not.
  auto big = sbuf_ap(DType::kFloat32, 256, 0, 1, {{1, 3}});
  b.put(big, {1e8f, 1, 1});
  b.exec(isa::TensorReduce{sbuf_ap(DType::kFloat32, 300, 0, 1, {}), big, AluOp::kAdd, 1, false});
  CHECK(b.get(sbuf_ap(DType::kFloat32, 300, 0, 1, {})) == std::vector<float>{1e8f});
  // max propagates NaN (alu.hpp): a NaN in the data is never hidden by a reduction.
  b.put(big, {1, NAN, 3});
  b.exec(isa::TensorReduce{sbuf_ap(DType::kFloat32, 300, 0, 1, {}), big, AluOp::kMax, 1, false});
  CHECK(std::isnan(b.get(sbuf_ap(DType::kFloat32, 300, 0, 1, {}))[0]));
  CHECK_THROWS_WITH_AS(b.exec(isa::TensorReduce{dst1, src, AluOp::kAdd, 3, false}),
                       doctest::Contains("axes = 3 but src has 2 free dims"), ExecutionError);
}

TEST_CASE("dve: tensor_copy is bit-exact for equal dtypes and casts otherwise") {
  Bench b;
  auto src = sbuf_ap(DType::kFloat32, 0, 0, 1, {{1, 3}});
  const std::vector<uint32_t> words = {0x7fa00001u /* signalling NaN with payload */, 0x80000000u,
                                       0x3f800001u};
  b.io().write_raw(src, "src", test::bytes_of(words).data());
  auto same = sbuf_ap(DType::kFloat32, 64, 0, 1, {{1, 3}});
  b.exec(isa::TensorCopy{same, src});
  CHECK(b.get_raw(same) == test::bytes_of(words));
  auto narrow = sbuf_ap(DType::kBFloat16, 128, 0, 1, {{1, 3}});
  b.exec(isa::TensorCopy{narrow, src});
  const auto v = b.get(narrow);
  CHECK(std::isnan(v[0]));
  CHECK(std::signbit(v[1]));
  CHECK(v[2] == 1.0f);
  // fp32 -> int32 rounds to nearest even (kernels.md §7.1 item 3) and saturates.
  auto f = sbuf_ap(DType::kFloat32, 256, 0, 1, {{1, 4}});
  auto i = sbuf_ap(DType::kInt32, 512, 0, 1, {{1, 4}});
  b.put(f, {2.5f, -1.5f, 3e9f, 7.0f});
  b.exec(isa::TensorCopy{i, f});
  CHECK(b.get(i) == std::vector<float>{2, -2, 2147483647.0f, 7});
}

TEST_CASE("dve: memset and reciprocal") {
  Bench b;
  auto dst = sbuf_ap(DType::kBFloat16, 0, 0, 3, {{2, 2}});
  b.exec(isa::Memset{dst, 1.0f + 0x1p-8f + 0x1p-12f});
  CHECK(b.get(dst) == std::vector<float>(6, 1.0f + 0x1p-7f));
  CHECK(b.core.sbuf.written_row(2)[2] == 0);  // the gaps of the stride-2 pattern stay unwritten
  auto src = sbuf_ap(DType::kFloat32, 64, 0, 1, {{1, 3}});
  auto r = sbuf_ap(DType::kFloat32, 128, 0, 1, {{1, 3}});
  b.put(src, {3, -0.0f, 0.1f});
  b.exec(isa::Reciprocal{r, src});
  CHECK(b.get(r) == std::vector<float>{1.0f / 3.0f, -INFINITY, 1.0f / 0.1f});
}

TEST_CASE("dve: stream_shuffle moves partitions within each quadrant, bit for bit") {
  Bench b;
  // 64 partitions of int32 values too large for fp32, so only a bit copy keeps them.
  auto src = sbuf_ap(DType::kInt32, 0, 0, 64, {{1, 2}});
  std::vector<uint32_t> words(128);
  for (uint32_t p = 0; p < 64; ++p)
    words[2 * p] = 0x01000001u + p, words[2 * p + 1] = p;
  b.io().write_raw(src, "src", test::bytes_of(words).data());
  auto dst = sbuf_ap(DType::kInt32, 64, 0, 64, {{1, 2}});
  b.io().write_raw(dst, "dst", test::bytes_of(std::vector<uint32_t>(128, 7)).data());
  isa::ShuffleMask reverse{};
  for (int i = 0; i < 32; ++i)
    reverse[i] = uint8_t(31 - i);
  reverse[5] = isa::kShuffleKeep;
  b.exec(isa::StreamShuffle{dst, src, reverse});
  const auto raw = b.get_raw(dst);
  std::vector<uint32_t> got(128);
  std::memcpy(got.data(), raw.data(), raw.size());
  for (uint32_t p = 0; p < 64; ++p) {
    CAPTURE(p);
    const uint32_t lane = p % 32, from = p - lane + 31 - lane;  // the same mask in both quadrants
    CHECK(got[2 * p] == (lane == 5 ? 7u : 0x01000001u + from));
    CHECK(got[2 * p + 1] == (lane == 5 ? 7u : from));
  }
  // In place with an all-zero mask, and into another quadrant: stream_shuffle_broadcast's two steps.
  auto tile = sbuf_ap(DType::kFloat32, 1024, 0, 64, {{1, 1}});
  std::vector<float> values(64);
  for (int p = 0; p < 64; ++p)
    values[p] = float(p) + 0.5f;
  b.put(tile, values);
  auto first = sbuf_ap(DType::kFloat32, 1024, 0, 32, {{1, 1}});
  auto second = sbuf_ap(DType::kFloat32, 1024, 32, 32, {{1, 1}});
  b.exec(isa::StreamShuffle{first, first, {}});
  b.exec(isa::StreamShuffle{second, first, {}});
  CHECK(b.get(tile) == std::vector<float>(64, 0.5f));
  // Only the partitions the mask names are read: a broadcast of partition 0 needs nothing else written.
  auto fresh = sbuf_ap(DType::kFloat32, 2048, 0, 32, {{1, 1}});
  b.put(sbuf_ap(DType::kFloat32, 2048, 0, 1, {{1, 1}}), {3.0f});
  b.exec(isa::StreamShuffle{fresh, fresh, {}});
  CHECK(b.get(fresh) == std::vector<float>(32, 3.0f));
}

TEST_CASE("dve: range_select keeps bound0 <= idx < bound1 per partition, fills the rest, and max-reduces") {
  Bench b;
  auto src = psum_ap(DType::kFloat32, 0, 0, 3, {{1, 6}});
  std::vector<float> v(18);
  for (int p = 0; p < 3; ++p) {
    for (int f = 0; f < 6; ++f) {
      v[p * 6 + f] = float(10 * f + p);
    }
  }
  b.put(src, v);
  auto b0 = sbuf_ap(DType::kFloat32, 0, 0, 3, {});
  auto b1 = sbuf_ap(DType::kFloat32, 4, 0, 3, {});
  auto red = sbuf_ap(DType::kFloat32, 8, 0, 3, {});
  auto dst = sbuf_ap(DType::kBFloat16, 64, 0, 3, {{1, 6}});
  // idx = f + 10: row 0 keeps idx in [11, 13), row 1 [12, 15), row 2 nothing.
  b.put(b0, {11, 12, 20});
  b.put(b1, {13, 15, 20});
  b.exec(isa::RangeSelect{dst, src, CmpOp::kGe, b0, CmpOp::kLt, b1, 10.0f, kFmin, isa::some(red)});
  const float F = test::bf16(kFmin);
  CHECK(b.get(dst) == std::vector<float>{F, 10, 20, F, F, F, F, F, 21, 31, 41, F, F, F, F, F, F, F});
  CHECK(b.get(red) == std::vector<float>{20, 41, kFmin});  // fp32 max, before the bf16 cast
}

TEST_CASE("dve: tensor_scalar_reduce writes src op0 s and reduces the fp32 results") {
  Bench b;
  auto src = sbuf_ap(DType::kFloat32, 0, 0, 2, {{1, 3}});
  auto col = sbuf_ap(DType::kFloat32, 64, 0, 2, {});
  auto dst = sbuf_ap(DType::kFloat32, 128, 0, 2, {{1, 3}});
  auto red = sbuf_ap(DType::kFloat32, 68, 0, 2, {});
  b.put(src, {1, -2, 3, 4, 5, -6});
  b.put(col, {2, -1});
  b.exec(isa::TensorScalarReduce{dst, src, AluOp::kMultiply, isa::column(col), AluOp::kMax, red});
  CHECK(b.get(dst) == std::vector<float>{2, -4, 6, -4, -5, 6});
  CHECK(b.get(red) == std::vector<float>{6, 6});
  b.exec(isa::TensorScalarReduce{dst, src, AluOp::kAdd, isa::imm(1), AluOp::kAdd, red});
  CHECK(b.get(red) == std::vector<float>{5, 6});
}

TEST_CASE("dve: reading an uninitialised operand names the instruction and operand") {
  Bench b;
  auto src = sbuf_ap(DType::kFloat32, 1024, 0, 5, {{1, 2}});
  b.put(sbuf_ap(DType::kFloat32, 1024, 0, 3, {{1, 2}}), std::vector<float>(6, 1.0f));
  CHECK_THROWS_WITH_AS(
      b.exec(isa::TensorCopy{sbuf_ap(DType::kFloat32, 0, 0, 5, {{1, 2}}), src}),
      "dve[0] tensor_copy (kernel.cpp:10): src reads uninitialised sbuf partition 3 bytes [1024, 1028)",
      ExecutionError);
  b.put(sbuf_ap(DType::kFloat32, 1024, 3, 2, {}), {1.0f, 1.0f});
  CHECK_THROWS_WITH_AS(
      b.exec(isa::TensorTensor{sbuf_ap(DType::kFloat32, 0, 0, 5, {{1, 2}}), src, src, AluOp::kAdd}),
      "dve[1] tensor_tensor (kernel.cpp:11): a reads uninitialised sbuf partition 3 bytes [1028, 1032)",
      ExecutionError);
}

}  // namespace tn::sim
