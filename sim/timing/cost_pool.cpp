// GpSimdE (POOL) costs, hardware.md §1.6 and §4.1: no general rule is published; the docstrings give
// start-up (~150 cycles) + N for iota and affine_select, which is applied to every POOL instruction,
// with one pass per tensor input (each core moves 32 bits per partition per cycle, §1.6).
#include "sim/timing/cost_rules.hpp"

namespace tn::timing::rules {

uint64_t pool_cycles(int64_t n, int64_t passes, const CostContext& c) {
  return uint64_t(c.hw.pool_startup_cycles + n * passes * c.stride_factor);
}

// iota: 150 + N (§1.6, §3).
InstructionCost cost_of(const isa::Iota& op, const CostContext& c) {
  return cycles_only(pool_cycles(op.dst.free_size(), 1, c));
}

// affine_select: GPSIMD_START (~150) + N (§1.6, §3).
InstructionCost cost_of(const isa::AffineSelect& op, const CostContext& c) {
  return cycles_only(pool_cycles(op.dst.free_size(), 1, c));
}

}  // namespace tn::timing::rules
