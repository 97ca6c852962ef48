// The `microbenchmark` kernel: `count` instructions of one kind, to measure one published cost formula
// (hardware.md §1.4-§1.8, §4.1) in isolation, as the fidelity report does (bench/fidelity_report.cpp).
// x [partitions, elements] is loaded into SBUF, goes through the instructions and is stored to y, so
// y == x whatever the kind: the numerics are checked, and the time of the instructions is the
// difference between two counts (the load and store cancel).
//   scalar_chain / vector_chain: copies on ScalarE (activation copy) / VectorE (tensor_copy), each
//     reading what the previous one wrote (a RAW-dependent chain, §4.1);
//   scalar_independent / vector_independent / gpsimd_independent: copies that all read the loaded tile
//     (no RAW dependency between them);
//   dma_stream: `count` HBM -> SBUF loads of x on one queue, into rotating buffers.
// x is loaded on a queue of the chosen DGE mode; y is stored on a plain queue.
#pragma once
#include <cstdint>
#include <string_view>

#include "isa/program.hpp"
#include "isa/validator.hpp"

namespace tn::kernels {

enum class MicrobenchKind : uint8_t {
  kScalarChain,
  kScalarIndependent,
  kVectorChain,
  kVectorIndependent,
  kGpSimdIndependent,
  kDmaStream
};

// The kind's parameter value ("scalar_chain", ...) and back; from_name throws KernelParamError.
std::string_view microbench_kind_name(MicrobenchKind k);
MicrobenchKind microbench_kind_from_name(std::string_view name);

struct MicrobenchmarkParams {
  MicrobenchKind kind = MicrobenchKind::kScalarChain;
  int64_t count = 1;       // instructions of the kind
  int32_t partitions = 1;  // 1..128
  int64_t elements = 1;    // per partition
  DType dtype = DType::kFloat32;
  // The load queue's descriptor generation (isa/dge_mode.hpp), e.g. a dma_stream of hwdge loads measures
  // the ~600 ns per hardware-DGE instruction (hardware.md §1.8).
  isa::DgeMode load_dge = isa::DgeMode::kNone;
  isa::Engine load_dge_trigger = isa::Engine::kSp;
};

void check_microbenchmark_params(const MicrobenchmarkParams& p, const isa::MemoryLimits& limits);
// count + 2 (the load and the store; dma_stream: count + 1); the builder adds none.
double microbenchmark_instruction_estimate(const MicrobenchmarkParams& p);
// HBM tensors: input "x" and output "y", both [partitions, elements] of dtype.
isa::Program build_microbenchmark(const MicrobenchmarkParams& p, const isa::MemoryLimits& limits);

}  // namespace tn::kernels
