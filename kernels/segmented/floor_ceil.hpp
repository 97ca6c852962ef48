// floor_nisa_kernel and ceil_nisa_kernel of attention_segmented_cte (kernels.md §3.2): floor and ceil of an
// fp32 tile into int32 with engine instructions only, correct whether the fp32 -> int32 conversion truncates
// or rounds. Values travel through fp32 inside the engines (hardware.md §3), so results are exact for
// |x| < 2^24.
#pragma once
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "kernels/builder/program_builder.hpp"

namespace tn::kernels {

// dst (int32) = floor(src (fp32)); both [p, f] tiles in SBUF. Temporaries come from the builder's stack
// and are released on return.
void floor_nisa(ProgramBuilder& b, const AccessPattern& dst, const AccessPattern& src,
                Loc loc = Loc::current());
// dst (int32) = ceil(src) = -floor(-src).
void ceil_nisa(ProgramBuilder& b, const AccessPattern& dst, const AccessPattern& src,
               Loc loc = Loc::current());

// Stand-alone kernels for the CLI and tests: HBM "x" (p_size, f_size) fp32 -> HBM "out" int32 of the
// same shape, through SBUF.
struct RoundingKernelParams {
  int32_t p_size = 0;
  int64_t f_size = 0;
};
isa::Program build_floor_nisa_kernel(const RoundingKernelParams& p, const isa::MemoryLimits& limits);
isa::Program build_ceil_nisa_kernel(const RoundingKernelParams& p, const isa::MemoryLimits& limits);

}  // namespace tn::kernels
