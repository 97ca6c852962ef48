#include "isa/operands.hpp"

#include <stdexcept>

namespace tn::isa {

namespace {
void collect(OperandList& out, const char* field, const AccessPattern& ap) {
  out.push_back({field, &ap, is_written_field(field)});
}
void collect(OperandList& out, const char* field, const OptionalAp& v) {
  if (v.present)
    collect(out, field, v.ap);
}
void collect(OperandList& out, const char* field, const ScalarOperand& v) {
  if (v.is_ap)
    collect(out, field, v.ap);
}
template <class T>
void collect(OperandList&, const char*, const T&) {}
}  // namespace

void OperandList::push_back(const Operand& o) {
  if (m_size == kMaxOperands)
    throw std::logic_error("an instruction has more than kMaxOperands memory operands");
  m_items[m_size++] = o;
}

OperandList operands_of(const Operation& op) {
  OperandList out;
  std::visit(
      [&](const auto& o) {
        std::decay_t<decltype(o)>::for_each_field(o,
                                                  [&](const char* f, const auto& v) { collect(out, f, v); });
      },
      op);
  return out;
}

}  // namespace tn::isa
