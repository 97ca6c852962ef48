// DMA semantics (hardware.md §1.8, kernels.md §6.5). Any memory to any memory: HBM<->SBUF, SBUF<->SBUF
// and HBM<->HBM (ring-buffer initialisation), by the same element-order walk.
#include <string>

#include "sim/func/executor.hpp"

namespace tn::sim {

// Element i of src (in [P, free...] order) goes to element i of dst; the shapes may differ. Equal
// dtypes copy raw bytes; otherwise src -> fp32 -> dst (hardware.md §1.8 "Dtype cast in DMA").
void Executor::run(const isa::DmaCopy& op) { copy_converting(op.dst, op.src); }

// dst[f, p] = src[p, f] with src's free dims flattened, moving raw 16- or 32-bit values (hardware.md
// §1.8: 2- or 4-byte dtypes, no conversion).
void Executor::run(const isa::DmaTranspose& op) {
  const auto size = dtype_size(op.src.dtype);
  if ((size != 2 && size != 4) || op.dst.dtype != op.src.dtype) {
    throw InstructionFault("DMA transpose moves a 2- or 4-byte dtype unchanged; src is " +
                           std::string(dtype_name(op.src.dtype)) + ", dst " +
                           std::string(dtype_name(op.dst.dtype)));
  }
  transpose(op.dst, op.src);
}

}  // namespace tn::sim
