// Programs as JSON and back. Opcodes are written as mnemonics, never numbers, so that reordering the
// instruction table never breaks a saved program. Errors name the JSON path of the bad value.
// An instruction is {"opcode": mnemonic, field: value..., "waits": [[sem, at_least]...], "loc": "file:line"}.
#pragma once
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "isa/program.hpp"

namespace tn::isa {

class JsonFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

nlohmann::json program_to_json(const Program& program);
Program program_from_json(const nlohmann::json& j);  // throws JsonFormatError

nlohmann::json operation_to_json(const Operation& op);
Operation operation_from_json(const nlohmann::json& j, const std::string& path);

}  // namespace tn::isa
