// Bulk conversions between a dtype's in-memory bytes and fp32, for the simulator's inner loops. The
// engines compute in fp32; these convert operands in and results out with the rules of
// float_formats.hpp (bit-exact, same results as the scalar functions there).
//
// Memory layout is the dtype's little-endian encoding (dtype_size(t) bytes per element), with no
// alignment requirement. Input and output ranges must not overlap.
#pragma once
#include <cstddef>
#include <cstdint>

#include "isa/dtype.hpp"

namespace tn::num {

// n elements of src at in -> n floats.
void decode(DType src, const std::byte* in, float* out, size_t n);

// n floats -> n elements of dst at out.
void encode(DType dst, const float* in, std::byte* out, size_t n);

// Element i is at base + i * stride_elems * dtype_size(t). The stride may be negative, and 0 on
// decode to broadcast one element.
void decode_strided(DType src, const std::byte* base, int64_t stride_elems, float* out, size_t n);
void encode_strided(DType dst, const float* in, std::byte* base, int64_t stride_elems, size_t n);

// The value x becomes once stored as t and read back: decode(encode(x)). Identity for fp32; for
// integer dtypes, the rounded and saturated integer (as a float).
float round_to(DType t, float x);

}  // namespace tn::num
