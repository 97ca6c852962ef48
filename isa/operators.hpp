// Operator enumerations carried by instructions: ALU ops (hardware.md §3 "ALU ops"), activation functions
// (hardware.md §3 "Activation functions", kernels.md §6.2) and comparisons.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "isa/access_pattern.hpp"

namespace tn::isa {

#define TN_ALU_OPS(X)                                                                                        \
  X(kBypass, "bypass")                                                                                       \
  X(kAdd, "add")                                                                                             \
  X(kSubtract, "subtract")                                                                                   \
  X(kMultiply, "multiply")                                                                                   \
  X(kDivide, "divide")                                                                                       \
  X(kMax, "max")                                                                                             \
  X(kMin, "min")                                                                                             \
  X(kIsEqual, "is_equal")                                                                                    \
  X(kNotEqual, "not_equal")                                                                                  \
  X(kIsGt, "is_gt") X(kIsGe, "is_ge") X(kIsLt, "is_lt") X(kIsLe, "is_le") X(kAbsMax, "abs_max")              \
      X(kPow, "pow") X(kBitwiseAnd, "bitwise_and") X(kBitwiseOr, "bitwise_or") X(kBitwiseXor, "bitwise_xor") \
          X(kShiftLeft, "shift_left") X(kShiftRight, "shift_right") X(kLogicalAnd, "logical_and")            \
              X(kLogicalOr, "logical_or") X(kLogicalXor, "logical_xor")

#define TN_ACT_FUNCS(X)                                                                          \
  X(kCopy, "copy")                                                                               \
  X(kExp, "exp")                                                                                 \
  X(kLog, "log")                                                                                 \
  X(kReciprocal, "reciprocal")                                                                   \
  X(kSquare, "square")                                                                           \
  X(kSqrt, "sqrt")                                                                               \
  X(kRsqrt, "rsqrt")                                                                             \
  X(kRelu, "relu")                                                                               \
  X(kSigmoid, "sigmoid") X(kTanh, "tanh") X(kGelu, "gelu") X(kGeluTanhApprox, "gelu_apprx_tanh") \
      X(kSilu, "silu") X(kSoftplus, "softplus") X(kErf, "erf") X(kAbs, "abs") X(kSign, "sign")   \
          X(kSin, "sin") X(kArctan, "arctan")

#define TN_CMP_OPS(X) X(kEq, "eq") X(kNe, "ne") X(kGt, "gt") X(kGe, "ge") X(kLt, "lt") X(kLe, "le")

// Branch conditions: `reg cond imm`, signed; always ignores the register.
#define TN_BRANCH_CONDS(X) \
  X(kAlways, "always") X(kEq, "eq") X(kNe, "ne") X(kLt, "lt") X(kLe, "le") X(kGt, "gt") X(kGe, "ge")

#define TN_ENUM_ENTRY(id, name) id,
enum class AluOp : uint8_t { TN_ALU_OPS(TN_ENUM_ENTRY) };
enum class ActFunc : uint8_t { TN_ACT_FUNCS(TN_ENUM_ENTRY) };
enum class CmpOp : uint8_t { TN_CMP_OPS(TN_ENUM_ENTRY) };
enum class BranchCond : uint8_t { TN_BRANCH_CONDS(TN_ENUM_ENTRY) };
#undef TN_ENUM_ENTRY

std::string_view name_of(AluOp op);
std::string_view name_of(ActFunc f);
std::string_view name_of(CmpOp c);
std::string_view name_of(BranchCond c);
std::optional<AluOp> alu_op_from_name(std::string_view s);
std::optional<ActFunc> act_func_from_name(std::string_view s);
std::optional<CmpOp> cmp_op_from_name(std::string_view s);
std::optional<BranchCond> branch_cond_from_name(std::string_view s);

// Sequencer registers per stream (hardware.md §1.2: "Each sequencer has 64 x 32-bit registers").
inline constexpr int32_t kNumRegisters = 64;
// The register runtime loops count in (ProgramBuilder::dynamic_loop): a reg_load into it enters a loop with
// that many trips, which the run summary reports.
inline constexpr int32_t kLoopRegister = 63;

// The second operand of reg_op: a register of the stream, or an int32 immediate.
struct RegOrImm {
  bool is_reg = false;
  int32_t value = 0;  // the register id when is_reg, else the immediate
  bool operator==(const RegOrImm&) const = default;
};
// The AluOps reg_op implements.
inline bool is_register_alu_op(AluOp op) {
  switch (op) {
    case AluOp::kAdd:
    case AluOp::kSubtract:
    case AluOp::kMultiply:
    case AluOp::kShiftLeft:
    case AluOp::kShiftRight:
    case AluOp::kBitwiseAnd:
    case AluOp::kBitwiseOr:
    case AluOp::kBitwiseXor:
    case AluOp::kMin:
    case AluOp::kMax:
      return true;
    default:
      return false;
  }
}
inline RegOrImm reg_operand(int32_t id) { return RegOrImm{true, id}; }
inline RegOrImm imm_operand(int32_t v) { return RegOrImm{false, v}; }

// A per-partition scalar: an immediate, or a [P,1] column read from SBUF/PSUM (hardware.md §3:
// "s is a scalar or [P,1]").
struct ScalarOperand {
  bool is_ap = false;
  float imm = 0.0f;
  AccessPattern ap;
  bool operator==(const ScalarOperand&) const = default;
};

inline ScalarOperand imm(float v) { return ScalarOperand{false, v, {}}; }
inline ScalarOperand column(const AccessPattern& ap) { return ScalarOperand{true, 0.0f, ap}; }

// An operand that may be absent (bias, reduce result).
struct OptionalAp {
  bool present = false;
  AccessPattern ap;
  bool operator==(const OptionalAp&) const = default;
};
inline OptionalAp some(const AccessPattern& ap) { return OptionalAp{true, ap}; }

// The largest finite fp32, used as the fill value for masked scores (kernels.md notation "FMIN").
inline constexpr float kFmin = -3.4028234663852886e38f;

}  // namespace tn::isa
