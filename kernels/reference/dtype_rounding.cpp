#include "kernels/reference/dtype_rounding.hpp"

#include <algorithm>
#include <cmath>

#include "sim/numerics/convert.hpp"

namespace tn::ref {

namespace {

// The integer an engine stores for x (sim/numerics/saturating_int_cast.hpp: round half to even, saturate,
// NaN -> 0), computed in double so that integers past 2^24 stay exact.
double integer_of(DType dtype, double x) {
  double lo = 0, hi = 0;
  switch (dtype) {
    case DType::kInt32:
      lo = -2147483648.0, hi = 2147483647.0;
      break;
    case DType::kUInt32:
      lo = 0, hi = 4294967295.0;
      break;
    case DType::kInt8:
      lo = -128, hi = 127;
      break;
    default:  // kUInt8
      lo = 0, hi = 255;
      break;
  }
  return std::isnan(x) ? 0.0 : std::clamp(std::nearbyint(x), lo, hi);
}

}  // namespace

HostTensor rounded_to(HostTensor t, DType dtype) {
  if (!dtype_is_float(dtype)) {
    for (double& x : t.data)
      x = integer_of(dtype, x);
    return t;
  }
  for (double& x : t.data)
    x = num::round_to(dtype, static_cast<float>(x));
  return t;
}

}  // namespace tn::ref
