// Tiny cases whose softmax is computable by hand (kernels.md §1.2). Each is checked on the reference and on
// the naive test formulation, so both are anchored to hand arithmetic.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "kernels/reference/tests/attention_case.hpp"

namespace tn::ref::test {
namespace {

AttentionCteRefParams params(int64_t sq, int64_t skv, int64_t d, bool causal) {
  AttentionCteRefParams p;
  p.seqlen_q = sq;
  p.seqlen_kv = skv;
  p.d = d;
  p.causal = causal;
  return p;
}

// q = 0 makes every visible logit 0, so each row is the plain mean of its visible values.
AttentionCase zero_q_case(const AttentionCteRefParams& p, std::vector<double> v) {
  AttentionCase c;
  c.p = p;
  c.q = HostTensor::zeros({p.bs, p.seqlen_q, p.d});
  c.k = HostTensor::zeros({p.bs_kv, p.seqlen_kv, p.d});
  c.v = make_tensor({p.bs_kv, p.seqlen_kv, p.d}, std::move(v));
  return c;
}

void check_rows(const AttentionCase& c, const std::vector<double>& expected_d1) {
  for (const CanonicalResult& r : {run_reference(c), run_naive(c)}) {
    REQUIRE(r.out.numel() == static_cast<int64_t>(expected_d1.size()));
    for (size_t i = 0; i < expected_d1.size(); ++i) {
      if (std::isnan(expected_d1[i])) {
        CHECK(std::isnan(r.out.data[i]));
      } else {
        CHECK(r.out.data[i] == doctest::Approx(expected_d1[i]).epsilon(1e-14));
      }
    }
  }
}

TEST_CASE("hand: Sq=Skv=2 d=1 with logits 0 and ln 3 gives weights 1/4 and 3/4") {
  AttentionCase c;
  c.p = params(2, 2, 1, false);
  c.q = make_tensor({1, 2, 1}, {1, 1});
  c.k = make_tensor({1, 2, 1}, {0, std::log(3.0)});
  c.v = make_tensor({1, 2, 1}, {4, 8});
  check_rows(c, {7, 7});  // 4/4 + 3*8/4
  c.p.causal = true;
  check_rows(c, {4, 7});  // row 0 sees only key 0
}

TEST_CASE("hand: d=2 with scale 0.5") {
  AttentionCase c;
  c.p = params(2, 2, 2, false);
  c.p.scale = 0.5;
  c.q = make_tensor({1, 2, 2}, {2, 0, 0, 2});
  c.k = make_tensor({1, 2, 2}, {std::log(3.0), 0, 0, std::log(3.0)});
  c.v = make_tensor({1, 2, 2}, {1, 0, 0, 1});
  // Row 0 logits (ln 3, 0) -> (3/4, 1/4); row 1 logits (0, ln 3) -> (1/4, 3/4).
  check_rows(c, {0.75, 0.25, 0.25, 0.75});
}

TEST_CASE("hand: Sq=Skv=3 causal with sliding window 2 sees keys q-1..q") {
  AttentionCteRefParams p = params(3, 3, 1, true);
  p.sliding_window = 2;
  check_rows(zero_q_case(p, {1, 2, 4}), {1, 1.5, 3});
}

TEST_CASE("hand: prefix caching uses only the first U prior rows at negative positions") {
  AttentionCteRefParams p = params(1, 1, 1, true);
  p.seqlen_prior = 3;
  AttentionCase c = zero_q_case(p, {8});
  c.k_prior = HostTensor::zeros({1, 3, 1});
  c.v_prior = make_tensor({1, 3, 1}, {1, 2, 100});
  c.prior_used_len = 2;
  check_rows(c, {(1 + 2 + 8) / 3.0});  // prior rows 0, 1 (positions -2, -1) and active 0; prior row 2 unused
  c.p.sliding_window = 2;
  check_rows(c, {(2 + 8) / 2.0});  // positions > 0 - 2: prior row 1 (-1) and active 0
  c.prior_used_len = 0;
  check_rows(c, {8});
}

TEST_CASE("hand: CP docstring example positions (Sq=4 Skv=12 D=3 rank 1)") {
  AttentionCteRefParams p = params(4, 12, 1, true);
  p.global_cp_deg = 3;
  std::vector<double> v(12);
  for (int j = 0; j < 12; ++j) {
    v[j] = j;
  }
  AttentionCase c = zero_q_case(p, v);
  c.cp_offset = 4;  // contiguous: q positions 4..7, mean of 0..pos = pos/2
  check_rows(c, {2, 2.5, 3, 3.5});
  c.p.cp_strided_q_slicing = true;
  c.cp_offset = 1;  // strided: q positions 1, 4, 7, 10
  check_rows(c, {0.5, 2, 3.5, 5});
}

TEST_CASE("hand: packing bounds split the keys into segments") {
  AttentionCase c = zero_q_case(params(4, 4, 1, false), {1, 3, 10, 20});
  c.bound_min = make_tensor({4, 1}, {0, 0, 2, 2});
  c.bound_max = make_tensor({4, 1}, {2, 2, 4, 4});
  check_rows(c, {2, 2, 15, 15});
  c.p.causal = true;
  check_rows(c, {1, 2, 10, 15});
  // Fractional fp32 bounds: j < 0.5 masks j = 0; j >= 3.5 masks j = 3 -> keys 1..3, then causal.
  c.bound_min = make_tensor({4, 1}, {0.5, 0.5, 0.5, 0.5});
  c.bound_max = make_tensor({4, 1}, {3.5, 3.5, 3.5, 3.5});
  c.p.causal = false;
  check_rows(c, {11, 11, 11, 11});
}

TEST_CASE("hand: a sink of ln 3 against one logit 0 keeps 1/4 of v and sets the cached stats") {
  const double ln3 = std::log(3.0);
  AttentionCteRefParams p = params(128, 1, 1, false);
  p.cache_softmax = true;
  AttentionCase c = zero_q_case(p, {8});
  c.sink = make_tensor({1, 1}, {ln3});
  for (const CanonicalResult& r : {run_reference(c), run_naive(c)}) {
    for (int64_t i = 0; i < 128; ++i) {
      CHECK(r.out.at({0, i, 0}) == doctest::Approx(2).epsilon(1e-14));  // 8 * e^0 / (e^0 + e^ln3)
      CHECK(r.neg_max->at({0, i}) == doctest::Approx(-ln3).epsilon(1e-14));
      CHECK(r.sum_recip->at({0, i}) == doctest::Approx(0.75).epsilon(1e-14));  // 1 / (1/3 + 1)
    }
  }
}

TEST_CASE("hand: a fully masked row is NaN without a sink and 0 with one") {
  AttentionCteRefParams p = params(128, 4, 1, false);
  p.cache_softmax = true;
  AttentionCase c = zero_q_case(p, {1, 2, 3, 4});
  std::vector<double> lo(128, 0.0), hi(128, 4.0);
  lo[5] = hi[5] = 2;  // row 5 sees nothing
  c.bound_min = make_tensor({128, 1}, lo);
  c.bound_max = make_tensor({128, 1}, hi);
  for (const CanonicalResult& r : {run_reference(c), run_naive(c)}) {
    CHECK(std::isnan(r.out.at({0, 5, 0})));
    CHECK(r.neg_max->at({0, 5}) == std::numeric_limits<double>::infinity());  // -rowmax(-inf)
    CHECK(std::isnan(r.sum_recip->at({0, 5})));
    CHECK(r.out.at({0, 4, 0}) == doctest::Approx(2.5));
  }
  c.sink = make_tensor({1, 1}, {0.25});
  for (const CanonicalResult& r : {run_reference(c), run_naive(c)}) {
    CHECK(r.out.at({0, 5, 0}) == 0.0);
    CHECK(r.neg_max->at({0, 5}) == -0.25);
    CHECK(r.sum_recip->at({0, 5}) == 1.0);
  }
}

}  // namespace
}  // namespace tn::ref::test
