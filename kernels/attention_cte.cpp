#include "kernels/attention_cte.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "kernels/builder/program_builder.hpp"

namespace tn::kernels {

using namespace isa;

namespace {

// Tiling constants of the real kernel (kernels.md §1.4).
constexpr int64_t kQGroup = 128;
constexpr int64_t kKTile = 512;
constexpr int64_t kVTile = 128;
constexpr int64_t kLargeTile = 2048;
constexpr int64_t kKTilesPerLarge = kLargeTile / kKTile;
constexpr int64_t kFlashThreshold = 10240;
constexpr int64_t kSectionLength = 8192;
constexpr int64_t kMinSeqlenForLnc2Sharding = 1024;
constexpr int64_t kMaxBs = 512;
constexpr int64_t kMaxSeqlen = 131072;
constexpr int64_t kMaxCpDegree = 32;          // the public kernel's assert (kernels.md §1.3)
constexpr int64_t kMaxCallerCpDegree = 1024;  // a caller's raised limit (AttentionCteParams::max_cp_deg)
// PSUM banks (kernels.md §1.5): MM1 tiles rotate over banks 0-3, MM2 accumulators over 4-7.
constexpr int32_t kMm1FirstBank = 0;
constexpr int32_t kMm2FirstBank = 4;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t align_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

[[noreturn]] void reject(const std::string& param, const std::string& rule) {
  throw KernelParamError("attention_cte: " + param + ": " + rule);
}

// Derived tiling parameters (kernels.md §1.4, _compute_tile_parameters).
struct Derived {
  bool is_causal = false;         // static compute skipping and static masks; off for contiguous CP
  bool dynamic_sel_mask = false;  // active tiles masked by range_select from runtime bounds
  bool strided = false;           // strided CP
  int64_t cp_deg = 1;
  AttentionCteKvLayout kv;  // trnsim loads all active keys (see attention_cte_kv_layout)

  explicit Derived(const AttentionCteParams& p) {
    strided = p.has_cp() && p.cp_strided_q_slicing;
    cp_deg = p.has_cp() ? p.global_cp_deg : 1;
    // Contiguous CP has runtime positions, so nothing can be skipped statically. Striped input keeps the
    // skipping: its cp_offset is 0 or -1, so no query sees a key past its own local index.
    is_causal = p.causal && !(p.has_cp() && !strided && !p.cp_striped_input);
    dynamic_sel_mask = p.has_cp() || p.sequence_packing || (p.sliding_window > 0 && p.sliding_window <= 128);
    kv = attention_cte_kv_layout(p, /*windowed=*/false);
  }
};

// Which batches and Q groups one core processes (kernels.md §1.8).
struct Shard {
  AttentionCteShare share;
  bool q_sharded = false;  // the split batch's groups are divided between the cores (else core 0 runs all)
};

Shard shard_for(const AttentionCteParams& p, int32_t core) {
  Shard s;
  AttentionCteShare& w = s.share;
  const int64_t groups = ceil_div(p.seqlen_q, kQGroup);
  if (p.lnc == 1) {
    w.batch_end = p.bs;
    return s;
  }
  const int64_t per_core = p.bs / 2;
  w.batch_begin = core * per_core;
  w.batch_end = w.batch_begin + per_core;
  if (p.bs % 2 == 0)
    return s;
  w.split_batch = p.bs - 1;
  if (p.seqlen_q < kMinSeqlenForLnc2Sharding) {
    // Too short to shard: core 0 also runs the whole last batch (AttentionCteGenerator::generate).
    w.group_begin = 0;
    w.group_end = core == 0 ? groups : 0;
    return s;
  }
  // Causal work is lower-triangular, so core 0 takes more of the (cheaper) early groups; prior keys
  // are visible to every query, which pulls the split back toward one half. Striped CP input is not
  // strided Q slicing, so it keeps 0.5 (kernels.md §7.1 item 6, settled): its caller, the ring, reduces
  // the remainder batch at 0.5 on each core (§5.2), and each core must compute exactly what it reduces.
  double f = p.causal && p.sliding_window == 0 && (!p.has_cp() || p.cp_strided_q_slicing) ? 0.65 : 0.5;
  if (p.has_prior() && f == 0.65) {
    f = (0.65 * p.seqlen_kv + 0.5 * p.seqlen_prior) / static_cast<double>(p.seqlen_kv + p.seqlen_prior);
  }
  const int64_t cut = static_cast<int64_t>(groups * f);
  s.q_sharded = true;
  w.group_begin = core == 0 ? 0 : cut;
  w.group_end = core == 0 ? cut : groups;
  return s;
}

// A 512-column K tile of a section: prior or active, and where it starts in its own coordinates.
struct KTile {
  bool exists = false;  // false past the end of the prior or active keys (zero-length pad tiles)
  bool prior = false;
  int64_t local_start = 0;  // key index within k_prior or k
  int64_t width = 0;        // keys in the tile (<= 512)
};

class AttentionCteGenerator {
 public:
  // The kernel's inputs and outputs come bound by API name.
  AttentionCteGenerator(ProgramBuilder& b, const AttentionCteParams& p, int32_t core,
                        const std::map<std::string, int32_t>& tensors)
      : m_p(p), m_dv(p), m_b(b), m_core(core) {
    m_groups = ceil_div(p.seqlen_q, kQGroup);
    m_groups_per_load = std::min<int64_t>(dtype_size(p.dtype) == 4 ? 4 : 8, m_groups);
    for (const auto& list : {attention_cte_inputs(p), attention_cte_outputs(p)}) {
      for (const KernelTensor& t : list) {
        const auto it = tensors.find(t.name);
        if (it == tensors.end())
          throw std::logic_error("attention_cte: no tensor bound to '" + t.name + "'");
        m_tensor[t.name] = it->second;
      }
    }
    m_q_queue = m_b.dma_queue("qSyncIO0");
    m_k_queue = m_b.dma_queue("qSyncIO1");
    m_v_queue = m_b.dma_queue("qSyncIO2");
    m_exp_queue = m_b.dma_queue("qScalarIO0");
    m_out_queue = m_b.dma_queue("qSyncIO3");
  }

  void generate() {
    const Shard shard = shard_for(m_p, m_core);
    const AttentionCteShare& w = shard.share;
    for (int64_t b = w.batch_begin; b < w.batch_end; ++b)
      run_batch(b, 0, m_groups, false);
    if (w.split_batch >= 0 && w.group_begin < w.group_end)
      run_batch(w.split_batch, w.group_begin, w.group_end, shard.q_sharded);
  }

 private:
  int32_t tensor(const char* name) const { return m_tensor.at(name); }

  // ---- positions and compute-skipping predicates (kernels.md §1.7) ----
  // The largest query position group g can hold (n groups from g), worst case over CP ranks if strided.
  int64_t max_q(int64_t g, int64_t n = 1) const {
    const int64_t q = g * kQGroup + kQGroup * n - 1;
    return m_dv.strided ? q * m_dv.cp_deg + m_dv.cp_deg - 1 : q;
  }
  int64_t min_q(int64_t g) const { return m_dv.strided ? g * kQGroup * m_dv.cp_deg : g * kQGroup; }
  bool causal_has(int64_t g, int64_t k_start, int64_t n = 1) const {
    return !m_dv.is_causal || max_q(g, n) >= k_start;
  }
  bool swa_has(int64_t g, int64_t k_start, int64_t tile) const {
    return !m_dv.is_causal || m_p.sliding_window == 0 || min_q(g) < k_start + tile - 1 + m_p.sliding_window;
  }
  // Whether a tile of `width` keys at `k_start` (active coordinates) needs computing for group g.
  bool tile_has(int64_t g, const KTile& t, int64_t width) const {
    if (!t.exists)
      return false;
    if (t.prior)
      return true;
    return causal_has(g, t.local_start) && swa_has(g, t.local_start, width);
  }

  int64_t section_start(int64_t s) const { return s * m_dv.kv.section_len; }
  int64_t section_len(int64_t s) const {
    return std::min(m_dv.kv.section_len, m_dv.kv.total - section_start(s));
  }
  bool section_has_prior(int64_t s) const { return section_start(s) < m_dv.kv.prior_pad; }
  // Group-level skipping, not applied to sections with prior tiles (kernels.md §1.7).
  bool group_has_compute(int64_t g, int64_t s) const {
    if (section_has_prior(s))
      return true;
    return causal_has(g, section_start(s) - m_dv.kv.prior_pad);
  }
  int64_t q_rows(int64_t g) const { return std::min(kQGroup, m_p.seqlen_q - g * kQGroup); }

  // The K tile covering section-local columns [local, local + 512).
  KTile k_tile(int64_t local) const {
    KTile t;
    const int64_t global = section_start(m_section) + local;
    t.prior = global < m_dv.kv.prior_pad;
    t.local_start = t.prior ? global : global - m_dv.kv.prior_pad;
    const int64_t len = t.prior ? m_p.seqlen_prior : m_p.seqlen_kv;
    t.width = std::min(kKTile, len - t.local_start);
    t.exists = local < section_len(m_section) && t.width > 0;
    return t;
  }
  // The same for a 128-row V tile.
  KTile v_tile(int64_t local) const {
    KTile t = k_tile(local);
    const int64_t len = t.prior ? m_p.seqlen_prior : m_p.seqlen_kv;
    t.width = std::min(kVTile, len - t.local_start);
    t.exists = local < section_len(m_section) && t.width > 0;
    return t;
  }

  // ---- per-batch state ----
  struct SectionBuffers {
    std::vector<Buffer> k, v;               // per K tile [d, 512] bf16 / per V tile [128, d] bf16
    Buffer q[2];                            // [d, 128 * groups_per_load] bf16
    Buffer q_raw[2];                        // same in the input dtype (non-bf16 transposed loads)
    std::vector<Buffer> mm1_masked[2];      // [g%2][L] [128, 2048] fp32
    std::vector<Buffer> exp;                // [L] [128, 2048] bf16
    std::vector<Buffer> exp_tp[2];          // [g%2][K tile] [128, 512] bf16
    Buffer partial_max[2], partial_sum[2];  // [128, nK (+1 for the sink)] fp32
    Buffer mm1_copy[2], mm1_select[2];      // [128, 512] fp32 (statically masked tiles)
    Buffer section_max[2], section_sum[2], prev_max[2], corr[2];  // [128, 1] fp32
    Buffer mm2[2], mm2_prev[2], mm2_acc[2], mm2_final[2];         // [128, d] (tp_out [d, 128])
    Buffer bcast_tp[2];                                           // tp_out: [d, 128] fp32
    Buffer q_unpacked;                                            // [128, d] input dtype
  };

  void run_batch(int64_t b, int64_t g_begin, int64_t g_end, bool q_sharded) {
    m_batch = b;
    m_kv_batch = b / (m_p.bs / m_p.bs_kv);
    m_q_sharded = q_sharded;
    const auto batch_mark = m_b.mark();
    m_running_max = m_b.sbuf("mm1_running_max", DType::kFloat32, kQGroup, {m_groups});
    m_running_sum = m_b.sbuf("exp_running_sum", DType::kFloat32, kQGroup, {m_groups});
    m_recip = m_b.sbuf("exp_sum_reciprocal", DType::kFloat32, kQGroup, {m_groups});
    m_zero = m_b.sbuf("zero_bias", DType::kFloat32, kQGroup, {1});
    m_b.memset(m_zero.ap, 0.0f);
    if (m_p.sink) {
      m_sink = m_b.sbuf("sink_sb", DType::kFloat32, kQGroup, {1});
      m_b.dma_copy(m_q_queue, m_sink.ap, hbm_broadcast(tensor("sink"), DType::kFloat32, b));
    }
    setup_bounds();
    for (int64_t s = 0; s < m_dv.kv.num_sections; ++s) {
      const auto section_mark = m_b.mark();
      m_section = s;
      allocate_section(s);
      load_kv(s);
      pipeline_groups(g_begin, g_end);
      m_b.release(section_mark);
    }
    if (m_p.cache_softmax)
      write_softmax_stats(g_begin, g_end);
    m_b.release(batch_mark);
  }

  // ---- runtime mask bounds (kernels.md §1.6 setup step 3): built on the engines from runtime values ----
  // For query row p of group g, the visible keys are those with index idx (in the tile's own coordinates)
  // satisfying lbs[p,g] <= idx (op1) ubs[p,g]; prior keys use lbs_prior / ubs_prior.
  void setup_bounds() {
    const bool need_active = m_dv.dynamic_sel_mask;
    const bool need_prior = m_p.has_prior();
    const int64_t w = m_p.sliding_window;
    m_have_lbs = false;
    if (!need_active && !need_prior)
      return;
    const int64_t G = m_groups;
    if (need_active || w > 0) {
      // ubs = the query's position: g*128 + p (contiguous), (g*128 + p) * D (strided), or Skv when
      // packing without causality bounds nothing but the keys.
      m_ubs = m_b.sbuf("range_sel_ubs", DType::kFloat32, kQGroup, {G});
      if (m_p.sequence_packing && !m_p.causal) {
        m_b.iota(m_ubs.ap, m_p.seqlen_kv, 0, {0, 0, 0, 0});
      } else if (m_dv.strided) {
        m_b.iota(m_ubs.ap, 0, m_dv.cp_deg, {m_dv.cp_deg * kQGroup, 0, 0, 0});
      } else {
        m_b.iota(m_ubs.ap, 0, 1, {kQGroup, 0, 0, 0});
      }
      if (m_p.has_cp()) {
        Buffer cp = m_b.sbuf("cp_offset_sb", DType::kFloat32, kQGroup, {1});
        m_b.dma_copy(m_q_queue, cp.ap, hbm_broadcast(tensor("cp_offset"), m_p.cp_offset_dtype, 0));
        m_b.tensor_scalar(m_ubs.ap, m_ubs.ap, AluOp::kAdd, column(cp.ap));
      }
    }
    if (m_p.sequence_packing) {
      m_lbs = m_b.sbuf("range_sel_lbs", DType::kFloat32, kQGroup, {G});
      Buffer bmax = m_b.sbuf("bound_max_sb", DType::kFloat32, kQGroup, {G});
      load_per_query(tensor("bound_min"), m_lbs.ap);
      load_per_query(tensor("bound_max"), bmax.ap);
      // Only the loaded rows: the last group's partitions past seqlen_q hold no bound.
      for (const QueryRows& r : query_rows())
        m_b.tensor_tensor(view(m_ubs.ap, r), view(m_ubs.ap, r), view(bmax.ap, r), AluOp::kMin);
      m_have_lbs = true;
    }
    if (w > 0) {
      if (!m_have_lbs)
        m_lbs = m_b.sbuf("range_sel_lbs", DType::kFloat32, kQGroup, {G});
      if (m_p.sequence_packing) {
        // lbs = max(ubs - (W - 1), bound_min), over the rows bound_min was loaded into
        for (const QueryRows& r : query_rows()) {
          m_b.scalar_tensor_tensor(view(m_lbs.ap, r), view(m_ubs.ap, r), AluOp::kAdd,
                                   imm(static_cast<float>(1 - w)), AluOp::kMax, view(m_lbs.ap, r));
        }
      } else {
        m_b.tensor_scalar(m_lbs.ap, m_ubs.ap, AluOp::kAdd, imm(static_cast<float>(1 - w)));
      }
      m_have_lbs = true;
    }
    if (need_prior) {
      // Prior row x (x < U) sits at position x - U: visible iff x < U and, with SWA, x >= lbs + U.
      Buffer u = m_b.sbuf("prior_used_len_sb", DType::kFloat32, kQGroup, {1});
      m_b.dma_copy(m_q_queue, u.ap, hbm_broadcast(tensor("prior_used_len"), DType::kInt32, 0));
      m_ubs_prior = m_b.sbuf("range_sel_ubs_prior", DType::kFloat32, kQGroup, {G});
      m_b.tensor_scalar(m_ubs_prior.ap, reshape(m_zero.ap, 0, {{0, G}}), AluOp::kAdd, column(u.ap));
      if (w > 0) {
        m_lbs_prior = m_b.sbuf("range_sel_lbs_prior", DType::kFloat32, kQGroup, {G});
        m_b.tensor_scalar(m_lbs_prior.ap, m_lbs.ap, AluOp::kAdd, column(u.ap));
      }
    }
  }

  // The parts of a [128, G] per-query tile (query g*128 + p at [p, g]) that hold a query: the whole
  // groups' columns, then the first seqlen_q % 128 partitions of the last column.
  struct QueryRows {
    int64_t first_column, num_columns;
    int32_t num_partitions;
  };
  std::vector<QueryRows> query_rows() const {
    const int64_t full = m_p.seqlen_q / kQGroup, rest = m_p.seqlen_q % kQGroup;
    std::vector<QueryRows> rows;
    if (full > 0)
      rows.push_back({0, full, static_cast<int32_t>(kQGroup)});
    if (rest > 0)
      rows.push_back({full, 1, static_cast<int32_t>(rest)});
    return rows;
  }
  static AccessPattern view(const AccessPattern& tile, const QueryRows& r) {
    return columns(partitions(tile, 0, r.num_partitions), r.first_column, r.num_columns);
  }

  // dst[p, g] = src[g*128 + p] for a per-query (Sq, 1) tensor: whole groups in one DMA, the rest in another.
  void load_per_query(int32_t t, const AccessPattern& dst) {
    for (const QueryRows& r : query_rows()) {
      m_b.dma_copy(m_q_queue, view(dst, r),
                   hbm_ap(t, DType::kFloat32, r.first_column * kQGroup, {1, r.num_partitions},
                          {{kQGroup, r.num_columns}}));
    }
  }

  int64_t stat_columns() const { return m_n_k + (m_p.sink ? 1 : 0); }

  void allocate_section(int64_t s) {
    const int64_t len = section_len(s);
    const int64_t n_k = ceil_div(len, kKTile), n_v = ceil_div(len, kVTile), n_l = ceil_div(len, kLargeTile);
    m_n_k = n_k;
    SectionBuffers& B = m_buf;
    B = SectionBuffers{};
    const int32_t d = static_cast<int32_t>(m_p.d);
    for (int64_t t = 0; t < n_k; ++t)
      B.k.push_back(m_b.sbuf("k_sb", DType::kBFloat16, d, {kKTile}, 32));
    for (int64_t t = 0; t < n_v; ++t)
      B.v.push_back(m_b.sbuf("v_sb", DType::kBFloat16, kVTile, {m_p.d}));
    for (int i = 0; i < 2; ++i) {
      B.q[i] = m_b.sbuf("q_sb", DType::kBFloat16, d, {kQGroup * m_groups_per_load}, 32);
      if (m_p.dtype != DType::kBFloat16 && m_p.tp_q) {
        B.q_raw[i] = m_b.sbuf("q_sb_raw", m_p.dtype, d, {kQGroup * m_groups_per_load}, 32);
      }
      for (int64_t l = 0; l < n_l; ++l) {
        B.mm1_masked[i].push_back(m_b.sbuf("mm1_masked", DType::kFloat32, kQGroup, {kLargeTile}));
      }
      for (int64_t t = 0; t < n_l * kKTilesPerLarge; ++t) {
        B.exp_tp[i].push_back(m_b.sbuf("exp_tp_sb", DType::kBFloat16, kVTile, {kKTile}, 32));
      }
      B.partial_max[i] = m_b.sbuf("mm1_partial_max", DType::kFloat32, kQGroup, {stat_columns()});
      B.partial_sum[i] = m_b.sbuf("exp_partial_sum", DType::kFloat32, kQGroup, {stat_columns()});
      B.mm1_copy[i] = m_b.sbuf("mm1_copy_sb", DType::kFloat32, kQGroup, {kKTile});
      B.mm1_select[i] = m_b.sbuf("mm1_affine_select_output", DType::kFloat32, kQGroup, {kKTile});
      B.section_max[i] = m_b.sbuf("mm1_section_max", DType::kFloat32, kQGroup, {1});
      B.section_sum[i] = m_b.sbuf("exp_section_sum", DType::kFloat32, kQGroup, {1});
      B.prev_max[i] = m_b.sbuf("prev_mm1_running_max", DType::kFloat32, kQGroup, {1});
      B.corr[i] = m_b.sbuf("flash_attn_correction_factor", DType::kFloat32, kQGroup, {1});
      const int32_t rows = m_p.tp_out ? d : static_cast<int32_t>(kQGroup);
      const int64_t cols = m_p.tp_out ? kQGroup : m_p.d;
      B.mm2[i] = m_b.sbuf("mm2_sb", DType::kFloat32, rows, {cols});
      B.mm2_prev[i] = m_b.sbuf("mm2_prev_output", DType::kFloat32, rows, {cols});
      B.mm2_acc[i] = m_b.sbuf("mm2_accum_flash_attn", DType::kFloat32, rows, {cols});
      B.mm2_final[i] = m_b.sbuf("mm2_final", m_p.dtype, rows, {cols});
      if (m_p.tp_out)
        B.bcast_tp[i] = m_b.sbuf("tp_out_broadcast", DType::kFloat32, d, {kQGroup});
    }
    for (int64_t l = 0; l < n_l; ++l)
      B.exp.push_back(m_b.sbuf("exp_sb", DType::kBFloat16, kQGroup, {kLargeTile}));
    if (m_q_sharded)
      B.q_unpacked = m_b.sbuf("q_unpacked", m_p.dtype, kQGroup, {m_p.d});
  }

  // ---- (a)/(b) K and V tiles of a section (kernels.md §1.6); prior tiles come from k_prior/v_prior ----
  void load_kv(int64_t s) {
    const int64_t len = section_len(s), d = m_p.d;
    for (int64_t t = 0; t < ceil_div(len, kKTile); ++t) {
      const KTile kt = k_tile(t * kKTile);
      if (!kt.exists)
        continue;  // zero-length tiles in the prior's pad
      const int64_t rows_total = kt.prior ? m_p.seqlen_prior : m_p.seqlen_kv;
      const int32_t kt_tensor = tensor(kt.prior ? "k_prior" : "k");
      const int64_t kv_base = m_kv_batch * rows_total * d;
      const int64_t nf = kt.width;
      AccessPattern dst = columns(partitions(m_buf.k[t].ap, 0, static_cast<int32_t>(d)), 0, nf);
      if (!m_p.tp_k) {
        // K is [d, S] in HBM: one strided copy, cast to bf16 by the DMA.
        m_b.dma_copy(m_k_queue, dst,
                     hbm_rows(kt_tensor, m_p.dtype, kv_base, rows_total, 0, d, kt.local_start, nf));
      } else {
        // K is [S, d]: transpose [nf, d] -> [d, nf] during the DMA.
        AccessPattern src = hbm_rows(kt_tensor, m_p.dtype, kv_base, d, kt.local_start, nf, 0, d);
        if (m_p.dtype == DType::kBFloat16) {
          m_b.dma_transpose(m_k_queue, dst, src);
        } else {
          const auto mark = m_b.mark();
          Buffer raw = m_b.sbuf("k_sb_raw", m_p.dtype, static_cast<int32_t>(d), {kKTile}, 32);
          AccessPattern raw_ap = columns(raw.ap, 0, nf);
          m_b.dma_transpose(m_k_queue, raw_ap, src);
          m_b.tensor_copy(dst, raw_ap);
          m_b.release(mark);
        }
      }
    }
    for (int64_t t = 0; t < ceil_div(len, kVTile); ++t) {
      const KTile vt = v_tile(t * kVTile);
      if (!vt.exists)
        continue;
      const int64_t rows_total = vt.prior ? m_p.seqlen_prior : m_p.seqlen_kv;
      AccessPattern dst = partitions(m_buf.v[t].ap, 0, static_cast<int32_t>(vt.width));
      m_b.dma_copy(m_v_queue, dst,
                   hbm_rows(tensor(vt.prior ? "v_prior" : "v"), m_p.dtype, m_kv_batch * rows_total * d, d,
                            vt.local_start, vt.width, 0, d));
    }
  }

  // ---- (c) the Q-group software pipeline (kernels.md §1.6) ----
  void pipeline_groups(int64_t s, int64_t e) {
    const int64_t n = e - s;
    if (n <= 0)
      return;
    if (n == 1) {
      load_q(s);
      qk(s);
      update_max(s);
      exp_stage(s);
      pv(s);
      write_back(s);
      return;
    }
    load_q(s);
    qk(s);
    update_max(s);
    exp_stage(s);
    load_q(s + 1);
    qk(s + 1);
    update_max(s + 1);
    for (int64_t i = s; i < e - 2; ++i) {
      load_q(i + 2);
      exp_stage(i + 1);
      // Fused PV(i) || QK(i+2), large tile by large tile, so PE alternates between the two.
      for (int64_t l = 0; l < num_large_tiles(); ++l) {
        pv_large_tile(i, l);
        qk_large_tile(i + 2, l);
      }
      pv_finish(i);
      write_back(i);
      update_max(i + 2);
    }
    pv(e - 2);
    write_back(e - 2);
    exp_stage(e - 1);
    pv(e - 1);
    write_back(e - 1);
  }

  int64_t num_large_tiles() const { return ceil_div(section_len(m_section), kLargeTile); }
  bool has_compute(int64_t g) const { return group_has_compute(g, m_section); }
  int parity(int64_t g) const { return static_cast<int>(g % 2); }

  // ---- LoadQ ----
  void load_q(int64_t g) {
    const int64_t d = m_p.d, sq = m_p.seqlen_q;
    const int32_t di = static_cast<int32_t>(d);
    const int32_t q = tensor("q");
    if (m_q_sharded) {
      // Unpacked load (LNC2 remainder batch): copy [rows, d], transpose on PE, copy to q_sb.
      if (!has_compute(g))
        return;
      const int64_t rows = q_rows(g);
      Buffer& qs = m_buf.q[parity(g)];
      AccessPattern dst = columns(partitions(qs.ap, 0, di), 0, rows);
      if (m_p.tp_q) {
        AccessPattern raw = partitions(m_buf.q_unpacked.ap, 0, static_cast<int32_t>(rows));
        m_b.dma_copy(m_q_queue, raw, hbm_rows(q, m_p.dtype, m_batch * sq * d, d, g * kQGroup, rows, 0, d));
        Buffer tp = m_b.psum_at_bank("q_transpose_psum", 0, m_p.dtype, di, {kQGroup});
        AccessPattern tp_ap = columns(tp.ap, 0, rows);
        m_b.pe_transpose(tp_ap, raw);
        m_b.tensor_copy(dst, tp_ap);
      } else {
        m_b.dma_copy(m_q_queue, dst, hbm_rows(q, m_p.dtype, m_batch * d * sq, sq, 0, d, g * kQGroup, rows));
      }
      return;
    }
    if (g % m_groups_per_load != 0)
      return;
    const int64_t last_group = std::min(g + m_groups_per_load, m_groups) - 1;
    bool any = false;
    for (int64_t h = g; h <= last_group; ++h)
      any = any || has_compute(h);
    if (!any)
      return;
    const int64_t first_row = g * kQGroup;
    const int64_t rows = std::min(sq, (last_group + 1) * kQGroup) - first_row;
    Buffer& qs = m_buf.q[(g / m_groups_per_load) % 2];
    AccessPattern dst = columns(partitions(qs.ap, 0, di), 0, rows);
    if (!m_p.tp_q) {
      m_b.dma_copy(m_q_queue, dst, hbm_rows(q, m_p.dtype, m_batch * d * sq, sq, 0, d, first_row, rows));
      return;
    }
    AccessPattern src = hbm_rows(q, m_p.dtype, m_batch * sq * d, d, first_row, rows, 0, d);
    if (m_p.dtype == DType::kBFloat16) {
      m_b.dma_transpose(m_q_queue, dst, src);
    } else {
      AccessPattern raw = columns(partitions(m_buf.q_raw[(g / m_groups_per_load) % 2].ap, 0, di), 0, rows);
      m_b.dma_transpose(m_q_queue, raw, src);
      m_b.tensor_copy(dst, raw);
    }
  }

  // Q^T columns of group g inside its q_sb: [d, rows].
  AccessPattern q_group(int64_t g) const {
    const int32_t di = static_cast<int32_t>(m_p.d);
    if (m_q_sharded)
      return columns(partitions(m_buf.q[parity(g)].ap, 0, di), 0, q_rows(g));
    const Buffer& qs = m_buf.q[(g / m_groups_per_load) % 2];
    return columns(partitions(qs.ap, 0, di), (g % m_groups_per_load) * kQGroup, q_rows(g));
  }

  // ---- QK + max ----
  void qk(int64_t g) {
    if (!has_compute(g))
      return;
    for (int64_t l = 0; l < num_large_tiles(); ++l)
      qk_large_tile(g, l);
  }

  void qk_large_tile(int64_t g, int64_t l) {
    if (!has_compute(g))
      return;
    const int32_t nq = static_cast<int32_t>(q_rows(g));
    const int p = parity(g);
    if (l == 0)
      m_b.memset(partitions(m_buf.partial_max[p].ap, 0, nq), kFmin);
    for (int64_t j = 0; j < kKTilesPerLarge; ++j) {
      const int64_t t = l * kKTilesPerLarge + j;
      const KTile kt = k_tile(t * kKTile);
      if (!tile_has(g, kt, kKTile))
        continue;
      const int64_t nf = kt.width;
      Buffer psum = m_b.psum_at_bank("mm1_psum", kMm1FirstBank + static_cast<int32_t>(j), DType::kFloat32,
                                     kQGroup, {kKTile});
      AccessPattern scores = columns(partitions(psum.ap, 0, nq), 0, nf);
      m_b.matmul(scores, q_group(g),
                 columns(partitions(m_buf.k[t].ap, 0, static_cast<int32_t>(m_p.d)), 0, nf), false);
      AccessPattern masked = columns(partitions(m_buf.mm1_masked[p][l].ap, 0, nq), j * kKTile, nf);
      AccessPattern max_col = columns(partitions(m_buf.partial_max[p].ap, 0, nq), t, 1);
      mask_and_max(g, kt, scores, masked, max_col);
    }
  }

  // Masks one score tile into `masked` and max-reduces it into `max_col`, the one of three ways the real
  // kernel picks (kernels.md §1.6 "Masking").
  void mask_and_max(int64_t g, const KTile& kt, const AccessPattern& scores, const AccessPattern& masked,
                    const AccessPattern& max_col) {
    const int32_t nq = scores.num_partitions;
    const int64_t w = m_p.sliding_window;
    auto col = [&](const Buffer& b) { return columns(partitions(b.ap, 0, nq), g, 1); };
    if (kt.prior || m_dv.dynamic_sel_mask) {
      // Dynamic: range_select straight from PSUM against the runtime bounds; scale is 1 (asserted).
      const AccessPattern zero = partitions(m_zero.ap, 0, nq);
      AccessPattern lower = zero, upper;
      CmpOp upper_cmp = CmpOp::kLe;
      if (kt.prior) {
        if (w > 0)
          lower = col(m_lbs_prior);
        upper = col(m_ubs_prior);
        upper_cmp = CmpOp::kLt;
      } else {
        if (m_have_lbs)
          lower = col(m_lbs);
        upper = col(m_ubs);
        if (m_p.sequence_packing && !m_p.causal)
          upper_cmp = CmpOp::kLt;
      }
      m_b.range_select(masked, scores, CmpOp::kGe, lower, upper_cmp, upper,
                       static_cast<float>(kt.local_start), kFmin, some(max_col));
      return;
    }
    const int64_t k_start = kt.local_start;
    const bool diagonal = m_dv.is_causal && (w > 0 || g * kQGroup < k_start + kKTile);
    AccessPattern src = scores;
    if (diagonal) {
      // POOL cannot read PSUM: copy out, then keep q >= k, i.e. (g*128 - k_start) + p - x >= 0, and with
      // a window also k >= q - W + 1, i.e. (k_start + W - 1 - g*128) - p + x >= 0.
      const int p = parity(g);
      AccessPattern copy = columns(partitions(m_buf.mm1_copy[p].ap, 0, nq), 0, scores.free_size());
      AccessPattern selected = columns(partitions(m_buf.mm1_select[p].ap, 0, nq), 0, scores.free_size());
      m_b.tensor_copy(copy, scores);
      m_b.affine_select(selected, copy, g * kQGroup - k_start, 1, {-1, 0, 0, 0}, CmpOp::kGe, kFmin);
      if (w > 0) {
        m_b.affine_select(selected, selected, k_start + w - 1 - g * kQGroup, -1, {1, 0, 0, 0}, CmpOp::kGe,
                          kFmin);
      }
      src = selected;
    }
    // Scale after masking: FMIN * scale stays hugely negative (kernels.md §1.6 numerics notes).
    m_b.tensor_scalar_reduce(masked, src, AluOp::kMultiply, imm(static_cast<float>(m_p.scale)), AluOp::kMax,
                             max_col);
  }

  // ---- UpdMax ----
  void update_max(int64_t g) {
    if (!has_compute(g))
      return;
    const int32_t nq = static_cast<int32_t>(q_rows(g));
    const int p = parity(g);
    if (m_p.sink && m_section == 0) {
      // The sink joins the row max as one more column (kernels.md §1.6 UpdMax).
      m_b.tensor_copy(columns(partitions(m_buf.partial_max[p].ap, 0, nq), m_n_k, 1),
                      partitions(m_sink.ap, 0, nq));
    }
    AccessPattern section_max = partitions(m_buf.section_max[p].ap, 0, nq);
    AccessPattern running = columns(partitions(m_running_max.ap, 0, nq), g, 1);
    m_b.tensor_reduce(section_max, partitions(m_buf.partial_max[p].ap, 0, nq), AluOp::kMax, true);
    if (m_dv.kv.num_sections == 1 || m_section == 0) {
      m_b.tensor_copy(running, section_max);
      return;
    }
    // Online softmax across sections: running holds -max; corr = exp(m_old - m_new).
    AccessPattern prev = partitions(m_buf.prev_max[p].ap, 0, nq);
    m_b.activation(prev, running, ActFunc::kCopy, imm(-1.0f));
    m_b.tensor_tensor(running, running, section_max, AluOp::kMin);
    m_b.activation(partitions(m_buf.corr[p].ap, 0, nq), prev, ActFunc::kExp, imm(1.0f), some(running));
  }

  // ---- Exp ----
  void exp_stage(int64_t g) {
    if (!has_compute(g))
      return;
    const int32_t nq = static_cast<int32_t>(q_rows(g));
    const int p = parity(g);
    m_b.memset(partitions(m_buf.partial_sum[p].ap, 0, nq), 0.0f);
    AccessPattern bias = columns(partitions(m_running_max.ap, 0, nq), g, 1);
    for (int64_t t = 0; t < m_n_k; ++t) {
      const KTile kt = k_tile(t * kKTile);
      if (!tile_has(g, kt, kKTile))
        continue;
      const int64_t nf = kt.width;
      const int64_t l = t / kKTilesPerLarge, j = t % kKTilesPerLarge;
      AccessPattern exp_tile = columns(partitions(m_buf.exp[l].ap, 0, nq), j * kKTile, nf);
      m_b.activation(exp_tile, columns(partitions(m_buf.mm1_masked[p][l].ap, 0, nq), j * kKTile, nf),
                     ActFunc::kExp, imm(1.0f), some(bias),
                     some(columns(partitions(m_buf.partial_sum[p].ap, 0, nq), t, 1)));
      // exp_tp[k_local, blk*128 + q] = exp[q, blk*128 + k_local]: [128 k, 128 q] blocks for MM2, as the
      // real kernel moves them (kernels.md §1.6): one blocked transpose of every full 128-key block
      // ([nq, blocks, 128] -> [128, blocks, nq]) and one of a partial block.
      const int64_t full_blocks = nf / kVTile, rest = nf % kVTile;
      const AccessPattern exp_rows = partitions(m_buf.exp[l].ap, 0, nq);
      if (full_blocks > 0) {
        m_b.dma_transpose(m_exp_queue,
                          reshape(m_buf.exp_tp[p][t].ap, 0, {ApDim{kVTile, full_blocks}, ApDim{1, nq}}),
                          reshape(exp_rows, j * kKTile, {ApDim{kVTile, full_blocks}, ApDim{1, kVTile}}));
      }
      if (rest > 0) {
        m_b.dma_transpose(m_exp_queue,
                          columns(partitions(m_buf.exp_tp[p][t].ap, 0, static_cast<int32_t>(rest)),
                                  full_blocks * kVTile, nq),
                          columns(exp_rows, j * kKTile + full_blocks * kVTile, rest));
      }
    }
    if (m_p.sink && m_section == 0) {
      // The sink's exp(sink - max) enlarges the denominator only (kernels.md §1.2).
      m_b.activation(columns(partitions(m_buf.partial_sum[p].ap, 0, nq), m_n_k, 1),
                     partitions(m_sink.ap, 0, nq), ActFunc::kExp, imm(1.0f), some(bias));
    }
  }

  // ---- PV ----
  void pv(int64_t g) {
    for (int64_t l = 0; l < num_large_tiles(); ++l)
      pv_large_tile(g, l);
    pv_finish(g);
  }

  void pv_large_tile(int64_t g, int64_t l) {
    if (!has_compute(g))
      return;
    const int32_t nq = static_cast<int32_t>(q_rows(g));
    const int32_t d = static_cast<int32_t>(m_p.d);
    const int p = parity(g);
    if (l == 0)
      m_mm2_written[p] = false;
    Buffer acc = m_p.tp_out ? m_b.psum_at_bank("mm2_psum", kMm2FirstBank + static_cast<int32_t>(l % 4),
                                               DType::kFloat32, d, {kQGroup})
                            : m_b.psum_at_bank("mm2_psum", kMm2FirstBank + static_cast<int32_t>(l % 4),
                                               DType::kFloat32, kQGroup, {m_p.d});
    AccessPattern acc_ap = m_p.tp_out ? columns(partitions(acc.ap, 0, d), 0, nq) : partitions(acc.ap, 0, nq);
    bool first = true;
    for (int64_t m = 0; m < kKTilesPerLarge; ++m) {
      for (int64_t i = 0; i < kKTile / kVTile; ++i) {
        const int64_t local = l * kLargeTile + m * kKTile + i * kVTile;
        const KTile vt = v_tile(local);
        if (!tile_has(g, vt, kVTile))
          continue;
        const int32_t np = static_cast<int32_t>(vt.width);
        const int64_t t = l * kKTilesPerLarge + m;
        AccessPattern probs = columns(partitions(m_buf.exp_tp[p][t].ap, 0, np), i * kVTile, nq);
        AccessPattern values = partitions(m_buf.v[local / kVTile].ap, 0, np);
        if (m_p.tp_out) {
          m_b.matmul(acc_ap, values, probs, !first);  // psum[d, q] += V^T P^T
        } else {
          m_b.matmul(acc_ap, probs, values, !first);  // psum[q, d] += P V
        }
        first = false;
      }
    }
    if (first)
      return;  // nothing ran in this large tile
    // Accumulate the large tile into SBUF: the first that ran copies, later ones add.
    AccessPattern mm2 = tile(m_buf.mm2[p], g);
    if (!m_mm2_written[p]) {
      m_b.tensor_copy(mm2, acc_ap);
      m_mm2_written[p] = true;
    } else {
      m_b.tensor_tensor(mm2, mm2, acc_ap, AluOp::kAdd);
    }
  }

  // A sliding window can leave a group with nothing to accumulate in a section: its partial output is 0
  // (the real kernel's explicit SWA memset, kernels.md §1.6).
  void pv_finish(int64_t g) {
    if (has_compute(g) && !m_mm2_written[parity(g)])
      m_b.memset(tile(m_buf.mm2[parity(g)], g), 0.0f);
  }

  // ---- WriteBack ----
  bool last_with_compute(int64_t g) const {
    return m_section + 1 >= m_dv.kv.num_sections || !group_has_compute(g, m_section + 1);
  }

  // dst = src scaled per query by `column` ([nq, 1]); with tp_out the query axis is the free axis, so the
  // column is first transposed on PE through a zero-stride broadcast view [nq -> d rows] (kernels.md §1.6).
  void scale_by_query(const AccessPattern& dst, const AccessPattern& src, const AccessPattern& column,
                      int64_t g, AluOp combine_with_addend = AluOp::kBypass,
                      const AccessPattern* addend = nullptr) {
    const int32_t nq = static_cast<int32_t>(q_rows(g));
    if (!m_p.tp_out) {
      if (addend) {
        m_b.scalar_tensor_tensor(dst, src, AluOp::kMultiply, isa::column(column), combine_with_addend,
                                 *addend);
      } else {
        m_b.activation(dst, src, ActFunc::kCopy, isa::column(column));
      }
      return;
    }
    const int32_t d = static_cast<int32_t>(m_p.d);
    AccessPattern broadcast = reshape(column, 0, {{0, m_p.d}});
    Buffer tp = m_b.psum_at_bank("tp_out_psum", parity(g) * 4 + 3, DType::kFloat32, d, {kQGroup});
    AccessPattern tp_ap = columns(partitions(tp.ap, 0, d), 0, nq);
    m_b.pe_transpose(tp_ap, broadcast);
    AccessPattern bc = columns(m_buf.bcast_tp[parity(g)].ap, 0, nq);
    m_b.tensor_copy(bc, tp_ap);
    m_b.tensor_tensor(dst, src, bc, AluOp::kMultiply);
    if (addend)
      m_b.tensor_tensor(dst, dst, *addend, combine_with_addend);
  }

  AccessPattern out_rows_ap(int64_t g) const {
    const int64_t sq = m_p.seqlen_q, d = m_p.d, nq = q_rows(g);
    const int32_t out = tensor("out");
    if (m_p.tp_out)
      return hbm_rows(out, m_p.dtype, m_batch * d * sq, sq, 0, d, g * kQGroup, nq);
    return hbm_rows(out, m_p.dtype, m_batch * sq * d, d, g * kQGroup, nq, 0, d);
  }

  AccessPattern tile(const Buffer& b, int64_t g) const {
    const int32_t nq = static_cast<int32_t>(q_rows(g));
    return m_p.tp_out ? columns(b.ap, 0, nq) : partitions(b.ap, 0, nq);
  }

  void write_back(int64_t g) {
    if (!has_compute(g))
      return;
    const int32_t nq = static_cast<int32_t>(q_rows(g));
    const int p = parity(g);
    AccessPattern section_sum = partitions(m_buf.section_sum[p].ap, 0, nq);
    m_b.tensor_reduce(section_sum, partitions(m_buf.partial_sum[p].ap, 0, nq), AluOp::kAdd);
    AccessPattern running_sum = columns(partitions(m_running_sum.ap, 0, nq), g, 1);
    AccessPattern recip = columns(partitions(m_recip.ap, 0, nq), g, 1);
    AccessPattern mm2 = tile(m_buf.mm2[p], g);
    const bool last = last_with_compute(g);
    AccessPattern result = mm2;
    if (m_section == 0) {
      if (!last || m_p.skip_output_normalization)
        m_b.tensor_copy(running_sum, section_sum);
    } else {
      AccessPattern corr = partitions(m_buf.corr[p].ap, 0, nq);
      // running_sum = running_sum * corr + section_sum.
      m_b.tensor_scalar(running_sum, running_sum, AluOp::kMultiply, column(corr), AluOp::kAdd,
                        column(section_sum));
      // The partial output round-trips through HBM in the output dtype (kernels.md §1.6).
      AccessPattern prev = tile(m_buf.mm2_prev[p], g);
      m_b.dma_copy(m_out_queue, prev, out_rows_ap(g));
      result = tile(m_buf.mm2_acc[p], g);
      scale_by_query(result, prev, corr, g, AluOp::kAdd, &mm2);
    }
    if (!last) {
      m_b.dma_copy(m_out_queue, out_rows_ap(g), result);
      return;
    }
    AccessPattern final_tile = tile(m_buf.mm2_final[p], g);
    if (m_p.skip_output_normalization) {
      // The caller merges partial results: the raw sum goes out with the statistics (kernels.md §1.9).
      m_b.activation(final_tile, result, ActFunc::kCopy);
    } else {
      m_b.reciprocal(recip, m_section == 0 ? section_sum : running_sum);
      scale_by_query(final_tile, result, recip, g);
    }
    m_b.dma_copy(m_out_queue, out_rows_ap(g), final_tile);
  }

  // ---- cache_softmax (kernels.md §1.6 (d)): the running -max and 1/sum (or the raw sum, §1.9) of this
  // core's groups ----
  void write_softmax_stats(int64_t g_begin, int64_t g_end) {
    if (g_end <= g_begin)
      return;
    const int64_t n = g_end - g_begin;
    const int64_t base = m_batch * kQGroup * m_groups + g_begin;  // element [b, 0, g_begin] of (bs, 128, G)
    m_b.dma_copy(m_out_queue,
                 hbm_ap(tensor("out_neg_max"), m_p.softmax_dtype, base, {m_groups, kQGroup}, {{1, n}}),
                 columns(m_running_max.ap, g_begin, n));
    const Buffer& sum = m_p.skip_output_normalization ? m_running_sum : m_recip;
    m_b.dma_copy(
        m_out_queue,
        hbm_ap(tensor(m_p.sum_output_name()), m_p.softmax_dtype, base, {m_groups, kQGroup}, {{1, n}}),
        columns(sum.ap, g_begin, n));
  }

  const AttentionCteParams& m_p;
  const Derived m_dv;
  ProgramBuilder& m_b;
  int32_t m_core;
  int64_t m_groups = 0, m_groups_per_load = 0;
  std::map<std::string, int32_t> m_tensor;
  int32_t m_q_queue = -1, m_k_queue = -1, m_v_queue = -1, m_exp_queue = -1, m_out_queue = -1;
  int64_t m_batch = 0, m_kv_batch = 0, m_section = 0, m_n_k = 0;
  bool m_q_sharded = false;
  bool m_have_lbs = false;
  bool m_mm2_written[2] = {false, false};
  Buffer m_running_max, m_running_sum, m_recip, m_zero, m_sink;
  Buffer m_lbs, m_ubs, m_lbs_prior, m_ubs_prior;
  SectionBuffers m_buf;
};

}  // namespace

std::vector<int64_t> attention_cte_q_shape(const AttentionCteParams& p) {
  return p.tp_q ? std::vector<int64_t>{p.bs, p.seqlen_q, p.d} : std::vector<int64_t>{p.bs, p.d, p.seqlen_q};
}
std::vector<int64_t> attention_cte_k_shape(const AttentionCteParams& p) {
  return p.tp_k ? std::vector<int64_t>{p.bs_kv, p.seqlen_kv, p.d}
                : std::vector<int64_t>{p.bs_kv, p.d, p.seqlen_kv};
}
std::vector<int64_t> attention_cte_v_shape(const AttentionCteParams& p) {
  return {p.bs_kv, p.seqlen_kv, p.d};
}
std::vector<int64_t> attention_cte_out_shape(const AttentionCteParams& p) {
  return p.tp_out ? std::vector<int64_t>{p.bs, p.d, p.seqlen_q} : std::vector<int64_t>{p.bs, p.seqlen_q, p.d};
}

AttentionCteShare attention_cte_share(const AttentionCteParams& p, int32_t core) {
  return shard_for(p, core).share;
}

AttentionCteKvLayout attention_cte_kv_layout(const AttentionCteParams& p, bool windowed) {
  AttentionCteKvLayout l;
  l.prior_pad = align_up(p.seqlen_prior, kKTile);
  l.active = p.seqlen_kv;
  if (windowed && p.has_cp() && !p.cp_strided_q_slicing && p.sliding_window > 0) {
    l.active =
        std::min(p.seqlen_kv, align_up(std::min(p.seqlen_kv, p.seqlen_q + p.sliding_window - 1), kKTile));
  }
  l.total = l.prior_pad + l.active;
  l.section_len = l.total > kFlashThreshold ? kSectionLength : l.total;
  l.num_sections = ceil_div(l.total, l.section_len);
  return l;
}

std::vector<KernelTensor> attention_cte_inputs(const AttentionCteParams& p) {
  std::vector<KernelTensor> t = {{"q", p.dtype, attention_cte_q_shape(p)},
                                 {"k", p.dtype, attention_cte_k_shape(p)},
                                 {"v", p.dtype, attention_cte_v_shape(p)}};
  if (p.has_prior()) {
    t.push_back({"k_prior", p.dtype,
                 p.tp_k ? std::vector<int64_t>{p.bs_kv, p.seqlen_prior, p.d}
                        : std::vector<int64_t>{p.bs_kv, p.d, p.seqlen_prior}});
    t.push_back({"v_prior", p.dtype, {p.bs_kv, p.seqlen_prior, p.d}});
    t.push_back({"prior_used_len", DType::kInt32, {1}});
  }
  if (p.sink)
    t.push_back({"sink", DType::kFloat32, {p.bs, 1}});
  if (p.has_cp())
    t.push_back({"cp_offset", p.cp_offset_dtype, {1, 1}});
  if (p.sequence_packing) {
    t.push_back({"bound_min", DType::kFloat32, {p.seqlen_q, 1}});
    t.push_back({"bound_max", DType::kFloat32, {p.seqlen_q, 1}});
  }
  return t;
}

std::vector<KernelTensor> attention_cte_outputs(const AttentionCteParams& p) {
  std::vector<KernelTensor> t = {{"out", p.dtype, attention_cte_out_shape(p)}};
  if (p.cache_softmax) {
    const int64_t groups = (p.seqlen_q + 127) / 128;
    t.push_back({"out_neg_max", p.softmax_dtype, {p.bs, 128, groups}});
    t.push_back({p.sum_output_name(), p.softmax_dtype, {p.bs, 128, groups}});
  }
  return t;
}

void check_attention_cte_params(const AttentionCteParams& p) {
  // The kernel's own assertions (kernels.md §1.3), each named by parameter and rule.
  if (p.bs <= 0 || p.bs > kMaxBs)
    reject("bs", "must be in 1.." + std::to_string(kMaxBs));
  if (p.bs_kv <= 0 || p.bs % p.bs_kv != 0)
    reject("bs_kv", "must be positive and divide bs (GQA)");
  if (p.seqlen_q <= 0 || p.seqlen_q > kMaxSeqlen)
    reject("seqlen_q", "must be in 1.." + std::to_string(kMaxSeqlen));
  if (p.seqlen_kv <= 0 || p.seqlen_kv > kMaxSeqlen) {
    reject("seqlen_kv", "must be in 1.." + std::to_string(kMaxSeqlen));
  }
  if (p.seqlen_prior < 0 || p.seqlen_prior > kMaxSeqlen || p.seqlen_kv + p.seqlen_prior > kMaxSeqlen) {
    reject("prior_len", "seqlen_kv + prior length must be at most " + std::to_string(kMaxSeqlen));
  }
  if (p.d <= 0 || p.d > 128)
    reject("d", "head dimension must be in 1..128");
  if (p.dtype != DType::kBFloat16 && p.dtype != DType::kFloat16 && p.dtype != DType::kFloat32) {
    reject("dtype", "must be bfloat16, float16 or float32");
  }
  if (!std::isfinite(p.scale))
    reject("scale", "must be finite");
  if (p.lnc != 1 && p.lnc != 2)
    reject("lnc", "must be 1 or 2");
  if (p.sliding_window < 0 || p.sliding_window > kMaxSeqlen) {
    reject("sliding_window", "must be in 0.." + std::to_string(kMaxSeqlen));
  }
  if (p.sliding_window > 0 && !p.causal)
    reject("sliding_window", "requires causal masking");
  if (p.max_cp_deg < kMaxCpDegree || p.max_cp_deg > kMaxCallerCpDegree)
    throw std::logic_error("attention_cte: max_cp_deg must be in 32..1024");
  if (p.global_cp_deg < 1 || p.global_cp_deg > p.max_cp_deg) {
    reject("cp_degree", "global_cp_deg must be in 1.." + std::to_string(p.max_cp_deg));
  }
  if (p.has_cp() && !p.causal)
    reject("cp_degree", "context parallelism requires causal masking");
  if (p.cp_strided_q_slicing && !p.has_cp())
    reject("cp_strided_q_slicing", "needs global_cp_deg > 1");
  if (p.cp_striped_input && !p.has_cp())
    reject("cp_striped_input", "needs global_cp_deg > 1");
  if (p.cp_striped_input && p.cp_strided_q_slicing)
    reject("cp_striped_input", "excludes cp_strided_q_slicing (striped K/V, not strided Q slicing)");
  if (p.cp_striped_input && (p.sliding_window > 0 || p.has_prior()))
    reject("cp_striped_input",
           "is supported as ring attention uses it: without sliding window or prefix caching");
  if (p.cp_offset_dtype != DType::kInt32 && p.cp_offset_dtype != DType::kFloat32)
    reject("cp_offset_dtype", "must be int32 or float32");
  const bool needs_unit_scale = p.sliding_window > 0 || p.has_prior() || p.has_cp() || p.sequence_packing;
  if (needs_unit_scale && p.scale != 1.0) {
    reject("scale",
           "must be 1.0 with sliding window, prefix caching, context parallelism or sequence packing "
           "(their masks use range_select, which has no multiply: pre-scale Q instead)");
  }
  if (p.cache_softmax && p.seqlen_q % 128 != 0)
    reject("cache_softmax", "requires seqlen_q % 128 == 0");
  if (p.skip_output_normalization && !p.cache_softmax)
    reject("skip_output_normalization", "requires cache_softmax (the raw sum is returned with the output)");
  if (p.sequence_packing && p.has_prior())
    reject("n_packed_sequences", "sequence packing excludes prefix caching");
  if (p.sequence_packing && p.has_cp())
    reject("n_packed_sequences", "sequence packing excludes context parallelism");
  if (p.softmax_dtype != DType::kFloat32 && p.softmax_dtype != DType::kBFloat16 &&
      p.softmax_dtype != DType::kFloat16) {
    reject("softmax_dtype", "must be float32, bfloat16 or float16");
  }
  if (p.mm_out_dtype != DType::kFloat32) {
    reject("mm_out_dtype", "bfloat16 PSUM output needs NeuronCore-v4 (trn3); trn2 accumulates in float32");
  }
}

double attention_cte_instruction_estimate(const AttentionCteParams& p) {
  // Instructions per trip, fitted to the generator's real counts (attention_cte_estimate_test.cpp).
  constexpr double kPerBatch = 8, kPerKvTile = 1, kPerGroup = 18, kPerVisibleKTile = 8;
  const Derived dv(p);
  const int64_t groups = ceil_div(p.seqlen_q, kQGroup);
  const auto max_q = [&](int64_t g) {
    const int64_t q = g * kQGroup + kQGroup - 1;
    return dv.strided ? q * dv.cp_deg + dv.cp_deg - 1 : q;
  };
  const auto min_q = [&](int64_t g) { return dv.strided ? g * kQGroup * dv.cp_deg : g * kQGroup; };
  double per_batch = kPerBatch;
  for (int64_t s = 0; s < dv.kv.num_sections; ++s) {
    const int64_t start = s * dv.kv.section_len, len = std::min(dv.kv.section_len, dv.kv.total - start);
    per_batch += kPerKvTile * static_cast<double>(ceil_div(len, kKTile) + ceil_div(len, kVTile));
    for (int64_t g = 0; g < groups; ++g) {
      int64_t visible = 0;
      for (int64_t t = start; t < start + len; t += kKTile) {
        const int64_t active = t - dv.kv.prior_pad;  // < 0: a prior tile, visible to every query
        const bool causal_ok = !dv.is_causal || active < 0 || max_q(g) >= active;
        const bool window_ok = !dv.is_causal || active < 0 || p.sliding_window == 0 ||
                               min_q(g) < active + kKTile - 1 + p.sliding_window;
        visible += causal_ok && window_ok ? 1 : 0;
      }
      if (visible > 0)
        per_batch += kPerGroup + kPerVisibleKTile * static_cast<double>(visible);
    }
  }
  return static_cast<double>(p.bs) * per_batch;
}

std::vector<Program> build_attention_cte(const AttentionCteParams& p, const MemoryLimits& limits) {
  check_attention_cte_params(p);
  std::vector<Program> programs;
  for (int32_t core = 0; core < p.lnc; ++core) {
    ProgramBuilder b("attention_cte", limits, static_cast<uint32_t>(core));
    std::map<std::string, int32_t> tensors;
    for (const KernelTensor& t : attention_cte_inputs(p))
      tensors[t.name] = b.hbm_tensor(t.name, t.dtype, t.shape, TensorKind::kInput);
    for (const KernelTensor& t : attention_cte_outputs(p))
      tensors[t.name] = b.hbm_tensor(t.name, t.dtype, t.shape, TensorKind::kOutput);
    AttentionCteGenerator(b, p, core, tensors).generate();
    programs.push_back(b.finish());
  }
  return programs;
}

void attention_cte_subkernel(ProgramBuilder& b, const AttentionCteParams& p, int32_t core,
                             const std::map<std::string, int32_t>& tensors) {
  check_attention_cte_params(p);
  if (core < 0 || core >= p.lnc)
    throw KernelParamError("attention_cte: lnc: core " + std::to_string(core) + " of an LNC" +
                           std::to_string(p.lnc) + " launch");
  const ProgramBuilder::Mark mark = b.mark();
  AttentionCteGenerator(b, p, core, tensors).generate();
  b.release(mark);
}

}  // namespace tn::kernels
