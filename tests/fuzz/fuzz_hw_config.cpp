// libFuzzer target: hardware and system presets and their overrides (sim/timing/hw_config, system_config).
// The input is one JSON document, used four ways: as a hardware preset file, as a run config's
// hardware.overrides on trn2, as a system preset file and as launch.system.overrides on trn2.48xlarge.
// What loads is then used as a run uses it first: memory limits, clocks, the summary's to_json.
#include "sim/io/json_file.hpp"
#include "sim/timing/hw_config.hpp"
#include "sim/timing/system_config.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace tn;

void use(const timing::HwConfig& hw) {
  hw.memory_limits();
  for (int e = 0; e < isa::kNumEngineKinds; ++e)
    hw.clock_mhz(isa::Engine(e));
  hw.hbm_bytes_per_ns_per_stack();
  hw.peak_matmul_flops_per_s();
  hw.to_json().dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(fuzz::bytes_of(data, size));
  const std::string preset = fuzz::scratch_file("preset.json", text);
  fuzz::refused_or_accepted([&] { use(timing::load_hw_config(preset)); });
  fuzz::refused_or_accepted([&] { timing::load_system_config(preset).to_json().dump(); });
  nlohmann::json overrides;
  try {
    overrides = io::parse_json(text, "overrides");
  } catch (const io::JsonSyntaxError&) {
    return 0;  // the preset loads above read the same text through the same parser
  }
  fuzz::refused_or_accepted([&] { use(timing::load_hw_config("trn2", overrides)); });
  fuzz::refused_or_accepted([&] { timing::load_system_config("trn2.48xlarge", overrides).to_json().dump(); });
  return 0;
}
