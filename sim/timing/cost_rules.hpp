// Internal to the cost model: the per-instruction overload set that cost() dispatches to with
// std::visit, and the per-engine streaming formulas the overloads share. The overloads are declared
// one by one on purpose: a new row in isa/instructions.def without a cost_of() here fails to compile.
#pragma once
#include <cstdint>

#include "isa/operations.hpp"
#include "sim/timing/cost_model.hpp"

namespace tn::timing::rules {

struct CostContext {
  isa::Engine engine;
  const HwConfig& hw;
  // 1, or the strided slowdown when an on-chip operand's innermost stride exceeds the port's fast
  // stride (hardware.md §1.7, §4.1: above 16 bytes the SBUF/PSUM bandwidth halves).
  int64_t stride_factor;
};

// Each fills cycles, flops and the DMA shape; cost() adds the bytes per memory and the duration.
InstructionCost cost_of(const isa::LoadStationary& op, const CostContext& c);  // cost_pe.cpp
InstructionCost cost_of(const isa::MultiplyMoving& op, const CostContext& c);
InstructionCost cost_of(const isa::PeTranspose& op, const CostContext& c);
InstructionCost cost_of(const isa::Activation& op, const CostContext& c);    // cost_act.cpp
InstructionCost cost_of(const isa::TensorTensor& op, const CostContext& c);  // cost_dve.cpp
InstructionCost cost_of(const isa::TensorScalar& op, const CostContext& c);
InstructionCost cost_of(const isa::ScalarTensorTensor& op, const CostContext& c);
InstructionCost cost_of(const isa::TensorReduce& op, const CostContext& c);
InstructionCost cost_of(const isa::TensorCopy& op, const CostContext& c);
InstructionCost cost_of(const isa::Memset& op, const CostContext& c);
InstructionCost cost_of(const isa::StreamShuffle& op, const CostContext& c);
InstructionCost cost_of(const isa::Reciprocal& op, const CostContext& c);
InstructionCost cost_of(const isa::RangeSelect& op, const CostContext& c);
InstructionCost cost_of(const isa::TensorScalarReduce& op, const CostContext& c);
InstructionCost cost_of(const isa::Iota& op, const CostContext& c);  // cost_pool.cpp
InstructionCost cost_of(const isa::AffineSelect& op, const CostContext& c);
InstructionCost cost_of(const isa::DmaCopy& op, const CostContext& c);  // cost_dma.cpp
InstructionCost cost_of(const isa::DmaTranspose& op, const CostContext& c);
InstructionCost cost_of(const isa::DmaGather& op, const CostContext& c);
InstructionCost cost_of(const isa::SemSignal& op, const CostContext& c);  // cost_sync.cpp
InstructionCost cost_of(const isa::SemWait& op, const CostContext& c);
InstructionCost cost_of(const isa::RegLoad& op, const CostContext& c);
InstructionCost cost_of(const isa::RegSet& op, const CostContext& c);
InstructionCost cost_of(const isa::RegOp& op, const CostContext& c);
InstructionCost cost_of(const isa::Branch& op, const CostContext& c);
InstructionCost cost_of(const isa::RegCheck& op, const CostContext& c);
InstructionCost cost_of(const isa::DmaCopyRegOffset& op, const CostContext& c);  // cost_dma.cpp
InstructionCost cost_of(const isa::AllGather& op, const CostContext& c);         // cost_collective.cpp
InstructionCost cost_of(const isa::AllToAll& op, const CostContext& c);
InstructionCost cost_of(const isa::CollectivePermute& op, const CostContext& c);
InstructionCost cost_of(const isa::RankId& op, const CostContext& c);
InstructionCost cost_of(const isa::ProcessingRankId& op, const CostContext& c);
InstructionCost cost_of(const isa::CoreBarrier& op, const CostContext& c);

// ScalarE streaming one input (hardware.md §1.5, §3, §4.1): max(ceil(n * stride / speedup), MIN_II +
// static overhead). The ~100-cycle static overhead shows only when the instruction is tiny; a long stream
// hides it (§1.4: roughly N cycles when N > 128). What a RAW-dependent chain adds is the commit latency
// after the instruction (InstructionCost::commit_latency_ps), not engine time. cost_act.cpp.
uint64_t act_cycles(int64_t n, double speedup, const CostContext& c);
// VectorE (hardware.md §1.4, §3, §4.1): max(ceil(n * passes * stride / speedup), MIN_II + static
// overhead), as act_cycles. cost_dve.cpp.
uint64_t dve_cycles(int64_t n, double passes, double speedup, const CostContext& c);
// GpSimdE (hardware.md §1.6, §4.1): start-up + n * passes * stride. cost_pool.cpp.
uint64_t pool_cycles(int64_t n, int64_t passes, const CostContext& c);

InstructionCost cycles_only(uint64_t cycles);
// BF16 or FP16: the dtypes the v3 perf modes and the v4 ScalarE 2x apply to (hardware.md §1.4, §1.5).
bool is_16bit_float(DType t);
// The innermost stride, in elements, of the dims that actually repeat (1 when none does).
int64_t innermost_stride(const isa::AccessPattern& ap);

}  // namespace tn::timing::rules
