// The bulk, strided and round_to conversions agree bit for bit with the scalar functions.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "isa/dtype.hpp"
#include "sim/numerics/convert.hpp"
#include "sim/numerics/float_formats.hpp"

namespace tn::num {
namespace {

// Storage bits of x encoded as t, through the scalar API.
uint32_t scalar_encode(DType t, float x) {
  switch (t) {
    case DType::kFloat32:
      return std::bit_cast<uint32_t>(x);
    case DType::kBFloat16:
      return f32_to_bf16(x);
    case DType::kFloat16:
      return f32_to_f16(x);
    case DType::kFloat8E4M3:
      return f32_to_fp8_e4m3(x);
    case DType::kFloat8E5M2:
      return f32_to_fp8_e5m2(x);
    case DType::kInt32:
      return static_cast<uint32_t>(f32_to_i32(x));
    case DType::kUInt32:
      return f32_to_u32(x);
    case DType::kInt8:
      return static_cast<uint8_t>(f32_to_i8(x));
    case DType::kUInt8:
      return f32_to_u8(x);
  }
  FAIL("unknown dtype");
  return 0;
}

float scalar_decode(DType t, uint32_t bits) {
  switch (t) {
    case DType::kFloat32:
      return std::bit_cast<float>(bits);
    case DType::kBFloat16:
      return bf16_to_f32(static_cast<uint16_t>(bits));
    case DType::kFloat16:
      return f16_to_f32(static_cast<uint16_t>(bits));
    case DType::kFloat8E4M3:
      return fp8_e4m3_to_f32(static_cast<uint8_t>(bits));
    case DType::kFloat8E5M2:
      return fp8_e5m2_to_f32(static_cast<uint8_t>(bits));
    case DType::kInt32:
      return static_cast<float>(static_cast<int32_t>(bits));
    case DType::kUInt32:
      return static_cast<float>(bits);
    case DType::kInt8:
      return static_cast<float>(static_cast<int8_t>(bits));
    case DType::kUInt8:
      return static_cast<float>(static_cast<uint8_t>(bits));
  }
  FAIL("unknown dtype");
  return 0;
}

// Element i of a little-endian buffer of t, as its storage bits.
uint32_t stored_bits(DType t, const std::byte* p) {
  uint32_t bits = 0;
  std::memcpy(&bits, p, dtype_size(t));  // little-endian host: the low bytes
  return bits;
}

// Inputs that exercise every path: arbitrary bit patterns (NaN, inf, subnormals included) and values
// spread over the narrow formats' ranges, ties included.
std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<uint32_t> any_bits;
  std::uniform_real_distribution<float> exponent(-30.0f, 20.0f);
  std::uniform_int_distribution<int> small_int(-300, 300);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    switch (i % 4) {
      case 0:
        v[i] = std::bit_cast<float>(any_bits(rng));
        break;
      case 1:
        v[i] = std::exp2(exponent(rng)) * ((any_bits(rng) & 1) != 0 ? -1.0f : 1.0f);
        break;
      case 2:
        v[i] = static_cast<float>(small_int(rng)) + 0.5f;
        break;  // ties for the int casts
      default:
        v[i] = std::bit_cast<float>(any_bits(rng) & 0xffff0000u) + 0.0f;
        break;  // bf16-exact
    }
  }
  return v;
}

std::vector<std::byte> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> v(n);
  for (std::byte& b : v) {
    b = static_cast<std::byte>(rng() & 0xff);
  }
  return v;
}

bool same_bits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

// Lengths around the vectorised block size, so both the blocks and the scalar tail run.
constexpr size_t kLengths[] = {0, 1, 7, 15, 16, 17, 33, 64, 1000};

TEST_CASE("contiguous encode matches the scalar casts") {
  const std::vector<float> in = random_floats(1000, 1);
  for (DType t : kAllDTypes) {
    CAPTURE(dtype_name(t));
    const size_t size = dtype_size(t);
    for (size_t n : kLengths) {
      CAPTURE(n);
      std::vector<std::byte> out(n * size);
      encode(t, in.data(), out.data(), n);
      int mismatches = 0;
      for (size_t i = 0; i < n; ++i) {
        mismatches += stored_bits(t, out.data() + i * size) != scalar_encode(t, in[i]);
      }
      CHECK(mismatches == 0);
    }
  }
}

TEST_CASE("contiguous decode matches the scalar casts") {
  const std::vector<std::byte> in = random_bytes(4000, 2);
  for (DType t : kAllDTypes) {
    CAPTURE(dtype_name(t));
    const size_t size = dtype_size(t);
    for (size_t n : kLengths) {
      CAPTURE(n);
      std::vector<float> out(n);
      decode(t, in.data(), out.data(), n);
      int mismatches = 0;
      for (size_t i = 0; i < n; ++i) {
        mismatches += !same_bits(out[i], scalar_decode(t, stored_bits(t, in.data() + i * size)));
      }
      CHECK(mismatches == 0);
    }
  }
}

TEST_CASE("round_to is decode(encode(x))") {
  const std::vector<float> in = random_floats(4000, 3);
  for (DType t : kAllDTypes) {
    CAPTURE(dtype_name(t));
    int mismatches = 0;
    for (float x : in) {
      mismatches += !same_bits(round_to(t, x), scalar_decode(t, scalar_encode(t, x)));
    }
    CHECK(mismatches == 0);
  }
  CHECK(same_bits(round_to(DType::kFloat32, std::bit_cast<float>(0x7f800001u)),
                  std::bit_cast<float>(0x7f800001u)));  // fp32 is the identity, even for NaN payloads
}

// Stride 0 (broadcast) only makes sense for decode.
constexpr int64_t kEncodeStrides[] = {1, 2, 3, 17, -1, -2, -5};
constexpr int64_t kDecodeStrides[] = {0, 1, 2, 3, 17, -1, -2, -5};
constexpr size_t kStridedLengths[] = {0, 1, 5, 40};

// Where element 0 sits in a buffer big enough for n elements at the given stride.
size_t first_element_index(int64_t stride, size_t n) {
  return stride < 0 && n > 0 ? static_cast<size_t>(-stride) * (n - 1) : 0;
}

size_t elements_spanned(int64_t stride, size_t n) {
  return n == 0 ? 0 : static_cast<size_t>(stride < 0 ? -stride : stride) * (n - 1) + 1;
}

TEST_CASE("strided decode matches the scalar casts, including broadcast and negative strides") {
  for (DType t : kAllDTypes) {
    CAPTURE(dtype_name(t));
    const size_t size = dtype_size(t);
    for (int64_t stride : kDecodeStrides) {
      for (size_t n : kStridedLengths) {
        CAPTURE(stride);
        CAPTURE(n);
        const std::vector<std::byte> buffer = random_bytes((elements_spanned(stride, n) + 1) * size, 4);
        const std::byte* base = buffer.data() + first_element_index(stride, n) * size;
        std::vector<float> out(n);
        decode_strided(t, base, stride, out.data(), n);
        int mismatches = 0;
        for (size_t i = 0; i < n; ++i) {
          const std::byte* element = base + static_cast<ptrdiff_t>(i) * stride * static_cast<ptrdiff_t>(size);
          mismatches += !same_bits(out[i], scalar_decode(t, stored_bits(t, element)));
        }
        CHECK(mismatches == 0);
      }
    }
  }
}

TEST_CASE("strided encode writes only its elements, matching the scalar casts") {
  const std::vector<float> in = random_floats(40, 5);
  constexpr std::byte kUntouched{0xa5};
  for (DType t : kAllDTypes) {
    CAPTURE(dtype_name(t));
    const size_t size = dtype_size(t);
    for (int64_t stride : kEncodeStrides) {
      for (size_t n : kStridedLengths) {
        CAPTURE(stride);
        CAPTURE(n);
        std::vector<std::byte> buffer(elements_spanned(stride, n) * size, kUntouched);
        std::byte* base = buffer.data() + first_element_index(stride, n) * size;
        encode_strided(t, in.data(), base, stride, n);

        std::vector<std::byte> expected(buffer.size(), kUntouched);
        for (size_t i = 0; i < n; ++i) {
          const uint32_t bits = scalar_encode(t, in[i]);
          const ptrdiff_t offset = static_cast<ptrdiff_t>(first_element_index(stride, n) * size) +
                                   static_cast<ptrdiff_t>(i) * stride * static_cast<ptrdiff_t>(size);
          std::memcpy(expected.data() + offset, &bits, size);
        }
        CHECK(buffer == expected);
      }
    }
  }
}

TEST_CASE("unaligned buffers") {
  const std::vector<float> in = random_floats(64, 6);
  for (DType t : kAllDTypes) {
    CAPTURE(dtype_name(t));
    const size_t size = dtype_size(t);
    std::vector<std::byte> aligned(64 * size);
    std::vector<std::byte> shifted(64 * size + 1);
    encode(t, in.data(), aligned.data(), 64);
    encode(t, in.data(), shifted.data() + 1, 64);
    CHECK(std::memcmp(aligned.data(), shifted.data() + 1, aligned.size()) == 0);
    std::vector<float> a(64), b(64);
    decode(t, aligned.data(), a.data(), 64);
    decode(t, shifted.data() + 1, b.data(), 64);
    CHECK(std::memcmp(a.data(), b.data(), 64 * sizeof(float)) == 0);
  }
}

}  // namespace
}  // namespace tn::num
