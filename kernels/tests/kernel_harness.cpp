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
  sim::Hbm hbm;
  std::vector<const isa::Program*> ptrs;
  for (const auto& p : programs) {
    isa::validate_or_throw(p, limits);
    ptrs.push_back(&p);
  }
  for (const auto& t : input_decls) {
    hbm.declare({t.name, t.dtype, t.shape, isa::TensorKind::kInput});
    hbm.fill_exact(t.name, inputs.at(t.name).data);
  }
  sim::FunctionalOptions options;
  options.schedule_seed = schedule_seed;
  sim::run_functional(ptrs, hbm, limits, options);
  std::map<std::string, ref::HostTensor> out;
  for (const auto& t : outputs) {
    out[t.name] = ref::HostTensor{t.shape, hbm.read_exact(t.name)};
  }
  return out;
}

}  // namespace tn::kernels::test
