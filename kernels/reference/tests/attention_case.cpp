#include "kernels/reference/tests/attention_case.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace tn::ref::test {

HostTensor random_tensor(std::vector<int64_t> shape, std::mt19937_64& rng, double lo, double hi) {
  std::uniform_real_distribution<double> dist(lo, hi);
  HostTensor t = HostTensor::zeros(std::move(shape));
  for (double& x : t.data) {
    x = dist(rng);
  }
  return t;
}

AttentionCase random_case(const AttentionCteRefParams& p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  AttentionCase c;
  c.p = p;
  c.q = random_tensor({p.bs, p.seqlen_q, p.d}, rng);
  c.k = random_tensor({p.bs_kv, p.seqlen_kv, p.d}, rng);
  c.v = random_tensor({p.bs_kv, p.seqlen_kv, p.d}, rng);
  if (p.seqlen_prior > 0) {
    c.k_prior = random_tensor({p.bs_kv, p.seqlen_prior, p.d}, rng);
    c.v_prior = random_tensor({p.bs_kv, p.seqlen_prior, p.d}, rng);
  }
  return c;
}

HostTensor swap_last_axes(const HostTensor& t) {
  REQUIRE(t.shape.size() == 3);
  HostTensor r = HostTensor::zeros({t.shape[0], t.shape[2], t.shape[1]});
  for (int64_t a = 0; a < t.shape[0]; ++a) {
    for (int64_t b = 0; b < t.shape[1]; ++b) {
      for (int64_t c = 0; c < t.shape[2]; ++c) {
        r.at({a, c, b}) = t.at({a, b, c});
      }
    }
  }
  return r;
}

CanonicalResult run_reference(const AttentionCase& c) {
  const auto& p = c.p;
  // kernels.md §1.1: tp_q / tp_k True = seq-major; tp_out True = d-major.
  const HostTensor q = p.tp_q ? c.q : swap_last_axes(c.q);
  const HostTensor k = p.tp_k ? c.k : swap_last_axes(c.k);
  const bool prior = p.seqlen_prior > 0;
  const HostTensor k_prior = !prior ? HostTensor{} : p.tp_k ? c.k_prior : swap_last_axes(c.k_prior);

  AttentionCteRefInputs in;
  in.q = &q;
  in.k = &k;
  in.v = &c.v;
  if (prior) {
    in.k_prior = &k_prior;
    in.v_prior = &c.v_prior;
  }
  in.prior_used_len = c.prior_used_len;
  in.sink = c.sink ? &*c.sink : nullptr;
  in.cp_offset = c.cp_offset;
  in.bound_min = c.bound_min ? &*c.bound_min : nullptr;
  in.bound_max = c.bound_max ? &*c.bound_max : nullptr;

  AttentionCteRefOutputs o = attention_cte_reference(p, in);
  CHECK(o.out.shape == (p.tp_out ? std::vector{p.bs, p.d, p.seqlen_q} : std::vector{p.bs, p.seqlen_q, p.d}));
  CanonicalResult r;
  r.out = p.tp_out ? swap_last_axes(o.out) : o.out;
  CHECK(o.neg_max.has_value() == p.cache_softmax);
  CHECK(o.sum_recip.has_value() == p.cache_softmax);
  if (p.cache_softmax) {
    const int64_t groups = p.seqlen_q / 128;
    CHECK(o.neg_max->shape == std::vector<int64_t>{p.bs, 128, groups});
    CHECK(o.sum_recip->shape == std::vector<int64_t>{p.bs, 128, groups});
    r.neg_max = HostTensor::zeros({p.bs, p.seqlen_q});
    r.sum_recip = HostTensor::zeros({p.bs, p.seqlen_q});
    for (int64_t b = 0; b < p.bs; ++b) {
      for (int64_t i = 0; i < p.seqlen_q; ++i) {  // [b, p, g] holds query g*128 + p
        r.neg_max->at({b, i}) = o.neg_max->at({b, i % 128, i / 128});
        r.sum_recip->at({b, i}) = o.sum_recip->at({b, i % 128, i / 128});
      }
    }
  }
  return r;
}

CanonicalResult run_naive(const AttentionCase& c) {
  const auto& p = c.p;
  const double inf = std::numeric_limits<double>::infinity();
  const int64_t u = c.prior_used_len.value_or(0);
  const int64_t t = u + p.seqlen_kv;
  const int64_t group = p.bs / p.bs_kv;
  const int64_t cp_off = c.cp_offset.value_or(0);

  // Step 4: the (Sq, U + Skv) additive mask.
  std::vector<std::vector<double>> mask(p.seqlen_q, std::vector<double>(t, 0.0));
  for (int64_t i = 0; i < p.seqlen_q; ++i) {
    const int64_t q_pos = p.cp_strided_q_slicing ? cp_off + i * p.global_cp_deg : cp_off + i;
    for (int64_t j = 0; j < t; ++j) {
      const int64_t pos_diff = (j - u) - q_pos;
      bool masked = false;
      masked |= p.causal && pos_diff > 0;
      masked |= p.sliding_window > 0 && pos_diff <= -p.sliding_window;
      if (c.bound_min) {
        masked |=
            static_cast<double>(j) < c.bound_min->data[i] || static_cast<double>(j) >= c.bound_max->data[i];
      }
      mask[i][j] = masked ? -inf : 0.0;
    }
  }

  CanonicalResult r;
  r.out = HostTensor::zeros({p.bs, p.seqlen_q, p.d});
  if (p.cache_softmax) {
    r.neg_max = HostTensor::zeros({p.bs, p.seqlen_q});
    r.sum_recip = HostTensor::zeros({p.bs, p.seqlen_q});
  }
  for (int64_t b = 0; b < p.bs; ++b) {
    const int64_t bk = b / group;  // repeat_interleave
    auto key = [&](int64_t j, int64_t e) {
      return j < u ? c.k_prior.at({bk, j, e}) : c.k.at({bk, j - u, e});
    };
    auto value = [&](int64_t j, int64_t e) {
      return j < u ? c.v_prior.at({bk, j, e}) : c.v.at({bk, j - u, e});
    };
    for (int64_t i = 0; i < p.seqlen_q; ++i) {
      // Steps 5-6: logits row with the sink column appended last.
      std::vector<double> row(t);
      for (int64_t j = 0; j < t; ++j) {
        double dot = 0;
        for (int64_t e = 0; e < p.d; ++e) {
          dot += c.q.at({b, i, e}) * key(j, e);
        }
        row[j] = dot * p.scale + mask[i][j];
      }
      if (c.sink) {
        row.push_back(c.sink->data[b]);
      }
      // Step 8: m, e, S, w.
      double m = -inf;
      for (double x : row) {
        m = std::max(m, x);
      }
      double s = 0;
      std::vector<double> e(row.size());
      for (size_t j = 0; j < row.size(); ++j) {
        e[j] = std::exp(row[j] - m);  // NaN for every column when m = -inf, as in torch
        s += e[j];
      }
      for (int64_t dd = 0; dd < p.d; ++dd) {
        double acc = 0;
        for (int64_t j = 0; j < t; ++j) {
          acc += (e[j] / s) * value(j, dd);
        }
        r.out.at({b, i, dd}) = acc;
      }
      if (p.cache_softmax) {
        r.neg_max->at({b, i}) = -m;
        r.sum_recip->at({b, i}) = 1 / s;
      }
    }
  }
  return r;
}

void check_close(const HostTensor& actual, const HostTensor& expected, double tol, const char* what) {
  REQUIRE(actual.shape == expected.shape);
  for (size_t i = 0; i < actual.data.size(); ++i) {
    const double a = actual.data[i], b = expected.data[i];
    const bool ok =
        (std::isnan(a) && std::isnan(b)) || a == b || std::fabs(a - b) <= tol * (1 + std::fabs(b));
    if (!ok) {
      FAIL_CHECK(what << "[" << i << "]: " << a << " vs " << b);
      return;
    }
  }
}

void check_close(const CanonicalResult& actual, const CanonicalResult& expected, double tol) {
  check_close(actual.out, expected.out, tol, "out");
  REQUIRE(actual.neg_max.has_value() == expected.neg_max.has_value());
  if (actual.neg_max) {
    check_close(*actual.neg_max, *expected.neg_max, tol, "neg_max");
    check_close(*actual.sum_recip, *expected.sum_recip, tol, "sum_recip");
  }
}

}  // namespace tn::ref::test
