// Human-readable listing of a Program: one line per instruction, with its semaphore waits and the
// kernel source line that emitted it (what `trnsim disasm` prints).
#pragma once
#include <ostream>
#include <string>

#include "isa/program.hpp"

namespace tn::isa {

std::string disassemble(const Operation& op);
void disassemble(const Program& program, std::ostream& out);

}  // namespace tn::isa
