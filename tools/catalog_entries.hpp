// What the per-kernel parts of the catalog (tools/catalog_*.cpp) share with kernel_catalog.cpp.
#pragma once
#include <functional>
#include <set>
#include <string>

#include "tools/kernel_catalog.hpp"

namespace tn::cli {

// The dtype named by params[key], or `fallback` when absent; an unknown name fails at its JSON path.
DType read_dtype(const JsonObject& params, const std::string& key, DType fallback);

// A kernel's own rejection ("<prefix>NAME: rule") as a ConfigError at the JSON path of NAME's key:
// `json_key` maps the kernel's parameter name to it ("" when no key corresponds).
ConfigError kernel_param_error(const JsonObject& p, const std::string& what, const std::string& prefix,
                               const std::function<std::string(const std::string&)>& json_key);
// The same when the kernel's parameter names are the JSON keys.
ConfigError kernel_param_error(const JsonObject& p, const std::string& what, const std::string& prefix,
                               const std::set<std::string>& keys);

KernelSetup setup_attention_segmented_cte(const JsonObject& params, const isa::MemoryLimits& limits);
KernelSetup setup_collective_benchmark(const JsonObject& params, const isa::MemoryLimits& limits);
// A program JSON run as it is (tools/catalog_program.cpp).
KernelSetup setup_program(const JsonObject& params, const isa::MemoryLimits& limits);
KernelSetup setup_kv_parallel_prefill(const JsonObject& params, const isa::MemoryLimits& limits);
KernelSetup setup_ring_attention(const JsonObject& params, const isa::MemoryLimits& limits,
                                 int32_t neuron_core_version);

}  // namespace tn::cli
