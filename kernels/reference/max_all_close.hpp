// The comparator of the attention kernel tests: NKI's "maxAllClose" in mode "max" (kernels.md §2.2).
//
//   pass iff for every element: |a - b| <= atol + rtol * max|b|,
//   where max|b| is the global maximum over the FINITE golden values (0 if there are none).
// Non-finite values never match, not even NaN against NaN: no kernel here defines a NaN or infinite
// output (kernels.md §2.1: the reference's fully masked rows are 0/0 and the NKI tests skip them), so a
// non-finite value on either side means the check compared nothing. They are counted apart and named.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernels/reference/host_tensor.hpp"

namespace tn::ref {

// attention_cte tolerances, shared by out and the cache_softmax statistics (kernels.md §2.2).
inline constexpr double kAttentionCteRtol = 2e-2;
inline constexpr double kAttentionCteAtol = 1e-5;
// attention_segmented_cte's tests (kernels.md §3.6): max-mode, rtol 1e-2, atol 1e-2.
inline constexpr double kAttentionSegmentedCteRtol = 1e-2;
inline constexpr double kAttentionSegmentedCteAtol = 1e-2;

struct MaxAllCloseResult {
  bool passed = true;
  // Per-element error: |a - b| for finite pairs, +inf where either value is not finite.
  double max_abs_err = 0;
  double max_rel_err = 0;     // max_abs_err / golden_max_abs (0 if both are 0, +inf if only the latter is)
  double golden_max_abs = 0;  // max |b| over finite golden values
  double tolerance = 0;       // atol + rtol * golden_max_abs
  int64_t num_mismatches = 0;
  int64_t num_elements = 0;
  int64_t num_non_finite_actual = 0;    // NaN or infinite results (each also a mismatch)
  int64_t num_non_finite_expected = 0;  // NaN or infinite reference values (each also a mismatch)
  // The element with the largest error (the first one on ties); -1 / empty when there are no elements.
  int64_t worst_flat_index = -1;
  std::vector<int64_t> worst_index;
  double worst_actual = 0;
  double worst_expected = 0;
  std::string description;  // one line, e.g. "maxAllClose FAIL: 3/1024 mismatches ... worst at [0, 5] ..."
};

// `shape` only serves to print the worst element's multi-index; it must have actual.size() elements.
MaxAllCloseResult max_all_close(std::span<const double> actual, std::span<const double> expected,
                                const std::vector<int64_t>& shape, double rtol = kAttentionCteRtol,
                                double atol = kAttentionCteAtol);

// Throws std::invalid_argument if the shapes differ: that is a harness bug, not a numeric mismatch.
MaxAllCloseResult max_all_close(const HostTensor& actual, const HostTensor& expected,
                                double rtol = kAttentionCteRtol, double atol = kAttentionCteAtol);

}  // namespace tn::ref
