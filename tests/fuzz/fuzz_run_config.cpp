// libFuzzer target: run configs (tools/run_config) and every kernel's parameters (tools/kernel_params and
// the tables of tools/catalog_*.cpp), through what `trnsim run` does before it simulates: the config read,
// its hardware loaded with the overrides, the kernel set up (its programs built) and validated, the launch
// resolved, and the inputs that a run without numerics reads (fixed runtime values, and the files the config
// names) read and checked. Nothing is simulated, so each execution is quick.
#include <set>

#include "isa/validator.hpp"
#include "sim/timing/hw_config.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tools/kernel_catalog.hpp"
#include "tools/launch.hpp"
#include "tools/run_config.hpp"
#include "tools/run_inputs.hpp"

namespace {

using namespace tn;

// The harness's shape budget. Building a kernel's programs costs time (and memory) in proportion to its
// instructions: valid shapes near the kernels' limits (seqlen 131072, bs 512) build for seconds to minutes,
// which would stall the campaign on legitimate work rather than find bugs. So params holding an integer
// beyond 2^16, or integers whose product passes 2^24 (the 8K attention_cte case's seqlen_q x seqlen_kv x
// d / 4), are read and their hardware loaded but not set up. The parameters' own range checks above that
// (seqlen <= 131072 ...) are therefore not fuzzed here; how long a legal large setup may take is the
// run resource estimate's business (issue 13).
constexpr int64_t kMaxParamInteger = int64_t(1) << 16;
constexpr double kMaxParamProduct = double(int64_t(1) << 24);

bool within_budget(const nlohmann::json& j, double& product) {
  if (j.is_number_integer()) {
    const double v = j.is_number_unsigned() ? double(j.get<uint64_t>()) : double(j.get<int64_t>());
    if (v > double(kMaxParamInteger) || v < -double(kMaxParamInteger))
      return false;
    if (v >= 2)
      product *= v;
    return product <= kMaxParamProduct;
  }
  if (j.is_number_float())
    return std::abs(j.get<double>()) <= double(kMaxParamInteger);  // "128.0" reads as an integer
  if (j.is_structured()) {
    for (const auto& v : j) {
      if (!within_budget(v, product))
        return false;
    }
  }
  return true;
}

void set_up(const std::string& file) {
  const cli::RunConfig c = cli::load_run_config(file);
  timing::HwConfig hw;
  try {
    hw = timing::load_hw_config(c.hardware, c.hardware_overrides);
  } catch (const timing::HwConfigError& e) {
    throw cli::ConfigError(c.file + ": $.hardware: " + e.what());
  }
  double product = 1;
  if (!within_budget(c.document.at("params"), product) || c.launch.ranks > 64)
    return;
  const isa::MemoryLimits limits = hw.memory_limits();
  const cli::KernelSetup k =
      cli::setup_kernel(c.kernel, c.params(), limits, int32_t(hw.chip_neuron_core_version));
  if (!k.failure.empty())
    return;
  for (const isa::Program& p : k.programs)
    isa::validate_or_throw(p, limits);
  cli::resolve_launch(c, k, hw);
  std::set<std::string> read;  // as a timing_only run reads them, plus every file the config names
  for (const auto& [name, path] : c.input_files)
    read.insert(name);
  cli::make_inputs(k, c, &read);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file = fuzz::scratch_file("run.json", fuzz::bytes_of(data, size));
  fuzz::refused_or_accepted([&] { set_up(file); });
  return 0;
}
