#include "isa/operators.hpp"

#include <array>

namespace tn::isa {

namespace {
template <class Enum, size_t N>
std::optional<Enum> lookup(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == s)
      return static_cast<Enum>(i);
  }
  return std::nullopt;
}
#define TN_NAME_ENTRY(id, name) std::string_view(name),
constexpr std::array kAluNames = {TN_ALU_OPS(TN_NAME_ENTRY)};
constexpr std::array kActNames = {TN_ACT_FUNCS(TN_NAME_ENTRY)};
constexpr std::array kCmpNames = {TN_CMP_OPS(TN_NAME_ENTRY)};
constexpr std::array kBranchNames = {TN_BRANCH_CONDS(TN_NAME_ENTRY)};
#undef TN_NAME_ENTRY
}  // namespace

std::string_view name_of(AluOp op) { return kAluNames[static_cast<size_t>(op)]; }
std::string_view name_of(ActFunc f) { return kActNames[static_cast<size_t>(f)]; }
std::string_view name_of(CmpOp c) { return kCmpNames[static_cast<size_t>(c)]; }
std::string_view name_of(BranchCond c) { return kBranchNames[static_cast<size_t>(c)]; }
std::optional<AluOp> alu_op_from_name(std::string_view s) {
  return lookup<AluOp, kAluNames.size()>(kAluNames, s);
}
std::optional<ActFunc> act_func_from_name(std::string_view s) {
  return lookup<ActFunc, kActNames.size()>(kActNames, s);
}
std::optional<CmpOp> cmp_op_from_name(std::string_view s) {
  return lookup<CmpOp, kCmpNames.size()>(kCmpNames, s);
}

std::optional<BranchCond> branch_cond_from_name(std::string_view s) {
  return lookup<BranchCond, kBranchNames.size()>(kBranchNames, s);
}

}  // namespace tn::isa
