// What the CLI knows about each kernel: how to read its parameters from a run config (accepting the
// field names of shared/reference/attention_cte_cases.json), which HBM tensors it takes and returns,
// how to build its programs, and its float64 reference and tolerances.
#pragma once
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "kernels/reference/host_tensor.hpp"
#include "tools/json_reader.hpp"

namespace tn::cli {

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};

using HostTensors = std::map<std::string, ref::HostTensor>;

struct KernelSetup {
  std::string kernel;
  nlohmann::json params;  // as resolved (defaults filled in)
  bool expect_failure = false;
  std::string failure;                 // when the kernel rejected the parameters: why
  std::vector<isa::Program> programs;  // one per NeuronCore
  std::vector<TensorInfo> inputs;      // in the order random inputs are drawn (kernels.md §2.2)
  std::vector<TensorInfo> outputs;
  double model_flops = 0;
  double rtol = 0, atol = 0;
  // Expected outputs in float64 from the inputs' values (already rounded to their dtypes).
  std::function<HostTensors(const HostTensors& inputs)> reference;
};

std::vector<std::string> kernel_names();

// Reads `params` (a JSON object at `params.path()`) for `kernel` and builds everything. Bad keys or
// values throw ConfigError naming the JSON path; parameters the kernel rejects throw ConfigError too,
// unless the params say expect_failure, in which case `failure` holds the reason.
KernelSetup setup_kernel(const std::string& kernel, const JsonObject& params,
                         const isa::MemoryLimits& limits);

}  // namespace tn::cli
