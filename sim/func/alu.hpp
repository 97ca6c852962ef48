// The engines' ALU ops, comparisons and free-axis reductions on fp32 (hardware.md §3 "ALU ops": all
// arithmetic is fp32 inside Vector, Scalar and GpSimd). Each entry point switches on the op once and
// runs a loop specialised for it, so that the loops vectorise.
//
// Choices the documents leave open:
// - comparisons (is_equal ... is_le) and logical ops give 1.0 or 0.0; logical ops treat any non-zero
//   value (NaN included) as true;
// - max / min / abs_max propagate NaN (a NaN in either operand gives NaN), so that a NaN in a kernel's
//   data is never hidden by a reduction;
// - bitwise and shift ops work on the int32 value of each operand: the fp32 value rounded to nearest
//   and saturated (tn::num::f32_to_i32). For int dtypes that is the stored integer, exactly so while
//   |x| <= 2^24 (the engines carry every value as fp32). shift_right is logical on the 32-bit pattern
//   (hardware.md §3 "logical shift right"); shift amounts outside [0, 31] give 0. The int32 result is
//   converted back to fp32;
// - pow is powf; divide is the IEEE fp32 quotient;
// - bypass passes its data operand through (tensor_scalar skips a bypass op entirely).
#pragma once
#include <cstddef>
#include <cstdint>

#include "isa/operators.hpp"

namespace tn::sim::alu {

// out[i] = a[i] op b[i]. out may alias a or b.
void apply(isa::AluOp op, const float* a, const float* b, float* out, size_t n);
// out[i] = x[i] op s, or s op x[i] when `reverse`. out may alias x.
void apply_scalar(isa::AluOp op, const float* x, float s, bool reverse, float* out, size_t n);
// Sequential left fold x[0] op x[1] op ... (n >= 1); abs_max folds |x| (so a single element gives |x0|).
float reduce(isa::AluOp op, const float* x, size_t n);

// The ALU comparison that computes `a c b` as 1.0 / 0.0 (eq -> is_equal, ..., le -> is_le), so that
// range_select's masks are apply_scalar loops.
isa::AluOp alu_op_of(isa::CmpOp c);
// out[i] = (v[i] c 0) ? 1.0 : 0.0, on exact integers (affine_select's predicate).
void compare_with_zero(isa::CmpOp c, const int64_t* v, float* out, size_t n);

}  // namespace tn::sim::alu
