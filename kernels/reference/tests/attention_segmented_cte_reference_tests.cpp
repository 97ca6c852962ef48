// Tests of the attention_segmented_cte reference (kernels.md §3.1): hand-computable tiny cases, equivalence
// with the attention_cte reference where the semantics coincide (contiguous prior = prefix caching with U = P
// at negative positions, causal within the active part, kvp_offset = cp_offset + P), and the paging
// invariances (block permutations, padding beyond the used range, pre-transposed K, dequant scalars).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

#include "kernels/reference/attention_segmented_cte_reference.hpp"
#include "kernels/reference/tests/attention_case.hpp"

namespace tn::ref::test {
namespace {

constexpr double kTol = 1e-12;
const double kInf = std::numeric_limits<double>::infinity();

// One case in canonical layouts: q (bs_q, Sq, d); k_cache / v_cache (num_blocks, n_kv, block_size, d).
struct SegCase {
  SegmentedCteRefParams p;
  int64_t prior = 0;  // P
  HostTensor q, k_cache, v_cache, block_tables;
  std::optional<HostTensor> sink;  // (bs_q, 1)
};

int64_t bs_q(const SegCase& c) { return c.p.batch * c.p.num_q_heads; }
int64_t used_blocks(const SegCase& c) { return (c.prior + c.p.seqlen_q) / c.p.block_size; }

SegmentedCteRefParams params(int64_t batch, int64_t nq, int64_t nkv, int64_t sq, int64_t d,
                             int64_t block_size) {
  SegmentedCteRefParams p;
  p.batch = batch;
  p.num_q_heads = nq;
  p.num_kv_heads = nkv;
  p.seqlen_q = sq;
  p.d = d;
  p.block_size = block_size;
  return p;
}

// (num_blocks, n_kv, bs, d) -> (num_blocks * n_kv, d, bs): block b of head h at row-block b * n_kv + h.
HostTensor pre_transpose_k(const HostTensor& k) {
  const int64_t nb = k.shape[0], nkv = k.shape[1], bs = k.shape[2], d = k.shape[3];
  HostTensor r = HostTensor::zeros({nb * nkv, d, bs});
  for (int64_t b = 0; b < nb; ++b) {
    for (int64_t h = 0; h < nkv; ++h) {
      for (int64_t t = 0; t < bs; ++t) {
        for (int64_t e = 0; e < d; ++e) {
          r.at({b * nkv + h, e, t}) = k.at({b, h, t, e});
        }
      }
    }
  }
  return r;
}

// Runs the reference with the layouts the params ask for and returns out as (bs_q, Sq, d).
CanonicalResult run_seg(const SegCase& c) {
  const auto& p = c.p;
  const HostTensor q = p.tp_q ? c.q : swap_last_axes(c.q);
  const HostTensor k = p.k_pre_transposed ? pre_transpose_k(c.k_cache) : c.k_cache;
  SegmentedCteRefInputs in;
  in.q = &q;
  in.k_cache = &k;
  in.v_cache = &c.v_cache;
  in.block_tables = &c.block_tables;
  in.prior_tokens = c.prior;
  in.sink = c.sink ? &*c.sink : nullptr;
  SegmentedCteRefOutputs o = attention_segmented_cte_reference(p, in);
  CHECK(o.out.shape ==
        (p.tp_out ? std::vector{bs_q(c), p.d, p.seqlen_q} : std::vector{bs_q(c), p.seqlen_q, p.d}));
  CHECK(o.neg_max.has_value() == p.kvp_offset.has_value());
  CHECK(o.sum_recip.has_value() == p.kvp_offset.has_value());
  CanonicalResult r;
  r.out = p.tp_out ? swap_last_axes(o.out) : o.out;
  if (o.neg_max) {
    CHECK(o.neg_max->shape == std::vector{bs_q(c), p.seqlen_q});
    CHECK(o.sum_recip->shape == std::vector{bs_q(c), p.seqlen_q});
    r.neg_max = std::move(o.neg_max);
    r.sum_recip = std::move(o.sum_recip);
  }
  return r;
}

// Random q / caches in [0, 1) and, per sequence, distinct physical blocks in random order, with `extra`
// unused physical blocks and `pad` columns of -1 after the used prefix.
SegCase random_seg_case(const SegmentedCteRefParams& p, int64_t prior, uint64_t seed, int64_t extra = 3,
                        int64_t pad = 2) {
  std::mt19937_64 rng(seed);
  SegCase c;
  c.p = p;
  c.prior = prior;
  const int64_t used = used_blocks(c);
  const int64_t nb = p.batch * used + extra;
  c.q = random_tensor({bs_q(c), p.seqlen_q, p.d}, rng);
  c.k_cache = random_tensor({nb, p.num_kv_heads, p.block_size, p.d}, rng);
  c.v_cache = random_tensor({nb, p.num_kv_heads, p.block_size, p.d}, rng);
  std::vector<int64_t> perm(static_cast<size_t>(nb));
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  c.block_tables = HostTensor::zeros({p.batch, used + pad});
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t i = 0; i < used + pad; ++i) {
      c.block_tables.at({b, i}) =
          i < used ? static_cast<double>(perm[static_cast<size_t>(b * used + i)]) : -1.0;
    }
  }
  return c;
}

// The same problem as attention_cte: sequence b / KV head h becomes kv batch b * n_kv + h (consecutive Q
// heads share it, as repeat_interleave does when num_q_heads % n_kv == 0); the first P gathered tokens are
// the prefix (U = P, negative positions), the last Sq the active keys; kvp_offset o becomes cp_offset o - P.
AttentionCase to_cte_case(const SegCase& c) {
  const auto& p = c.p;
  REQUIRE(p.num_q_heads % p.num_kv_heads == 0);
  AttentionCase a;
  a.p.bs = bs_q(c);
  a.p.bs_kv = p.batch * p.num_kv_heads;
  a.p.seqlen_q = p.seqlen_q;
  a.p.seqlen_kv = p.seqlen_q;
  a.p.d = p.d;
  a.p.scale = p.scale;
  a.p.causal = true;
  a.p.sliding_window = p.sliding_window;
  a.p.tp_q = true;
  a.p.tp_k = true;
  a.p.tp_out = false;
  a.p.seqlen_prior = c.prior;
  a.p.cache_softmax = p.kvp_offset.has_value();
  a.q = c.q;
  a.k = HostTensor::zeros({a.p.bs_kv, p.seqlen_q, p.d});
  a.v = HostTensor::zeros({a.p.bs_kv, p.seqlen_q, p.d});
  if (c.prior > 0) {
    a.k_prior = HostTensor::zeros({a.p.bs_kv, c.prior, p.d});
    a.v_prior = HostTensor::zeros({a.p.bs_kv, c.prior, p.d});
    a.prior_used_len = c.prior;
  }
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t h = 0; h < p.num_kv_heads; ++h) {
      const int64_t bk = b * p.num_kv_heads + h;
      for (int64_t j = 0; j < c.prior + p.seqlen_q; ++j) {
        const auto blk = static_cast<int64_t>(c.block_tables.at({b, j / p.block_size}));
        for (int64_t e = 0; e < p.d; ++e) {
          const double kx = c.k_cache.at({blk, h, j % p.block_size, e}) * p.k_scale;
          const double vx = c.v_cache.at({blk, h, j % p.block_size, e}) * p.v_scale;
          if (j < c.prior) {
            a.k_prior.at({bk, j, e}) = kx;
            a.v_prior.at({bk, j, e}) = vx;
          } else {
            a.k.at({bk, j - c.prior, e}) = kx;
            a.v.at({bk, j - c.prior, e}) = vx;
          }
        }
      }
    }
  }
  a.sink = c.sink;
  if (p.kvp_offset) {
    a.cp_offset = *p.kvp_offset - c.prior;
  }
  return a;
}

void check_identical(const CanonicalResult& a, const CanonicalResult& b) { check_close(a, b, 0.0); }

// q = 0: every visible logit is 0, so each row is the mean of its visible values (d = 1).
SegCase zero_q_case(const SegmentedCteRefParams& p, int64_t prior, std::vector<double> v_cache,
                    std::vector<double> table) {
  SegCase c;
  c.p = p;
  c.prior = prior;
  const auto nb = static_cast<int64_t>(v_cache.size()) / (p.num_kv_heads * p.block_size * p.d);
  c.q = HostTensor::zeros({p.batch * p.num_q_heads, p.seqlen_q, p.d});
  c.k_cache = HostTensor::zeros({nb, p.num_kv_heads, p.block_size, p.d});
  c.v_cache = make_tensor({nb, p.num_kv_heads, p.block_size, p.d}, std::move(v_cache));
  const auto width = static_cast<int64_t>(table.size()) / p.batch;
  c.block_tables = make_tensor({p.batch, width}, std::move(table));
  return c;
}

void check_values(const HostTensor& t, const std::vector<double>& expected) {
  REQUIRE(t.numel() == static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    if (std::isnan(expected[i])) {
      CHECK(std::isnan(t.data[i]));
    } else if (std::isinf(expected[i])) {
      CHECK(t.data[i] == expected[i]);
    } else {
      CHECK(t.data[i] == doctest::Approx(expected[i]).epsilon(1e-14));
    }
  }
}

TEST_CASE(
    "segmented hand: blocks gathered through the table, prior fully visible, causal in the active part") {
  // Physical blocks (bs = 2): 0 -> (5, 7), 1 -> (100, 100) unused, 2 -> (1, 3). Table (2, 0): keys 1, 3,
  // 5, 7.
  SegCase c = zero_q_case(params(1, 1, 1, 2, 1, 2), 2, {5, 7, 100, 100, 1, 3}, {2, 0});
  for (bool tp_out : {false, true}) {
    c.p.tp_out = tp_out;
    // Query 0 (position 2) sees keys 0..2, query 1 sees all four.
    check_values(run_seg(c).out, {3, 4});
  }
}

TEST_CASE("segmented hand: logits 0 and ln 3 weight the values 1/4 and 3/4, scale applies to QK") {
  SegCase c;
  c.p = params(1, 1, 1, 1, 1, 1);
  c.prior = 1;
  c.q = make_tensor({1, 1, 1}, {2});
  c.k_cache = make_tensor({2, 1, 1, 1}, {std::log(3.0), 0});
  c.v_cache = make_tensor({2, 1, 1, 1}, {8, 4});
  c.block_tables = make_tensor({1, 2}, {1, 0});  // keys (0, ln 3), values (4, 8)
  c.p.scale = 0.5;
  check_values(run_seg(c).out, {7});  // 4/4 + 3*8/4
}

TEST_CASE("segmented hand: sliding window masks prior keys too") {
  // bs = 1, P = 2, Sq = 2, identity table: gathered values 1, 2, 4, 8 at positions 0..3.
  SegmentedCteRefParams p = params(1, 1, 1, 2, 1, 1);
  p.sliding_window = 2;
  SegCase c = zero_q_case(p, 2, {1, 2, 4, 8}, {0, 1, 2, 3});
  check_values(run_seg(c).out, {3, 6});  // query 0 (pos 2) sees 1..2; query 1 sees 2..3
  c.p.sliding_window = 3;
  check_values(run_seg(c).out, {7 / 3.0, 14 / 3.0});
  c.p.sliding_window = 1;
  check_values(run_seg(c).out, {4, 8});  // the diagonal only
  c.p.sliding_window = 100;
  check_values(run_seg(c).out, {7 / 3.0, 15 / 4.0});  // no effect
}

TEST_CASE("segmented hand: the sink is unscaled, per q head, and only enlarges the denominator") {
  SegmentedCteRefParams p = params(1, 2, 1, 1, 1, 1);
  p.scale = 10;
  SegCase c = zero_q_case(p, 0, {6}, {0});
  c.sink = make_tensor({2, 1}, {std::log(2.0), 0});
  // Row 0: 6 * 1 / (1 + 2); row 1: 6 * 1 / (1 + 1).
  check_values(run_seg(c).out, {2, 3});
}

TEST_CASE("segmented hand: grouped heads b = bq / nq, h = (bq % nq) * n_kv / nq") {
  // One token per sequence (P = 0, Sq = bs = 1), q = 0: out of row bq is v_cache[table[b, 0], h].
  SegmentedCteRefParams p = params(2, 4, 2, 1, 1, 1);
  std::vector<double> v;
  for (int blk = 0; blk < 2; ++blk) {
    for (int h = 0; h < 2; ++h) {
      v.push_back(10 * blk + h);
    }
  }
  SegCase c = zero_q_case(p, 0, v, {1, 0});
  check_values(run_seg(c).out, {10, 10, 11, 11, 0, 0, 1, 1});
  // num_q_heads not a multiple of n_kv: the formula is applied as given (heads 0, 0, 1).
  c.p.num_q_heads = 3;
  c.q = HostTensor::zeros({6, 1, 1});
  check_values(run_seg(c).out, {10, 10, 11, 0, 0, 1});
}

TEST_CASE("segmented hand: kvp_offset replaces the causal diagonal over the whole local sequence") {
  // P = 2, Sq = 2, gathered values 1, 3, 5, 7; query i sees local keys j <= i + o.
  SegmentedCteRefParams p = params(1, 1, 1, 2, 1, 1);
  SegCase c = zero_q_case(p, 2, {1, 3, 5, 7}, {0, 1, 2, 3});
  struct Expect {
    int64_t offset;
    std::vector<double> out, neg_max, sum_recip;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const Expect& x :
       {Expect{0, {1, 2}, {0, 0}, {1, 0.5}}, Expect{2, {3, 4}, {0, 0}, {1 / 3.0, 0.25}},
        Expect{-1, {nan, 1}, {kInf, 0}, {nan, 1}},
        Expect{std::numeric_limits<int64_t>::max(), {4, 4}, {0, 0}, {0.25, 0.25}},
        Expect{std::numeric_limits<int64_t>::min(), {nan, nan}, {kInf, kInf}, {nan, nan}}}) {
    CAPTURE(x.offset);
    c.p.kvp_offset = x.offset;
    const CanonicalResult r = run_seg(c);
    check_values(r.out, x.out);
    check_values(*r.neg_max, x.neg_max);
    check_values(*r.sum_recip, x.sum_recip);
  }
  // A fully masked row with a sink: out 0, neg_max = -sink, sum_recip = 1.
  c.p.kvp_offset = -1;
  c.sink = make_tensor({1, 1}, {0.25});
  const CanonicalResult r = run_seg(c);
  // Row 1 sees key 0 (logit 0) and the sink: m = 0.25.
  const double s1 = std::exp(-0.25) + 1;
  check_values(r.out, {0, std::exp(-0.25) / s1});
  check_values(*r.neg_max, {-0.25, -0.25});
  check_values(*r.sum_recip, {1, 1 / s1});
}

TEST_CASE("segmented: equals attention_cte with prefix caching U = P (GQA, SWA, sink, scale, layouts)") {
  struct Shape {
    int64_t batch, nq, nkv, sq, d, bs, prior;
  };
  uint64_t seed = 1;
  for (const Shape& s :
       {Shape{1, 1, 1, 4, 3, 1, 0}, Shape{1, 1, 1, 8, 5, 4, 12}, Shape{2, 4, 2, 8, 4, 2, 6},
        Shape{2, 4, 1, 16, 7, 8, 16}, Shape{3, 2, 2, 4, 2, 4, 8}, Shape{1, 8, 1, 32, 16, 16, 64}}) {
    for (int variant = 0; variant < 8; ++variant) {
      SegmentedCteRefParams p = params(s.batch, s.nq, s.nkv, s.sq, s.d, s.bs);
      p.tp_q = variant & 1;
      p.tp_out = variant & 2;
      p.scale = (variant & 4) ? 0.37 : 1.0;
      p.sliding_window = variant == 5 ? 3 : variant == 6 ? s.bs * 2 : 0;
      SegCase c = random_seg_case(p, s.prior, seed++);
      if (variant >= 4) {
        std::mt19937_64 rng(seed++);
        c.sink = random_tensor({bs_q(c), 1}, rng, -1, 2);
      }
      CAPTURE(s.batch);
      CAPTURE(s.nq);
      CAPTURE(s.sq);
      CAPTURE(s.prior);
      CAPTURE(variant);
      check_close(run_seg(c), run_reference(to_cte_case(c)), kTol);
    }
  }
}

TEST_CASE("segmented: kvp stats equal attention_cte cache_softmax with cp_offset = kvp_offset - P") {
  uint64_t seed = 50;
  for (int64_t prior : {0, 64, 256}) {
    for (int64_t offset : {prior, prior - 5, prior + 40, int64_t{-3}, int64_t{-200}, prior + 10000}) {
      SegmentedCteRefParams p = params(1, 2, 1, 128, 8, 32);
      p.kvp_offset = offset;
      SegCase c = random_seg_case(p, prior, seed++);
      if (offset == -3) {
        std::mt19937_64 rng(seed++);
        c.sink = random_tensor({bs_q(c), 1}, rng);
      }
      CAPTURE(prior);
      CAPTURE(offset);
      const CanonicalResult r = run_seg(c);
      check_close(r, run_reference(to_cte_case(c)), kTol);
      // kvp_offset = P is the plain causal case: out is bit-identical to the non-kvp run.
      if (offset == prior) {
        c.p.kvp_offset.reset();
        check_identical(CanonicalResult{r.out, {}, {}}, run_seg(c));
      }
    }
  }
}

TEST_CASE("segmented: shuffling physical blocks together with the table changes nothing") {
  for (bool pre_t : {false, true}) {
    SegmentedCteRefParams p = params(2, 4, 2, 8, 5, 4);
    p.k_pre_transposed = pre_t;
    SegCase c = random_seg_case(p, 12, 7, 5);
    const CanonicalResult base = run_seg(c);
    const int64_t nb = c.k_cache.shape[0];
    std::vector<int64_t> perm(static_cast<size_t>(nb));
    std::iota(perm.begin(), perm.end(), 0);
    std::mt19937_64 rng(99);
    std::shuffle(perm.begin(), perm.end(), rng);
    SegCase s = c;
    const int64_t per_block = c.k_cache.numel() / nb;
    for (int64_t x = 0; x < nb; ++x) {  // physical block x moves to perm[x]
      std::copy_n(c.k_cache.data.begin() + x * per_block, per_block,
                  s.k_cache.data.begin() + perm[static_cast<size_t>(x)] * per_block);
      std::copy_n(c.v_cache.data.begin() + x * per_block, per_block,
                  s.v_cache.data.begin() + perm[static_cast<size_t>(x)] * per_block);
    }
    for (double& e : s.block_tables.data) {
      if (e >= 0) {
        e = static_cast<double>(perm[static_cast<size_t>(e)]);
      }
    }
    check_identical(run_seg(s), base);
  }
}

TEST_CASE("segmented: table entries beyond the used prefix are ignored (-1, 0, any value, or absent)") {
  SegmentedCteRefParams p = params(2, 2, 1, 4, 3, 2);
  SegCase c = random_seg_case(p, 4, 11, 2, 0);  // exactly the used width
  const CanonicalResult base = run_seg(c);
  const int64_t used = used_blocks(c);
  for (double fill : {-1.0, 0.0, 1e9, 0.5}) {
    SegCase w = c;
    w.block_tables = HostTensor::zeros({2, used + 3});
    for (int64_t b = 0; b < 2; ++b) {
      for (int64_t i = 0; i < used + 3; ++i) {
        w.block_tables.at({b, i}) = i < used ? c.block_tables.at({b, i}) : fill;
      }
    }
    CAPTURE(fill);
    check_identical(run_seg(w), base);
  }
}

TEST_CASE("segmented: k_pre_transposed equals the normal K layout") {
  for (int64_t prior : {0, 8}) {
    SegmentedCteRefParams p = params(2, 2, 2, 8, 6, 4);
    SegCase c = random_seg_case(p, prior, 21 + prior);
    const CanonicalResult base = run_seg(c);
    c.p.k_pre_transposed = true;
    check_identical(run_seg(c), base);
  }
}

TEST_CASE("segmented: k_scale / v_scale equal pre-scaled caches") {
  for (auto [ks, vs] : {std::pair{1.5, 0.5}, std::pair{1.67, 1.67}, std::pair{-0.3, 2.0}}) {
    SegmentedCteRefParams p = params(1, 4, 2, 8, 4, 4);
    p.kvp_offset = 9;
    SegCase c = random_seg_case(p, 8, 31);
    SegCase pre = c;
    for (double& x : pre.k_cache.data) {
      x *= ks;
    }
    for (double& x : pre.v_cache.data) {
      x *= vs;
    }
    c.p.k_scale = ks;
    c.p.v_scale = vs;
    for (bool pre_t : {false, true}) {
      c.p.k_pre_transposed = pre.p.k_pre_transposed = pre_t;
      check_identical(run_seg(c), run_seg(pre));
    }
  }
}

TEST_CASE("segmented: the tp_q / tp_out layouts only move elements") {
  SegmentedCteRefParams p = params(2, 2, 1, 8, 3, 2);
  const CanonicalResult base = run_seg(random_seg_case(p, 6, 41));
  for (int flags = 1; flags < 4; ++flags) {
    p.tp_q = flags & 1;
    p.tp_out = flags & 2;
    check_identical(run_seg(random_seg_case(p, 6, 41)), base);
  }
}

TEST_CASE("segmented: a window covering everything equals no window and W = 1 returns the diagonal value") {
  SegmentedCteRefParams p = params(1, 2, 1, 8, 3, 4);
  SegCase c = random_seg_case(p, 8, 51);
  const CanonicalResult base = run_seg(c);
  c.p.sliding_window = 16;
  check_identical(run_seg(c), base);
  c.p.sliding_window = 1;
  const CanonicalResult r = run_seg(c);
  for (int64_t bq = 0; bq < 2; ++bq) {
    for (int64_t i = 0; i < 8; ++i) {
      const int64_t j = c.prior + i;
      const auto blk = static_cast<int64_t>(c.block_tables.at({0, j / 4}));
      for (int64_t e = 0; e < 3; ++e) {
        CHECK(r.out.at({bq, i, e}) == doctest::Approx(c.v_cache.at({blk, 0, j % 4, e})).epsilon(1e-14));
      }
    }
  }
}

TEST_CASE("segmented: a row count larger than one query block and several threads is deterministic") {
  SegmentedCteRefParams p = params(1, 4, 2, 64, 16, 16);
  SegCase c = random_seg_case(p, 128, 61);
  const CanonicalResult a = run_seg(c);
  check_identical(run_seg(c), a);
  check_close(a, run_reference(to_cte_case(c)), kTol);
}

TEST_CASE("segmented: invalid arguments throw std::invalid_argument") {
  SegmentedCteRefParams p = params(1, 2, 1, 4, 3, 2);
  const SegCase good = random_seg_case(p, 4, 71, 1, 1);
  CHECK_NOTHROW(run_seg(good));
  auto expect_throw = [](SegCase c) { CHECK_THROWS_AS(run_seg(c), std::invalid_argument); };

  SegCase c = good;
  c.prior = 3;  // not a multiple of block_size
  expect_throw(c);
  c = good;
  c.prior = -2;
  expect_throw(c);
  c = good;
  c.p.seqlen_q = 3;  // Sq % block_size
  c.q = HostTensor::zeros({2, 3, 3});
  expect_throw(c);
  c = good;
  c.prior = 6;  // needs 5 entries: the 5th column is the -1 padding, now inside the used range
  expect_throw(c);
  c = good;
  c.prior = 8;  // table too narrow
  expect_throw(c);
  c = good;
  c.block_tables.at({0, 1}) = -1;  // -1 inside the used range
  expect_throw(c);
  c = good;
  c.block_tables.at({0, 0}) = static_cast<double>(c.k_cache.shape[0]);  // out of range
  expect_throw(c);
  c = good;
  c.block_tables.at({0, 0}) = 0.5;  // not an integer
  expect_throw(c);
  c = good;
  c.q = HostTensor::zeros({1, 4, 3});  // bs_q mismatch
  expect_throw(c);
  c = good;
  c.v_cache = HostTensor::zeros({c.v_cache.shape[0] + 1, 1, 2, 3});  // num_blocks mismatch with k_cache
  expect_throw(c);
  c = good;
  c.k_cache = HostTensor::zeros({c.k_cache.shape[0], 1, 2, 4});  // d mismatch
  expect_throw(c);
  c = good;
  c.sink = HostTensor::zeros({1, 1});  // sink needs bs_q rows
  expect_throw(c);
  c = good;
  c.p.kvp_offset = 0;
  c.p.sliding_window = 2;  // unspecified combination
  expect_throw(c);
  c = good;
  c.p.sliding_window = -1;
  expect_throw(c);
  c = good;
  c.block_tables = HostTensor::zeros({2, 8});  // batch mismatch
  expect_throw(c);

  // Errors name the function and the offending entry.
  c = good;
  c.block_tables.at({0, 2}) = -1;
  const HostTensor& q = c.q;
  SegmentedCteRefInputs in{&q, &c.k_cache, &c.v_cache, &c.block_tables, c.prior, nullptr};
  try {
    attention_segmented_cte_reference(c.p, in);
    FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CHECK(msg.find("attention_segmented_cte_reference") != std::string::npos);
    CHECK(msg.find("block_tables[0, 2]") != std::string::npos);
    CHECK(msg.find("-1") != std::string::npos);
  }
}

}  // namespace
}  // namespace tn::ref::test
