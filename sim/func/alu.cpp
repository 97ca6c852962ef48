#include "sim/func/alu.hpp"

#include <cmath>
#include <cstdlib>
#include <utility>

#include "sim/numerics/float_formats.hpp"

namespace tn::sim::alu {

using isa::AluOp;
using isa::CmpOp;

namespace {

inline float flag(bool b) { return b ? 1.0f : 0.0f; }
inline float nan_max(float a, float b) { return (a > b || a != a) ? a : b; }  // NaN in a or b wins
inline float nan_min(float a, float b) { return (a < b || a != a) ? a : b; }

inline int32_t as_int(float x) { return num::f32_to_i32(x); }
inline float from_int(int32_t v) { return static_cast<float>(v); }
inline bool shift_amount_ok(int32_t s) { return s >= 0 && s < 32; }

// One functor per op, static float f(float a, float b), named after its AluOp enumerator so that
// with_op's switch is generated from the TN_ALU_OPS table: an op added there without semantics here
// does not compile.
namespace ops {
#define TN_ALU_FN(id, expr)                                                             \
  struct id {                                                                           \
    static float f([[maybe_unused]] float a, [[maybe_unused]] float b) { return expr; } \
  };
TN_ALU_FN(kBypass, a)
TN_ALU_FN(kAdd, a + b)
TN_ALU_FN(kSubtract, a - b)
TN_ALU_FN(kMultiply, a* b)
TN_ALU_FN(kDivide, a / b)
TN_ALU_FN(kMax, nan_max(a, b))
TN_ALU_FN(kMin, nan_min(a, b))
TN_ALU_FN(kIsEqual, flag(a == b))
TN_ALU_FN(kNotEqual, flag(a != b))
TN_ALU_FN(kIsGt, flag(a > b))
TN_ALU_FN(kIsGe, flag(a >= b))
TN_ALU_FN(kIsLt, flag(a < b))
TN_ALU_FN(kIsLe, flag(a <= b))
TN_ALU_FN(kAbsMax, nan_max(std::fabs(a), std::fabs(b)))
TN_ALU_FN(kPow, std::pow(a, b))
TN_ALU_FN(kBitwiseAnd, from_int(as_int(a) & as_int(b)))
TN_ALU_FN(kBitwiseOr, from_int(as_int(a) | as_int(b)))
TN_ALU_FN(kBitwiseXor, from_int(as_int(a) ^ as_int(b)))
TN_ALU_FN(kShiftLeft, shift_amount_ok(as_int(b))
                          ? from_int(static_cast<int32_t>(static_cast<uint32_t>(as_int(a)) << as_int(b)))
                          : 0.0f)
TN_ALU_FN(kShiftRight, shift_amount_ok(as_int(b))
                           ? from_int(static_cast<int32_t>(static_cast<uint32_t>(as_int(a)) >> as_int(b)))
                           : 0.0f)
TN_ALU_FN(kLogicalAnd, flag(a != 0.0f && b != 0.0f))
TN_ALU_FN(kLogicalOr, flag(a != 0.0f || b != 0.0f))
TN_ALU_FN(kLogicalXor, flag((a != 0.0f) != (b != 0.0f)))
#undef TN_ALU_FN
}  // namespace ops

// Calls fn(Op{}) with the functor of `op`: the switch stays outside the caller's loop.
template <class Fn>
decltype(auto) with_op(AluOp op, Fn&& fn) {
  switch (op) {
#define TN_ALU_CASE(id, name) \
  case AluOp::id:             \
    return std::forward<Fn>(fn)(ops::id{});
    TN_ALU_OPS(TN_ALU_CASE)
#undef TN_ALU_CASE
  }
  std::abort();  // a value outside the enum: a corrupted instruction
}

template <class Pred>
void mask_of(const int64_t* v, float* out, size_t n, Pred pred) {
  for (size_t i = 0; i < n; ++i) {
    out[i] = flag(pred(v[i]));
  }
}

}  // namespace

void apply(AluOp op, const float* a, const float* b, float* out, size_t n) {
  with_op(op, [&](auto o) {
    using Op = decltype(o);
    for (size_t i = 0; i < n; ++i) {
      out[i] = Op::f(a[i], b[i]);
    }
  });
}

void apply_scalar(AluOp op, const float* x, float s, bool reverse, float* out, size_t n) {
  with_op(op, [&](auto o) {
    using Op = decltype(o);
    if (reverse) {
      for (size_t i = 0; i < n; ++i) {
        out[i] = Op::f(s, x[i]);
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        out[i] = Op::f(x[i], s);
      }
    }
  });
}

float reduce(AluOp op, const float* x, size_t n) {
  return with_op(op, [&](auto o) {
    using Op = decltype(o);
    float acc = op == AluOp::kAbsMax ? std::fabs(x[0]) : x[0];
    for (size_t i = 1; i < n; ++i) {
      acc = Op::f(acc, x[i]);
    }
    return acc;
  });
}

AluOp alu_op_of(CmpOp c) {
  switch (c) {
    case CmpOp::kEq:
      return AluOp::kIsEqual;
    case CmpOp::kNe:
      return AluOp::kNotEqual;
    case CmpOp::kGt:
      return AluOp::kIsGt;
    case CmpOp::kGe:
      return AluOp::kIsGe;
    case CmpOp::kLt:
      return AluOp::kIsLt;
    case CmpOp::kLe:
      return AluOp::kIsLe;
  }
  std::abort();
}

void compare_with_zero(CmpOp c, const int64_t* v, float* out, size_t n) {
  switch (c) {
    case CmpOp::kEq:
      return mask_of(v, out, n, [](int64_t x) { return x == 0; });
    case CmpOp::kNe:
      return mask_of(v, out, n, [](int64_t x) { return x != 0; });
    case CmpOp::kGt:
      return mask_of(v, out, n, [](int64_t x) { return x > 0; });
    case CmpOp::kGe:
      return mask_of(v, out, n, [](int64_t x) { return x >= 0; });
    case CmpOp::kLt:
      return mask_of(v, out, n, [](int64_t x) { return x < 0; });
    case CmpOp::kLe:
      return mask_of(v, out, n, [](int64_t x) { return x <= 0; });
  }
  std::abort();
}

}  // namespace tn::sim::alu
