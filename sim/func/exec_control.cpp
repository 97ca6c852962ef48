// Sequencer instructions (hardware.md §1.2: "control instructions run on the sequencer: scalar register
// ALU operations, branches"; "each sequencer has 64 x 32-bit registers"), per stream. Both runners call
// these through Executor::execute, so loops take the same path in functional and timed runs.
#include <cstring>
#include <string>

#include "sim/func/executor.hpp"

namespace tn::sim {

namespace {

int32_t wrap(uint32_t v) {
  int32_t out;
  std::memcpy(&out, &v, sizeof out);
  return out;
}

int32_t alu(isa::AluOp op, int32_t a, int32_t b) {
  const uint32_t ua = uint32_t(a), ub = uint32_t(b);
  switch (op) {
    case isa::AluOp::kAdd:
      return wrap(ua + ub);
    case isa::AluOp::kSubtract:
      return wrap(ua - ub);
    case isa::AluOp::kMultiply:
      return wrap(ua * ub);
    case isa::AluOp::kShiftLeft:
      return b < 0 || b > 31 ? 0 : wrap(ua << b);
    case isa::AluOp::kShiftRight:  // logical
      return b < 0 || b > 31 ? 0 : wrap(ua >> b);
    case isa::AluOp::kBitwiseAnd:
      return wrap(ua & ub);
    case isa::AluOp::kBitwiseOr:
      return wrap(ua | ub);
    case isa::AluOp::kBitwiseXor:
      return wrap(ua ^ ub);
    case isa::AluOp::kMin:
      return a < b ? a : b;
    case isa::AluOp::kMax:
      return a > b ? a : b;
    default:
      throw InstructionFault("reg_op does not support " + std::string(isa::name_of(op)));
  }
}

bool holds(isa::BranchCond c, int32_t v, int32_t imm) {
  switch (c) {
    case isa::BranchCond::kAlways:
      return true;
    case isa::BranchCond::kEq:
      return v == imm;
    case isa::BranchCond::kNe:
      return v != imm;
    case isa::BranchCond::kLt:
      return v < imm;
    case isa::BranchCond::kLe:
      return v <= imm;
    case isa::BranchCond::kGt:
      return v > imm;
    case isa::BranchCond::kGe:
      return v >= imm;
  }
  return false;
}

}  // namespace

int32_t& Executor::reg(int32_t id, const char* field) {
  if (id < 0 || id >= isa::kNumRegisters) {
    throw InstructionFault(std::string(field) + ": register " + std::to_string(id) + " does not exist (0.." +
                           std::to_string(isa::kNumRegisters - 1) + ")");
  }
  return m_regs[m_stream][size_t(id)];
}

// The element's 4 bytes as int32 (a uint32 above 2^31 - 1 wraps); an unwritten element faults as any
// poisoned read does.
void Executor::run(const isa::RegLoad& op) {
  if (op.src.dtype != DType::kInt32 && op.src.dtype != DType::kUInt32) {
    throw InstructionFault("src must be int32 or uint32, not " + std::string(dtype_name(op.src.dtype)));
  }
  AccessWalker::require_shape(op.src, "src", 1, 1);
  m_io.read_raw(op.src, "src", m_raw);
  int32_t v;
  std::memcpy(&v, m_raw.data(), sizeof v);
  reg(op.dst_reg, "dst_reg") = v;
}

void Executor::run(const isa::RegSet& op) { reg(op.dst_reg, "dst_reg") = op.value; }

void Executor::run(const isa::RegOp& op) {
  const int32_t a = reg(op.a_reg, "a_reg");
  const int32_t b = op.b.is_reg ? reg(op.b.value, "b") : op.b.value;
  reg(op.dst_reg, "dst_reg") = alu(op.op, a, b);
}

void Executor::run(const isa::Branch& op) {
  const size_t length = m_program.streams[m_stream].instructions.size();
  if (op.target < 0 || size_t(op.target) > length) {
    throw InstructionFault("branch target " + std::to_string(op.target) + " outside 0.." +
                           std::to_string(length));
  }
  const int32_t v = op.cond == isa::BranchCond::kAlways ? 0 : reg(op.reg, "reg");
  if (holds(op.cond, v, op.imm)) {
    m_next = size_t(op.target);
  }
}

void Executor::run(const isa::RegCheck& op) {
  const int32_t v = reg(op.reg, "reg");
  if (v < op.min || v > op.max) {
    throw InstructionFault("register r" + std::to_string(op.reg) + " = " + std::to_string(v) +
                           " is outside [" + std::to_string(op.min) + ", " + std::to_string(op.max) + "]");
  }
}

}  // namespace tn::sim
