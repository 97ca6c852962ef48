// The `collective` kernel: one collective between every rank of its replica group, nccl-tests style, to
// measure the collective model (time, algorithm, bus bandwidth) and check that it moves bytes exactly.
// Each rank copies its input into an internal tensor (collectives take no kernel I/O, collectives.md §2),
// runs the collective on CC-core 0 and copies the result out. At LNC2 both cores issue the collective
// (core 0 also does the copies).
#pragma once
#include <cstdint>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "kernels/attention_cte.hpp"

namespace tn::kernels {

enum class CollectiveBenchKind : uint8_t { kAllGather, kAllToAll, kPermute };

struct CollectiveBenchmarkParams {
  CollectiveBenchKind kind = CollectiveBenchKind::kAllGather;
  int64_t elements = 0;  // each rank's src
  DType dtype = DType::kFloat32;
  int64_t ranks = 0;
  int32_t lnc = 1;
  isa::ReplicaGroup group;  // rows of ranks; empty: one row of every rank
  // The replica group the kernel uses.
  isa::ReplicaGroup effective_group() const;
  // Elements of each rank's dst: G x src for all_gather, src otherwise (G the row size).
  int64_t dst_elements() const;
};

void check_collective_benchmark_params(const CollectiveBenchmarkParams& p);
// HBM tensors: input "src" [elements], output "dst" [dst_elements()]; one program per core.
std::vector<isa::Program> build_collective_benchmark(const CollectiveBenchmarkParams& p,
                                                     const isa::MemoryLimits& limits);

}  // namespace tn::kernels
