#include "sim/timing/cost_model.hpp"

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "isa/operands.hpp"
#include "sim/timing/cost_rules.hpp"
#include "sim/timing/rounding.hpp"

namespace tn::timing {

namespace rules {

InstructionCost cycles_only(uint64_t cycles) {
  InstructionCost c;
  c.cycles = cycles;
  return c;
}

bool is_16bit_float(DType t) { return t == DType::kBFloat16 || t == DType::kFloat16; }

int64_t innermost_stride(const isa::AccessPattern& ap) {
  for (int d = ap.ndim - 1; d >= 0; --d) {
    if (ap.dims[d].count > 1) {
      return std::llabs(ap.dims[d].stride);
    }
  }
  return 1;
}

}  // namespace rules

namespace {

// hardware.md §1.7: "If the innermost stride is <= 16 bytes, SBUF/PSUM supply 128 elements per cycle
// per read/write port. Above 16 bytes, bandwidth halves, so the instruction takes about 2x". One slow
// operand is enough to slow the whole stream.
int64_t stride_factor(const isa::OperandList& operands, const HwConfig& hw) {
  for (const isa::Operand& o : operands) {
    if (o.ap->on_chip() &&
        rules::innermost_stride(*o.ap) * int64_t(dtype_size(o.ap->dtype)) > hw.sbuf_fast_stride_max_bytes) {
      return hw.sbuf_strided_slowdown_factor;
    }
  }
  return 1;
}

}  // namespace

uint64_t cycles_to_ps(uint64_t cycles, double clock_mhz) {
  return static_cast<uint64_t>(round_half_away(static_cast<double>(cycles) * 1e6 / clock_mhz));
}

bool is_dma_transfer(const isa::Operation& op) { return isa::engines_of(op) == isa::kDma; }

InstructionCost cost(const isa::Operation& op, isa::Engine engine, const HwConfig& hw) {
  if (!(isa::engines_of(op) & isa::mask_of(engine))) {
    throw std::invalid_argument(std::string(isa::mnemonic(op)) + " cannot run on the " +
                                std::string(isa::engine_name(engine)) + " engine");
  }
  const isa::OperandList operands = isa::operands_of(op);
  const rules::CostContext ctx{engine, hw, stride_factor(operands, hw)};
  InstructionCost c = std::visit([&](const auto& o) { return rules::cost_of(o, ctx); }, op);
  bool writes_on_chip = false;
  for (const isa::Operand& o : operands) {
    (o.is_write ? c.written : c.read).of(o.ap->mem) += static_cast<uint64_t>(o.ap->bytes());
    writes_on_chip = writes_on_chip || (o.is_write && o.ap->on_chip());
  }
  c.duration_ps = cycles_to_ps(c.cycles, hw.clock_mhz(engine));
  if (writes_on_chip && (engine == isa::Engine::kAct || engine == isa::Engine::kDve)) {
    const int64_t latency =
        engine == isa::Engine::kAct ? hw.act_dependency_latency_cycles : hw.dve_dependency_latency_cycles;
    c.commit_latency_ps = cycles_to_ps(uint64_t(latency), hw.clock_mhz(engine));
  }
  return c;
}

}  // namespace tn::timing
