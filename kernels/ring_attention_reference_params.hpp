// The one place that maps ring_attention_spmd_fwd's parameters onto its float64 reference's, and the
// launch's ranks onto the reference's rings.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "kernels/reference/ring_attention_reference.hpp"
#include "kernels/ring_attention_spmd_fwd.hpp"

namespace tn::kernels {

// The comparison of a ring's outputs with the float64 reference (max mode: |a - e| <= atol + rtol max|e|).
// kernels.md §5.4: the kernel's tests allow atol 1e-3 against an fp32 golden; their long sequences make
// outputs small. The output travels through HBM in q's dtype every step (§5.3 precision caveat): about three
// bf16 roundings (2^-9 relative) per step, so its bound is relative to the largest output, 10 bf16 ulps
// (measured: 1-3 ulps, at most 0.7 %, for 2-8 ranks). The lse comes from fp32 statistics (measured 1e-7
// relative), rounded through three lse_dtype operations when that is 16-bit. Inputs in another dtype than
// bf16 add one error: attention_cte casts q and k to bf16 (kernels.md §1.5, "all matmul operands are bf16"),
// which moves each score by up to 2^-9 relative per operand while the reference keeps the inputs' values;
// the lse, a smooth maximum of the scores, moves as much as they do. For those dtypes the lse bound is
// 2^-8 of the largest |lse| (measured: up to 2.2e-4 relative for fp16 at d 64 and 128).
struct RingTolerance {
  double rtol, atol;
};
inline RingTolerance ring_out_tolerance() { return {2e-2, 1e-3}; }
inline RingTolerance ring_lse_tolerance(DType lse_dtype, DType dtype) {
  const double operand_cast = dtype == DType::kBFloat16 ? 0.0 : 1.0 / 256;
  if (lse_dtype == DType::kBFloat16)
    return {1.0 / 128 + operand_cast, 1e-5};  // 2 bf16 ulps
  if (lse_dtype == DType::kFloat16)
    return {1.0 / 512 + operand_cast, 1e-5};  // 2 fp16 ulps
  return {1e-4 + operand_cast, 1e-5};
}

inline ref::RingAttentionRefParams reference_params(const RingAttentionParams& p) {
  ref::RingAttentionRefParams r;
  r.b = p.b;
  r.h = p.h;
  r.seqlen = p.seqlen;
  r.d = p.d;
  r.num_workers = p.num_workers;
  r.scale = p.attention_scale();  // what the kernel applies; causal callers pre-scale q
  r.causal = p.use_causal_mask;
  r.striped = p.striped_input;
  r.tp_q = p.tp_q;
  r.tp_k = p.tp_k;
  return r;
}

// Every rank's expected outputs ("out", and "lse" when training) from all ranks' inputs (named as
// ring_attention_inputs, indexed by global rank): each ring of p.rings() is one reference problem.
inline std::vector<std::map<std::string, ref::HostTensor>> ring_attention_reference_for(
    const RingAttentionParams& p, const std::vector<std::map<std::string, ref::HostTensor>>& rank_inputs) {
  std::vector<std::map<std::string, ref::HostTensor>> out(rank_inputs.size());
  for (const auto& row : p.rings()) {
    std::vector<ref::RingAttentionRefRank> ring;
    for (int32_t r : row) {
      const auto& m = rank_inputs.at(size_t(r));
      ring.push_back({&m.at("q"), &m.at("k"), &m.at("v")});
    }
    auto results = ref::ring_attention_reference(reference_params(p), ring);
    for (size_t i = 0; i < row.size(); ++i) {
      out[size_t(row[i])]["out"] = std::move(results[i].out);
      if (p.training)
        out[size_t(row[i])]["lse"] = std::move(results[i].lse);
    }
  }
  return out;
}

}  // namespace tn::kernels
