// maxAllClose edge cases (kernels.md §2.2).
#include <doctest/doctest.h>

#include <limits>
#include <stdexcept>

#include "kernels/reference/max_all_close.hpp"

namespace tn::ref {
namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

HostTensor vec(std::vector<double> v) {
  const auto n = static_cast<int64_t>(v.size());
  return HostTensor{{n}, std::move(v)};
}

TEST_CASE("maxAllClose: identical tensors pass with zero error") {
  const HostTensor a{{2, 2}, {1, -2, 3, 0.5}};
  const MaxAllCloseResult r = max_all_close(a, a);
  CHECK(r.passed);
  CHECK(r.max_abs_err == 0);
  CHECK(r.max_rel_err == 0);
  CHECK(r.golden_max_abs == 3);
  CHECK(r.num_mismatches == 0);
  CHECK(r.num_elements == 4);
  CHECK(r.description.find("PASS") != std::string::npos);
}

TEST_CASE("maxAllClose: the tolerance uses the global max |golden| and not the element's own") {
  // tol = 1e-5 + 0.02 * 100: an error of 1.5 on a golden 0.001 is accepted.
  CHECK(max_all_close(vec({100, 1.5}), vec({100, 0.001})).passed);
  const MaxAllCloseResult r = max_all_close(vec({100, 2.1}), vec({100, 0.001}));
  CHECK_FALSE(r.passed);
  CHECK(r.tolerance == doctest::Approx(2.00001));
  CHECK(r.num_mismatches == 1);
  CHECK(r.worst_flat_index == 1);
  CHECK(r.max_rel_err == doctest::Approx((2.1 - 0.001) / 100));
  // Negative goldens count by magnitude.
  CHECK(max_all_close(vec({-100, 1.5}), vec({-100, 0.001})).passed);
}

TEST_CASE("maxAllClose: the bound is inclusive") {
  // atol 0, rtol 0.5, max|b| = 4 -> tol = 2 exactly.
  CHECK(max_all_close(vec({4, 2}), vec({4, 0}), 0.5, 0).passed);
  CHECK_FALSE(max_all_close(vec({4, 2.0000001}), vec({4, 0}), 0.5, 0).passed);
}

TEST_CASE("maxAllClose: atol alone governs an all-zero golden") {
  CHECK(max_all_close(vec({1e-5, -1e-5}), vec({0, 0})).passed);
  const MaxAllCloseResult r = max_all_close(vec({2e-5, 0}), vec({0, 0}));
  CHECK_FALSE(r.passed);
  CHECK(r.max_rel_err == kInf);  // relative to a zero global max
}

TEST_CASE("maxAllClose: infinities never match, and golden infinities do not widen the tolerance") {
  CHECK_FALSE(max_all_close(vec({kInf, -kInf, 1}), vec({kInf, -kInf, 1})).passed);
  CHECK_FALSE(max_all_close(vec({kInf}), vec({-kInf})).passed);
  CHECK_FALSE(max_all_close(vec({kInf, 1}), vec({1e300, 1})).passed);
  CHECK_FALSE(max_all_close(vec({1, 1}), vec({kInf, 1})).passed);
  const MaxAllCloseResult r = max_all_close(vec({kInf, 1.01}), vec({kInf, 1}));
  CHECK_FALSE(r.passed);
  CHECK(r.num_mismatches == 1);  // the finite pair is within tol = 1e-5 + 0.02 * max finite |golden| (1)
  CHECK(r.golden_max_abs == 1);
}

TEST_CASE("maxAllClose: NaN fails even against NaN, and non-finite values are counted") {
  // Defects issue item 1: an all-NaN output compared with an all-NaN reference passed with error 0.
  const MaxAllCloseResult all_nan = max_all_close(vec({kNaN, kNaN, kNaN}), vec({kNaN, kNaN, kNaN}));
  CHECK_FALSE(all_nan.passed);
  CHECK(all_nan.num_mismatches == 3);
  CHECK(all_nan.num_non_finite_actual == 3);
  CHECK(all_nan.num_non_finite_expected == 3);
  CHECK(all_nan.max_abs_err == kInf);
  CHECK(all_nan.description.find("3 non-finite actual and 3 non-finite expected values") !=
        std::string::npos);
  const MaxAllCloseResult a = max_all_close(vec({kNaN, 2}), vec({1, 2}));
  CHECK_FALSE(a.passed);
  CHECK(a.max_abs_err == kInf);
  CHECK(a.worst_flat_index == 0);
  CHECK(a.num_non_finite_actual == 1);
  CHECK(a.num_non_finite_expected == 0);
  CHECK_FALSE(max_all_close(vec({1, 2}), vec({kNaN, 2})).passed);
  CHECK_FALSE(max_all_close(vec({kNaN}), vec({kInf})).passed);
  // A NaN golden is excluded from max|golden|.
  CHECK(max_all_close(vec({kNaN, 1}), vec({kNaN, 1})).golden_max_abs == 1);
  // Finite tensors report no non-finite values.
  CHECK(max_all_close(vec({1, 2}), vec({1, 2})).description.find("non-finite") == std::string::npos);
}

TEST_CASE("maxAllClose: reports the worst element with its multi-index and the mismatch count") {
  const HostTensor expected{{2, 3}, {1, 2, 3, 4, 5, 6}};
  const HostTensor actual{{2, 3}, {1, 2.5, 3, 4, 5, 7}};
  const MaxAllCloseResult r = max_all_close(actual, expected);
  CHECK_FALSE(r.passed);
  CHECK(r.num_mismatches == 2);  // tol = 1e-5 + 0.12
  CHECK(r.max_abs_err == 1);
  CHECK(r.worst_flat_index == 5);
  CHECK(r.worst_index == std::vector<int64_t>{1, 2});
  CHECK(r.worst_actual == 7);
  CHECK(r.worst_expected == 6);
  CHECK(r.max_rel_err == doctest::Approx(1.0 / 6));
  CHECK(r.description.find("FAIL") != std::string::npos);
  CHECK(r.description.find("[1, 2]") != std::string::npos);
  CHECK(r.description.find('\n') == std::string::npos);
}

TEST_CASE("maxAllClose: empty tensors pass and shape mismatches are harness errors") {
  const HostTensor empty{{0}, {}};
  const MaxAllCloseResult r = max_all_close(empty, empty);
  CHECK(r.passed);
  CHECK(r.worst_flat_index == -1);
  CHECK_THROWS_AS(max_all_close(HostTensor{{2}, {1, 2}}, HostTensor{{1, 2}, {1, 2}}), std::invalid_argument);
  CHECK_THROWS_AS(max_all_close(std::vector<double>{1}, std::vector<double>{1, 2}, {2}),
                  std::invalid_argument);
}

}  // namespace
}  // namespace tn::ref
