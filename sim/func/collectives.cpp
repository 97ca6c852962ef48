#include "sim/func/collectives.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "isa/operands.hpp"

namespace tn::sim {

namespace {

// The `src` or `dst` field of a collective.
template <bool kSrc>
const isa::AccessPattern& operand_of(const isa::Operation& op) {
  return std::visit(
      [](const auto& o) -> const isa::AccessPattern& {
        if constexpr (requires {
                        o.src;
                        o.dst;
                      })
          return kSrc ? o.src : o.dst;
        else
          throw std::logic_error("not a collective");
      },
      op);
}
const isa::AccessPattern& src_of(const isa::Operation& op) { return operand_of<true>(op); }
const isa::AccessPattern& dst_of(const isa::Operation& op) { return operand_of<false>(op); }

std::string rank_prefix(uint32_t rank) { return "rank " + std::to_string(rank) + ": "; }

}  // namespace

const std::vector<int32_t>* replica_row(const isa::Program& program, int32_t group, uint32_t rank) {
  if (group < 0 || size_t(group) >= program.replica_groups.size())
    return nullptr;
  for (const auto& row : program.replica_groups[size_t(group)]) {
    if (std::find(row.begin(), row.end(), int32_t(rank)) != row.end())
      return &row;
  }
  return nullptr;
}

void check_collective_shared(const Rendezvous::Arrival& a, const Rendezvous& meetings) {
  for (const isa::Operand& o : isa::operands_of(a.op())) {
    if (o.ap->mem == isa::MemKind::kHbm && o.ap->tensor >= 0 &&
        a.program->tensors[size_t(o.ap->tensor)].scope == isa::TensorScope::kPrivate) {
      throw ExecutionError(
          meetings.describe(a) + ": " + std::string(o.field) + " is private HBM tensor '" +
          a.program->tensors[size_t(o.ap->tensor)].name +
          "'; every core of an LNC2 rank issues the collective, so its tensors must be shared");
    }
  }
}

void run_collective(std::span<const CollectiveMember> members) {
  const size_t g = members.size();
  const isa::Operation& first = *members[0].op;
  // Every member must issue the same kind of collective with the same element counts and dtype.
  for (const CollectiveMember& m : members) {
    const isa::AccessPattern &s = src_of(*m.op), &d = dst_of(*m.op);
    const isa::AccessPattern &s0 = src_of(first), &d0 = dst_of(first);
    if (m.op->index() != first.index() || s.num_elements() != s0.num_elements() ||
        d.num_elements() != d0.num_elements() || s.dtype != s0.dtype) {
      throw InstructionFault(rank_prefix(m.rank) + std::string(isa::mnemonic(*m.op)) + " of " +
                             std::to_string(s.num_elements()) + " " + std::string(dtype_name(s.dtype)) +
                             " elements does not match rank " + std::to_string(members[0].rank) + "'s " +
                             std::string(isa::mnemonic(first)) + " of " + std::to_string(s0.num_elements()) +
                             " " + std::string(dtype_name(s0.dtype)) + " elements");
    }
  }
  std::vector<std::vector<std::byte>> src(g);
  for (size_t i = 0; i < g; ++i) {
    try {
      members[i].exec->memory().read_raw(src_of(*members[i].op), "src", src[i]);
    } catch (const InstructionFault& e) {
      throw InstructionFault(rank_prefix(members[i].rank) + e.what());
    }
  }
  const size_t n = src[0].size();  // bytes per member's src
  std::vector<std::byte> out;
  const auto write = [&](size_t i) {
    try {
      members[i].exec->memory().write_raw(dst_of(*members[i].op), "dst", out.data());
    } catch (const InstructionFault& e) {
      throw InstructionFault(rank_prefix(members[i].rank) + e.what());
    }
  };
  if (std::holds_alternative<isa::AllGather>(first)) {
    out.resize(g * n);
    for (size_t j = 0; j < g; ++j)
      std::memcpy(out.data() + j * n, src[j].data(), n);
    for (size_t i = 0; i < g; ++i)
      write(i);
  } else if (std::holds_alternative<isa::AllToAll>(first)) {
    const size_t chunk = n / g;  // the validator checked divisibility
    out.resize(n);
    for (size_t i = 0; i < g; ++i) {  // receiver
      for (size_t j = 0; j < g; ++j)  // sender: its chunk i lands in the receiver's chunk j
        std::memcpy(out.data() + j * chunk, src[j].data() + i * chunk, chunk);
      write(i);
    }
  } else {
    for (size_t i = 0; i < g; ++i) {  // receiver i gets its predecessor's src
      out = src[(i + g - 1) % g];
      write(i);
    }
  }
}

// The runners move collectives' data with run_collective; reaching these is a runner bug.
void Executor::run(const isa::AllGather&) { throw std::logic_error("all_gather: use run_collective"); }
void Executor::run(const isa::AllToAll&) { throw std::logic_error("all_to_all: use run_collective"); }
void Executor::run(const isa::CollectivePermute&) {
  throw std::logic_error("collective_permute_implicit: use run_collective");
}

// The meeting is the runners'; the barrier moves no data.
void Executor::run(const isa::CoreBarrier&) {}

void Executor::run(const isa::RankId& op) { reg(op.dst_reg, "dst_reg") = int32_t(m_rank); }

void Executor::run(const isa::ProcessingRankId& op) {
  const std::vector<int32_t>* row = replica_row(m_program, op.group, m_rank);
  if (!row) {
    throw InstructionFault("rank " + std::to_string(m_rank) + " is in no row of replica group " +
                           std::to_string(op.group));
  }
  const int64_t size = int64_t(row->size());
  const int64_t pos = std::find(row->begin(), row->end(), int32_t(m_rank)) - row->begin();
  reg(op.dst_reg, "dst_reg") = int32_t(((pos - op.iteration) % size + size) % size);
}

}  // namespace tn::sim
