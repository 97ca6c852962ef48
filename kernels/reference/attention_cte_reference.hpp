// Independent float64 reference of attention_cte's full semantics (kernels.md §1.1, §1.2, §2.1), written from
// the specification and not from any kernel code. It is the golden the kernel tests compare against
// (kernels.md §2.2).
//
// Layouts (kernels.md §1.1; "seq-major" = (batch, seq, d), "d-major" = (batch, d, seq)):
//   q        tp_q  ? (bs, Sq, d)          : (bs, d, Sq)
//   k        tp_k  ? (bs_kv, Skv, d)      : (bs_kv, d, Skv)
//   k_prior  tp_k  ? (bs_kv, Sprior, d)   : (bs_kv, d, Sprior)
//   v        (bs_kv, Skv, d)              v_prior (bs_kv, Sprior, d)
//   out      tp_out ? (bs, d, Sq)         : (bs, Sq, d)
//   neg_max, sum_recip (cache_softmax)    (bs, 128, Sq/128), element [b, p, g] is query g*128 + p
//   sum (skip_output_normalization)       same layout: the raw softmax denominator instead of 1 / sum
//
// Semantics decided here where kernels.md leaves room (see also the .cpp):
// - Kernel-only asserts (scale == 1 with SWA/CP/prefix, SWA and CP require causal, packing excludes
//   prefix/CP, size limits) are NOT enforced: every mask is applied independently, exactly as the torch
//   steps of §2.1 build them. Only what the reference itself needs is validated (std::invalid_argument).
// - Packing bounds index the concatenated key axis [prior used rows | active rows], i.e. column j of the
//   (Sq, U + Skv) mask of §2.1 step 4; without prefix caching (the only legal case) this is the active key
//   index. Fractional bounds compare as doubles (j < 2.5 masks j <= 2); a NaN bound masks nothing.
// - cp_offset is optional (default 0) and used whenever given, also with global_cp_deg == 1; it is
//   required when global_cp_deg > 1. Strided slicing uses q_pos[i] = cp_offset + i * global_cp_deg.
//   Striped input (kernels.md §1.9) uses the contiguous formula q_pos[i] = cp_offset + i: its local key
//   indices are the positions, and the caller's cp_offset (0 or -1) says whether the diagonal is visible.
// - skip_output_normalization (§1.9): out_i = sum_j exp(s_ij - m_i) v_j and `sum` holds S_i (sink term
//   included); a row with nothing visible and no sink is NaN there too.
// - Masked columns are skipped rather than filled with -inf; this equals torch for finite inputs.
// - A row with no visible key and no sink is NaN as in torch: out = NaN, sum_recip = NaN, neg_max = +inf
//   (torch's rowmax is -inf there). With a sink such a row gives out = 0, neg_max = -sink, sum_recip = 1.
// - out_i = (sum_j e_ij v_j) / S_i with e_ij = exp(s_ij - m_i): the same value as torch's (e / S) @ v up to
//   float64 rounding.
// - All outputs are float64; casting to the kernel's dtype / softmax_dtype is the caller's business
//   (§2.1 step 9).
#pragma once
#include <cstdint>
#include <optional>

#include "kernels/reference/host_tensor.hpp"

namespace tn::ref {

struct AttentionCteRefParams {
  int64_t bs = 1;
  int64_t bs_kv = 1;
  int64_t seqlen_q = 0;
  int64_t seqlen_kv = 0;
  int64_t d = 0;
  double scale = 1;
  bool causal = true;
  int64_t sliding_window = 0;  // 0 = no sliding window
  bool tp_q = true;
  bool tp_k = false;
  bool tp_out = false;
  bool cache_softmax = false;
  int64_t global_cp_deg = 1;  // 1 = no CP
  bool cp_strided_q_slicing = false;
  bool cp_striped_input = false;  // positions as contiguous CP (see above)
  bool skip_output_normalization = false;
  int64_t seqlen_prior = 0;  // allocated prior length (k_prior/v_prior seq extent); 0 = no prefix caching
};

struct AttentionCteRefInputs {
  const HostTensor* q = nullptr;
  const HostTensor* k = nullptr;
  const HostTensor* v = nullptr;
  const HostTensor* k_prior = nullptr;
  const HostTensor* v_prior = nullptr;
  std::optional<int64_t> prior_used_len;  // U: only the first U prior rows are used
  const HostTensor* sink = nullptr;       // (bs, 1), unscaled extra logit per q batch row
  std::optional<int64_t> cp_offset;
  const HostTensor* bound_min = nullptr;  // (Sq, 1), shared by all batches
  const HostTensor* bound_max = nullptr;  // (Sq, 1)
};

struct AttentionCteRefOutputs {
  HostTensor out;
  std::optional<HostTensor> neg_max;    // present iff cache_softmax
  std::optional<HostTensor> sum_recip;  // present iff cache_softmax without skip_output_normalization
  std::optional<HostTensor> sum;        // present iff cache_softmax with skip_output_normalization
};

// Number of query rows per cache_softmax column group (kernels.md §1.1: partition count P).
inline constexpr int64_t kSoftmaxCacheRows = 128;

AttentionCteRefOutputs attention_cte_reference(const AttentionCteRefParams& params,
                                               const AttentionCteRefInputs& inputs);

// The (query, key) pairs the masks leave visible, summed over the batch (the sink column excluded): the
// work a perfect kernel would do, 4 * d FLOPs each for QK^T and PV. The basis of model FLOPs and MFU.
// Reads only the masks' inputs (prior_used_len, cp_offset, bound_min/max): q, k, v, the prior K/V and the
// sink may be absent.
int64_t attention_cte_visible_pairs(const AttentionCteRefParams& params, const AttentionCteRefInputs& inputs);

}  // namespace tn::ref
