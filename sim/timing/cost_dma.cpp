// DMA instructions have no fixed cost: DmaModel times them against the DMA engines and HBM. Here they
// only describe the load they put on the engines (hardware.md §1.8).
#include <algorithm>

#include "sim/timing/cost_rules.hpp"

namespace tn::timing::rules {

namespace {
// Rows are the source's outer (partition) dimension: "for a 128-partition transfer, each engine moves
// 8 partitions" (§1.8). When the DMA casts (src -> fp32 -> dst), the engines move the larger side.
InstructionCost transfer(const isa::AccessPattern& dst, const isa::AccessPattern& src, double efficiency) {
  InstructionCost out;
  out.dma.rows = src.num_partitions;
  out.dma.bytes = uint64_t(std::max(src.bytes(), dst.bytes()));
  out.dma.efficiency = efficiency;
  return out;
}
}  // namespace

InstructionCost cost_of(const isa::DmaCopy& op, const CostContext&) { return transfer(op.dst, op.src, 1.0); }

// DMA transpose reaches up to 90% of DMA throughput from HBM and 50% SBUF -> SBUF (§1.8 [S12]); any
// other on-chip source is charged the SBUF -> SBUF figure.
InstructionCost cost_of(const isa::DmaTranspose& op, const CostContext& c) {
  return transfer(op.dst, op.src,
                  op.src.mem == isa::MemKind::kHbm ? c.hw.dma_transpose_efficiency_from_hbm
                                                   : c.hw.dma_transpose_efficiency_on_chip);
}

// An indirect DMA is timed like dma_copy from its static shape: every row is charged, including rows an
// out-of-bounds index skips at run time (the cost model is a pure function of the instruction and does
// not see runtime values). The index tile's SBUF read is counted with the operand bytes.
InstructionCost cost_of(const isa::DmaGather& op, const CostContext&) {
  return transfer(op.dst, op.src, 1.0);
}

// The register moves the window, not its size: timed like dma_copy.
InstructionCost cost_of(const isa::DmaCopyRegOffset& op, const CostContext&) {
  return transfer(op.dst, op.src, 1.0);
}

}  // namespace tn::timing::rules
