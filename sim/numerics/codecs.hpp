// Per-dtype codecs (fp32 <-> storage bits) and the single dtype switch every entry point goes
// through. Internal header of tn_numerics; the public API is float_formats.hpp and convert.hpp.
#pragma once
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "isa/dtype.hpp"
#include "sim/numerics/ieee_like_float.hpp"
#include "sim/numerics/saturating_int_cast.hpp"

namespace tn::num {

struct Float32Codec {
  using Storage = uint32_t;
  static float decode(Storage bits) { return std::bit_cast<float>(bits); }
  static Storage encode(float x) { return std::bit_cast<Storage>(x); }
};

// int -> fp32 is the C++ conversion: exact up to 2^24, round to nearest even beyond.
template <typename Int>
struct IntCodec {
  using Storage = Int;
  static float decode(Storage v) { return static_cast<float>(v); }
  static Storage encode(float x) { return saturating_int_cast<Int>(x); }
};

// Calls fn(Codec{}) with the codec of t, so a caller writes its loop once as a generic lambda and
// the switch stays outside the loop. The dtype list is hardware.md §3.
template <typename Fn>
decltype(auto) with_codec(DType t, Fn&& fn) {
  switch (t) {
    case DType::kFloat32:
      return std::forward<Fn>(fn)(Float32Codec{});
    case DType::kBFloat16:
      return std::forward<Fn>(fn)(BFloat16Format{});
    case DType::kFloat16:
      return std::forward<Fn>(fn)(Float16Format{});
    case DType::kFloat8E4M3:
      return std::forward<Fn>(fn)(Float8E4M3Format{});
    case DType::kFloat8E5M2:
      return std::forward<Fn>(fn)(Float8E5M2Format{});
    case DType::kInt32:
      return std::forward<Fn>(fn)(IntCodec<int32_t>{});
    case DType::kUInt32:
      return std::forward<Fn>(fn)(IntCodec<uint32_t>{});
    case DType::kInt8:
      return std::forward<Fn>(fn)(IntCodec<int8_t>{});
    case DType::kUInt8:
      return std::forward<Fn>(fn)(IntCodec<uint8_t>{});
  }
  std::abort();  // a value outside the enum: a corrupted instruction, not something to guess about
}

}  // namespace tn::num
