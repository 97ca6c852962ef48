// Independent float64 reference of attention_segmented_cte (kernels.md §3.1, seed API doc 001), written from
// the specification and not from any kernel code: paged KV gathered through block tables, P prior (cached)
// tokens in front of the Sq active tokens, grouped Q heads, optional sliding window, sink, fp8 dequant
// scalars and the KV-parallel offset mode with its softmax statistics.
//
// Layouts (bs_q = batch * num_q_heads):
//   q             tp_q   ? (bs_q, Sq, d)                           : (bs_q, d, Sq)
//   k_cache       k_pre_transposed ? (num_blocks * n_kv, d, block_size), block b of head h at row-block
//                                    b * n_kv + h
//                                  : (num_blocks, n_kv, block_size, d)
//   v_cache       (num_blocks, n_kv, block_size, d)
//   block_tables  (batch, max_blocks), integral values (stored as doubles in the HostTensor)
//   sink          (bs_q, 1) or (bs_q)
//   out           tp_out ? (bs_q, d, Sq)                           : (bs_q, Sq, d)
//   neg_max, sum_recip (kvp mode only)  (bs_q, Sq), token-ordered: element [bq, i] belongs to query i
//
// Math per Q head row bq (§3.1):
//   b = bq / num_q_heads, h = (bq % num_q_heads) * n_kv / num_q_heads (integer division; grouped GQA);
//   the logical KV sequence of T = P + Sq keys is the concatenation of the blocks block_tables[b, 0 .. T/bs -
//   1] of head h; key j (0 <= j < T) is token j % bs of block block_tables[b, j / bs]; keys [0, P) are prior,
//   keys [P, T) active; query i sits at global position P + i.
//   Without kvp_offset: key j is visible iff j <= P + i (prior fully visible, causal within the active part).
//   With kvp_offset = o: key j is visible iff j <= i + o (this replaces the causal diagonal and applies to
//   prior keys too: j is the index in the whole gathered local sequence, as in kernels.md §4.1/§4.2 where the
//   prior segments are masked with cp_offset = kvp_offset - prior_blk * block_size). o = P is the plain case.
//   SWA (W > 0): key j < (P + i) - (W - 1) is masked, prior keys included.
//   s_ij = scale * (q_i . (k_scale * k_j)); sink (unscaled, unmasked) joins the row max and the denominator
//   only; out_i = sum_j exp(s_ij - m_i) (v_scale * v_j) / (sum_j exp(s_ij - m_i) + [exp(sink - m_i)]), m_i =
//   max(max_j s_ij, [sink]).
//
// Decisions where the specification leaves room:
// - Only what the math needs is validated (std::invalid_argument, message prefixed with the function name):
//   positive sizes, P >= 0, P % block_size == 0, Sq % block_size == 0, block_tables wide enough for
//   (P + Sq) / block_size entries, tensor shapes, and the used table entries. Kernel-only constraints
//   (Sq % 128, power-of-two block_size, W % block_size, head_dim limits, 512 % block_size, scale == 1 with
//   SWA) are NOT enforced. num_q_heads need not be a multiple of n_kv: the head formula is applied as given.
// - Used block-table entries (the first (P + Sq) / block_size of row b) must be integers in [0, num_blocks).
//   A -1 there throws: the kernel would skip the DMA and attend to a stale/zero block while the torch
//   reference would index block -1 (the last one), so there is no single meaning. Entries beyond the used
//   prefix are never read: -1 padding, 0 padding or any other value there is ignored.
// - kvp_offset together with sliding_window > 0 throws: the KV-parallel variant of the spec has no SWA
//   (kernels.md §4.1), so the query position a window would be anchored to is unspecified.
// - k_scale / v_scale are the per-tensor scalars the torch reference uses (element 0 of the (128, 1)
//   tensors): K and V are multiplied by them while gathering, i.e. the result equals pre-scaled caches.
// - A row with no visible key (only possible with kvp_offset < -i) and no sink is NaN as in torch:
//   out = NaN, sum_recip = NaN, neg_max = +inf. With a sink such a row gives out = 0, neg_max = -sink,
//   sum_recip = 1.
// - Masked columns are skipped rather than filled with -inf; this equals torch for finite inputs. The
//   summation orders (over d for QK, over keys ascending for PV) are fixed, so the result does not depend on
//   the number of threads.
// - All outputs are float64; casting to the kernel's dtype is the caller's business.
#pragma once
#include <cstdint>
#include <optional>

#include "kernels/reference/host_tensor.hpp"

namespace tn::ref {

struct SegmentedCteRefParams {
  int64_t batch = 1;
  int64_t num_q_heads = 1;
  int64_t num_kv_heads = 1;
  int64_t seqlen_q = 0;  // active Sq
  int64_t d = 0;
  int64_t block_size = 0;
  double scale = 1.0;
  int64_t sliding_window = 0;  // 0 = no sliding window
  bool tp_q = true;
  bool tp_out = true;
  bool k_pre_transposed = false;
  double k_scale = 1.0;  // fp8 dequant scalars (element 0 of the kernel's (128, 1) tensors)
  double v_scale = 1.0;
  std::optional<int64_t> kvp_offset;  // KV-parallel mode: visibility j <= i + kvp_offset, stats returned
};

struct SegmentedCteRefInputs {
  const HostTensor* q = nullptr;
  const HostTensor* k_cache = nullptr;
  const HostTensor* v_cache = nullptr;
  const HostTensor* block_tables = nullptr;  // (batch, max_blocks); -1 allowed beyond the used prefix
  int64_t prior_tokens = 0;                  // P (runtime), a multiple of block_size
  const HostTensor* sink = nullptr;          // (bs_q, 1)
};

struct SegmentedCteRefOutputs {
  HostTensor out;
  std::optional<HostTensor> neg_max;    // kvp mode only: (bs_q, Sq), -rowmax (sink included)
  std::optional<HostTensor> sum_recip;  // kvp mode only: (bs_q, Sq), 1 / rowsum (sink included)
};

SegmentedCteRefOutputs attention_segmented_cte_reference(const SegmentedCteRefParams& params,
                                                         const SegmentedCteRefInputs& inputs);

}  // namespace tn::ref
