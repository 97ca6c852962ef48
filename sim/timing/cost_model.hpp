// What one instruction costs on its engine, from the published per-instruction formulas (hardware.md
// §1.3-§1.6, the §3 instruction table and §4.1), layered with the v3/v4 changes the preset carries.
// Pure functions of the instruction and the hardware: no state, no time. DMA transfers have no fixed
// cost; their time comes from DmaModel, which reads the transfer's shape from InstructionCost::dma.
#pragma once
#include <cstdint>

#include "isa/operations.hpp"
#include "sim/timing/hw_config.hpp"

namespace tn::timing {

struct MemoryBytes {
  uint64_t hbm = 0;
  uint64_t sbuf = 0;
  uint64_t psum = 0;
  uint64_t total() const { return hbm + sbuf + psum; }
  uint64_t& of(isa::MemKind m) {
    return m == isa::MemKind::kHbm ? hbm : m == isa::MemKind::kSbuf ? sbuf : psum;
  }
};

// How a DMA instruction loads the DMA engines (hardware.md §1.8).
struct DmaShape {
  int32_t rows = 0;         // outer rows of the source pattern, dealt round-robin over the engines
  uint64_t bytes = 0;       // bytes the engines move (the larger side when the DMA casts)
  double efficiency = 1.0;  // fraction of engine bandwidth achieved (DMA transpose: 0.9 / 0.5)
  // Packets the engines move: each contiguous run of a row, cut at dma.packet_bytes. Each costs its engine
  // dma.packet_overhead_ns besides its bytes (hardware.md §1.8: small rows are overhead-bound).
  uint64_t packets = 0;
};

struct InstructionCost {
  uint64_t cycles = 0;       // engine clock cycles (0 for DMA transfers)
  uint64_t duration_ps = 0;  // cycles at the engine's clock, rounded once per instruction
  // ScalarE/VectorE instructions that write SBUF/PSUM: the time from the instruction's end until its
  // output is committed, before which no RAW-dependent consumer starts (hardware.md §1.2, §4.1). The
  // engine is free meanwhile; the instruction retires (signals its semaphores) at the commit.
  uint64_t commit_latency_ps = 0;
  double flops = 0;            // matmul: 2*K*M*N
  double transpose_flops = 0;  // PE transpose, counted apart as the profiler does (§4.2)
  MemoryBytes read;
  MemoryBytes written;
  DmaShape dma;  // DMA instructions only
};

// The cost of `op` on `engine`. Throws std::invalid_argument if `engine` cannot run `op`.
InstructionCost cost(const isa::Operation& op, isa::Engine engine, const HwConfig& hw);

// cycles at clock_mhz in integer picoseconds: round(cycles * 1e6 / clock_mhz).
uint64_t cycles_to_ps(uint64_t cycles, double clock_mhz);

// True for instructions the DMA model times (dma_copy, dma_transpose).
bool is_dma_transfer(const isa::Operation& op);

}  // namespace tn::timing
