#include "isa/operands.hpp"

namespace tn::isa {

namespace {
void collect(std::vector<Operand>& out, const char* field, const AccessPattern& ap) {
  out.push_back({field, &ap, is_written_field(field)});
}
void collect(std::vector<Operand>& out, const char* field, const OptionalAp& v) {
  if (v.present)
    collect(out, field, v.ap);
}
void collect(std::vector<Operand>& out, const char* field, const ScalarOperand& v) {
  if (v.is_ap)
    collect(out, field, v.ap);
}
template <class T>
void collect(std::vector<Operand>&, const char*, const T&) {}
}  // namespace

std::vector<Operand> operands_of(const Operation& op) {
  std::vector<Operand> out;
  std::visit(
      [&](const auto& o) {
        std::decay_t<decltype(o)>::for_each_field(o,
                                                  [&](const char* f, const auto& v) { collect(out, f, v); });
      },
      op);
  return out;
}

}  // namespace tn::isa
