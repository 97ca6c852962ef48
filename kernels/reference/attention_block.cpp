// Shared float64 attention core of the references; see attention_block.hpp.
#include "kernels/reference/attention_block.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>
#include <type_traits>

#include "sim/numerics/register_tile.hpp"

namespace tn::ref::detail {

BlockScratch::BlockScratch(int64_t d, int64_t num_keys)
    : q(static_cast<size_t>(kQueryBlock * d)),
      scores(static_cast<size_t>(kQueryBlock * num_keys)),
      acc(static_cast<size_t>(kQueryBlock * d)) {}

namespace {

constexpr int64_t kLanes = num::RegisterTileTypes<double>::kLanes;  // 8

// scores[r * t + j] = sum over e ascending of q[r * d + e] * K^T[e][j], from 0.0, for Rows rows and the
// Vecs * 8 keys from j0, which lie in one key panel.
template <int64_t Rows, int64_t Vecs>
inline __attribute__((always_inline)) void score_tile(const double* q, const double* k_panels, double* scores,
                                                      int64_t d, int64_t t, int64_t j0) {
  num::register_tile<double, Rows, Vecs>(q, d, 1, k_panels + KeyPanels::offset(d, j0, 0), kKeyPanel, d,
                                         scores + j0, t, false);
}

constexpr int64_t kScoreRows = 8;  // 8 rows x 16 keys = 16 accumulators
static_assert(kKeyPanel == 2 * kLanes, "a 16-key strip is one key panel");

// Scores of rows [0, n) for keys [lo, hi), one key panel (d x 16, L1 resident) at a time for every 8-row
// tile, starting at the panel that holds lo (the keys before lo in it are computed and never read); then an
// 8-key strip, then single keys; rows beyond the last full tile one at a time.
inline __attribute__((always_inline)) void score_block(const double* q, const double* k_panels,
                                                       double* scores, int64_t n, int64_t d, int64_t t,
                                                       int64_t lo, int64_t hi) {
  const int64_t full = n - n % kScoreRows;
  const auto strip = [&](auto vecs, int64_t j) {
    int64_t r = 0;
    for (; r < full; r += kScoreRows) {
      score_tile<kScoreRows, decltype(vecs)::value>(q + r * d, k_panels, scores + r * t, d, t, j);
    }
    for (; r < n; ++r) {
      score_tile<1, decltype(vecs)::value>(q + r * d, k_panels, scores + r * t, d, t, j);
    }
  };
  int64_t j = lo - lo % kKeyPanel;
  for (; j + kKeyPanel <= hi; j += kKeyPanel) {
    strip(std::integral_constant<int64_t, 2>{}, j);
  }
  for (; j + kLanes <= hi; j += kLanes) {
    strip(std::integral_constant<int64_t, 1>{}, j);
  }
  for (; j < hi; ++j) {
    for (int64_t r = 0; r < n; ++r)
      scores[r * t + j] = num::ordered_dot(q + r * d, 1, k_panels + KeyPanels::offset(d, j, 0), kKeyPanel, d);
  }
}

// acc[r * d + e] += sum over j in [lo, hi) ascending of w[r * t + j] * v[j * d + e], for Rows rows and the
// Vecs * 8 head dims from e0, continuing each row's running sum in place.
template <int64_t Rows, int64_t Vecs>
inline __attribute__((always_inline)) void value_tile(const double* w, const double* v_rows, double* acc,
                                                      int64_t d, int64_t t, int64_t lo, int64_t hi,
                                                      int64_t e0) {
  num::register_tile<double, Rows, Vecs>(w + lo, t, 1, v_rows + lo * d + e0, d, hi - lo, acc + e0, d, true);
}

// One row's sum over keys [lo, hi) ascending, vectorised over head dims.
inline __attribute__((always_inline)) void value_row(const double* w, const double* v_rows, double* acc,
                                                     int64_t d, int64_t lo, int64_t hi) {
  for (int64_t j = lo; j < hi; ++j) {
    const double* v_row = v_rows + j * d;
    const double wj = w[j];
    for (int64_t e = 0; e < d; ++e) {
      acc[e] += wj * v_row[e];
    }
  }
}

constexpr int64_t kValueRows = 4;  // 4 rows x 32 head dims = 16 accumulators

// Rows [r0, r0 + 4) over their common keys [lo, hi) (each row's own keys before lo and after hi are the
// caller's): 32-dim tiles, then 8-dim tiles, then one dim at a time.
inline __attribute__((always_inline)) void value_rows(const double* w, const double* v_rows, double* acc,
                                                      int64_t d, int64_t t, int64_t lo, int64_t hi) {
  int64_t e = 0;
  for (; e + 4 * kLanes <= d; e += 4 * kLanes) {
    value_tile<kValueRows, 4>(w, v_rows, acc, d, t, lo, hi, e);
  }
  for (; e + kLanes <= d; e += kLanes) {
    value_tile<kValueRows, 1>(w, v_rows, acc, d, t, lo, hi, e);
  }
  for (; e < d; ++e) {
    for (int64_t r = 0; r < kValueRows; ++r) {
      double a = acc[r * d + e];
      for (int64_t j = lo; j < hi; ++j) {
        a += w[r * t + j] * v_rows[j * d + e];
      }
      acc[r * d + e] = a;
    }
  }
}

constexpr int64_t kValueChunk = 64;  // V rows per chunk: 64 x d doubles

// Keys [c0, c1) of four rows' sums, in ascending key order for each row: the keys before the four rows'
// common span [lo, hi), the common span as a register tile, then the keys after it.
inline __attribute__((always_inline)) void values_for_group(const KeyRange* range, const double* w,
                                                            const double* v_rows, double* acc, int64_t d,
                                                            int64_t t, int64_t c0, int64_t c1) {
  int64_t lo = 0, hi = t;
  for (int64_t r = 0; r < kValueRows; ++r) {
    lo = std::max(lo, range[r].lo);
    hi = std::min(hi, range[r].hi);
  }
  if (lo >= hi) {
    lo = hi = c1;  // no common span: every key is its row's own
  }
  const int64_t tile_lo = std::clamp(lo, c0, c1), tile_hi = std::clamp(hi, c0, c1);
  for (int64_t r = 0; r < kValueRows; ++r) {
    value_row(w + r * t, v_rows, acc + r * d, d, std::max(c0, range[r].lo), std::min(tile_lo, range[r].hi));
  }
  if (tile_lo < tile_hi) {
    value_rows(w, v_rows, acc, d, t, tile_lo, tile_hi);
  }
  for (int64_t r = 0; r < kValueRows; ++r) {
    value_row(w + r * t, v_rows, acc + r * d, d, std::max(tile_hi, range[r].lo), std::min(c1, range[r].hi));
  }
}

}  // namespace

// Register tiles change which sums are computed together, never one sum's order, so every value is the
// plain loops' (q . k over e ascending, P @ V over j ascending per row), at any vector width.
__attribute__((target_clones("avx512f", "avx2", "default"))) void attend_block(
    const KeysValuesView& kv, int64_t n, const KeyRange* ranges, double scale, const double* sink,
    BlockScratch& s, double* row_max, double* row_sum) {
  const int64_t d = kv.d, t = kv.num_keys;

  KeyRange range[kQueryBlock];
  int64_t block_lo = t, block_hi = 0;
  for (int64_t r = 0; r < n; ++r) {
    range[r] = {ranges[r].lo, std::max(ranges[r].hi, ranges[r].lo)};
    if (range[r].hi > range[r].lo) {
      block_lo = std::min(block_lo, range[r].lo);
      block_hi = std::max(block_hi, range[r].hi);
    }
    std::fill_n(s.acc.begin() + r * d, d, 0.0);
  }

  // s_ij = q_i . k_j over the block's key span (entries outside a row's own range are never read).
  if (block_lo < block_hi) {
    score_block(s.q.data(), kv.k_panels, s.scores.data(), n, d, t, block_lo, block_hi);
  }

  // Softmax statistics: the unscaled sink joins the max and the denominator only.
  for (int64_t r = 0; r < n; ++r) {
    double* sc = s.scores.data() + r * t;
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t j = range[r].lo; j < range[r].hi; ++j) {
      sc[j] *= scale;
      m = std::max(m, sc[j]);
    }
    if (sink) {
      m = std::max(m, *sink);
    }
    row_max[r] = m;
    if (m == -std::numeric_limits<double>::infinity()) {
      // Every logit is -inf: torch computes exp(-inf - (-inf)) = NaN.
      row_sum[r] = std::numeric_limits<double>::quiet_NaN();
      range[r].hi = range[r].lo;
      continue;
    }
    double total = 0;
    for (int64_t j = range[r].lo; j < range[r].hi; ++j) {
      sc[j] = std::exp(sc[j] - m);
      total += sc[j];
    }
    row_sum[r] = sink ? total + std::exp(*sink - m) : total;
  }

  // acc_i = sum_j exp(s_ij - m_i) v_j, j ascending: a chunk of V rows (L2 resident) at a time for every
  // group of four rows, each group tiled over the keys all four see and row by row over the rest.
  for (int64_t c0 = block_lo; c0 < block_hi; c0 += kValueChunk) {
    const int64_t c1 = std::min(c0 + kValueChunk, block_hi);
    int64_t r0 = 0;
    for (; r0 + kValueRows <= n; r0 += kValueRows) {
      values_for_group(range + r0, s.scores.data() + r0 * t, kv.v, s.acc.data() + r0 * d, d, t, c0, c1);
    }
    for (; r0 < n; ++r0) {
      value_row(s.scores.data() + r0 * t, kv.v, s.acc.data() + r0 * d, d, std::max(c0, range[r0].lo),
                std::min(c1, range[r0].hi));
    }
  }

  for (int64_t r = 0; r < n; ++r) {
    double* acc = s.acc.data() + r * d;
    for (int64_t e = 0; e < d; ++e) {
      acc[e] /= row_sum[r];
    }
  }
}

namespace {
std::atomic<int64_t> g_reference_threads{0};
std::function<void(double)> g_reference_progress;  // set while no reference runs
}  // namespace

void set_reference_threads(int64_t threads) { g_reference_threads = threads; }

void set_reference_progress(std::function<void(double)> progress) {
  g_reference_progress = std::move(progress);
}

void parallel_for(int64_t items, int64_t d, int64_t num_keys,
                  const std::function<void(int64_t item, BlockScratch& s)>& body) {
  std::atomic<int64_t> next{0}, done{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    try {
      BlockScratch s(d, num_keys);
      for (int64_t item = next++; item < items; item = next++) {
        body(item, s);
        if (g_reference_progress)
          g_reference_progress(double(++done) / double(items));
      }
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) {
        error = std::current_exception();
      }
      next = items;
    }
  };
  const int64_t budget = g_reference_threads.load();
  const int64_t threads =
      std::clamp<int64_t>(budget > 0 ? budget : static_cast<int64_t>(std::thread::hardware_concurrency()), 1,
                          std::max<int64_t>(items, 1));
  std::vector<std::thread> pool;
  for (int64_t w = 1; w < threads; ++w) {
    pool.emplace_back(worker);
  }
  worker();
  for (auto& th : pool) {
    th.join();
  }
  if (error) {
    std::rethrow_exception(error);
  }
}

}  // namespace tn::ref::detail
