// What the per-kernel parts of the catalog (tools/catalog_*.cpp) share with kernel_catalog.cpp.
#pragma once
#include <functional>
#include <set>
#include <string>

#include "tools/kernel_catalog.hpp"
#include "tools/kernel_params.hpp"

namespace tn::cli {

// A kernel's own rejection ("<prefix>NAME: rule") as a ConfigError at the JSON path of NAME's key:
// `json_key` maps the kernel's parameter name to it ("" when no key corresponds).
ConfigError kernel_param_error(const JsonObject& p, const std::string& what, const std::string& prefix,
                               const std::function<std::string(const std::string&)>& json_key);
// The same when the kernel's parameter names are the JSON keys of its table.
ConfigError kernel_param_error(const ParamReader& r, const std::string& what, const std::string& prefix);

// What a kernel's setup needs beside its parameters.
struct KernelContext {
  isa::MemoryLimits limits;
  int32_t neuron_core_version = 3;  // the hardware's generation, for kernels that refuse some
  EstimateCheck before_build;       // may be empty

  // Hands before_build the run's estimate: `instructions` (the kernel's formula from its trip counts),
  // `drivers` (the parameters behind it, with values: product_text) and the tensors of `s`, whose inputs
  // and outputs must be filled in already, plus `scratch`: HBM tensors that are neither (a program's
  // internal ones), counted as outputs are. Throws to refuse the run.
  void estimate_before_build(const KernelSetup& s, const std::string& drivers, double instructions,
                             const std::vector<TensorInfo>& scratch = {}) const;
  // The same for a kernel whose programs are built already (a program JSON, the collective's few
  // instructions) and whose tensors are what may not fit: the instructions are s.programs' own.
  void estimate_built(const KernelSetup& s, const std::string& drivers,
                      const std::vector<TensorInfo>& scratch = {}) const;
};

// Each kernel's parameter table (tools/catalog_<kernel>.cpp) and its setup, which reads the parameters
// through the table.
const KernelParamTable& attention_cte_params();
KernelSetup setup_attention_cte(const ParamReader& params, const KernelContext& context);
const KernelParamTable& attention_segmented_cte_params();
KernelSetup setup_attention_segmented_cte(const ParamReader& params, const KernelContext& context);
const KernelParamTable& kv_parallel_prefill_params();
KernelSetup setup_kv_parallel_prefill(const ParamReader& params, const KernelContext& context);
const KernelParamTable& ring_attention_params();
KernelSetup setup_ring_attention(const ParamReader& params, const KernelContext& context);
const KernelParamTable& collective_benchmark_params();
KernelSetup setup_collective_benchmark(const ParamReader& params, const KernelContext& context);
const KernelParamTable& matmul_params();
KernelSetup setup_matmul(const ParamReader& params, const KernelContext& context);
const KernelParamTable& microbenchmark_params();
KernelSetup setup_microbenchmark(const ParamReader& params, const KernelContext& context);
const KernelParamTable& floor_nisa_kernel_params();
const KernelParamTable& ceil_nisa_kernel_params();
KernelSetup setup_rounding(const ParamReader& params, const KernelContext& context);  // floor or ceil
// A program JSON run as it is (tools/catalog_program.cpp).
const KernelParamTable& program_params();
KernelSetup setup_program(const ParamReader& params, const KernelContext& context);

}  // namespace tn::cli
