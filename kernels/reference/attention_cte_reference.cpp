// float64 attention_cte reference (kernels.md §1.2 / §2.1). The header lists the decisions on ambiguities.
//
// Every mask of §1.2 is an interval constraint on the concatenated key index j (prior rows first, kv_pos[j] =
// j-U), so the visible keys of a query row are one interval [lo, hi): only those columns are computed. The
// summation order of each dot product (over d) and of P@V (over j, ascending) is fixed, so the result does
// not depend on the blocking or the number of threads.
#include "kernels/reference/attention_cte_reference.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/reference/attention_block.hpp"
#include "kernels/reference/input_checks.hpp"

namespace tn::ref {
namespace {

using detail::BlockScratch;
using detail::KeyRange;
using detail::kQueryBlock;
using detail::seq_d_offset;

const detail::InputChecks check("attention_cte_reference");

// Values derived once from params + inputs after validation.
struct Problem {
  const AttentionCteRefParams& p;
  const AttentionCteRefInputs& in;
  int64_t used_prior = 0;  // U
  int64_t num_keys = 0;    // T = U + Skv, the concatenated key axis
  int64_t cp_off = 0;
  int64_t gqa_group = 1;  // bs / bs_kv
};

// `values`: false when only the masks matter (visible pairs): q, k, v, the prior K/V and the sink may then
// be absent.
Problem validate(const AttentionCteRefParams& p, const AttentionCteRefInputs& in, bool values = true) {
  check.require(p.bs > 0 && p.bs_kv > 0, "bs and bs_kv must be positive");
  check.require(p.bs % p.bs_kv == 0, "bs (" + std::to_string(p.bs) + ") must be a multiple of bs_kv (" +
                                         std::to_string(p.bs_kv) + ")");
  check.require(p.seqlen_q > 0 && p.seqlen_kv > 0 && p.d > 0, "need seqlen_q > 0, seqlen_kv > 0, d > 0");
  check.require(p.sliding_window >= 0, "sliding_window must be >= 0");
  check.require(p.seqlen_prior >= 0, "seqlen_prior must be >= 0");
  check.require(p.global_cp_deg >= 1, "global_cp_deg must be >= 1 (1 = no CP)");

  if (values) {
    check.tensor(in.q, "q", p.tp_q ? std::vector{p.bs, p.seqlen_q, p.d} : std::vector{p.bs, p.d, p.seqlen_q});
    check.tensor(in.k, "k",
                 p.tp_k ? std::vector{p.bs_kv, p.seqlen_kv, p.d} : std::vector{p.bs_kv, p.d, p.seqlen_kv});
    check.tensor(in.v, "v", {p.bs_kv, p.seqlen_kv, p.d});
  }

  Problem pr{p, in};
  pr.gqa_group = p.bs / p.bs_kv;

  // Prefix caching: all three inputs together (§1.3), and U <= Sprior because the reference slices [:U].
  const bool prefix = p.seqlen_prior > 0;
  check.require(prefix == in.prior_used_len.has_value(),
                "prior_used_len must be given exactly when seqlen_prior > 0");
  if (values) {
    check.require(prefix == (in.k_prior != nullptr) && prefix == (in.v_prior != nullptr),
                  "k_prior, v_prior and prior_used_len must be given exactly when seqlen_prior > 0");
  }
  if (prefix) {
    if (values) {
      check.tensor(
          in.k_prior, "k_prior",
          p.tp_k ? std::vector{p.bs_kv, p.seqlen_prior, p.d} : std::vector{p.bs_kv, p.d, p.seqlen_prior});
      check.tensor(in.v_prior, "v_prior", {p.bs_kv, p.seqlen_prior, p.d});
    }
    const int64_t u = *in.prior_used_len;
    check.require(
        u >= 0 && u <= p.seqlen_prior,
        "prior_used_len (" + std::to_string(u) + ") must be in [0, " + std::to_string(p.seqlen_prior) + "]");
    pr.used_prior = u;
  }
  pr.num_keys = pr.used_prior + p.seqlen_kv;

  check.require(p.global_cp_deg == 1 || in.cp_offset.has_value(), "global_cp_deg > 1 needs cp_offset");
  pr.cp_off = in.cp_offset.value_or(0);

  if (values && in.sink) {
    check.column(in.sink, "sink", p.bs);
  }
  check.require((in.bound_min == nullptr) == (in.bound_max == nullptr),
                "bound_min and bound_max go together");
  if (in.bound_min) {
    check.column(in.bound_min, "bound_min", p.seqlen_q);
    check.column(in.bound_max, "bound_max", p.seqlen_q);
  }
  check.require(!(p.cp_striped_input && p.cp_strided_q_slicing),
                "cp_striped_input and cp_strided_q_slicing exclude each other");
  check.require(!p.skip_output_normalization || p.cache_softmax,
                "skip_output_normalization returns the raw sum with cache_softmax only");
  if (p.cache_softmax) {
    check.require(p.seqlen_q % kSoftmaxCacheRows == 0,
                  "cache_softmax needs seqlen_q % 128 == 0 (got " + std::to_string(p.seqlen_q) + ")");
  }
  return pr;
}

// One KV batch with prior rows [0, U) and active rows [U, T) concatenated (§2.1 step 2):
// K^T as key panels so QK sweeps contiguous keys; V as (T, d) so PV sweeps contiguous head dims.
struct KeysValues {
  detail::KeyPanels k_t;
  std::vector<double> v;
};

KeysValues gather_kv(const Problem& pr, int64_t b_kv) {
  const auto& p = pr.p;
  const int64_t u = pr.used_prior, t = pr.num_keys, d = p.d;
  KeysValues kv{detail::KeyPanels(d, t), std::vector<double>(static_cast<size_t>(t * d))};
  for (int64_t j = 0; j < t; ++j) {
    const bool prior = j < u;
    const HostTensor& k = prior ? *pr.in.k_prior : *pr.in.k;
    const HostTensor& v = prior ? *pr.in.v_prior : *pr.in.v;
    const int64_t seq = prior ? p.seqlen_prior : p.seqlen_kv;
    const int64_t row = prior ? j : j - u;
    for (int64_t e = 0; e < d; ++e) {
      kv.k_t.at(j, e) = k.data[seq_d_offset(p.tp_k, b_kv, seq, d, row, e)];
      kv.v[j * d + e] = v.data[seq_d_offset(true, b_kv, seq, d, row, e)];
    }
  }
  return kv;
}

// First key index with j >= bound (packing keeps j >= bound_min). A NaN bound compares false: no mask.
int64_t first_at_or_above(double bound, int64_t t) {
  if (!(bound > 0)) {
    return 0;
  }
  return bound >= static_cast<double>(t) ? t : static_cast<int64_t>(std::ceil(bound));
}

// One past the last key index satisfying j < bound (packing masks j >= bound_max). NaN masks nothing.
int64_t end_below(double bound, int64_t t) {
  if (!(bound < static_cast<double>(t))) {
    return t;
  }
  return bound <= 0 ? 0 : static_cast<int64_t>(std::ceil(bound));
}

// Visible keys of query row i (kernels.md §1.2 / §2.1 step 4), with kv_pos[j] = j - U:
//   causal masks kv_pos[j] > q_pos            ->  j <= q_pos + U
//   SWA (W > 0) masks kv_pos[j] <= q_pos - W  ->  j >= q_pos - W + U + 1
//   packing masks j < bmin[i] or j >= bmax[i]
// Prefix rows beyond U are not part of the key axis at all.
KeyRange visible_keys(const Problem& pr, int64_t i) {
  const auto& p = pr.p;
  const int64_t q_pos = pr.cp_off + (p.cp_strided_q_slicing ? i * p.global_cp_deg : i);
  KeyRange r{0, pr.num_keys};
  if (p.causal) {
    r.hi = std::min(r.hi, q_pos + pr.used_prior + 1);
  }
  if (p.sliding_window > 0) {
    r.lo = std::max(r.lo, q_pos - p.sliding_window + pr.used_prior + 1);
  }
  if (pr.in.bound_min) {
    r.lo = std::max(r.lo, first_at_or_above(pr.in.bound_min->data[i], pr.num_keys));
    r.hi = std::min(r.hi, end_below(pr.in.bound_max->data[i], pr.num_keys));
  }
  r.hi = std::max(r.hi, r.lo);
  return r;
}

void compute_block(const Problem& pr, const std::vector<KeysValues>& kvs, int64_t b, int64_t i0,
                   AttentionCteRefOutputs& out, BlockScratch& s) {
  const auto& p = pr.p;
  const int64_t d = p.d, sq = p.seqlen_q;
  const int64_t n = std::min(kQueryBlock, sq - i0);
  const KeysValues& kv = kvs[b / pr.gqa_group];  // GQA: consecutive q batches share a kv batch (§1.2)

  KeyRange range[kQueryBlock];
  for (int64_t r = 0; r < n; ++r) {
    range[r] = visible_keys(pr, i0 + r);
    for (int64_t e = 0; e < d; ++e) {
      s.q[r * d + e] = pr.in.q->data[seq_d_offset(p.tp_q, b, sq, d, i0 + r, e)];
    }
  }

  // Softmax (§2.1 steps 5-8): the unscaled sink joins the max and the denominator only; a fully masked
  // row gives NaN (§1.2 "Fully masked rows").
  double sum[kQueryBlock];
  double row_max[kQueryBlock];
  detail::attend_block({kv.k_t.data(), kv.v.data(), d, pr.num_keys}, n, range, p.scale,
                       pr.in.sink ? &pr.in.sink->data[b] : nullptr, s, row_max, sum);

  for (int64_t r = 0; r < n; ++r) {
    const int64_t i = i0 + r;
    const double unnormalise = p.skip_output_normalization ? sum[r] : 1.0;
    for (int64_t e = 0; e < d; ++e) {
      out.out.data[seq_d_offset(!p.tp_out, b, sq, d, i, e)] = s.acc[r * d + e] * unnormalise;
    }
    if (p.cache_softmax) {
      // (bs, Sq) -> (bs, G, 128) -> transpose(1, 2): element [b, p, g] is query g*128 + p (§2.1 step 8).
      const int64_t groups = sq / kSoftmaxCacheRows;
      const int64_t at = (b * kSoftmaxCacheRows + i % kSoftmaxCacheRows) * groups + i / kSoftmaxCacheRows;
      out.neg_max->data[at] = -row_max[r];
      if (p.skip_output_normalization)
        out.sum->data[at] = sum[r];
      else
        out.sum_recip->data[at] = 1.0 / sum[r];
    }
  }
}

}  // namespace

AttentionCteRefOutputs attention_cte_reference(const AttentionCteRefParams& params,
                                               const AttentionCteRefInputs& inputs) {
  const Problem pr = validate(params, inputs);
  const auto& p = params;

  AttentionCteRefOutputs out;
  out.out =
      HostTensor::zeros(p.tp_out ? std::vector{p.bs, p.d, p.seqlen_q} : std::vector{p.bs, p.seqlen_q, p.d});
  if (p.cache_softmax) {
    const std::vector<int64_t> stats_shape{p.bs, kSoftmaxCacheRows, p.seqlen_q / kSoftmaxCacheRows};
    out.neg_max = HostTensor::zeros(stats_shape);
    (p.skip_output_normalization ? out.sum : out.sum_recip) = HostTensor::zeros(stats_shape);
  }

  std::vector<KeysValues> kvs;
  kvs.reserve(static_cast<size_t>(p.bs_kv));
  for (int64_t b = 0; b < p.bs_kv; ++b) {
    kvs.push_back(gather_kv(pr, b));
  }

  // Work items are (batch, query block) writing disjoint outputs.
  const int64_t blocks_per_batch = (p.seqlen_q + kQueryBlock - 1) / kQueryBlock;
  detail::parallel_for(p.bs * blocks_per_batch, p.d, pr.num_keys, [&](int64_t item, BlockScratch& s) {
    compute_block(pr, kvs, item / blocks_per_batch, (item % blocks_per_batch) * kQueryBlock, out, s);
  });
  return out;
}

}  // namespace tn::ref

namespace tn::ref {

int64_t attention_cte_visible_pairs(const AttentionCteRefParams& params,
                                    const AttentionCteRefInputs& inputs) {
  const Problem pr = validate(params, inputs, /*values=*/false);
  int64_t pairs = 0;
  for (int64_t i = 0; i < params.seqlen_q; ++i) {
    const KeyRange r = visible_keys(pr, i);
    pairs += r.hi - r.lo;
  }
  return pairs * params.bs;
}

}  // namespace tn::ref
