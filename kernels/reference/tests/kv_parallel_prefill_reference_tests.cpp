// The KV-parallel prefill reference on cases small enough to work by hand (kernels.md §4.1).
#include <doctest/doctest.h>

#include <cmath>

#include "kernels/reference/kv_parallel_prefill_reference.hpp"

namespace tn::ref {
namespace {

TEST_CASE("kv_parallel_prefill_reference: causal attention over the shards in rank order") {
  // Two ranks of one head, d = 1, one query at global position 1 (global_q_offset 1), shards of two keys.
  // Rank 0 holds keys 0, 1 (values 1, 3); rank 1 keys 5, 5 (values 7, 9) at global positions 2, 3: hidden.
  KvParallelPrefillRefParams p;
  p.ranks = 2;
  p.seqlen = 1;
  p.d = 1;
  p.block_size = 1;
  p.num_blocks = 2;
  p.global_q_offset = 1;
  const HostTensor q0{{1, 1, 1}, {1}}, q1{{1, 1, 1}, {2}};
  const HostTensor k0{{2, 1, 1, 1}, {0, 1}}, v0{{2, 1, 1, 1}, {1, 3}};
  const HostTensor k1{{2, 1, 1, 1}, {5, 5}}, v1{{2, 1, 1, 1}, {7, 9}};
  const HostTensor table{{1, 2}, {0, 1}}, swapped{{1, 2}, {1, 0}};
  const auto out = kv_parallel_prefill_reference(p, {{&q0, &k0, &v0, &table}, {&q1, &k1, &v1, &table}});
  const double e = std::exp(1.0), e2 = std::exp(2.0);
  CHECK(out[0].data[0] == doctest::Approx((1 + 3 * e) / (1 + e)));    // scores 0, 1
  CHECK(out[1].data[0] == doctest::Approx((1 + 3 * e2) / (1 + e2)));  // scores 0, 2
  // The block table orders the shard: at global_q_offset 0 the query sees local token 0 only, the block
  // the table names first (value 1 in order, 3 swapped).
  p.global_q_offset = 0;
  CHECK(kv_parallel_prefill_reference(p, {{&q0, &k0, &v0, &table}, {&q1, &k1, &v1, &table}})[0].data[0] == 1);
  CHECK(kv_parallel_prefill_reference(p, {{&q0, &k0, &v0, &swapped}, {&q1, &k1, &v1, &table}})[0].data[0] == 3);
  // At global_q_offset 2 the query also sees rank 1's first key (score 5, value 7).
  p.global_q_offset = 2;
  const auto later = kv_parallel_prefill_reference(p, {{&q0, &k0, &v0, &table}, {&q1, &k1, &v1, &table}});
  const double e5 = std::exp(5.0);
  CHECK(later[0].data[0] == doctest::Approx((1 + 3 * e + 7 * e5) / (1 + e + e5)));
  CHECK(kv_parallel_prefill_visible_pairs(p) == 2 * 3);
}

TEST_CASE("kv_parallel_prefill_reference: shapes and table entries are checked") {
  KvParallelPrefillRefParams p;
  p.ranks = 1;
  p.seqlen = 1;
  p.d = 1;
  p.block_size = 1;
  p.num_blocks = 2;
  const HostTensor q{{1, 1, 1}, {1}}, k{{2, 1, 1, 1}, {0, 1}}, bad_table{{1, 2}, {0, 2}};
  CHECK_THROWS_AS(kv_parallel_prefill_reference(p, {{&q, &k, &k, &bad_table}}), std::invalid_argument);
  const HostTensor wrong{{1, 1, 2}, {1, 1}}, table{{1, 2}, {0, 1}};
  CHECK_THROWS_AS(kv_parallel_prefill_reference(p, {{&wrong, &k, &k, &table}}), std::invalid_argument);
}

}  // namespace
}  // namespace tn::ref
