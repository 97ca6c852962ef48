// The memory operands of an instruction, found generically from its table row: fields of access-pattern
// type are operands; the ones named dst / accumulate / reduce_res are written, the rest read. The
// builder derives dependencies from this list and the validator checks every entry.
#pragma once
#include <string_view>
#include <vector>

#include "isa/operations.hpp"

namespace tn::isa {

struct Operand {
  std::string_view field;
  const AccessPattern* ap;
  bool is_write;
};

std::vector<Operand> operands_of(const Operation& op);

inline bool is_written_field(std::string_view field) {
  return field == "dst" || field == "accumulate" || field == "reduce_res";
}

}  // namespace tn::isa
