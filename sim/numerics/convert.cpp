#include "sim/numerics/convert.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "sim/numerics/codecs.hpp"

namespace tn::num {
namespace {

// Storage bytes are the dtype's little-endian layout, which memcpy reproduces only on a
// little-endian host (the only kind the simulator targets).
static_assert(std::endian::native == std::endian::little);

template <typename Storage>
Storage load(const std::byte* p) {
  Storage v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename Storage>
void store(std::byte* p, Storage v) {
  std::memcpy(p, &v, sizeof v);
}

// Contiguous loops run in fixed-size blocks: gcc -O2's "very cheap" vectoriser cost model only
// vectorises loops whose trip count is a known multiple of the vector width, which the inner block
// loop is. __restrict spares it the aliasing checks (std::byte may alias the floats).
constexpr size_t kBlock = 16;

template <typename Codec>
void decode_contiguous(const std::byte* __restrict in, float* __restrict out, size_t n) {
  using Storage = typename Codec::Storage;
  size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    for (size_t j = 0; j < kBlock; ++j) {
      out[i + j] = Codec::decode(load<Storage>(in + (i + j) * sizeof(Storage)));
    }
  }
  for (; i < n; ++i) {
    out[i] = Codec::decode(load<Storage>(in + i * sizeof(Storage)));
  }
}

template <typename Codec>
void encode_contiguous(const float* __restrict in, std::byte* __restrict out, size_t n) {
  using Storage = typename Codec::Storage;
  size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    for (size_t j = 0; j < kBlock; ++j) {
      store<Storage>(out + (i + j) * sizeof(Storage), Codec::encode(in[i + j]));
    }
  }
  for (; i < n; ++i) {
    store<Storage>(out + i * sizeof(Storage), Codec::encode(in[i]));
  }
}

template <typename Codec>
void decode_with_stride(const std::byte* base, int64_t stride_elems, float* out, size_t n) {
  using Storage = typename Codec::Storage;
  const ptrdiff_t step = static_cast<ptrdiff_t>(stride_elems) * static_cast<ptrdiff_t>(sizeof(Storage));
  for (size_t i = 0; i < n; ++i) {
    out[i] = Codec::decode(load<Storage>(base + static_cast<ptrdiff_t>(i) * step));
  }
}

template <typename Codec>
void encode_with_stride(const float* in, std::byte* base, int64_t stride_elems, size_t n) {
  using Storage = typename Codec::Storage;
  const ptrdiff_t step = static_cast<ptrdiff_t>(stride_elems) * static_cast<ptrdiff_t>(sizeof(Storage));
  for (size_t i = 0; i < n; ++i) {
    store<Storage>(base + static_cast<ptrdiff_t>(i) * step, Codec::encode(in[i]));
  }
}

}  // namespace

void decode(DType src, const std::byte* in, float* out, size_t n) {
  with_codec(src, [&]<typename Codec>(Codec) { decode_contiguous<Codec>(in, out, n); });
}

void encode(DType dst, const float* in, std::byte* out, size_t n) {
  with_codec(dst, [&]<typename Codec>(Codec) { encode_contiguous<Codec>(in, out, n); });
}

void decode_strided(DType src, const std::byte* base, int64_t stride_elems, float* out, size_t n) {
  if (stride_elems == 1) {
    decode(src, base, out, n);
    return;
  }
  if (stride_elems == 0 && n > 0) {  // broadcast: decode once
    float value;
    decode(src, base, &value, 1);
    std::fill(out, out + n, value);
    return;
  }
  with_codec(src, [&]<typename Codec>(Codec) { decode_with_stride<Codec>(base, stride_elems, out, n); });
}

void encode_strided(DType dst, const float* in, std::byte* base, int64_t stride_elems, size_t n) {
  if (stride_elems == 1) {
    encode(dst, in, base, n);
    return;
  }
  with_codec(dst, [&]<typename Codec>(Codec) { encode_with_stride<Codec>(in, base, stride_elems, n); });
}

float round_to(DType t, float x) {
  return with_codec(t, [x]<typename Codec>(Codec) { return Codec::decode(Codec::encode(x)); });
}

}  // namespace tn::num
