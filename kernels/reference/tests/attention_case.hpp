// Test support for the attention_cte reference: one case in canonical layouts, a runner that lays the tensors
// out as the tp flags say and undoes it afterwards, and a second, deliberately naive formulation to compare
// against (explicit mask matrix, softmax with a sink column: kernels.md §2.1 steps 1-8).
#pragma once
#include <cstdint>
#include <optional>
#include <random>

#include "kernels/reference/attention_cte_reference.hpp"
#include "kernels/reference/host_tensor.hpp"

namespace tn::ref::test {

// All tensors seq-major: q (bs, Sq, d), k/v (bs_kv, Skv, d), priors (bs_kv, Sprior, d).
struct AttentionCase {
  AttentionCteRefParams p;
  HostTensor q, k, v, k_prior, v_prior;
  std::optional<int64_t> prior_used_len;
  std::optional<HostTensor> sink;  // (bs, 1)
  std::optional<int64_t> cp_offset;
  std::optional<HostTensor> bound_min, bound_max;  // (Sq, 1)
};

// out (bs, Sq, d); neg_max / sum_recip flattened per query as (bs, Sq).
struct CanonicalResult {
  HostTensor out;
  std::optional<HostTensor> neg_max, sum_recip;
};

inline HostTensor make_tensor(std::vector<int64_t> shape, std::vector<double> values) {
  return HostTensor{std::move(shape), std::move(values)};
}

HostTensor random_tensor(std::vector<int64_t> shape, std::mt19937_64& rng, double lo = 0, double hi = 1);

// Fills q, k, v (and the priors when p.seqlen_prior > 0) with uniform [0, 1) values, as the tests of §2.2 do.
AttentionCase random_case(const AttentionCteRefParams& p, uint64_t seed);

// Swaps the last two axes of a rank-3 tensor.
HostTensor swap_last_axes(const HostTensor& t);

CanonicalResult run_reference(const AttentionCase& c);
CanonicalResult run_naive(const AttentionCase& c);

// |a - b| <= tol elementwise with equal NaN / inf patterns; reports the first offender through doctest.
void check_close(const HostTensor& actual, const HostTensor& expected, double tol, const char* what);
void check_close(const CanonicalResult& actual, const CanonicalResult& expected, double tol);

}  // namespace tn::ref::test
