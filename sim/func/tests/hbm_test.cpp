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
