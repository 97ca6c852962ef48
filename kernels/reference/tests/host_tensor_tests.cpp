#include <doctest/doctest.h>

#include <stdexcept>

#include "kernels/reference/host_tensor.hpp"

namespace tn::ref {
namespace {

TEST_CASE("HostTensor: row-major index and numel and bounds checks") {
  HostTensor t = HostTensor::zeros({2, 3, 4});
  CHECK(t.numel() == 24);
  CHECK(t.data.size() == 24);
  CHECK(t.index({0, 0, 0}) == 0);
  CHECK(t.index({1, 2, 3}) == 23);
  CHECK(t.index({1, 0, 2}) == 14);
  t.at({1, 0, 2}) = 5;
  CHECK(t.data[14] == 5);
  CHECK_THROWS_AS(t.index({2, 0, 0}), std::out_of_range);
  CHECK_THROWS_AS(t.index({0, 0}), std::out_of_range);
  CHECK(HostTensor{}.numel() == 1);  // rank 0
  CHECK(HostTensor::zeros({3, 0}).numel() == 0);
  CHECK(shape_string({2, 3}) == "(2, 3)");
}

}  // namespace
}  // namespace tn::ref
