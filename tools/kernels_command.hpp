// `trnsim kernels [NAME] [--params JSON] [--json]`: every kernel a run config may name, with its parameters
// (type, default, what it accepts, meaning) from the tables the parser reads (tools/kernel_params.hpp), and
// its input and output tensors with shapes, resolved by the kernel's own setup for the example parameters
// or for --params.
#pragma once
#include <string>

namespace tn::cli {

struct KernelsOptions {
  std::string kernel;  // "": every kernel
  std::string params;  // a JSON object of parameters to resolve the tensors for ("": the example's)
  std::string hardware = "trn2";
  bool json = false;
};

int run_kernels_command(const KernelsOptions& options);

}  // namespace tn::cli
