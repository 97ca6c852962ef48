// DMA instructions have no fixed cost: DmaModel times them against the DMA engines and HBM. Here they
// only describe the load they put on the engines (hardware.md §1.8).
#include <algorithm>
#include <numeric>

#include "sim/timing/cost_rules.hpp"

namespace tn::timing::rules {

namespace {
// The packets of `rows` rows of `row_elements` elements each, moved in pieces of `piece` elements of
// `element_bytes` (a descriptor covers one contiguous piece; DMA engines cut it into packets of at most
// `packet_bytes`, collectives.md §1). A row of 0 elements still costs one packet: the descriptor exists.
uint64_t packets_of(int64_t rows, int64_t row_elements, int64_t piece, int64_t element_bytes,
                    int64_t packet_bytes) {
  if (rows <= 0)
    return 0;
  if (row_elements <= 0)
    return uint64_t(rows);
  piece = std::clamp<int64_t>(piece, 1, row_elements);
  const int64_t pieces = (row_elements + piece - 1) / piece;
  const int64_t per_piece = (piece * element_bytes + packet_bytes - 1) / packet_bytes;
  return uint64_t(rows) * uint64_t(pieces) * uint64_t(per_piece);
}

// Rows are the source's outer (partition) dimension: "for a 128-partition transfer, each engine moves
// 8 partitions" (§1.8). When the DMA casts (src -> fp32 -> dst), the engines move the larger side.
// A copy moves element i of src to element i of dst, so a piece is contiguous on both sides: its length
// is the gcd of the two sides' runs (exact when one run divides the other, as in every kernel's tiles).
// A transpose reorders elements, so its pieces are the source's runs.
InstructionCost transfer(const isa::AccessPattern& dst, const isa::AccessPattern& src, double efficiency,
                         bool transposes, const HwConfig& hw) {
  InstructionCost out;
  out.dma.rows = src.num_partitions;
  out.dma.bytes = uint64_t(std::max(src.bytes(), dst.bytes()));
  out.dma.efficiency = efficiency;
  const int64_t src_run = src.contiguous_run();
  const int64_t piece = transposes ? src_run : std::gcd(src_run, dst.contiguous_run());
  const int64_t element_bytes = std::max(dtype_size(src.dtype), dtype_size(dst.dtype));
  out.dma.packets =
      packets_of(src.num_partitions, src.free_size(), piece, element_bytes, hw.dma_packet_bytes);
  return out;
}
}  // namespace

InstructionCost cost_of(const isa::DmaCopy& op, const CostContext& c) {
  return transfer(op.dst, op.src, 1.0, false, c.hw);
}

// DMA transpose reaches up to 90% of DMA throughput from HBM and 50% SBUF -> SBUF (§1.8 [S12]); any
// other on-chip source is charged the SBUF -> SBUF figure.
InstructionCost cost_of(const isa::DmaTranspose& op, const CostContext& c) {
  return transfer(op.dst, op.src,
                  op.src.mem == isa::MemKind::kHbm ? c.hw.dma_transpose_efficiency_from_hbm
                                                   : c.hw.dma_transpose_efficiency_on_chip,
                  true, c.hw);
}

// An indirect DMA is timed like dma_copy from its static shape: every row is charged, including rows an
// out-of-bounds index skips at run time (the cost model is a pure function of the instruction and does
// not see runtime values). The index tile's SBUF read is counted with the operand bytes.
InstructionCost cost_of(const isa::DmaGather& op, const CostContext& c) {
  return transfer(op.dst, op.src, 1.0, false, c.hw);
}

// The register moves the window, not its size: timed like dma_copy.
InstructionCost cost_of(const isa::DmaCopyRegOffset& op, const CostContext& c) {
  return transfer(op.dst, op.src, 1.0, false, c.hw);
}

}  // namespace tn::timing::rules
