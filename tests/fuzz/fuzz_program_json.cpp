// libFuzzer target: program JSON (isa/program_json) and the static validator (isa/validator), as
// `trnsim run` reads the "program" kernel's file: parsed as user JSON, one program or a list, each read,
// validated against trn2's memory limits and disassembled. A program that reads must write back to the same
// JSON (program_to_json of program_from_json is a fixed point).
#include <sstream>

#include "isa/disassembly.hpp"
#include "isa/program_json.hpp"
#include "isa/validator.hpp"
#include "sim/io/json_file.hpp"
#include "sim/timing/hw_config.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tn;
  static const isa::MemoryLimits limits = timing::load_hw_config("trn2").memory_limits();
  fuzz::refused_or_accepted([&] {
    const nlohmann::json doc = io::parse_json(std::string(fuzz::bytes_of(data, size)), "program.json");
    const nlohmann::json list = doc.is_array() ? doc : nlohmann::json::array({doc});
    for (const nlohmann::json& one : list) {
      const isa::Program p = isa::program_from_json(one);
      const nlohmann::json written = isa::program_to_json(p);
      if (isa::program_to_json(isa::program_from_json(written)) != written)
        fuzz::finding("a program read from JSON does not read back from the JSON it writes");
      std::ostringstream listing;  // what `trnsim disasm` prints
      isa::disassemble(p, listing);
      for (const isa::ValidationIssue& issue : isa::validate(p, limits))
        issue.to_string();
    }
  });
  return 0;
}
