// The float64 reference of attention_segmented_cte for a kernel configuration and a run's HBM input values:
// the one place that maps the kernel's parameters and inputs onto the reference's (which knows nothing of the
// kernel's code). Runtime values (prior_tokens, kvp_offset) and the fp8 scales come from the input tensors,
// so an input override reaches the reference too.
#pragma once
#include <cmath>
#include <map>
#include <string>

#include "kernels/attention_segmented_cte.hpp"
#include "kernels/reference/attention_segmented_cte_reference.hpp"

namespace tn::kernels {

inline ref::SegmentedCteRefOutputs attention_segmented_cte_reference_for(
    const AttentionSegmentedCteParams& p, const std::map<std::string, ref::HostTensor>& inputs) {
  auto input = [&](const std::string& name) -> const ref::HostTensor* {
    const auto it = inputs.find(name);
    return it == inputs.end() ? nullptr : &it->second;
  };
  ref::SegmentedCteRefParams rp;
  rp.batch = p.batch;
  rp.num_q_heads = p.num_q_heads;
  rp.num_kv_heads = p.num_kv_heads;
  rp.seqlen_q = p.seqlen_q;
  rp.d = p.d;
  rp.block_size = p.block_size;
  rp.scale = p.scale;
  rp.sliding_window = p.sliding_window;
  rp.tp_q = p.tp_q;
  rp.tp_out = p.tp_out;
  rp.k_pre_transposed = p.k_pre_transposed;
  if (p.kv_scales) {
    rp.k_scale = inputs.at("k_scale").data[0];  // the reference's per-tensor reading (kernels.md §3.1)
    rp.v_scale = inputs.at("v_scale").data[0];
  }
  if (p.kvp_offset)
    rp.kvp_offset = std::llround(inputs.at("kvp_offset").data[0]);
  ref::SegmentedCteRefInputs ri;
  ri.q = input("q");
  ri.k_cache = input("k_cache");
  ri.v_cache = input("v_cache");
  ri.block_tables = input("block_tables");
  ri.prior_tokens = static_cast<int64_t>(std::llround(inputs.at("prior_tokens").data[0]));
  ri.sink = p.sink ? input("sink") : nullptr;
  return ref::attention_segmented_cte_reference(rp, ri);
}

}  // namespace tn::kernels
