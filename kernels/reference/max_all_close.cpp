// maxAllClose, mode "max" (kernels.md §2.2). See the header for the exact rule.
#include "kernels/reference/max_all_close.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace tn::ref {
namespace {

// Error of one element pair; see MaxAllCloseResult::max_abs_err.
double element_error(double a, double b) {
  return std::isfinite(a) && std::isfinite(b) ? std::fabs(a - b) : std::numeric_limits<double>::infinity();
}

std::string describe(const MaxAllCloseResult& r, double rtol, double atol) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "maxAllClose %s: %lld/%lld mismatches (rtol=%g atol=%g max|golden|=%.9g tol=%.9g); "
                "max_abs_err=%.9g max_rel_err=%.9g",
                r.passed ? "PASS" : "FAIL", static_cast<long long>(r.num_mismatches),
                static_cast<long long>(r.num_elements), rtol, atol, r.golden_max_abs, r.tolerance,
                r.max_abs_err, r.max_rel_err);
  std::string s = buf;
  if (r.num_non_finite_actual > 0 || r.num_non_finite_expected > 0) {
    std::snprintf(buf, sizeof buf, "; %lld non-finite actual and %lld non-finite expected values",
                  static_cast<long long>(r.num_non_finite_actual),
                  static_cast<long long>(r.num_non_finite_expected));
    s += buf;
  }
  if (r.worst_flat_index >= 0) {
    std::snprintf(buf, sizeof buf, "; worst at %s (flat %lld): actual=%.9g expected=%.9g",
                  index_string(r.worst_index).c_str(), static_cast<long long>(r.worst_flat_index),
                  r.worst_actual, r.worst_expected);
    s += buf;
  }
  return s;
}

}  // namespace

MaxAllCloseResult max_all_close(std::span<const double> actual, std::span<const double> expected,
                                const std::vector<int64_t>& shape, double rtol, double atol) {
  if (actual.size() != expected.size() ||
      static_cast<int64_t>(actual.size()) != HostTensor::numel_of(shape)) {
    throw std::invalid_argument("max_all_close: " + std::to_string(actual.size()) + " actual vs " +
                                std::to_string(expected.size()) + " expected values for shape " +
                                shape_string(shape));
  }
  MaxAllCloseResult r;
  r.num_elements = static_cast<int64_t>(actual.size());
  for (double b : expected) {
    if (std::isfinite(b)) {
      r.golden_max_abs = std::max(r.golden_max_abs, std::fabs(b));
    }
  }
  r.tolerance = atol + rtol * r.golden_max_abs;

  for (size_t i = 0; i < actual.size(); ++i) {
    r.num_non_finite_actual += !std::isfinite(actual[i]);
    r.num_non_finite_expected += !std::isfinite(expected[i]);
    const double err = element_error(actual[i], expected[i]);
    if (!(err <= r.tolerance)) {
      ++r.num_mismatches;
    }
    if (r.worst_flat_index < 0 || err > r.max_abs_err) {
      r.max_abs_err = err;
      r.worst_flat_index = static_cast<int64_t>(i);
    }
  }
  r.passed = r.num_mismatches == 0;
  if (r.worst_flat_index >= 0) {
    r.worst_index = unflatten_index(r.worst_flat_index, shape);
    r.worst_actual = actual[static_cast<size_t>(r.worst_flat_index)];
    r.worst_expected = expected[static_cast<size_t>(r.worst_flat_index)];
  }
  r.max_rel_err = r.golden_max_abs > 0 ? r.max_abs_err / r.golden_max_abs
                  : r.max_abs_err > 0  ? std::numeric_limits<double>::infinity()
                                       : 0.0;
  r.description = describe(r, rtol, atol);
  return r;
}

MaxAllCloseResult max_all_close(const HostTensor& actual, const HostTensor& expected, double rtol,
                                double atol) {
  if (actual.shape != expected.shape) {
    throw std::invalid_argument("max_all_close: actual shape " + shape_string(actual.shape) +
                                " differs from expected shape " + shape_string(expected.shape));
  }
  return max_all_close(actual.data, expected.data, actual.shape, rtol, atol);
}

}  // namespace tn::ref
