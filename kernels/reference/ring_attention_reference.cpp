// float64 ring attention (kernels.md §5.1). The ring's keys and values are gathered in global order, so a
// causal query at global position P sees exactly the key interval [0, P] on that axis.
#include "kernels/reference/ring_attention_reference.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/reference/attention_block.hpp"
#include "kernels/reference/input_checks.hpp"

namespace tn::ref {

namespace {

using detail::seq_d_offset;

constexpr int64_t kLseRows = 128;  // the lse layout's partitions (kernels.md §5.1)

const detail::InputChecks check("ring_attention_reference");

int64_t global_position(const RingAttentionRefParams& p, int64_t rank, int64_t i) {
  return p.striped ? i * p.num_workers + rank : rank * p.seqlen + i;
}

}  // namespace

std::vector<RingAttentionRefOutputs> ring_attention_reference(const RingAttentionRefParams& p,
                                                              const std::vector<RingAttentionRefRank>& ring) {
  const int64_t N = p.num_workers, S = p.seqlen, D = p.d, BH = p.b * p.h, T = N * S;
  check.require(p.b > 0 && p.h > 0 && S > 0 && D > 0 && N > 0, "need b, h, seqlen, d, num_workers > 0");
  check.require(S % kLseRows == 0, "seqlen must be a multiple of 128 (the lse layout)");
  check.require(int64_t(ring.size()) == N, "one input set per rank of the ring");
  const std::vector<int64_t> seq_major{p.b, p.h, S, D}, d_major{p.b, p.h, D, S};
  for (int64_t r = 0; r < N; ++r) {
    const std::string at = " of ring position " + std::to_string(r);
    check.tensor(ring[size_t(r)].q, "q" + at, p.tp_q ? seq_major : d_major);
    check.tensor(ring[size_t(r)].k, "k" + at, p.tp_k ? seq_major : d_major);
    check.tensor(ring[size_t(r)].v, "v" + at, seq_major);
  }
  std::vector<RingAttentionRefOutputs> out(static_cast<size_t>(N));
  for (auto& o : out) {
    o.out = HostTensor::zeros(seq_major);
    o.lse = HostTensor::zeros({p.b, p.h, kLseRows, S / kLseRows});
  }
  // Per (batch, head): K^T as key panels and V (T, d) in global order, then blocks of every rank's query
  // rows.
  const int64_t blocks_per_rank = (S + detail::kQueryBlock - 1) / detail::kQueryBlock;
  detail::KeyPanels k_t(D, T);
  std::vector<double> v(size_t(T * D));
  for (int64_t bh = 0; bh < BH; ++bh) {
    for (int64_t r = 0; r < N; ++r) {
      for (int64_t j = 0; j < S; ++j) {
        const int64_t g = global_position(p, r, j);
        for (int64_t e = 0; e < D; ++e) {
          k_t.at(g, e) = ring[size_t(r)].k->data[size_t(seq_d_offset(p.tp_k, bh, S, D, j, e))];
          v[size_t(g * D + e)] = ring[size_t(r)].v->data[size_t(seq_d_offset(true, bh, S, D, j, e))];
        }
      }
    }
    const detail::KeysValuesView kv{k_t.data(), v.data(), D, T};
    detail::parallel_for(N * blocks_per_rank, D, T, [&](int64_t item, detail::BlockScratch& s) {
      const int64_t r = item / blocks_per_rank, i0 = item % blocks_per_rank * detail::kQueryBlock;
      const int64_t n = std::min(detail::kQueryBlock, S - i0);
      const HostTensor& q = *ring[size_t(r)].q;
      detail::KeyRange range[detail::kQueryBlock];
      for (int64_t k = 0; k < n; ++k) {
        for (int64_t e = 0; e < D; ++e)
          s.q[size_t(k * D + e)] = q.data[size_t(seq_d_offset(p.tp_q, bh, S, D, i0 + k, e))];
        range[k] = {0, p.causal ? global_position(p, r, i0 + k) + 1 : T};
      }
      double row_max[detail::kQueryBlock], row_sum[detail::kQueryBlock];
      detail::attend_block(kv, n, range, p.scale, nullptr, s, row_max, row_sum);
      RingAttentionRefOutputs& o = out[size_t(r)];
      for (int64_t k = 0; k < n; ++k) {
        const int64_t i = i0 + k;
        for (int64_t e = 0; e < D; ++e)
          o.out.data[size_t(seq_d_offset(true, bh, S, D, i, e))] = s.acc[size_t(k * D + e)];
        // [b, h, p, g] holds query g * 128 + p.
        o.lse.data[size_t((bh * kLseRows + i % kLseRows) * (S / kLseRows) + i / kLseRows)] =
            row_max[k] + std::log(row_sum[k]);
      }
    });
  }
  return out;
}

double ring_attention_visible_pairs(const RingAttentionRefParams& p) {
  const int64_t N = p.num_workers, S = p.seqlen;
  double pairs = 0;
  for (int64_t r = 0; r < N; ++r) {
    for (int64_t i = 0; i < S; ++i)
      pairs += p.causal ? double(global_position(p, r, i) + 1) : double(N * S);
  }
  return pairs * double(p.b * p.h);
}

}  // namespace tn::ref
