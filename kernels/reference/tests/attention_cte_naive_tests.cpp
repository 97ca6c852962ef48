// The reference against the naive mask-matrix formulation on random small configurations covering every
// feature combination the reference accepts (the kernel-only constraints of §1.3 are deliberately ignored).
#include <doctest/doctest.h>

#include <random>

#include "kernels/reference/tests/attention_case.hpp"

namespace tn::ref::test {
namespace {

AttentionCase draw_case(std::mt19937_64& rng, bool cache_softmax, int64_t max_len) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  auto coin = [&] { return pick(0, 1) == 1; };

  AttentionCteRefParams p;
  p.bs_kv = pick(1, 2);
  p.bs = p.bs_kv * pick(1, 3);
  p.seqlen_q = cache_softmax ? 128 * pick(1, 2) : pick(1, max_len);
  p.seqlen_kv = pick(1, max_len);
  p.d = pick(1, 9);
  p.scale = coin() ? 1.0 : 0.37;
  p.causal = coin() || coin();
  p.sliding_window = coin() ? 0 : pick(1, 12);
  p.tp_q = coin();
  p.tp_k = coin();
  p.tp_out = coin();
  p.cache_softmax = cache_softmax;
  const int mode = static_cast<int>(pick(0, 3));  // 0 plain, 1 CP, 2 prefix caching, 3 packing
  if (mode == 1) {
    p.global_cp_deg = pick(2, 4);
    p.cp_strided_q_slicing = coin();
  }
  if (mode == 2) {
    p.seqlen_prior = pick(1, 10);
  }

  AttentionCase c = random_case(p, rng());
  if (mode == 1) {
    const int64_t rank = pick(0, p.global_cp_deg - 1);
    c.cp_offset = p.cp_strided_q_slicing ? rank : rank * p.seqlen_q;
  }
  if (mode == 2) {
    c.prior_used_len = pick(0, p.seqlen_prior);
  }
  if (mode == 3) {
    c.bound_min = HostTensor::zeros({p.seqlen_q, 1});
    c.bound_max = HostTensor::zeros({p.seqlen_q, 1});
    for (int64_t i = 0; i < p.seqlen_q; ++i) {
      const double a = static_cast<double>(pick(-1, p.seqlen_kv)) + (coin() ? 0.5 : 0.0);
      c.bound_min->data[i] = a;
      c.bound_max->data[i] = a + static_cast<double>(pick(0, p.seqlen_kv));
    }
  }
  if (coin()) {
    c.sink = random_tensor({p.bs, 1}, rng, -1, 4);
  }
  return c;
}

TEST_CASE("random small configurations match the naive formulation") {
  std::mt19937_64 rng(2024);
  for (int n = 0; n < 400; ++n) {
    const AttentionCase c = draw_case(rng, false, 20);
    CAPTURE(n);
    check_close(run_reference(c), run_naive(c), 1e-12);
  }
}

TEST_CASE("random configurations with cache_softmax match the naive formulation") {
  std::mt19937_64 rng(77);
  for (int n = 0; n < 40; ++n) {
    const AttentionCase c = draw_case(rng, true, 40);
    CAPTURE(n);
    check_close(run_reference(c), run_naive(c), 1e-12);
  }
}

TEST_CASE("configurations crossing the reference's blocking boundaries match the naive formulation") {
  std::mt19937_64 rng(5);
  for (int n = 0; n < 6; ++n) {
    const AttentionCase c = draw_case(rng, n % 2 == 0, 600);
    CAPTURE(n);
    check_close(run_reference(c), run_naive(c), 1e-12);
  }
}

}  // namespace
}  // namespace tn::ref::test
