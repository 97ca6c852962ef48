#include "kernels/reference/dtype_rounding.hpp"

#include "sim/numerics/convert.hpp"

namespace tn::ref {

HostTensor rounded_to(HostTensor t, DType dtype) {
  for (double& x : t.data)
    x = num::round_to(dtype, static_cast<float>(x));
  return t;
}

}  // namespace tn::ref
