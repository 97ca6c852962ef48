// Shared float64 attention core of the references; see attention_block.hpp.
#include "kernels/reference/attention_block.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>

namespace tn::ref::detail {

BlockScratch::BlockScratch(int64_t d, int64_t num_keys)
    : q(static_cast<size_t>(kQueryBlock * d)),
      scores(static_cast<size_t>(kQueryBlock * num_keys)),
      acc(static_cast<size_t>(kQueryBlock * d)) {}

void attend_block(const KeysValuesView& kv, int64_t n, const KeyRange* ranges, double scale,
                  const double* sink, BlockScratch& s, double* row_max, double* row_sum) {
  const int64_t d = kv.d, t = kv.num_keys;

  KeyRange range[kQueryBlock];
  int64_t block_lo = t, block_hi = 0;
  for (int64_t r = 0; r < n; ++r) {
    range[r] = {ranges[r].lo, std::max(ranges[r].hi, ranges[r].lo)};
    if (range[r].hi > range[r].lo) {
      block_lo = std::min(block_lo, range[r].lo);
      block_hi = std::max(block_hi, range[r].hi);
    }
    std::fill_n(s.scores.begin() + r * t + range[r].lo, range[r].hi - range[r].lo, 0.0);
    std::fill_n(s.acc.begin() + r * d, d, 0.0);
  }

  // s_ij = q_i . k_j, accumulated over e in ascending order.
  for (int64_t c0 = block_lo; c0 < block_hi; c0 += kKeyChunk) {
    const int64_t c1 = std::min(c0 + kKeyChunk, block_hi);
    for (int64_t e = 0; e < d; ++e) {
      const double* k_row = kv.k_t + e * t;
      for (int64_t r = 0; r < n; ++r) {
        const double qe = s.q[r * d + e];
        double* sc = s.scores.data() + r * t;
        const int64_t j1 = std::min(c1, range[r].hi);
        for (int64_t j = std::max(c0, range[r].lo); j < j1; ++j) {
          sc[j] += qe * k_row[j];
        }
      }
    }
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

  // acc_i = sum_j exp(s_ij - m_i) v_j, j ascending.
  for (int64_t c0 = block_lo; c0 < block_hi; c0 += kValueChunk) {
    const int64_t c1 = std::min(c0 + kValueChunk, block_hi);
    for (int64_t r = 0; r < n; ++r) {
      const double* w = s.scores.data() + r * t;
      double* acc = s.acc.data() + r * d;
      const int64_t j1 = std::min(c1, range[r].hi);
      for (int64_t j = std::max(c0, range[r].lo); j < j1; ++j) {
        const double* v_row = kv.v + j * d;
        const double wj = w[j];
        for (int64_t e = 0; e < d; ++e) {
          acc[e] += wj * v_row[e];
        }
      }
    }
  }

  for (int64_t r = 0; r < n; ++r) {
    double* acc = s.acc.data() + r * d;
    for (int64_t e = 0; e < d; ++e) {
      acc[e] /= row_sum[r];
    }
  }
}

void parallel_for(int64_t items, int64_t d, int64_t num_keys,
                  const std::function<void(int64_t item, BlockScratch& s)>& body) {
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    try {
      BlockScratch s(d, num_keys);
      for (int64_t item = next++; item < items; item = next++) {
        body(item, s);
      }
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) {
        error = std::current_exception();
      }
      next = items;
    }
  };
  const int64_t threads = std::clamp<int64_t>(static_cast<int64_t>(std::thread::hardware_concurrency()), 1,
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
