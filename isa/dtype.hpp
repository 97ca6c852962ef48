// Element types the NeuronCore engines read and write (hardware.md §3 "Dtypes").
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace tn {

enum class DType : uint8_t {
  kFloat32,
  kBFloat16,
  kFloat16,
  kFloat8E4M3,  // IEEE-style e4m3 (bias 7, max 240, has inf): NKI's float8_e4m3 on trn1/trn2
  kFloat8E5M2,  // IEEE-style e5m2 (bias 15, max 57344, has inf)
  kInt32,
  kUInt32,
  kInt8,
  kUInt8,
};

inline constexpr DType kAllDTypes[] = {DType::kFloat32,    DType::kBFloat16,   DType::kFloat16,
                                       DType::kFloat8E4M3, DType::kFloat8E5M2, DType::kInt32,
                                       DType::kUInt32,     DType::kInt8,       DType::kUInt8};

constexpr uint32_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat32:
    case DType::kInt32:
    case DType::kUInt32:
      return 4;
    case DType::kBFloat16:
    case DType::kFloat16:
      return 2;
    case DType::kFloat8E4M3:
    case DType::kFloat8E5M2:
    case DType::kInt8:
    case DType::kUInt8:
      return 1;
  }
  return 0;
}

constexpr bool dtype_is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kBFloat16 || t == DType::kFloat16 || t == DType::kFloat8E4M3 ||
         t == DType::kFloat8E5M2;
}

// Names follow NumPy / ml_dtypes so that configs and .npy headers read naturally.
constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32:
      return "float32";
    case DType::kBFloat16:
      return "bfloat16";
    case DType::kFloat16:
      return "float16";
    case DType::kFloat8E4M3:
      return "float8_e4m3";
    case DType::kFloat8E5M2:
      return "float8_e5m2";
    case DType::kInt32:
      return "int32";
    case DType::kUInt32:
      return "uint32";
    case DType::kInt8:
      return "int8";
    case DType::kUInt8:
      return "uint8";
  }
  return "?";
}

inline std::optional<DType> dtype_from_name(std::string_view s) {
  for (DType t : kAllDTypes) {
    if (dtype_name(t) == s)
      return t;
  }
  if (s == "bf16")
    return DType::kBFloat16;
  if (s == "fp32")
    return DType::kFloat32;
  if (s == "fp16")
    return DType::kFloat16;
  if (s == "fp8_e4m3")
    return DType::kFloat8E4M3;
  if (s == "fp8_e5m2")
    return DType::kFloat8E5M2;
  return std::nullopt;
}

}  // namespace tn
