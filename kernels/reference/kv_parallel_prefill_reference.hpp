// Independent float64 reference of kv_parallel_segmented_prefill (kernels.md §4.1, seed API doc 000), from
// the specification: every rank's output is the exact causal attention of its own Q heads over the KV
// shards of all ranks concatenated in rank order.
//
// Per rank r (of R), with L = num_blocks * block_size:
//   q             (lnc, S, d): the rank's heads; head c of rank r is group head r * lnc + c
//   k_cache       (num_blocks, 1, block_size, d), v_cache likewise: the rank's shard
//   block_tables  (1, >= num_blocks): local token j is token j % bs of block block_tables[0, j / bs]
//   out           tp_out ? (lnc, d, S) : (lnc, S, d)
// Global key g = r' * L + j is local token j of rank r'. Query i sits at global position
// global_q_offset + i and sees keys g <= global_q_offset + i: s_ig = scale * q_i . k_g, softmax over them,
// out_i = sum_g p_ig v_g. The causal mask always leaves key 0 visible, so every row is defined.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/reference/host_tensor.hpp"

namespace tn::ref {

struct KvParallelPrefillRefParams {
  int64_t ranks = 1, lnc = 1, seqlen = 0, d = 0, block_size = 0, num_blocks = 0;
  int64_t global_q_offset = 0;
  double scale = 1.0;
  bool tp_out = false;
};

struct KvParallelPrefillRefRank {
  const HostTensor* q = nullptr;
  const HostTensor* k_cache = nullptr;
  const HostTensor* v_cache = nullptr;
  const HostTensor* block_tables = nullptr;
};

// One output per rank. Throws std::invalid_argument for shapes that disagree with `p` or table entries
// outside the cache.
std::vector<HostTensor> kv_parallel_prefill_reference(const KvParallelPrefillRefParams& p,
                                                      const std::vector<KvParallelPrefillRefRank>& ranks);

// (query, key) pairs the mask leaves visible, over every head of the group: the basis of model FLOPs.
double kv_parallel_prefill_visible_pairs(const KvParallelPrefillRefParams& p);

}  // namespace tn::ref
