// The float64 reference's parameters for a kernel configuration: the one place that maps the kernel's
// parameters onto the reference's (which knows nothing of the kernel's code).
#pragma once
#include "kernels/attention_cte.hpp"
#include "kernels/reference/attention_cte_reference.hpp"

namespace tn::kernels {

inline ref::AttentionCteRefParams reference_params(const AttentionCteParams& p) {
  ref::AttentionCteRefParams r;
  r.bs = p.bs;
  r.bs_kv = p.bs_kv;
  r.seqlen_q = p.seqlen_q;
  r.seqlen_kv = p.seqlen_kv;
  r.d = p.d;
  r.scale = p.scale;
  r.causal = p.causal;
  r.tp_q = p.tp_q;
  r.tp_k = p.tp_k;
  r.tp_out = p.tp_out;
  r.sliding_window = p.sliding_window;
  r.cache_softmax = p.cache_softmax;
  r.global_cp_deg = p.global_cp_deg;
  r.cp_strided_q_slicing = p.cp_strided_q_slicing;
  r.cp_striped_input = p.cp_striped_input;
  r.skip_output_normalization = p.skip_output_normalization;
  r.seqlen_prior = p.seqlen_prior;
  // Not reference parameters: the runtime values (prior_used_len, cp_offset, sink, bound_min/bound_max) are
  // inputs (AttentionCteRefInputs); softmax_dtype only casts the statistics (the caller rounds each output to
  // its dtype); mm_out_dtype is a kernel-internal precision the float64 reference has no use for.
  return r;
}

}  // namespace tn::kernels
