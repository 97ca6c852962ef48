#include "kernels/reference/kv_parallel_prefill_reference.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

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
  std::vector<HostTensor> out;
  std::vector<double> s(size_t(R * L));
  for (int64_t r = 0; r < R; ++r) {
    HostTensor o =
        HostTensor::zeros(p.tp_out ? std::vector<int64_t>{p.lnc, D, S} : std::vector<int64_t>{p.lnc, S, D});
    const HostTensor& q = *ranks[size_t(r)].q;
    for (int64_t c = 0; c < p.lnc; ++c) {
      for (int64_t i = 0; i < S; ++i) {
        const double* qi = q.data.data() + (c * S + i) * D;
        const int64_t visible = std::min(p.global_q_offset + i + 1, R * L);
        double m = -INFINITY;
        for (int64_t g = 0; g < visible; ++g) {
          double dot = 0;
          for (int64_t k = 0; k < D; ++k)
            dot += qi[k] * K[size_t(g * D + k)];
          s[size_t(g)] = p.scale * dot;
          m = std::max(m, s[size_t(g)]);
        }
        double denom = 0;
        std::vector<double> acc(size_t(D), 0.0);
        for (int64_t g = 0; g < visible; ++g) {
          const double w = std::exp(s[size_t(g)] - m);
          denom += w;
          for (int64_t k = 0; k < D; ++k)
            acc[size_t(k)] += w * V[size_t(g * D + k)];
        }
        for (int64_t k = 0; k < D; ++k) {
          const size_t at = size_t(p.tp_out ? (c * D + k) * S + i : (c * S + i) * D + k);
          o.data[at] = acc[size_t(k)] / denom;
        }
      }
    }
    out.push_back(std::move(o));
  }
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
