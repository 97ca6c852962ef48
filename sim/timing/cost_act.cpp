// ScalarE (ACT) costs, hardware.md §1.5 and the §3 activation row. One input tensor streams at one
// element per partition per cycle (§1.5 "Throughput limit"); the fused scale, bias and function cost
// the same as a bare activation (§1.5 [S11,S14]).
#include <algorithm>
#include <cmath>

#include "sim/timing/cost_rules.hpp"

namespace tn::timing::rules {

uint64_t act_cycles(int64_t n, double speedup, const CostContext& c) {
  const auto stream = static_cast<int64_t>(std::ceil(double(n * c.stride_factor) / speedup));
  return uint64_t(std::max<int64_t>(stream, c.hw.act_min_ii_cycles + c.hw.act_static_overhead_cycles));
}

// activation: max(MIN_II, N) + overhead; with an accumulate (reduce_res) output the readout adds
// ~MIN_II = 64 cycles (activation_reduce = max(MIN_II, N) + MIN_II, §3).
InstructionCost cost_of(const isa::Activation& op, const CostContext& c) {
  uint64_t cycles = act_cycles(op.src.free_size(), 1.0, c);
  if (op.accumulate.present) {
    cycles += uint64_t(c.hw.act_reduce_readout_cycles);
  }
  return cycles_only(cycles);
}

}  // namespace tn::timing::rules
