// Runs a generated kernel in the functional simulator on NumPy-seeded inputs and returns its outputs as
// float64 host tensors: the shared harness of the kernel numerics tests.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "kernels/reference/host_tensor.hpp"

namespace tn::kernels::test {

struct HarnessTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};

// Inputs drawn in order from np.random.seed(seed) uniform [0, 1), rounded to their dtypes.
std::map<std::string, ref::HostTensor> seeded_inputs(const std::vector<HarnessTensor>& inputs,
                                                     uint32_t seed = 0);

// Validates the programs, runs them functionally (all cores share HBM) and reads back `outputs`.
std::map<std::string, ref::HostTensor> run_functional(const std::vector<isa::Program>& programs,
                                                      const std::map<std::string, ref::HostTensor>& inputs,
                                                      const std::vector<HarnessTensor>& input_decls,
                                                      const std::vector<HarnessTensor>& outputs,
                                                      const isa::MemoryLimits& limits,
                                                      uint64_t schedule_seed = 0);

// Every rank r runs `programs` (SPMD) on its own HBM holding rank_inputs[r]; returns each rank's outputs.
std::vector<std::map<std::string, ref::HostTensor>> run_functional_ranks(
    const std::vector<isa::Program>& programs,
    const std::vector<std::map<std::string, ref::HostTensor>>& rank_inputs,
    const std::vector<HarnessTensor>& input_decls, const std::vector<HarnessTensor>& outputs,
    const isa::MemoryLimits& limits, uint64_t schedule_seed = 0);

}  // namespace tn::kernels::test
