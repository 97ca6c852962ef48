#include "kernels/tests/kernel_harness.hpp"

#include "kernels/reference/dtype_rounding.hpp"
#include "kernels/reference/numpy_random.hpp"
#include "sim/func/functional_runner.hpp"

namespace tn::kernels::test {

std::map<std::string, ref::HostTensor> seeded_inputs(const std::vector<HarnessTensor>& inputs,
                                                     uint32_t seed) {
  ref::NumpyLegacyRandom rng(seed);
  std::map<std::string, ref::HostTensor> out;
  for (const auto& t : inputs) {
    ref::HostTensor h;
    h.shape = t.shape;
    h.data = rng.random_sample(static_cast<size_t>(ref::HostTensor::numel_of(t.shape)));
    out[t.name] = ref::rounded_to(std::move(h), t.dtype);
  }
  return out;
}

std::map<std::string, ref::HostTensor> run_functional(const std::vector<isa::Program>& programs,
                                                      const std::map<std::string, ref::HostTensor>& inputs,
                                                      const std::vector<HarnessTensor>& input_decls,
                                                      const std::vector<HarnessTensor>& outputs,
                                                      const isa::MemoryLimits& limits,
                                                      uint64_t schedule_seed) {
  return run_functional_ranks(programs, {inputs}, input_decls, outputs, limits, schedule_seed)[0];
}

std::vector<std::map<std::string, ref::HostTensor>> run_functional_ranks(
    const std::vector<isa::Program>& programs,
    const std::vector<std::map<std::string, ref::HostTensor>>& rank_inputs,
    const std::vector<HarnessTensor>& input_decls, const std::vector<HarnessTensor>& outputs,
    const isa::MemoryLimits& limits, uint64_t schedule_seed) {
  std::vector<const isa::Program*> ptrs;
  for (const auto& p : programs) {
    isa::validate_or_throw(p, limits);
    ptrs.push_back(&p);
  }
  std::vector<sim::Hbm> hbm(rank_inputs.size());
  std::vector<sim::Hbm*> hbm_ptrs;
  for (size_t r = 0; r < rank_inputs.size(); ++r) {
    for (const auto& t : input_decls) {
      hbm[r].declare({t.name, t.dtype, t.shape, isa::TensorKind::kInput});
      hbm[r].fill_exact(t.name, rank_inputs[r].at(t.name).data);
    }
    hbm_ptrs.push_back(&hbm[r]);
  }
  sim::FunctionalOptions options;
  options.schedule_seed = schedule_seed;
  sim::run_functional_ranks(ptrs, hbm_ptrs, limits, options);
  std::vector<std::map<std::string, ref::HostTensor>> out(rank_inputs.size());
  for (size_t r = 0; r < rank_inputs.size(); ++r) {
    for (const auto& t : outputs)
      out[r][t.name] = ref::HostTensor{t.shape, hbm[r].read_exact(t.name)};
  }
  return out;
}

}  // namespace tn::kernels::test
