// Each feature of kernels.md §1.2 checked through its defining property, on random inputs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "kernels/reference/tests/attention_case.hpp"

namespace tn::ref::test {
namespace {

constexpr double kTol = 1e-12;

AttentionCteRefParams params(int64_t bs, int64_t bs_kv, int64_t sq, int64_t skv, int64_t d) {
  AttentionCteRefParams p;
  p.bs = bs;
  p.bs_kv = bs_kv;
  p.seqlen_q = sq;
  p.seqlen_kv = skv;
  p.d = d;
  return p;
}

// Rows [first, first + stride * count) of a canonical (bs, Sq, ...) result, stepping by `stride`.
HostTensor take_rows(const HostTensor& t, int64_t first, int64_t stride, int64_t count) {
  const int64_t inner = t.shape.size() == 3 ? t.shape[2] : 1;
  std::vector<int64_t> shape = t.shape;
  shape[1] = count;
  HostTensor r = HostTensor::zeros(shape);
  for (int64_t b = 0; b < t.shape[0]; ++b) {
    for (int64_t i = 0; i < count; ++i) {
      for (int64_t e = 0; e < inner; ++e) {
        r.data[(b * count + i) * inner + e] = t.data[(b * t.shape[1] + first + i * stride) * inner + e];
      }
    }
  }
  return r;
}

CanonicalResult take_rows(const CanonicalResult& r, int64_t first, int64_t stride, int64_t count) {
  CanonicalResult s;
  s.out = take_rows(r.out, first, stride, count);
  if (r.neg_max) {
    s.neg_max = take_rows(*r.neg_max, first, stride, count);
    s.sum_recip = take_rows(*r.sum_recip, first, stride, count);
  }
  return s;
}

TEST_CASE("causal: row 0 equals v(0) for every batch and layout") {
  for (int flags = 0; flags < 8; ++flags) {
    AttentionCteRefParams p = params(3, 3, 9, 13, 5);
    p.tp_q = flags & 1;
    p.tp_k = flags & 2;
    p.tp_out = flags & 4;
    const AttentionCase c = random_case(p, 100 + flags);
    const CanonicalResult r = run_reference(c);
    for (int64_t b = 0; b < 3; ++b) {
      for (int64_t e = 0; e < 5; ++e) {
        CHECK(r.out.at({b, 0, e}) == doctest::Approx(c.v.at({b, 0, e})).epsilon(1e-15));
      }
    }
  }
}

TEST_CASE("SWA W=1 with causal: out(i) = v(i)") {
  AttentionCteRefParams p = params(2, 1, 20, 20, 4);
  p.sliding_window = 1;
  const AttentionCase c = random_case(p, 7);
  const CanonicalResult r = run_reference(c);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t i = 0; i < 20; ++i) {
      for (int64_t e = 0; e < 4; ++e) {
        CHECK(r.out.at({b, i, e}) == doctest::Approx(c.v.at({0, i, e})).epsilon(1e-15));
      }
    }
  }
}

TEST_CASE("sink: a huge sink drives the output to 0 and sum_recip to 1") {
  AttentionCteRefParams p = params(2, 2, 128, 40, 4);
  p.cache_softmax = true;
  AttentionCase c = random_case(p, 8);
  c.sink = make_tensor({2, 1}, {60, 70});  // logits <= d = 4, so every exp(s - sink) < e^-56
  const CanonicalResult r = run_reference(c);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t i = 0; i < 128; ++i) {
      CHECK(r.neg_max->at({b, i}) == -c.sink->data[b]);
      CHECK(r.sum_recip->at({b, i}) <= 1.0);  // 1 / (1 + sum_j e^{s_j - sink}), the sum below 40 e^-56
      CHECK(r.sum_recip->at({b, i}) >= 1.0 - 1e-15);
      for (int64_t e = 0; e < 4; ++e) {
        CHECK(std::fabs(r.out.at({b, i, e})) < 1e-20);
      }
    }
  }
}

TEST_CASE("sink: only enlarges the denominator (out scales by Z / (Z + e^sink))") {
  AttentionCteRefParams p = params(2, 1, 128, 50, 3);
  p.cache_softmax = true;
  AttentionCase c = random_case(p, 9);
  const CanonicalResult plain = run_reference(c);
  c.sink = make_tensor({2, 1}, {0.7, 2.5});  // comparable to the logits, so it sometimes is the max
  const CanonicalResult sunk = run_reference(c);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t i = 0; i < 128; ++i) {
      // Z = sum_j e^{s_j} = S * e^{m} = e^{-neg_max} / sum_recip.
      const double z = std::exp(-plain.neg_max->at({b, i})) / plain.sum_recip->at({b, i});
      const double factor = z / (z + std::exp(c.sink->data[b]));
      const double m = std::max(-plain.neg_max->at({b, i}), c.sink->data[b]);
      CHECK(sunk.neg_max->at({b, i}) == doctest::Approx(-m).epsilon(1e-14));
      CHECK(sunk.sum_recip->at({b, i}) == doctest::Approx(std::exp(m) / (z + std::exp(c.sink->data[b]))));
      for (int64_t e = 0; e < 3; ++e) {
        CHECK(sunk.out.at({b, i, e}) == doctest::Approx(plain.out.at({b, i, e}) * factor).epsilon(1e-13));
      }
    }
  }
}

TEST_CASE("GQA equals running with K/V repeated per q batch (repeat_interleave)") {
  for (const bool prior : {false, true}) {
    AttentionCteRefParams p = params(6, 2, 17, 23, 4);
    p.seqlen_prior = prior ? 5 : 0;
    p.sliding_window = 9;
    AttentionCase c = random_case(p, 10);
    if (prior) {
      c.prior_used_len = 3;
    }
    AttentionCase rep = c;
    rep.p.bs_kv = 6;
    auto repeat = [](const HostTensor& t) {
      HostTensor r = HostTensor::zeros({6, t.shape[1], t.shape[2]});
      const int64_t row = t.shape[1] * t.shape[2];
      for (int64_t b = 0; b < 6; ++b) {
        std::copy_n(t.data.begin() + (b / 3) * row, row, r.data.begin() + b * row);
      }
      return r;
    };
    rep.k = repeat(c.k);
    rep.v = repeat(c.v);
    if (prior) {
      rep.k_prior = repeat(c.k_prior);
      rep.v_prior = repeat(c.v_prior);
    }
    check_close(run_reference(c), run_reference(rep), 0);
  }
}

TEST_CASE("tp flags only permute layouts: all 8 combinations agree") {
  AttentionCteRefParams p = params(2, 1, 128, 70, 6);
  p.cache_softmax = true;
  p.scale = 0.3;
  const AttentionCase base = random_case(p, 11);
  const CanonicalResult expected = run_reference(base);
  for (int flags = 1; flags < 8; ++flags) {
    AttentionCase c = base;
    c.p.tp_q = !(flags & 1);
    c.p.tp_k = flags & 2;
    c.p.tp_out = flags & 4;
    check_close(run_reference(c), expected, 0);
  }
}

TEST_CASE("tp flags: raw layouts match kernels.md §1.1") {
  AttentionCteRefParams p = params(1, 1, 3, 2, 2);
  p.causal = false;
  const AttentionCase c = random_case(p, 12);
  // tp_q=False, tp_k=True, tp_out=True: q (bs, d, Sq), k (bs_kv, Skv, d), out (bs, d, Sq).
  const HostTensor q_t = swap_last_axes(c.q);
  AttentionCteRefParams pt = p;
  pt.tp_q = false;
  pt.tp_k = true;
  pt.tp_out = true;
  AttentionCteRefInputs in;
  in.q = &q_t;
  in.k = &c.k;
  in.v = &c.v;
  const AttentionCteRefOutputs o = attention_cte_reference(pt, in);
  REQUIRE(o.out.shape == std::vector<int64_t>{1, 2, 3});
  const CanonicalResult r = run_naive(c);
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t e = 0; e < 2; ++e) {
      CHECK(o.out.at({0, e, i}) == doctest::Approx(r.out.at({0, i, e})).epsilon(1e-14));
    }
  }
}

TEST_CASE("CP contiguous: rank r equals rows r.Sq to (r+1).Sq of the full run") {
  for (const int64_t sw : {0, 5}) {
    const int64_t deg = 4, sq = 32;
    AttentionCteRefParams full = params(2, 1, deg * sq, deg * sq, 4);
    full.sliding_window = sw;
    const AttentionCase whole = random_case(full, 13);
    const CanonicalResult expected = run_reference(whole);
    for (int64_t rank = 0; rank < deg; ++rank) {
      AttentionCase c = whole;
      c.p.seqlen_q = sq;
      c.p.global_cp_deg = deg;
      c.cp_offset = rank * sq;
      c.q = take_rows(whole.q, rank * sq, 1, sq);
      check_close(run_reference(c), take_rows(expected, rank * sq, 1, sq), 0);
    }
  }
}

TEST_CASE("CP strided: rank r equals rows r and r+D and so on of the full run") {
  for (const int64_t sw : {0, 7}) {
    const int64_t deg = 4, sq = 128;
    AttentionCteRefParams full = params(1, 1, deg * sq, deg * sq, 3);
    full.sliding_window = sw;
    full.cache_softmax = true;
    const AttentionCase whole = random_case(full, 14);
    const CanonicalResult expected = run_reference(whole);
    for (int64_t rank = 0; rank < deg; ++rank) {
      AttentionCase c = whole;
      c.p.seqlen_q = sq;
      c.p.global_cp_deg = deg;
      c.p.cp_strided_q_slicing = true;
      c.cp_offset = rank;
      c.q = take_rows(whole.q, rank, deg, sq);
      check_close(run_reference(c), take_rows(expected, rank, deg, sq), 0);
    }
  }
}

TEST_CASE(
    "prefix caching equals a run on the concatenated used prior and active keys with q positions shifted by "
    "U") {
  for (const int64_t sw : {0, 6}) {
    for (const int64_t used : {0, 1, 9, 12}) {
      AttentionCteRefParams p = params(2, 2, 20, 20, 4);
      p.seqlen_prior = 12;
      p.sliding_window = sw;
      AttentionCase c = random_case(p, 15 + used);
      c.prior_used_len = used;
      // Same keys without prefix caching: kv_pos[j] = j, so q positions must be i + U (a CP offset of U).
      AttentionCase flat = c;
      flat.p.seqlen_prior = 0;
      flat.p.seqlen_kv = used + 20;
      flat.p.global_cp_deg = 2;
      flat.prior_used_len.reset();
      flat.cp_offset = used;
      auto concat = [&](const HostTensor& prior, const HostTensor& active) {
        HostTensor r = HostTensor::zeros({2, used + 20, 4});
        for (int64_t b = 0; b < 2; ++b) {
          for (int64_t j = 0; j < used + 20; ++j) {
            for (int64_t e = 0; e < 4; ++e) {
              r.at({b, j, e}) = j < used ? prior.at({b, j, e}) : active.at({b, j - used, e});
            }
          }
        }
        return r;
      };
      flat.k = concat(c.k_prior, c.k);
      flat.v = concat(c.v_prior, c.v);
      flat.k_prior = flat.v_prior = HostTensor{};
      check_close(run_reference(c), run_reference(flat), 0);
    }
  }
}

TEST_CASE("prefix caching: causal never hides the used prior rows") {
  AttentionCteRefParams p = params(1, 1, 4, 4, 2);
  p.seqlen_prior = 6;
  AttentionCase c = random_case(p, 16);
  c.prior_used_len = 6;
  AttentionCase no_causal = c;
  no_causal.p.causal = false;
  // Row 3 (the last) sees every key either way.
  const CanonicalResult a = run_reference(c), b = run_reference(no_causal);
  CHECK(a.out.at({0, 3, 0}) == doctest::Approx(b.out.at({0, 3, 0})).epsilon(1e-15));
  CHECK(a.out.at({0, 0, 0}) != doctest::Approx(b.out.at({0, 0, 0})).epsilon(1e-6));
}

TEST_CASE("packing: each segment equals an independent causal run on that segment") {
  const int64_t s = 300;
  const std::vector<int64_t> cuts{0, 37, 200, 201, s};
  AttentionCteRefParams p = params(2, 1, s, s, 5);
  AttentionCase c = random_case(p, 17);
  c.bound_min = HostTensor::zeros({s, 1});
  c.bound_max = HostTensor::zeros({s, 1});
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    for (int64_t i = cuts[k]; i < cuts[k + 1]; ++i) {
      c.bound_min->data[i] = static_cast<double>(cuts[k]);
      c.bound_max->data[i] = static_cast<double>(cuts[k + 1]);
    }
  }
  const CanonicalResult packed = run_reference(c);
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    const int64_t a = cuts[k], len = cuts[k + 1] - cuts[k];
    AttentionCase seg = c;
    seg.p.seqlen_q = seg.p.seqlen_kv = len;
    seg.bound_min.reset();
    seg.bound_max.reset();
    seg.q = take_rows(c.q, a, 1, len);
    seg.k = take_rows(c.k, a, 1, len);
    seg.v = take_rows(c.v, a, 1, len);
    check_close(run_reference(seg).out, take_rows(packed.out, a, 1, len), 0, "segment out");
  }
}

TEST_CASE("results do not depend on threading: two runs are bitwise equal") {
  AttentionCteRefParams p = params(3, 1, 256, 700, 16);
  p.cache_softmax = true;
  p.sliding_window = 300;
  AttentionCase c = random_case(p, 18);
  c.sink = make_tensor({3, 1}, {1, 2, 3});
  check_close(run_reference(c), run_reference(c), 0);
}

TEST_CASE("validation: inconsistent shapes and params throw std::invalid_argument") {
  AttentionCteRefParams p = params(2, 1, 128, 8, 4);
  const AttentionCase good = random_case(p, 19);
  CHECK_NOTHROW(run_reference(good));
  auto throws = [](AttentionCase c) { CHECK_THROWS_AS(run_reference(c), std::invalid_argument); };
  {
    AttentionCase c = good;
    c.p.bs_kv = 3;  // 2 % 3 != 0 and k's shape disagrees
    throws(c);
  }
  {
    AttentionCase c = good;
    c.p.seqlen_q = 100;
    c.q = random_case(c.p, 1).q;
    c.p.cache_softmax = true;  // 100 % 128 != 0
    throws(c);
  }
  {
    AttentionCase c = good;
    c.p.global_cp_deg = 2;  // CP without cp_offset
    throws(c);
  }
  {
    AttentionCase c = good;
    c.sink = make_tensor({3, 1}, {0, 0, 0});  // bs is 2
    throws(c);
  }
  {
    AttentionCase c = good;
    c.bound_min = HostTensor::zeros({128, 1});  // bound_max missing
    throws(c);
  }
  {
    AttentionCase c = good;
    c.v.data.pop_back();  // data shorter than its shape
    throws(c);
  }
  {
    AttentionCteRefParams pp = p;
    pp.seqlen_prior = 4;
    AttentionCase c = random_case(pp, 2);
    throws(c);             // prior tensors without prior_used_len
    c.prior_used_len = 5;  // > seqlen_prior
    throws(c);
    c.prior_used_len = 4;
    CHECK_NOTHROW(run_reference(c));
  }
}

}  // namespace
}  // namespace tn::ref::test
