#include <doctest/doctest.h>

#include <cmath>

#include "sim/func/tests/bench.hpp"

namespace tn::sim {

using isa::ActFunc;
using isa::Activation;
using isa::sbuf_ap;
using test::Bench;
using test::bf16;

TEST_CASE("act: exp with per-partition scale and bias columns and an fp32 accumulate") {
  Bench b(isa::Engine::kAct, "act");
  auto src = sbuf_ap(DType::kFloat32, 0, 0, 2, {{1, 3}});
  auto scale = sbuf_ap(DType::kFloat32, 64, 0, 2, {});
  auto bias = sbuf_ap(DType::kFloat32, 68, 0, 2, {});
  auto acc = sbuf_ap(DType::kFloat32, 72, 0, 2, {});
  auto dst = sbuf_ap(DType::kBFloat16, 128, 0, 2, {{1, 3}});
  const std::vector<float> x = {0.0f, 1.0f, 2.0f, 1.0f, 0.25f, -1.0f};
  b.put(src, x);
  b.put(scale, {1.0f, 2.0f});
  b.put(bias, {0.5f, -1.0f});
  b.put(acc, {100.0f, 100.0f});  // overwritten, not added to
  b.exec(Activation{dst, src, ActFunc::kExp, isa::column(scale), isa::some(bias), isa::some(acc)});

  std::vector<float> y(6), want_dst(6), want_acc(2, 0.0f);
  const float sc[2] = {1.0f, 2.0f}, bi[2] = {0.5f, -1.0f};
  for (int p = 0; p < 2; ++p) {
    for (int f = 0; f < 3; ++f) {
      const float v = std::exp(x[p * 3 + f] * sc[p] + bi[p]);
      y[p * 3 + f] = v;
      want_dst[p * 3 + f] = bf16(v);
      want_acc[p] += v;  // fp32, free-index order, before the bf16 cast
    }
  }
  CHECK(b.get(dst) == want_dst);
  CHECK(b.get(acc) == want_acc);
  // The pre-cast sum differs from the sum of the written bf16 values.
  CHECK(want_acc[0] != (want_dst[0] + want_dst[1]) + want_dst[2]);
}

TEST_CASE("act: immediate scale, no bias, and the function table") {
  Bench b(isa::Engine::kAct, "act");
  auto src = sbuf_ap(DType::kFloat32, 0, 0, 1, {{1, 4}});
  auto dst = sbuf_ap(DType::kFloat32, 64, 0, 1, {{1, 4}});
  b.put(src, {-2.0f, -0.5f, 0.0f, 3.0f});
  auto run = [&](ActFunc f, float scale = 1.0f) {
    b.exec(Activation{dst, src, f, isa::imm(scale), {}, {}});
    return b.get(dst);
  };
  CHECK(run(ActFunc::kCopy, -2.0f) == std::vector<float>{4.0f, 1.0f, -0.0f, -6.0f});
  CHECK(run(ActFunc::kRelu) == std::vector<float>{0, 0, 0, 3});
  CHECK(run(ActFunc::kSign) == std::vector<float>{-1, -1, 0, 1});
  CHECK(run(ActFunc::kSquare) == std::vector<float>{4, 0.25f, 0, 9});
  CHECK(run(ActFunc::kAbs) == std::vector<float>{2, 0.5f, 0, 3});
  CHECK(run(ActFunc::kReciprocal, 2.0f) == std::vector<float>{-0.25f, -1.0f, INFINITY, 1.0f / 6.0f});
  const auto gelu = run(ActFunc::kGelu);
  CHECK(gelu[3] == doctest::Approx(3.0 * 0.5 * (1.0 + std::erf(3.0 / std::sqrt(2.0)))).epsilon(1e-6));
  const auto gelu_tanh = run(ActFunc::kGeluTanhApprox);
  CHECK(gelu_tanh[1] == doctest::Approx(-0.154285988).epsilon(1e-5));
  const auto sig = run(ActFunc::kSigmoid);
  CHECK(sig[2] == 0.5f);
  const auto silu = run(ActFunc::kSilu);
  CHECK(silu[3] == doctest::Approx(3.0 / (1.0 + std::exp(-3.0))).epsilon(1e-6));
  const auto sp = run(ActFunc::kSoftplus, 100.0f);  // large inputs neither overflow nor lose the value
  CHECK(sp[3] == 300.0f);
  CHECK(sp[0] == doctest::Approx(std::log1p(std::exp(-200.0))));
  CHECK(run(ActFunc::kRsqrt, -1.0f)[0] == doctest::Approx(1.0 / std::sqrt(2.0)));
}

TEST_CASE("act: an uninitialised bias column is reported by name") {
  Bench b(isa::Engine::kAct, "act");
  auto src = sbuf_ap(DType::kFloat32, 0, 0, 2, {{1, 2}});
  b.put(src, {1, 2, 3, 4});
  auto bias = sbuf_ap(DType::kFloat32, 64, 0, 2, {});
  b.put(sbuf_ap(DType::kFloat32, 64, 0, 1, {}), {1});
  CHECK_THROWS_WITH_AS(
      b.exec(Activation{src, src, ActFunc::kExp, isa::imm(1), isa::some(bias), {}}),
      "act[0] activation (kernel.cpp:10): bias reads uninitialised sbuf partition 1 bytes [64, 68)",
      ExecutionError);
}

}  // namespace tn::sim
