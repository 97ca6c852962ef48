#include "sim/func/hbm.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "sim/func/tests/bench.hpp"

namespace tn::sim {

using isa::TensorDecl;
using isa::TensorKind;

TEST_CASE("hbm: fill converts to the tensor dtype and read decodes to fp32") {
  Hbm hbm;
  hbm.declare(TensorDecl{"x", DType::kBFloat16, {2, 2}, TensorKind::kInput});
  // 1 + 2^-8 is halfway between bf16 neighbours 1 and 1 + 2^-7: round to nearest even gives 1.
  hbm.fill("x", {1.0f, 1.0f + 0x1p-8f, 3.0f, -2.5f});
  CHECK(hbm.read("x") == std::vector<float>{1.0f, 1.0f, 3.0f, -2.5f});
  CHECK(hbm.at("x").bytes.size() == 8);
  CHECK(hbm.unwritten_elements("x") == 0);
  CHECK_THROWS_AS(hbm.fill("x", {1.0f}), std::invalid_argument);
  CHECK_THROWS_AS(hbm.at("nope"), std::out_of_range);
}

TEST_CASE("hbm: fill_exact keeps integers past 2^24 and refuses values no integer dtype holds") {
  // Defects issue item 5: 2^24 + 1 passed through fp32 and became 2^24.
  Hbm hbm;
  hbm.declare(TensorDecl{"i", DType::kInt32, {4}, TensorKind::kInput});
  const std::vector<double> values = {16777217, -16777217, 2147483647, -2147483648.0};
  hbm.fill_exact("i", values);
  CHECK(hbm.read_exact("i") == values);
  CHECK(hbm.unwritten_elements("i") == 0);
  for (double bad : {1.5, std::nan(""), 2147483648.0, -2147483649.0}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(hbm.fill_exact("i", {0, bad, 0, 0}), doctest::Contains("element 1"),
                         std::invalid_argument);
  }
  hbm.declare(TensorDecl{"u", DType::kUInt8, {2}, TensorKind::kInput});
  CHECK_THROWS_AS(hbm.fill_exact("u", {0, -1}), std::invalid_argument);
  hbm.fill_exact("u", {0, 255});
  CHECK(hbm.read_exact("u") == std::vector<double>{0, 255});
  // Float dtypes round through fp32 as fill() does.
  hbm.declare(TensorDecl{"f", DType::kBFloat16, {1}, TensorKind::kInput});
  hbm.fill_exact("f", {1.0 + 0x1p-8});
  CHECK(hbm.read_exact("f") == std::vector<double>{1.0});
  hbm.declare(TensorDecl{"out", DType::kInt32, {2}, TensorKind::kOutput});
  CHECK(std::isnan(hbm.read_exact("out")[0]));
}

TEST_CASE("hbm: private tensors exist once per core, shared ones once per rank") {
  isa::Program p0, p1;
  p0.core_id = 0;
  p1.core_id = 1;
  for (isa::Program* p : {&p0, &p1}) {
    p->tensors = {{"shared", DType::kFloat32, {2}, TensorKind::kInternal},
                  {"mine", DType::kFloat32, {2}, TensorKind::kInternal, isa::TensorScope::kPrivate}};
  }
  Hbm hbm;
  const auto b0 = hbm.bind(p0), b1 = hbm.bind(p1);
  CHECK(b0[0] == b1[0]);  // one shared tensor
  CHECK(b0[1] != b1[1]);  // a private tensor per core
  CHECK(b0[1] == &hbm.at_private(0, "mine"));
  CHECK(b1[1] == &hbm.at_private(1, "mine"));
  CHECK_FALSE(hbm.contains("mine"));
  CHECK_THROWS_AS(hbm.at_private(2, "mine"), std::out_of_range);
}

TEST_CASE("hbm: declared tensors start unwritten and read back as NaN") {
  Hbm hbm;
  hbm.declare(TensorDecl{"out", DType::kFloat32, {3}, TensorKind::kOutput});
  CHECK(hbm.unwritten_elements("out") == 3);
  for (float v : hbm.read("out")) {
    CHECK(std::isnan(v));
  }
}

TEST_CASE("hbm: bind declares outputs, requires inputs, and checks dtype and shape") {
  isa::Program p;
  p.kernel = "k";
  p.tensors = {{"in", DType::kFloat32, {4}, TensorKind::kInput},
               {"out", DType::kBFloat16, {2, 2}, TensorKind::kOutput},
               {"scratch", DType::kFloat32, {8}, TensorKind::kInternal}};
  Hbm hbm;
  CHECK_THROWS_WITH_AS(hbm.bind(p), doctest::Contains("input tensor 'in'"), std::invalid_argument);
  hbm.declare(p.tensors[0]);
  hbm.fill("in", {1, 2, 3, 4});
  auto bound = hbm.bind(p);
  REQUIRE(bound.size() == 3);
  CHECK(bound[0] == &hbm.at("in"));
  CHECK(bound[1]->dtype == DType::kBFloat16);
  CHECK(hbm.unwritten_elements("out") == 4);
  CHECK(hbm.bind(p) == bound);  // a second core's program finds the same buffers

  SUBCASE("dtype mismatch") {
    isa::Program q = p;
    q.tensors[1].dtype = DType::kFloat32;
    CHECK_THROWS_WITH_AS(hbm.bind(q), "hbm tensor 'out' is declared float32 [2, 2] but holds bfloat16 [2, 2]",
                         std::invalid_argument);
  }
  SUBCASE("shape mismatch") {
    isa::Program q = p;
    q.tensors[0].shape = {2, 2};
    CHECK_THROWS_WITH_AS(hbm.bind(q), "hbm tensor 'in' is declared float32 [2, 2] but holds float32 [4]",
                         std::invalid_argument);
  }
}

}  // namespace tn::sim
