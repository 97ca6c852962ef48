// The ring attention reference on cases worked by hand (kernels.md §5.1): positions, masks, scale and lse.
#include <doctest/doctest.h>

#include <cmath>

#include "kernels/reference/ring_attention_reference.hpp"

namespace tn::ref {
namespace {

constexpr int64_t kS = 128;  // the smallest seqlen the lse layout allows

// One head of d = 1 on each of N ranks: q = 1, k = `key(g)` and v = g at global position g, placed at the
// rank and local index the layout assigns.
struct Ring {
  std::vector<HostTensor> q, k, v;
  std::vector<RingAttentionRefRank> ranks;
};

Ring make_ring(const RingAttentionRefParams& p, double (*key)(int64_t)) {
  Ring ring;
  const int64_t N = p.num_workers;
  for (int64_t r = 0; r < N; ++r) {
    ring.q.push_back(HostTensor{{1, 1, 1, kS}, std::vector<double>(kS, 1.0)});
    HostTensor k = HostTensor::zeros({1, 1, 1, kS}), v = HostTensor::zeros({1, 1, kS, 1});
    for (int64_t j = 0; j < kS; ++j) {
      const int64_t g = p.striped ? j * N + r : r * kS + j;
      k.data[size_t(j)] = key(g);
      v.data[size_t(j)] = double(g);
    }
    ring.k.push_back(k);
    ring.v.push_back(v);
  }
  for (int64_t r = 0; r < N; ++r)
    ring.ranks.push_back({&ring.q[size_t(r)], &ring.k[size_t(r)], &ring.v[size_t(r)]});
  return ring;
}

RingAttentionRefParams params(int64_t n, bool causal, bool striped) {
  RingAttentionRefParams p;
  p.seqlen = kS;
  p.d = 1;
  p.num_workers = n;
  p.causal = causal;
  p.striped = striped;
  return p;
}

double lse_at(const HostTensor& lse, int64_t i) { return lse.data[size_t((i % 128) * (kS / 128) + i / 128)]; }

TEST_CASE("ring_attention_reference: equal scores average the visible values, by layout and mask") {
  // All scores 0: query at global position P averages v = 0..P (causal), or all N * S values.
  const auto zero = [](int64_t) { return 0.0; };
  for (bool striped : {false, true}) {
    CAPTURE(striped);
    const RingAttentionRefParams p = params(3, true, striped);
    const Ring ring = make_ring(p, zero);
    const auto out = ring_attention_reference(p, ring.ranks);
    for (int64_t r = 0; r < 3; ++r) {
      for (int64_t i : {0, 1, 77, 127}) {
        const int64_t P = striped ? i * 3 + r : r * kS + i;
        CAPTURE(r);
        CAPTURE(i);
        CHECK(out[size_t(r)].out.data[size_t(i)] == doctest::Approx(P / 2.0));
        CHECK(lse_at(out[size_t(r)].lse, i) == doctest::Approx(std::log(double(P + 1))));
      }
    }
  }
  const RingAttentionRefParams full = params(2, false, false);
  const auto out = ring_attention_reference(full, make_ring(full, zero).ranks);
  CHECK(out[0].out.data[0] == doctest::Approx((2 * kS - 1) / 2.0));
  CHECK(lse_at(out[1].lse, 5) == doctest::Approx(std::log(2.0 * kS)));
}

TEST_CASE("ring_attention_reference: scaled scores against a direct sum") {
  // k = g / 64 and scale 3: weights exp(3 g / 64) over the visible keys.
  const auto ramp = [](int64_t g) { return double(g) / 64; };
  RingAttentionRefParams p = params(2, true, false);
  p.scale = 3;
  const Ring ring = make_ring(p, ramp);
  const auto out = ring_attention_reference(p, ring.ranks);
  for (int64_t P : {0, 5, 130, 255}) {
    double num = 0, den = 0;
    for (int64_t g = 0; g <= P; ++g) {
      num += std::exp(3.0 * g / 64) * double(g);
      den += std::exp(3.0 * g / 64);
    }
    CAPTURE(P);
    CHECK(out[size_t(P / kS)].out.data[size_t(P % kS)] == doctest::Approx(num / den));
    CHECK(lse_at(out[size_t(P / kS)].lse, P % kS) == doctest::Approx(std::log(den)));
  }
}

TEST_CASE("ring_attention_reference: q and k layouts give the same result") {
  // d = 2 makes the layouts differ: (S, d) against (d, S).
  RingAttentionRefParams p = params(2, true, true);
  p.d = 2;
  std::vector<HostTensor> q_dm, k_dm, v, q_sm, k_sm;
  for (int64_t r = 0; r < 2; ++r) {
    HostTensor qd = HostTensor::zeros({1, 1, 2, kS}), kd = qd, vv = HostTensor::zeros({1, 1, kS, 2});
    HostTensor qs = HostTensor::zeros({1, 1, kS, 2}), ks = qs;
    for (int64_t j = 0; j < kS; ++j) {
      for (int64_t e = 0; e < 2; ++e) {
        const double a = std::sin(0.1 * double(j + 7 * e + 31 * r)), c = std::cos(0.2 * double(j * e + r));
        qd.data[size_t(e * kS + j)] = qs.data[size_t(j * 2 + e)] = a;
        kd.data[size_t(e * kS + j)] = ks.data[size_t(j * 2 + e)] = c;
        vv.data[size_t(j * 2 + e)] = a * c + double(e);
      }
    }
    q_dm.push_back(qd), k_dm.push_back(kd), v.push_back(vv), q_sm.push_back(qs), k_sm.push_back(ks);
  }
  const auto d_major =
      ring_attention_reference(p, {{&q_dm[0], &k_dm[0], &v[0]}, {&q_dm[1], &k_dm[1], &v[1]}});
  p.tp_q = p.tp_k = true;
  const auto seq_major =
      ring_attention_reference(p, {{&q_sm[0], &k_sm[0], &v[0]}, {&q_sm[1], &k_sm[1], &v[1]}});
  for (int r = 0; r < 2; ++r) {
    CHECK(d_major[size_t(r)].out.data == seq_major[size_t(r)].out.data);
    CHECK(d_major[size_t(r)].lse.data == seq_major[size_t(r)].lse.data);
  }
}

TEST_CASE("ring_attention_reference: visible pairs and bad shapes") {
  // Contiguous or striped, causal: sum over P = 0..N S - 1 of (P + 1); non-causal: (N S)^2.
  const double T = 3 * kS;
  CHECK(ring_attention_visible_pairs(params(3, true, false)) == T * (T + 1) / 2);
  CHECK(ring_attention_visible_pairs(params(3, true, true)) == T * (T + 1) / 2);
  CHECK(ring_attention_visible_pairs(params(3, false, false)) == T * T);
  const RingAttentionRefParams p = params(2, true, false);
  Ring ring = make_ring(p, [](int64_t) { return 0.0; });
  ring.ranks.pop_back();
  CHECK_THROWS_AS(ring_attention_reference(p, ring.ranks), std::invalid_argument);
  RingAttentionRefParams ragged = p;
  ragged.seqlen = 100;
  CHECK_THROWS_AS(ring_attention_reference(ragged, make_ring(p, [](int64_t) { return 0.0; }).ranks),
                  std::invalid_argument);
}

}  // namespace
}  // namespace tn::ref
