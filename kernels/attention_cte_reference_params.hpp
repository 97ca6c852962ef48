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
  return r;
}

}  // namespace tn::kernels
