// float64 attention_segmented_cte reference (kernels.md §3.1). The header lists the semantics and the
// decisions on ambiguities.
//
// The visible keys of a query row are one interval [lo, hi) of the gathered key axis (causal / kvp bound on
// the right, sliding window on the left), so only those columns are computed. The work is done one KV pair
// (sequence b, KV head h) at a time: its T = P + Sq keys are gathered once through the block table (K^T as
// (d, T), V as (T, d), dequant scalars applied), then the Q heads grouped onto it are processed in query
// blocks over threads.
#include "kernels/reference/attention_segmented_cte_reference.hpp"

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

const detail::InputChecks check("attention_segmented_cte_reference");

// Values derived once from params + inputs after validation.
struct Problem {
  const SegmentedCteRefParams& p;
  const SegmentedCteRefInputs& in;
  int64_t bs_q = 0;
  int64_t num_blocks = 0;         // physical blocks in the caches
  int64_t prior = 0;              // P
  int64_t num_keys = 0;           // T = P + Sq
  int64_t used_blocks = 0;        // T / block_size table entries per sequence
  std::vector<int64_t> blocks{};  // (batch, used_blocks): the validated used table prefix
};

Problem validate(const SegmentedCteRefParams& p, const SegmentedCteRefInputs& in) {
  check.require(p.batch > 0 && p.num_q_heads > 0 && p.num_kv_heads > 0,
                "batch, num_q_heads and num_kv_heads must be positive");
  check.require(p.seqlen_q > 0 && p.d > 0 && p.block_size > 0, "need seqlen_q > 0, d > 0, block_size > 0");
  check.require(p.sliding_window >= 0, "sliding_window must be >= 0 (0 = none)");
  check.require(!(p.kvp_offset.has_value() && p.sliding_window > 0),
                "kvp_offset with sliding_window > 0 is unspecified (the KV-parallel variant has no SWA)");
  check.require(p.seqlen_q % p.block_size == 0, "seqlen_q (" + std::to_string(p.seqlen_q) +
                                                    ") must be a multiple of block_size (" +
                                                    std::to_string(p.block_size) + ")");
  const int64_t P = in.prior_tokens;
  check.require(P >= 0, "prior_tokens must be >= 0 (got " + std::to_string(P) + ")");
  check.require(P % p.block_size == 0, "prior_tokens (" + std::to_string(P) +
                                           ") must be a multiple of block_size (" +
                                           std::to_string(p.block_size) + ")");

  Problem pr{p, in};
  pr.bs_q = p.batch * p.num_q_heads;
  pr.prior = P;
  pr.num_keys = P + p.seqlen_q;
  pr.used_blocks = pr.num_keys / p.block_size;

  check.tensor(in.q, "q",
               p.tp_q ? std::vector{pr.bs_q, p.seqlen_q, p.d} : std::vector{pr.bs_q, p.d, p.seqlen_q});

  // The caches fix num_blocks; everything else about their shape is implied by the params.
  check.require(in.v_cache != nullptr, "v_cache is required");
  check.require(in.v_cache->shape.size() == 4, "v_cache has shape " + shape_string(in.v_cache->shape) +
                                                   ", expected (num_blocks, n_kv, block_size, d)");
  pr.num_blocks = in.v_cache->shape[0];
  check.require(pr.num_blocks > 0, "the caches need at least one block");
  check.tensor(in.v_cache, "v_cache", {pr.num_blocks, p.num_kv_heads, p.block_size, p.d});
  check.require(in.k_cache != nullptr, "k_cache is required");
  if (p.k_pre_transposed) {
    check.tensor(in.k_cache, "k_cache (k_pre_transposed)",
                 {pr.num_blocks * p.num_kv_heads, p.d, p.block_size});
  } else {
    check.tensor(in.k_cache, "k_cache", {pr.num_blocks, p.num_kv_heads, p.block_size, p.d});
  }

  check.require(in.block_tables != nullptr, "block_tables is required");
  check.require(in.block_tables->shape.size() == 2 && in.block_tables->shape[0] == p.batch,
                "block_tables has shape " + shape_string(in.block_tables->shape) + ", expected (" +
                    std::to_string(p.batch) + ", max_blocks)");
  check.data_size(in.block_tables, "block_tables");
  const int64_t width = in.block_tables->shape[1];
  check.require(width >= pr.used_blocks, "block_tables has " + std::to_string(width) +
                                             " columns but (prior_tokens + seqlen_q) / block_size = (" +
                                             std::to_string(P) + " + " + std::to_string(p.seqlen_q) + ") / " +
                                             std::to_string(p.block_size) + " = " +
                                             std::to_string(pr.used_blocks) + " entries are used");
  pr.blocks.resize(static_cast<size_t>(p.batch * pr.used_blocks));
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t i = 0; i < pr.used_blocks; ++i) {
      const double v = in.block_tables->data[static_cast<size_t>(b * width + i)];
      const std::string where = "block_tables[" + std::to_string(b) + ", " + std::to_string(i) + "]";
      check.require(v != -1.0, where + " is -1 inside the used range (the first " +
                                   std::to_string(pr.used_blocks) +
                                   " entries); -1 padding is only allowed beyond it");
      check.require(
          std::isfinite(v) && v == std::floor(v) && v >= 0 && v < static_cast<double>(pr.num_blocks),
          where + " = " + std::to_string(v) + " is not a block index in [0, " +
              std::to_string(pr.num_blocks) + ")");
      pr.blocks[static_cast<size_t>(b * pr.used_blocks + i)] = static_cast<int64_t>(v);
    }
  }

  if (in.sink) {
    check.column(in.sink, "sink", pr.bs_q);
  }
  return pr;
}

// The gathered keys and values of one (sequence, KV head) pair: K^T as key panels and V (T, d), dequant
// applied.
struct KeysValues {
  detail::KeyPanels k_t;
  std::vector<double> v;
};

void gather_kv(const Problem& pr, int64_t b, int64_t h, KeysValues& kv) {
  const auto& p = pr.p;
  const int64_t t = pr.num_keys, d = p.d, bs = p.block_size, n_kv = p.num_kv_heads;
  const std::vector<double>& kc = pr.in.k_cache->data;
  const std::vector<double>& vc = pr.in.v_cache->data;
  for (int64_t j = 0; j < t; ++j) {
    const int64_t blk = pr.blocks[static_cast<size_t>(b * pr.used_blocks + j / bs)];
    const int64_t tok = j % bs;
    const int64_t row = blk * n_kv + h;  // (block, head) row-block in both layouts
    for (int64_t e = 0; e < d; ++e) {
      const int64_t k_at = p.k_pre_transposed ? (row * d + e) * bs + tok : (row * bs + tok) * d + e;
      kv.k_t.at(j, e) = kc[static_cast<size_t>(k_at)] * p.k_scale;
      kv.v[static_cast<size_t>(j * d + e)] = vc[static_cast<size_t>((row * bs + tok) * d + e)] * p.v_scale;
    }
  }
}

// Visible keys of query i on the gathered axis [0, T):
//   causal (no kvp)     j <= P + i           (prior fully visible, causal within the active part)
//   kvp_offset o        j <= i + o           (replaces the causal diagonal, prior included)
//   SWA W > 0           j >= P + i - (W - 1) (prior included)
KeyRange visible_keys(const Problem& pr, int64_t i) {
  const auto& p = pr.p;
  const int64_t t = pr.num_keys;
  KeyRange r{0, pr.prior + i + 1};
  if (p.kvp_offset) {
    const int64_t o = *p.kvp_offset;
    r.hi = o >= t - i ? t : std::max<int64_t>(0, i + o + 1);
  }
  if (p.sliding_window > 0) {
    r.lo = std::max<int64_t>(0, pr.prior + i - (p.sliding_window - 1));
  }
  r.hi = std::max(r.hi, r.lo);
  return r;
}

void compute_block(const Problem& pr, const KeysValues& kv, int64_t bq, int64_t i0,
                   SegmentedCteRefOutputs& out, BlockScratch& s) {
  const auto& p = pr.p;
  const int64_t d = p.d, sq = p.seqlen_q;
  const int64_t n = std::min(kQueryBlock, sq - i0);

  KeyRange range[kQueryBlock];
  for (int64_t r = 0; r < n; ++r) {
    range[r] = visible_keys(pr, i0 + r);
    for (int64_t e = 0; e < d; ++e) {
      s.q[r * d + e] = pr.in.q->data[static_cast<size_t>(seq_d_offset(p.tp_q, bq, sq, d, i0 + r, e))];
    }
  }

  // Softmax: the unscaled sink joins the max and the denominator only; no visible key and no sink gives NaN.
  double sum[kQueryBlock];
  double row_max[kQueryBlock];
  detail::attend_block({kv.k_t.data(), kv.v.data(), d, pr.num_keys}, n, range, p.scale,
                       pr.in.sink ? &pr.in.sink->data[static_cast<size_t>(bq)] : nullptr, s, row_max, sum);

  for (int64_t r = 0; r < n; ++r) {
    const int64_t i = i0 + r;
    for (int64_t e = 0; e < d; ++e) {
      out.out.data[static_cast<size_t>(seq_d_offset(!p.tp_out, bq, sq, d, i, e))] = s.acc[r * d + e];
    }
    if (out.neg_max) {
      out.neg_max->data[static_cast<size_t>(bq * sq + i)] = -row_max[r];
      out.sum_recip->data[static_cast<size_t>(bq * sq + i)] = 1.0 / sum[r];
    }
  }
}

}  // namespace

SegmentedCteRefOutputs attention_segmented_cte_reference(const SegmentedCteRefParams& params,
                                                         const SegmentedCteRefInputs& inputs) {
  const Problem pr = validate(params, inputs);
  const auto& p = params;
  const int64_t sq = p.seqlen_q;

  SegmentedCteRefOutputs out;
  out.out = HostTensor::zeros(p.tp_out ? std::vector{pr.bs_q, p.d, sq} : std::vector{pr.bs_q, sq, p.d});
  if (p.kvp_offset) {
    out.neg_max = HostTensor::zeros({pr.bs_q, sq});
    out.sum_recip = HostTensor::zeros({pr.bs_q, sq});
  }

  KeysValues kv{detail::KeyPanels(p.d, pr.num_keys),
                std::vector<double>(static_cast<size_t>(pr.num_keys * p.d))};
  const int64_t blocks_per_head = (sq + kQueryBlock - 1) / kQueryBlock;
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t h = 0; h < p.num_kv_heads; ++h) {
      // The Q heads of sequence b grouped onto KV head h: h = (bq % nq) * n_kv / nq.
      std::vector<int64_t> heads;
      for (int64_t qh = 0; qh < p.num_q_heads; ++qh) {
        if (qh * p.num_kv_heads / p.num_q_heads == h) {
          heads.push_back(b * p.num_q_heads + qh);
        }
      }
      if (heads.empty()) {
        continue;
      }
      gather_kv(pr, b, h, kv);
      // Items (Q head, query block) write disjoint outputs.
      detail::parallel_for(static_cast<int64_t>(heads.size()) * blocks_per_head, p.d, pr.num_keys,
                           [&](int64_t item, BlockScratch& s) {
                             compute_block(pr, kv, heads[static_cast<size_t>(item / blocks_per_head)],
                                           (item % blocks_per_head) * kQueryBlock, out, s);
                           });
    }
  }
  return out;
}

}  // namespace tn::ref
