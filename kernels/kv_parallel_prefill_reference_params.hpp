// The one place that maps kv_parallel_segmented_prefill's parameters onto its float64 reference's, and a
// rank's inputs onto the reference's view of them.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "kernels/kv_parallel_segmented_prefill.hpp"
#include "kernels/reference/kv_parallel_prefill_reference.hpp"

namespace tn::kernels {

inline ref::KvParallelPrefillRefParams reference_params(const KvParallelPrefillParams& p) {
  ref::KvParallelPrefillRefParams r;
  r.ranks = p.ranks();
  r.lnc = p.lnc;
  r.seqlen = p.seqlen;
  r.d = p.d;
  r.block_size = p.block_size;
  r.num_blocks = p.num_blocks;
  r.global_q_offset = p.global_q_offset;
  r.scale = p.scale;
  r.tp_out = p.tp_out;
  return r;
}

// Each rank's expected out from its inputs (named as kv_parallel_prefill_inputs).
inline std::vector<ref::HostTensor> kv_parallel_prefill_reference_for(
    const KvParallelPrefillParams& p,
    const std::vector<std::map<std::string, ref::HostTensor>>& rank_inputs) {
  std::vector<ref::KvParallelPrefillRefRank> ranks;
  for (const auto& m : rank_inputs)
    ranks.push_back({&m.at("q"), &m.at("k_cache"), &m.at("v_cache"), &m.at("block_tables")});
  return ref::kv_parallel_prefill_reference(reference_params(p), ranks);
}

}  // namespace tn::kernels
