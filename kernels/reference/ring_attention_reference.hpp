// Independent float64 reference of ring_attention_spmd_fwd (kernels.md §5.1, seed API doc 004), from the
// specification: each rank's output is the exact attention of its own queries over the keys and values of
// every rank of its ring, in global positions.
//
// One ring of N ranks (a replica-group row, in row order; position r holds):
//   q   tp_q ? (b, h, S, d) : (b, h, d, S)      k likewise with tp_k      v (b, h, S, d)
// Local index i of position r is global position r * S + i (contiguous) or i * N + r (striped). Query
// (r, i) sees key (r', j) when the mask allows: always without causal masking, else when the key's global
// position is at most the query's. s = scale * q . k over the visible keys, softmax, out = sum p v, and
//   out (b, h, S, d);   lse (b, h, 128, S / 128) with lse[.., p, g] = log sum_j exp(s_j) of query g*128 + p.
// A causal query always sees its own position, so every row is defined. All outputs are float64.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/reference/host_tensor.hpp"

namespace tn::ref {

struct RingAttentionRefParams {
  int64_t b = 1, h = 1, seqlen = 0, d = 0;
  int64_t num_workers = 1;  // N, the ring's size
  double scale = 1.0;       // applied to q . k
  bool causal = false;
  bool striped = false;  // striped positions (else contiguous)
  bool tp_q = false, tp_k = false;
};

struct RingAttentionRefRank {
  const HostTensor* q = nullptr;
  const HostTensor* k = nullptr;
  const HostTensor* v = nullptr;
};

struct RingAttentionRefOutputs {
  HostTensor out;
  HostTensor lse;
};

// The outputs of every rank of one ring, in row order. Throws std::invalid_argument when a shape disagrees
// with `p` or S is not a multiple of 128 (the lse layout).
std::vector<RingAttentionRefOutputs> ring_attention_reference(const RingAttentionRefParams& p,
                                                              const std::vector<RingAttentionRefRank>& ring);

// The (query, key) pairs the mask leaves visible over one ring's ranks and heads: the basis of model FLOPs.
double ring_attention_visible_pairs(const RingAttentionRefParams& p);

}  // namespace tn::ref
