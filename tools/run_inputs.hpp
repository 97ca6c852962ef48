// A run's inputs: drawn as the kernels' own tests draw them (kernels.md §2.2), or read from .npy files,
// and checked (finite, integers exact) before anything runs.
#pragma once
#include <set>
#include <string>

#include "tools/kernel_catalog.hpp"
#include "tools/run_config.hpp"

namespace tn::cli {

// The kernel's inputs (KernelSetup::inputs) for config `c`: `inputs.files` entries read and checked
// against the declared shapes, the rest drawn in order from one NumPy legacy generator seeded with
// `inputs.seed`; every value rounded to its dtype. Bad values throw ConfigError naming file and element.
// `only` (a run without numerics): just the inputs of fixed values (InputFill::kValues), which the model
// FLOPs may depend on, and the ones named there (those its value slice reads); drawn inputs keep the
// values a full run draws.
HostTensors make_inputs(const KernelSetup& k, const RunConfig& c,
                        const std::set<std::string>* only = nullptr);

}  // namespace tn::cli
