// Shared float64 core of the attention references (attention_cte_reference.cpp,
// attention_segmented_cte_reference.cpp): softmax(scale * Q K^T [+ sink]) V for one block of query rows
// over per-row key intervals, plus the thread helper that spreads blocks over cores.
//
// Each reference keeps its own semantics (validation, layouts, gathering K/V, masks -> visible key ranges,
// output placement); this file only does the arithmetic, in a fixed summation order (dot products over d
// ascending, P@V over keys ascending), so results do not depend on blocking or thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace tn::ref::detail {

constexpr int64_t kQueryBlock = 32;  // query rows sharing each K/V load from cache

// Visible keys [lo, hi) of one query row on the gathered key axis [0, T). Empty when hi <= lo.
struct KeyRange {
  int64_t lo = 0;
  int64_t hi = 0;
};

// Per-thread scratch for one block of up to kQueryBlock query rows over T keys.
struct BlockScratch {
  BlockScratch(int64_t d, int64_t num_keys);
  std::vector<double> q;       // (kQueryBlock, d): the caller loads the block's query rows here
  std::vector<double> scores;  // (kQueryBlock, T): scores, then exp(s - m) in place
  std::vector<double> acc;     // (kQueryBlock, d): sum_j exp(s_j - m) v_j, then the normalised output rows
};

// K^T of one KV head in panels of kKeyPanel keys: head dim e of key j sits at
// ((j / kKeyPanel) * d + e) * kKeyPanel + j % kKeyPanel, zero past the last key. A strip of keys read for
// every head dim is then one contiguous d x kKeyPanel block; in a plain (d, T) K^T the same reads are
// T * 8 bytes apart, and at T a multiple of 512 they all fall in one L1 and one L2 set (8K causal: the
// score loop waited on them for a third of the reference's time).
constexpr int64_t kKeyPanel = 16;

class KeyPanels {
 public:
  KeyPanels(int64_t d, int64_t num_keys)
      : m_d(d), m_values(static_cast<size_t>((num_keys + kKeyPanel - 1) / kKeyPanel * kKeyPanel * d)) {}
  double& at(int64_t j, int64_t e) { return m_values[static_cast<size_t>(offset(m_d, j, e))]; }
  const double* data() const { return m_values.data(); }
  static int64_t offset(int64_t d, int64_t j, int64_t e) {
    return ((j / kKeyPanel) * d + e) * kKeyPanel + j % kKeyPanel;
  }

 private:
  int64_t m_d;
  std::vector<double> m_values;
};

// The gathered keys and values of one KV head: K^T as KeyPanels so QK sweeps contiguous keys, V as (T, d)
// so PV sweeps contiguous head dims.
struct KeysValuesView {
  const double* k_panels = nullptr;  // KeyPanels::data()
  const double* v = nullptr;
  int64_t d = 0;
  int64_t num_keys = 0;  // T
};

// Attention for n <= kQueryBlock query rows whose values are in s.q (row r at s.q[r * d]).
//   range[r]  visible keys of row r (hi < lo is treated as empty);
//   scale     applied to q . k (not to the sink);
//   sink      optional unscaled sink logit shared by the rows (nullptr = none): it joins the row max and
//             the softmax denominator only.
// On return, for r in [0, n): s.acc[r * d + e] = out[r][e] (normalised), row_max[r] = m (max over visible
// scaled scores and the sink), row_sum[r] = sum_j exp(s_j - m) [+ exp(sink - m)]. A row with nothing
// visible and no sink has m = -inf, row_sum = NaN and an all-NaN output row (torch's softmax of an all
// -inf row).
void attend_block(const KeysValuesView& kv, int64_t n, const KeyRange* range, double scale,
                  const double* sink, BlockScratch& s, double* row_max, double* row_sum);

// Runs body(item, scratch) for item in [0, items) over up to hardware_concurrency threads, each with its own
// BlockScratch(d, num_keys); items are handed out in order through an atomic counter. Rethrows the first
// error (the remaining items are skipped).
// How many threads parallel_for uses: 0 (the default) for hardware_concurrency. A run whose reference
// shares the machine with the simulation gives it the cores the simulation leaves.
void set_reference_threads(int64_t threads);
// Called (from any of parallel_for's threads) with the fraction of the current parallel_for's items done;
// empty (the default) for none. A reference that runs several parallel_for passes (one per head) restarts
// from 0 in each.
void set_reference_progress(std::function<void(double fraction)> progress);

void parallel_for(int64_t items, int64_t d, int64_t num_keys,
                  const std::function<void(int64_t item, BlockScratch& s)>& body);

// Flat offset of element (b, s, e) of a tensor that is (B, S, E) when seq_major, else (B, E, S).
inline int64_t seq_d_offset(bool seq_major, int64_t b, int64_t S, int64_t E, int64_t s, int64_t e) {
  return seq_major ? (b * S + s) * E + e : (b * E + e) * S + s;
}

}  // namespace tn::ref::detail
