#include "kernels/reference/kv_parallel_prefill_reference.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/reference/attention_block.hpp"

namespace tn::ref {

namespace {

void expect_shape(const HostTensor* t, const std::vector<int64_t>& shape, const char* name) {
  if (!t || t->shape != shape) {
    throw std::invalid_argument(std::string("kv_parallel_prefill_reference: ") + name + " must be " +
                                shape_string(shape) + (t ? ", got " + shape_string(t->shape) : ", missing"));
  }
}

}  // namespace

std::vector<HostTensor> kv_parallel_prefill_reference(const KvParallelPrefillRefParams& p,
                                                      const std::vector<KvParallelPrefillRefRank>& ranks) {
  const int64_t R = p.ranks, S = p.seqlen, D = p.d, bs = p.block_size, L = p.num_blocks * bs;
  if (int64_t(ranks.size()) != R)
    throw std::invalid_argument("kv_parallel_prefill_reference: one input set per rank");
  // The global keys and values, rank by rank, each shard through its block table.
  std::vector<double> K(size_t(R * L * D)), V(size_t(R * L * D));
  for (int64_t r = 0; r < R; ++r) {
    const KvParallelPrefillRefRank& in = ranks[size_t(r)];
    expect_shape(in.q, {p.lnc, S, D}, "q");
    expect_shape(in.k_cache, {p.num_blocks, 1, bs, D}, "k_cache");
    expect_shape(in.v_cache, {p.num_blocks, 1, bs, D}, "v_cache");
    if (!in.block_tables || in.block_tables->shape.size() != 2 || in.block_tables->shape[0] != 1 ||
        in.block_tables->shape[1] < p.num_blocks) {
      throw std::invalid_argument("kv_parallel_prefill_reference: block_tables must be (1, >= num_blocks)");
    }
    for (int64_t j = 0; j < L; ++j) {
      const double entry = in.block_tables->data[size_t(j / bs)];
      if (!(entry >= 0 && entry < double(p.num_blocks)) || std::trunc(entry) != entry)
        throw std::invalid_argument("kv_parallel_prefill_reference: block table entry outside the cache");
      const int64_t src = (int64_t(entry) * bs + j % bs) * D, dst = (r * L + j) * D;
      std::copy_n(in.k_cache->data.begin() + src, D, K.begin() + dst);
      std::copy_n(in.v_cache->data.begin() + src, D, V.begin() + dst);
    }
  }
  // K^T as key panels and V (T, d), as the shared attention core sweeps them.
  const int64_t T = R * L;
  detail::KeyPanels k_t(D, T);
  for (int64_t g = 0; g < T; ++g) {
    for (int64_t e = 0; e < D; ++e)
      k_t.at(g, e) = K[size_t(g * D + e)];
  }
  const detail::KeysValuesView kv{k_t.data(), V.data(), D, T};
  std::vector<HostTensor> out;
  for (int64_t r = 0; r < R; ++r)
    out.push_back(
        HostTensor::zeros(p.tp_out ? std::vector<int64_t>{p.lnc, D, S} : std::vector<int64_t>{p.lnc, S, D}));
  // Blocks of query rows of every rank's heads: block b = (rank, head, first row).
  const int64_t blocks_per_head = (S + detail::kQueryBlock - 1) / detail::kQueryBlock;
  detail::parallel_for(R * p.lnc * blocks_per_head, D, T, [&](int64_t item, detail::BlockScratch& s) {
    const int64_t r = item / (p.lnc * blocks_per_head), c = item / blocks_per_head % p.lnc;
    const int64_t i0 = item % blocks_per_head * detail::kQueryBlock,
                  n = std::min(detail::kQueryBlock, S - i0);
    const HostTensor& q = *ranks[size_t(r)].q;
    detail::KeyRange range[detail::kQueryBlock];
    for (int64_t k = 0; k < n; ++k) {
      std::copy_n(q.data.begin() + (c * S + i0 + k) * D, D, s.q.begin() + k * D);
      range[k] = {0, std::min(p.global_q_offset + i0 + k + 1, T)};  // keys at or before the query
    }
    double row_max[detail::kQueryBlock], row_sum[detail::kQueryBlock];
    detail::attend_block(kv, n, range, p.scale, nullptr, s, row_max, row_sum);
    HostTensor& o = out[size_t(r)];
    for (int64_t k = 0; k < n; ++k) {
      for (int64_t e = 0; e < D; ++e) {
        const int64_t i = i0 + k;
        o.data[size_t(p.tp_out ? (c * D + e) * S + i : (c * S + i) * D + e)] = s.acc[size_t(k * D + e)];
      }
    }
  });
  return out;
}

double kv_parallel_prefill_visible_pairs(const KvParallelPrefillRefParams& p) {
  const int64_t keys = p.ranks * p.num_blocks * p.block_size;
  double pairs = 0;
  for (int64_t i = 0; i < p.seqlen; ++i)
    pairs += double(std::min(p.global_q_offset + i + 1, keys));
  return pairs * double(p.ranks * p.lnc);
}

}  // namespace tn::ref
