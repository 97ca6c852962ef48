// A fingerprint of a program's instruction streams (FNV-1a 64 over the words of each instruction's fields,
// its waits and stream). Equal hashes mean the same program: runs that differ only in runtime values show it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "isa/program.hpp"

namespace tn::isa {

uint64_t program_hash(const Program& program, uint64_t seed = 1469598103934665603ull);
uint64_t programs_hash(const std::vector<Program>& programs);
std::string hash_hex(uint64_t hash);
// The same fingerprint of one operation's fields (NaNs all alike), e.g. to intern operations.
uint64_t operation_hash(const Operation& op);

}  // namespace tn::isa
