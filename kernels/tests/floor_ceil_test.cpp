// floor_nisa_kernel / ceil_nisa_kernel (kernels.md §3.2) against std::floor / std::ceil, on the values where
// a conversion that rounds to nearest (trnsim's fp32 -> int32, hardware.md §3) differs from one that
// truncates.
#include "kernels/segmented/floor_ceil.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "kernels/attention_cte.hpp"
#include "kernels/tests/kernel_harness.hpp"

namespace tn::kernels {
namespace {

const isa::MemoryLimits kTrn2;

std::vector<double> tricky_values(size_t n) {
  std::vector<double> v = {0.0,      -0.0,      0.5,        -0.5,        1.5,       -1.5,
                           2.5,      -2.5,      0.49999997, -0.49999997, 3.0,       -3.0,
                           1e-30,    -1e-30,    8388607.5,  -8388607.5,  8388608.0, -8388608.0,
                           16777215, -16777215, 127.99999,  -127.99999,  1000.25,   -1000.75};
  for (size_t i = v.size(); i < n; ++i)
    v.push_back(std::ldexp(double(int64_t(i * 2654435761u % 200001) - 100000), -7));
  v.resize(n);
  return v;
}

ref::HostTensor run_kernel(const isa::Program& program, const ref::HostTensor& x) {
  const std::vector<test::HarnessTensor> in = {{"x", DType::kFloat32, x.shape}};
  const std::vector<test::HarnessTensor> out = {{"out", DType::kInt32, x.shape}};
  return test::run_functional({program}, {{"x", x}}, in, out, kTrn2).at("out");
}

TEST_CASE("floor_nisa_kernel and ceil_nisa_kernel match std::floor and std::ceil") {
  RoundingKernelParams p{96, 40};
  ref::HostTensor x{{96, 40}, tricky_values(96 * 40)};
  for (double& v : x.data)
    v = static_cast<float>(v);  // the kernel's input is fp32
  const ref::HostTensor fl = run_kernel(build_floor_nisa_kernel(p, kTrn2), x);
  const ref::HostTensor ce = run_kernel(build_ceil_nisa_kernel(p, kTrn2), x);
  for (size_t i = 0; i < x.data.size(); ++i) {
    CAPTURE(x.data[i]);
    CHECK(fl.data[i] == std::floor(x.data[i]));
    CHECK(ce.data[i] == std::ceil(x.data[i]));
  }
}

TEST_CASE("floor_nisa_kernel rejects shapes outside the partitions") {
  CHECK_THROWS_AS(build_floor_nisa_kernel({129, 4}, kTrn2), KernelParamError);
  CHECK_THROWS_AS(build_ceil_nisa_kernel({4, 0}, kTrn2), KernelParamError);
  // Defects issue item 6: f_size 2^62 overflowed the tile's byte count. It is bounded by one fp32 tile in a
  // partition (229376 bytes on trn2 / 4 = 57344 elements), then by what the scratch tiles leave.
  CHECK_THROWS_WITH_AS(build_floor_nisa_kernel({1, int64_t{1} << 62}, kTrn2),
                       doctest::Contains("f_size: must be in 1..57344"), KernelParamError);
  CHECK_THROWS_WITH_AS(build_ceil_nisa_kernel({1, 57344}, kTrn2),
                       doctest::Contains("f_size: 57344 elements per partition do not fit SBUF"),
                       KernelParamError);
  CHECK_NOTHROW(build_ceil_nisa_kernel({1, 4096}, kTrn2));
}

}  // namespace
}  // namespace tn::kernels
