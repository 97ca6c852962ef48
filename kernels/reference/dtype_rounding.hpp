// Host values as the hardware holds them: each rounded to a dtype (floats through fp32, as the NKI tests'
// casts do; integers to the nearest, ties to even, saturated, exactly and without an fp32 detour). Used for
// inputs before they reach kernel and reference, and for golden outputs before comparing.
#pragma once
#include "isa/dtype.hpp"
#include "kernels/reference/host_tensor.hpp"

namespace tn::ref {

HostTensor rounded_to(HostTensor t, DType dtype);

}  // namespace tn::ref
