// The memory operands of an instruction, found generically from its table row: fields of access-pattern
// type are operands; the ones named dst / accumulate / reduce_res are written, the rest read. The
// builder derives dependencies from this list and the validator checks every entry.
#pragma once
#include <array>
#include <cstddef>
#include <string_view>

#include "isa/operations.hpp"

namespace tn::isa {

struct Operand {
  std::string_view field;
  const AccessPattern* ap;
  bool is_write;
};

// The widest rows (activation, range_select) have 5 memory operands; collecting more is a table bug.
inline constexpr size_t kMaxOperands = 8;

// A fixed-capacity list: operands_of runs for every instruction the builder emits and every one the timed
// run costs, so it allocates nothing.
class OperandList {
 public:
  void push_back(const Operand& o);  // throws std::logic_error past kMaxOperands
  size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }
  const Operand& operator[](size_t i) const { return m_items[i]; }
  const Operand* begin() const { return m_items.data(); }
  const Operand* end() const { return m_items.data() + m_size; }

 private:
  std::array<Operand, kMaxOperands> m_items{};
  size_t m_size = 0;
};

OperandList operands_of(const Operation& op);

inline bool is_written_field(std::string_view field) {
  return field == "dst" || field == "accumulate" || field == "reduce_res";
}

}  // namespace tn::isa
