// kv_parallel_segmented_prefill (seed API doc 000; kernels.md §4): KV-parallel prefill. group_size
// NeuronCores form R = group_size / lnc ranks; each rank holds lnc Q heads and a contiguous shard of one KV
// head's cache (L = num_blocks * block_size tokens: rank r covers global positions [r L, (r + 1) L)). Per
// rank and core (kernels.md §4.2):
//   1. all-gather Q: each core copies its head into shared q_src, then all_gather -> q_full (group_size
//   heads,
//      rank-major);
//   2. for each Q chunk of seg_size tokens, attention_segmented_cte (as a sub-kernel) of the core's hpn =
//      group_size / lnc heads over the local shard, prior_tokens_c = min(q_start + global_q_offset, L - seg)
//      (compile time) and kvp_offset_c = kvp_offset + q_start (run time), its normalised output and
//      statistics copied into the shared partial buffers;
//   3. pack [R, lnc, S, D + 2] fp32 (partial out, neg_max, sum_recip; head hh to rank hh / lnc, slot hh %
//   lnc)
//      and all_to_all;
//   4. merge: core s combines the R partials of its rank's head s per 128-token tile with the online-softmax
//      weights exp(m_r - m) S_r / sum_r' exp(m_r' - m) S_r', casts to q's dtype (transposed for tp_out).
// A rank whose shard lies after a chunk's queries returns neg_max = FLT_MAX there: weight 0.
#pragma once
#include <cstdint>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "kernels/attention_cte.hpp"
#include "kernels/attention_segmented_cte.hpp"

namespace tn::kernels {

struct KvParallelPrefillParams {
  int64_t group_size = 0;  // NeuronCores of the KV-parallel group (Q heads of the group)
  int32_t lnc = 1;         // cores per rank; R = group_size / lnc ranks
  int64_t seqlen = 0;      // S: Q tokens per head
  int64_t d = 0;
  int64_t block_size = 0;
  int64_t seg_size = 0;
  int64_t num_blocks = 0;  // cache blocks per rank: local_kv_len = num_blocks * block_size
  double scale = 1.0;
  int64_t global_q_offset = 0;  // the global position of Q token 0 (compile time)
  bool tp_out = false;
  DType dtype = DType::kBFloat16;  // q, the caches and out

  int64_t ranks() const { return group_size / lnc; }
  int64_t heads_per_core() const { return group_size / lnc; }
  int64_t local_kv_len() const { return num_blocks * block_size; }
  // The compile-time prior length of chunk c (kernels.md §4.2).
  int64_t prior_tokens(int64_t chunk) const;
  // The segmented kernel's parameters for one chunk.
  AttentionSegmentedCteParams chunk_params() const;
};

// Per rank: q [lnc, S, D], k_cache / v_cache [num_blocks, 1, block_size, D], block_tables [1, num_blocks],
// kvp_offset [1, 1] int32; out [lnc, S, D] (or [lnc, D, S] with tp_out).
std::vector<KernelTensor> kv_parallel_prefill_inputs(const KvParallelPrefillParams& p);
std::vector<KernelTensor> kv_parallel_prefill_outputs(const KvParallelPrefillParams& p);

void check_kv_parallel_prefill_params(const KvParallelPrefillParams& p);

// The instructions of one rank's programs (every rank runs the same), estimated without building
// (tools/run_estimate.hpp): per core and Q chunk the attention_segmented_cte call
// (attention_segmented_cte_instruction_estimate of chunk_params) and the merge of the ranks' partials per
// 128-token tile. Within a factor of 1.5 of the real count (kernels/tests/kernel_estimate_test.cpp).
double kv_parallel_prefill_instruction_estimate(const KvParallelPrefillParams& p);

// One program per core of a rank; every rank runs them (replica group: one row of the R ranks).
std::vector<isa::Program> build_kv_parallel_prefill(const KvParallelPrefillParams& p,
                                                    const isa::MemoryLimits& limits);

}  // namespace tn::kernels
