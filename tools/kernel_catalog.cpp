#include "tools/kernel_catalog.hpp"

#include <iomanip>
#include <sstream>

#include "tools/catalog_entries.hpp"

namespace tn::cli {

std::string number_text(double v) {
  std::ostringstream o;
  o << std::setprecision(17) << v;
  return o.str();
}

ConfigError kernel_param_error(const JsonObject& p, const std::string& what, const std::string& prefix,
                               const std::function<std::string(const std::string&)>& json_key) {
  std::string key;
  if (what.rfind(prefix, 0) == 0) {
    const size_t colon = what.find(':', prefix.size());
    if (colon != std::string::npos)
      key = json_key(what.substr(prefix.size(), colon - prefix.size()));
  }
  return ConfigError(p.file() + ": " + (key.empty() ? p.path() : p.path_of(key)) + ": " + what);
}

ConfigError kernel_param_error(const ParamReader& r, const std::string& what, const std::string& prefix) {
  return kernel_param_error(r.object(), what, prefix, [&](const std::string& k) {
    return r.table().find(k) != nullptr ? k : std::string();
  });
}

namespace {

struct KernelEntry {
  const KernelParamTable& (*table)();
  KernelSetup (*setup)(const ParamReader&, const KernelContext&);
};

// Every kernel a run config may name, in the order `trnsim kernels` lists them.
const std::vector<KernelEntry>& kernel_entries() {
  static const std::vector<KernelEntry> entries = {
      {attention_cte_params, setup_attention_cte},
      {attention_segmented_cte_params, setup_attention_segmented_cte},
      {kv_parallel_prefill_params, setup_kv_parallel_prefill},
      {ring_attention_params, setup_ring_attention},
      {collective_benchmark_params, setup_collective_benchmark},
      {matmul_params, setup_matmul},
      {microbenchmark_params, setup_microbenchmark},
      {floor_nisa_kernel_params, setup_rounding},
      {ceil_nisa_kernel_params, setup_rounding},
      {program_params, setup_program},
  };
  return entries;
}

const KernelEntry* entry_of(const std::string& kernel) {
  for (const KernelEntry& e : kernel_entries()) {
    if (e.table().kernel == kernel)
      return &e;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> kernel_names() {
  std::vector<std::string> names;
  for (const KernelEntry& e : kernel_entries())
    names.push_back(e.table().kernel);
  return names;
}

const KernelParamTable* kernel_param_table(const std::string& kernel) {
  const KernelEntry* e = entry_of(kernel);
  return e == nullptr ? nullptr : &e->table();
}

void KernelContext::estimate_before_build(const KernelSetup& s, const std::string& drivers,
                                          double instructions, const std::vector<TensorInfo>& scratch) const {
  if (!before_build)
    return;
  RunEstimate e;
  e.kernel = s.kernel;
  e.drivers = drivers;
  e.instructions = instructions;
  e.ranks = s.per_rank ? s.ranks : 1;
  const auto numel = [](const std::vector<int64_t>& shape) {
    double n = 1;
    for (int64_t x : shape)
      n *= static_cast<double>(x);
    return n;
  };
  // A multi-rank kernel's rank_inputs are each rank's view of `inputs`, which are drawn once for the launch.
  for (const TensorInfo& t : s.inputs)
    e.inputs.push_back({t.dtype, numel(t.shape) / e.ranks, t.fill == InputFill::kValues});
  for (const std::vector<TensorInfo>* list : {&s.outputs, &scratch})
    for (const TensorInfo& t : *list)
      e.outputs.push_back({t.dtype, numel(t.shape), false});
  before_build(e);
}

void KernelContext::estimate_built(const KernelSetup& s, const std::string& drivers,
                                   const std::vector<TensorInfo>& scratch) const {
  double instructions = 0;
  for (const isa::Program& program : s.programs)
    instructions += double(program.num_instructions());
  estimate_before_build(s, drivers, instructions, scratch);
}

KernelSetup setup_kernel(const std::string& kernel, const JsonObject& params, const isa::MemoryLimits& limits,
                         int32_t neuron_core_version, const EstimateCheck& before_build) {
  const KernelEntry* e = entry_of(kernel);
  if (e == nullptr) {
    std::string names;
    for (const auto& n : kernel_names())
      names += (names.empty() ? "" : ", ") + n;
    throw ConfigError(params.file() + ": $.kernel: unknown kernel \"" + kernel + "\" (known: " + names + ")");
  }
  const ParamReader reader(params, e->table());
  return e->setup(reader, KernelContext{limits, neuron_core_version, before_build});
}

}  // namespace tn::cli
