#include "kernels/attention_segmented_cte.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>

#include "kernels/builder/program_builder.hpp"
#include "kernels/segmented/floor_ceil.hpp"
#include "kernels/segmented/kv_cache_loader.hpp"

namespace tn::kernels {

using namespace isa;

namespace {

// Tiling constants of the real kernel (kernels.md §1.4, §3.2): Q groups of 128, K tiles of 512 keys,
// V tiles of 128 keys.
constexpr int64_t kQGroup = 128;
constexpr int64_t kKTile = 512;
constexpr int64_t kVTile = 128;
constexpr int64_t kQLoadRows = 512;  // Q rows per transposing load
// PSUM banks (2 KiB each, hardware.md §1.7): score tiles rotate over 0-3, the P.V accumulators of the
// two group parities use 4-5, the tp_out transpose 6; load_kv_cache's K transposes use 7.
constexpr int32_t kScoreBanks = 4;
constexpr int32_t kPvFirstBank = 4;
constexpr int32_t kTpOutBank = 6;
// The group pipeline issues the scores of up to kMaxStagesAhead groups ahead of an output stage, each group
// in flight holding one set of score/exp buffers (8 bytes per key per partition): two ahead while three sets
// of kMaxKeysThreeSets keys fit beside the K/V tiles, one ahead for longer segments.
constexpr int kMaxStagesAhead = 2;
constexpr int kSets = kMaxStagesAhead + 1;
constexpr int64_t kMaxKeysThreeSets = 4096;
// K staging tiles for the PE-transposed K load: one per 128 keys of a 512-key K tile.
constexpr int kKStagingTiles = 4;
// One program unrolls every (batch, head) pair: at most this many of them.
constexpr int64_t kMaxHeads = 4096;
// Runtime values travel through fp32 on the engines: exact below 2^24 (hardware.md §3).
constexpr int64_t kMaxExactInt = int64_t{1} << 24;
// Registers of the guard instructions (loops use isa's loop register, 63).
constexpr int32_t kRegPrior = 0, kRegScratch = 1;
// kvp_offset travels through fp32 too; past +-2^24 every key is visible or none is anyway.
constexpr int32_t kMaxKvpOffset = int32_t{1} << 24;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

[[noreturn]] void reject(const std::string& param, const std::string& rule) {
  throw KernelParamError("attention_segmented_cte: " + param + ": " + rule);
}

AccessPattern first_element(const Buffer& b) { return columns(partitions(b.ap, 0, 1), 0, 1); }

// Which keys of a pass a query sees (kernels.md §3.1, §3.3).
enum class PassKind {
  kActive,       // the Sq active keys, causal (key i visible to query j iff i <= j), plus the sink
  kPartial,      // a prior segment of which only the first `partial` keys are prior tokens
  kFull,         // a whole prior segment: every key visible
  kWindowPrior,  // SWA (§3.4): the prior blocks before the active ones, of which the last eff_prior are prior
                 // tokens, seen within the window
};

// The Q groups [group_begin, group_end) of Q head bq that one core computes. `origin` is the first of
// them's query position: with LNC2 core 1 takes the later groups of an odd remainder head, and its active
// pass covers the active keys from `origin` on, core 0's region [0, origin) becoming one more pass.
struct HeadTask {
  int64_t bq = 0;
  int64_t group_begin = 0, group_end = 0;
  int64_t origin = 0;
};

// LNC2 (kernels.md §3.3): the Q heads split evenly between the two cores; an odd remainder head split by Q
// groups, core 0 taking ceil(G/2). With a single group core 1 has nothing of it to do (the real kernel runs
// a dummy path there whose writes go to scratch).
std::vector<HeadTask> head_tasks(const AttentionSegmentedCteParams& p, int32_t core) {
  const int64_t groups = p.seqlen_q / kQGroup;
  std::vector<HeadTask> tasks;
  const int64_t per_core = p.bs_q() / p.lnc;
  for (int64_t bq = core * per_core; bq < (core + 1) * per_core; ++bq)
    tasks.push_back({bq, 0, groups, 0});
  if (p.lnc == 2 && p.bs_q() % 2 == 1) {
    const int64_t cut = ceil_div(groups, 2);
    if (core == 0)
      tasks.push_back({p.bs_q() - 1, 0, cut, 0});
    else if (cut < groups)
      tasks.push_back({p.bs_q() - 1, cut, groups, cut * kQGroup});
  }
  return tasks;
}

// Per-query mask bounds of the passes of tasks with one origin (kernels.md §3.1, §3.4), on partition p of
// column g for query position q = g*128 + p: active key x (position origin + x among the active keys) is
// visible iff window_lower <= x <= causal; with SWA the window's prior keys, of which the last eff_prior are
// prior tokens, iff prior_lower <= y < eff_prior.
struct MaskBounds {
  Buffer causal;        // q - origin
  Buffer window_lower;  // q - origin - (W - 1)
  Buffer eff_prior;     // min(window_blocks * block_size, P + origin)
  Buffer prior_lower;   // window_lower + eff_prior
};

class SegmentedGenerator {
 public:
  // The kernel's tensors come bound (its inputs and outputs by API name); it declares its private scratch.
  SegmentedGenerator(ProgramBuilder& b, const AttentionSegmentedCteParams& p, int32_t core,
                     const SegmentedCteBindings& bindings)
      : m_p(p), m_b(b) {
    m_tasks = head_tasks(p, core);
    m_groups = p.seqlen_q / kQGroup;
    m_blocks_per_seg = p.prior_seg_size / p.block_size;
    // SWA (§3.4): the window's prior blocks, at least one K tile's worth.
    m_window_blocks = p.sliding_window > 0
                          ? std::max(ceil_div(p.sliding_window - 1, p.block_size), kKTile / p.block_size)
                          : 0;
    m_max_keys = std::max({p.prior_seg_size, p.seqlen_q, m_window_blocks * p.block_size});
    m_stages_ahead = m_max_keys <= kMaxKeysThreeSets ? kMaxStagesAhead : 1;
    for (const auto& list : {attention_segmented_cte_inputs(p), attention_segmented_cte_outputs(p)}) {
      for (const KernelTensor& t : list) {
        const auto it = bindings.tensors.find(t.name);
        if (it == bindings.tensors.end())
          throw std::logic_error("attention_segmented_cte: no tensor bound to '" + t.name + "'");
        m_tensor[t.name] = it->second;
      }
    }
    // Private HBM (kernels.md §3.3), one copy per core: the block table padded so that every segment's read
    // stays inside its row, and the unnormalised output of two heads (so one head's normalisation overlaps
    // the next).
    m_table_width = std::max((p.max_blocks / m_blocks_per_seg + 1) * m_blocks_per_seg, m_window_blocks);
    m_tensor["block_tables_padded"] =
        m_b.hbm_tensor(bindings.scratch_name("block_tables_padded"), DType::kInt32, {p.batch, m_table_width},
                       TensorKind::kInternal, TensorScope::kPrivate);
    m_tensor["o_accumulator"] =
        m_b.hbm_tensor(bindings.scratch_name("o_accumulator"), DType::kFloat32, {2, p.seqlen_q, p.d},
                       TensorKind::kInternal, TensorScope::kPrivate);
    m_q_queue = m_b.dma_queue("qSyncIO0");
    // The gathers address the cache at run time, so their queues need a DGE (hardware.md §1.8): GpSimd's
    // software DGE, and on v3+ also a hardware DGE commanded by the Sync sequencer (kernels.md §6.5: the
    // block loads use hwdge). v2 has only software DGE.
    m_queues.k = {m_b.dma_queue("qGpSimdIO0", DgeMode::kSoftware)};
    m_queues.v = {m_b.dma_queue("qGpSimdIO1", DgeMode::kSoftware)};
    if (m_b.limits().neuron_core_version >= 3) {
      m_queues.k.insert(m_queues.k.begin(), m_b.dma_queue("qSyncDynamic0", DgeMode::kHardware));
      m_queues.v.insert(m_queues.v.begin(), m_b.dma_queue("qSyncDynamic1", DgeMode::kHardware));
    }
    m_queues.index = m_b.dma_queue("qGpSimdIO2", DgeMode::kSoftware);
    m_exp_queue = m_b.dma_queue("qScalarIO0");
    m_out_queue = m_b.dma_queue("qSyncIO3");
  }

  void generate() {
    pad_block_table();
    try {
      allocate();
    } catch (const AllocationError& e) {
      throw KernelParamError(pass_overflow_message(e.what()));
    }
    runtime_values();
    for (size_t i = 0; i < m_tasks.size(); ++i) {
      m_slot = static_cast<int64_t>(i % 2);
      run_head(m_tasks[i]);
    }
  }

 private:
  int32_t tensor(const char* name) const { return m_tensor.at(name); }

  // Every buffer of allocate() is sized by the keys one pass holds (the largest of prior_seg_size, seqlen_q
  // and the window's prior keys: scores in fp32, exponentials, their transposes, K and V tiles) or by
  // seqlen_q (Q^T and the per-group statistics), so an SBUF overflow there is that parameter's: named as the
  // kernel's rejection, "attention_segmented_cte: NAME: rule", with the allocation that did not fit.
  std::string pass_overflow_message(const std::string& allocation) const {
    const int64_t window_keys = m_window_blocks * m_p.block_size;
    const char* param = m_max_keys == m_p.prior_seg_size ? "prior_seg_size"
                        : m_max_keys == m_p.seqlen_q     ? "seqlen_q"
                                                         : "sliding_window";
    return std::string("attention_segmented_cte: ") + param + ": a pass holds max(prior_seg_size " +
           std::to_string(m_p.prior_seg_size) + ", seqlen_q " + std::to_string(m_p.seqlen_q) +
           ", the window's prior keys " + std::to_string(window_keys) + ") = " + std::to_string(m_max_keys) +
           " keys, " + std::to_string(m_stages_ahead + 1) +
           " Q groups' scores at a time, and Q^T over seqlen_q, " + "in SBUF at head dimension " +
           std::to_string(m_p.d) + ": too many (" + allocation + ")";
  }

  // -1 beyond each row's max_blocks entries: speculative reads of a partial segment's missing blocks are
  // skipped by the gathers rather than leaving the row (upstream pads with zeros, kernels.md §3.1).
  void pad_block_table() {
    const auto mark = m_b.mark();
    for (int64_t r0 = 0; r0 < m_p.batch; r0 += kQGroup) {
      const int64_t rows = std::min(kQGroup, m_p.batch - r0);
      const int32_t ri = static_cast<int32_t>(rows);
      Buffer t = m_b.sbuf("block_tables_sb", DType::kInt32, ri, {m_table_width});
      m_b.memset(t.ap, -1.0f);
      m_b.dma_copy(
          m_q_queue, columns(t.ap, 0, m_p.max_blocks),
          hbm_rows(tensor("block_tables"), DType::kInt32, 0, m_p.max_blocks, r0, rows, 0, m_p.max_blocks));
      m_b.dma_copy(m_q_queue,
                   hbm_rows(tensor("block_tables_padded"), DType::kInt32, 0, m_table_width, r0, rows, 0,
                            m_table_width),
                   t.ap);
    }
    m_b.release(mark);
  }

  void allocate() {
    const int32_t d = static_cast<int32_t>(m_p.d);
    const DType kv = m_p.kv_dtype;
    // Skipped blocks keep the tiles' previous contents, so the tiles start as zeros (kernels.md §3.2).
    for (int64_t t = 0; t < ceil_div(m_max_keys, kKTile); ++t) {
      m_tiles.k.push_back(m_b.sbuf("k_sb", kv, d, {kKTile}, 32));
      m_b.memset(m_tiles.k.back().ap, 0.0f);
    }
    for (int64_t t = 0; t < ceil_div(m_max_keys, kVTile); ++t) {
      m_tiles.v.push_back(m_b.sbuf("v_sb", kv, kVTile, {m_p.d}));
      m_b.memset(m_tiles.v.back().ap, 0.0f, Engine::kPool);
    }
    for (int i = 0; i < (m_p.k_pre_transposed ? 0 : kKStagingTiles); ++i) {
      m_tiles.k_staging.push_back(m_b.sbuf("k_staging_sb", kv, kVTile, {m_p.d}));
      m_b.memset(m_tiles.k_staging.back().ap, 0.0f, Engine::kPool);
    }
    m_tiles.index = m_b.sbuf("block_index_sb", DType::kInt32, 1,
                             {std::max({m_blocks_per_seg, m_p.seqlen_q / m_p.block_size, m_window_blocks})});
    m_q = m_b.sbuf("q_sb", DType::kBFloat16, d, {m_p.seqlen_q}, 32);
    const int64_t stat_cols = ceil_div(m_max_keys, kKTile) + 1;  // + the sink column
    for (int i = 0; i <= m_stages_ahead; ++i) {
      m_scores[i] = m_b.sbuf("mm1_masked", DType::kFloat32, kQGroup, {m_max_keys});
      m_exp[i] = m_b.sbuf("exp_sb", DType::kBFloat16, kQGroup, {m_max_keys});
      m_exp_tp[i] =
          m_b.sbuf("exp_tp_sb", DType::kBFloat16, kVTile, {ceil_div(m_max_keys, kVTile) * kQGroup}, 32);
      m_tile_max[i] = m_b.sbuf("mm1_partial_max", DType::kFloat32, kQGroup, {stat_cols});
      m_tile_sum[i] = m_b.sbuf("exp_partial_sum", DType::kFloat32, kQGroup, {stat_cols});
      m_pass_max[i] = m_b.sbuf("mm1_pass_neg_max", DType::kFloat32, kQGroup, {1});
      m_pass_sum[i] = m_b.sbuf("exp_pass_sum", DType::kFloat32, kQGroup, {1});
      m_prev_max[i] = m_b.sbuf("prev_running_max", DType::kFloat32, kQGroup, {1});
      m_corr[i] = m_b.sbuf("flash_attn_correction_factor", DType::kFloat32, kQGroup, {1});
      m_o[i] = m_b.sbuf("o_sb", DType::kFloat32, kQGroup, {m_p.d});
      m_final[i] = m_b.sbuf("o_final", m_p.dtype, kQGroup, {m_p.d});
      if (m_p.tp_out)
        m_final_tp[i] = m_b.sbuf("o_final_tp", m_p.dtype, d, {kQGroup});
    }
    m_running_max = m_b.sbuf("mm1_running_neg_max", DType::kFloat32, kQGroup, {m_groups});
    m_running_sum = m_b.sbuf("exp_running_sum", DType::kFloat32, kQGroup, {m_groups});
    m_recip = m_b.sbuf("exp_sum_reciprocal", DType::kFloat32, kQGroup, {m_groups});
  }

  // ---- the runtime values of §3.3 "Per call", on every partition, and the guards on P ----
  void runtime_values() {
    const int64_t bs = m_p.block_size;
    Buffer p_int = m_b.sbuf("prior_tokens_sb", DType::kInt32, kQGroup, {1});
    m_b.dma_copy(m_q_queue, p_int.ap, hbm_broadcast(tensor("prior_tokens"), DType::kInt32, 0));
    // P must lie within the block table and be a multiple of block_size (the kernel's contract, §3.1):
    // otherwise the run stops here, naming this instruction and the value.
    const int32_t dve = m_b.engine_stream(Engine::kDve);
    m_b.emit(dve, RegLoad{kRegPrior, first_element(p_int)}, Loc::current());
    m_b.emit(dve, RegCheck{kRegPrior, 0, static_cast<int32_t>(m_p.max_prior_tokens())}, Loc::current());
    m_b.emit(dve,
             RegOp{kRegScratch, kRegPrior, AluOp::kBitwiseAnd, RegOrImm{false, static_cast<int32_t>(bs - 1)}},
             Loc::current());
    m_b.emit(dve, RegCheck{kRegScratch, 0, 0}, Loc::current());  // P % block_size == 0

    Buffer p_f = m_b.sbuf("prior_tokens_f", DType::kFloat32, kQGroup, {1});
    m_b.tensor_copy(p_f.ap, p_int.ap);
    if (m_p.sliding_window == 0)
      segment_counts(p_f);  // the SWA path has no segment loops (§3.4)
    // The active blocks start at P / block_size (a shift: block_size is a power of two).
    m_active_blk = m_b.sbuf("active_blk", DType::kInt32, 1, {1});
    m_b.tensor_scalar(m_active_blk.ap, first_element(p_int), AluOp::kShiftRight,
                      imm(static_cast<float>(std::countr_zero(static_cast<uint64_t>(bs)))));
    m_prior_blk = m_b.sbuf("prior_blk", DType::kInt32, 1, {1});
    m_origin_blk = m_b.sbuf("lnc_active_blk", DType::kInt32, 1, {1});

    m_zero = m_b.sbuf("zero_bias", DType::kFloat32, kQGroup, {1});
    m_b.memset(m_zero.ap, 0.0f);
    for (const HeadTask& t : m_tasks) {
      if (!m_bounds.contains(t.origin))
        m_bounds[t.origin] = mask_bounds(t.origin, p_f);
    }
    if (m_p.kvp_offset)
      kvp_values(p_f);
    if (m_p.sink)
      m_sink = m_b.sbuf("sink_sb", DType::kFloat32, kQGroup, {1});
    if (m_p.kv_scales) {
      m_k_scale = m_b.sbuf("k_scale_sb", DType::kFloat32, kQGroup, {1});
      m_v_scale = m_b.sbuf("v_scale_sb", DType::kFloat32, kQGroup, {1});
      m_b.dma_copy(m_q_queue, m_k_scale.ap,
                   hbm_ap(tensor("k_scale"), DType::kFloat32, 0, {1, kQGroup}, {{1, 1}}));
      m_b.dma_copy(m_q_queue, m_v_scale.ap,
                   hbm_ap(tensor("v_scale"), DType::kFloat32, 0, {1, kQGroup}, {{1, 1}}));
    }
  }

  // The bounds of MaskBounds for one origin. The window's prior keys: the last eff_prior of them are prior
  // tokens (as seen from the origin, P + origin), key y sitting at position P + origin - eff_prior + y,
  // visible to query q iff q - (W - 1) <= P + origin - eff_prior + y - P.
  MaskBounds mask_bounds(int64_t origin, const Buffer& p_f) {
    MaskBounds m;
    m.causal = m_b.sbuf("range_sel_ubs", DType::kFloat32, kQGroup, {m_groups});
    m_b.iota(m.causal.ap, static_cast<int32_t>(-origin), 1, {kQGroup, 0, 0, 0});
    if (m_p.sliding_window == 0)
      return m;
    m.window_lower = m_b.sbuf("range_sel_lbs", DType::kFloat32, kQGroup, {m_groups});
    m_b.tensor_scalar(m.window_lower.ap, m.causal.ap, AluOp::kSubtract,
                      imm(static_cast<float>(m_p.sliding_window - 1)));
    m.eff_prior = m_b.sbuf("eff_prior_tokens", DType::kFloat32, kQGroup, {1});
    m_b.tensor_scalar(m.eff_prior.ap, p_f.ap, AluOp::kAdd, imm(static_cast<float>(origin)), AluOp::kMin,
                      imm(static_cast<float>(m_window_blocks * m_p.block_size)));
    m.prior_lower = m_b.sbuf("range_sel_lbs_prior", DType::kFloat32, kQGroup, {m_groups});
    m_b.tensor_scalar(m.prior_lower.ap, m.window_lower.ap, AluOp::kAdd, column(m.eff_prior.ap));
    return m;
  }

  // KV-parallel mode (§3.1): key j of the gathered sequence is visible to query i iff j <= i + kvp_offset.
  // A pass whose keys start at gathered position `base` masks its key x with x <= i + (kvp_offset - base),
  // i.e. the causal bound iota shifted by kvp_offset - base (cp_offset, kernels.md §4.2). The active pass's
  // bound (base = P) is fixed per call; the prior passes' follow prior_pos, their first key's position.
  void kvp_values(const Buffer& p_f) {
    Buffer kvp_int = m_b.sbuf("kvp_offset_sb", DType::kInt32, kQGroup, {1});
    m_b.dma_copy(m_q_queue, kvp_int.ap, hbm_broadcast(tensor("kvp_offset"), DType::kInt32, 0));
    const int32_t dve = m_b.engine_stream(Engine::kDve);
    m_b.emit(dve, RegLoad{kRegScratch, first_element(kvp_int)}, Loc::current());
    m_b.emit(dve, RegCheck{kRegScratch, -kMaxKvpOffset, kMaxKvpOffset}, Loc::current());
    m_kvp = m_b.sbuf("kvp_offset_f", DType::kFloat32, kQGroup, {1});
    m_b.tensor_copy(m_kvp.ap, kvp_int.ap);
    Buffer shift = m_b.sbuf("kvp_cp_offset", DType::kFloat32, kQGroup, {1});
    m_b.tensor_tensor(shift.ap, m_kvp.ap, p_f.ap, AluOp::kSubtract);
    m_kvp_active_bound = m_b.sbuf("range_sel_ubs_kvp_active", DType::kFloat32, kQGroup, {m_groups});
    m_b.tensor_scalar(m_kvp_active_bound.ap, m_bounds.at(0).causal.ap, AluOp::kAdd, column(shift.ap));
    m_prior_pos = m_b.sbuf("prior_pos", DType::kFloat32, kQGroup, {1});
    m_kvp_shift = m_b.sbuf("kvp_cp_offset_prior", DType::kFloat32, kQGroup, {1});
    m_kvp_prior_bound = m_b.sbuf("range_sel_ubs_kvp_prior", DType::kFloat32, kQGroup, {m_groups});
  }

  // The prior pass's kvp bound from prior_pos; a partial segment's keys past `partial` stay hidden too.
  void kvp_prior_bound(bool partial) {
    m_b.tensor_tensor(m_kvp_shift.ap, m_kvp.ap, m_prior_pos.ap, AluOp::kSubtract);
    if (partial) {
      m_b.tensor_scalar(m_kvp_prior_bound.ap, m_bounds.at(0).causal.ap, AluOp::kAdd, column(m_kvp_shift.ap),
                        AluOp::kMin, column(m_last_partial_key.ap));
    } else {
      m_b.tensor_scalar(m_kvp_prior_bound.ap, m_bounds.at(0).causal.ap, AluOp::kAdd, column(m_kvp_shift.ap));
    }
  }

  // nfull, partial and is_partial, the segment loops' trip counts (§3.3), from P in fp32.
  void segment_counts(const Buffer& p_f) {
    const int64_t seg = m_p.prior_seg_size;
    const int32_t dve = m_b.engine_stream(Engine::kDve);
    // nfull = floor(P * (1 / seg)) with the floor helper, as the kernel computes it (§3.3).
    Buffer ratio = m_b.sbuf("prior_segments_f", DType::kFloat32, kQGroup, {1});
    m_b.tensor_scalar(ratio.ap, p_f.ap, AluOp::kMultiply,
                      imm(static_cast<float>(1.0 / static_cast<double>(seg))));
    m_nfull = m_b.sbuf("num_full_segments", DType::kInt32, kQGroup, {1});
    floor_nisa(m_b, m_nfull.ap, ratio.ap);
    // partial = P - nfull * seg; its guard catches an fp32 reciprocal that rounded nfull the wrong way.
    m_partial = m_b.sbuf("partial_tokens", DType::kFloat32, kQGroup, {1});
    m_b.scalar_tensor_tensor(m_partial.ap, m_nfull.ap, AluOp::kMultiply, imm(static_cast<float>(-seg)),
                             AluOp::kAdd, p_f.ap);
    Buffer partial_int = m_b.sbuf("partial_tokens_int", DType::kInt32, 1, {1});
    m_b.tensor_copy(partial_int.ap, first_element(m_partial));
    m_b.emit(dve, RegLoad{kRegScratch, partial_int.ap}, Loc::current());
    m_b.emit(dve, RegCheck{kRegScratch, 0, static_cast<int32_t>(seg - 1)}, Loc::current());
    m_is_partial = m_b.sbuf("is_partial", DType::kInt32, 1, {1});
    m_b.tensor_scalar(m_is_partial.ap, first_element(m_partial), AluOp::kIsGt, imm(0.0f));
    if (m_p.kvp_offset) {
      m_last_partial_key = m_b.sbuf("partial_last_key", DType::kFloat32, kQGroup, {1});
      m_b.tensor_scalar(m_last_partial_key.ap, m_partial.ap, AluOp::kSubtract, imm(1.0f));
    }
  }

  KvCacheLayout cache_layout() const {
    KvCacheLayout L;
    L.k_cache = tensor("k_cache");
    L.v_cache = tensor("v_cache");
    L.block_table = tensor("block_tables_padded");
    L.table_width = m_table_width;
    L.kv_dtype = m_p.kv_dtype;
    L.num_blocks = m_p.num_blocks;
    L.num_kv_heads = m_p.num_kv_heads;
    L.block_size = m_p.block_size;
    L.d = m_p.d;
    L.k_pre_transposed = m_p.k_pre_transposed;
    return L;
  }

  // ---- one Q head, or with LNC2 this core's Q groups of it (kernels.md §3.3 "Per Q head") ----
  void run_head(const HeadTask& task) {
    const int64_t bq = task.bq, bs = m_p.block_size;
    const int64_t b = bq / m_p.num_q_heads;
    const int64_t h = (bq % m_p.num_q_heads) * m_p.num_kv_heads / m_p.num_q_heads;
    m_task = task;
    load_q(bq);
    if (m_p.sink)
      m_b.dma_copy(m_q_queue, m_sink.ap, hbm_broadcast(tensor("sink"), DType::kFloat32, bq));
    const KvCacheLayout L = cache_layout();
    const AccessPattern prior_blk = m_prior_blk.ap;

    // The active keys from the task's origin on (a core's first Q group cannot see later keys).
    AccessPattern active_blk = m_active_blk.ap;
    if (task.origin > 0) {
      m_b.tensor_scalar(m_origin_blk.ap, m_active_blk.ap, AluOp::kAdd,
                        imm(static_cast<float>(task.origin / bs)));
      active_blk = m_origin_blk.ap;
    }
    load_kv_cache(m_b, L, m_tiles, m_queues, b, h, active_blk, (m_p.seqlen_q - task.origin) / bs);
    attention_pass(PassKind::kActive, m_p.seqlen_q - task.origin);

    if (m_p.sliding_window > 0) {
      // §3.4: one pass over the window's prior blocks, from max(0, origin's block - window_blocks).
      m_b.tensor_scalar(prior_blk, active_blk, AluOp::kSubtract, imm(static_cast<float>(m_window_blocks)),
                        AluOp::kMax, imm(0.0f));
      load_kv_cache(m_b, L, m_tiles, m_queues, b, h, prior_blk, m_window_blocks);
      attention_pass(PassKind::kWindowPrior, m_window_blocks * bs);
      normalise();
      return;
    }

    if (task.origin > 0) {
      // LNC2 core 1 (§3.3): core 0's active keys, every one before this core's queries.
      load_kv_cache(m_b, L, m_tiles, m_queues, b, h, m_active_blk.ap, task.origin / bs);
      attention_pass(PassKind::kFull, task.origin);
    }
    // prior_blk = nfull * blocks_per_seg: the partial segment's first block.
    m_b.tensor_scalar(prior_blk, first_element(m_nfull), AluOp::kMultiply,
                      imm(static_cast<float>(m_blocks_per_seg)));
    const float seg = static_cast<float>(m_p.prior_seg_size);
    if (m_p.kvp_offset)
      m_b.tensor_scalar(m_prior_pos.ap, m_nfull.ap, AluOp::kMultiply, imm(seg));
    m_b.dynamic_loop(m_is_partial.ap, 1, [&] {
      load_kv_cache(m_b, L, m_tiles, m_queues, b, h, prior_blk, m_blocks_per_seg);
      if (m_p.kvp_offset)
        kvp_prior_bound(true);
      attention_pass(PassKind::kPartial, m_p.prior_seg_size);
    });
    // The full segments, newest first.
    m_b.dynamic_loop(first_element(m_nfull), m_p.max_prior_tokens() / m_p.prior_seg_size, [&] {
      m_b.tensor_scalar(prior_blk, prior_blk, AluOp::kSubtract, imm(static_cast<float>(m_blocks_per_seg)));
      load_kv_cache(m_b, L, m_tiles, m_queues, b, h, prior_blk, m_blocks_per_seg);
      if (m_p.kvp_offset) {
        m_b.tensor_scalar(m_prior_pos.ap, m_prior_pos.ap, AluOp::kSubtract, imm(seg));
        kvp_prior_bound(false);
      }
      attention_pass(PassKind::kFull, m_p.prior_seg_size);
    });
    normalise();
  }

  // Q^T [d, Sq] in bf16, scaled per head-dim row by k_scale (the kernel's delayed K dequant, §3.1).
  // Only the task's Q groups' columns.
  void load_q(int64_t bq) {
    const int64_t sq = m_p.seqlen_q, d = m_p.d;
    const int64_t q0 = m_task.group_begin * kQGroup, q1 = m_task.group_end * kQGroup;
    const int32_t di = static_cast<int32_t>(d);
    const AccessPattern q_t = partitions(m_q.ap, 0, di);
    if (m_p.tp_q) {
      for (int64_t r0 = q0; r0 < q1; r0 += kQLoadRows) {
        const int64_t rows = std::min(kQLoadRows, q1 - r0);
        m_b.dma_transpose(m_q_queue, columns(q_t, r0, rows),
                          hbm_rows(tensor("q"), m_p.dtype, bq * sq * d, d, r0, rows, 0, d));
      }
    } else {
      m_b.dma_copy(m_q_queue, columns(q_t, q0, q1 - q0),
                   hbm_rows(tensor("q"), m_p.dtype, bq * d * sq, sq, 0, d, q0, q1 - q0));
    }
    if (m_p.kv_scales) {
      m_b.tensor_scalar(columns(q_t, q0, q1 - q0), columns(q_t, q0, q1 - q0), AluOp::kMultiply,
                        column(partitions(m_k_scale.ap, 0, di)));
    }
  }

  AccessPattern accumulator_rows(int64_t g) const {
    return hbm_rows(tensor("o_accumulator"), DType::kFloat32, m_slot * m_p.seqlen_q * m_p.d, m_p.d,
                    g * kQGroup, kQGroup, 0, m_p.d);
  }

  // ---- one pass over `keys` keys in the K/V tiles, merged into the running softmax state ----
  // Each engine runs its stream in order, so the groups are software-pipelined as attention_cte's are
  // (kernels.md §1.6 (c)): the scores and max of the groups up to m_stages_ahead later are issued before
  // group g's exp, P.V and output update, so the engines of the two stages overlap. Buffer sets rotate
  // over the groups in flight.
  void attention_pass(PassKind kind, int64_t keys) {
    std::vector<GroupPlan> plans;
    for (int64_t g = m_task.group_begin; g < m_task.group_end; ++g)
      plans.push_back(group_plan(kind, keys, g));
    const size_t ahead = static_cast<size_t>(m_stages_ahead);
    for (size_t i = 0; i < std::min(plans.size(), ahead); ++i)
      scores_stage(kind, plans[i]);
    for (size_t i = 0; i < plans.size(); ++i) {
      if (i + ahead < plans.size())
        scores_stage(kind, plans[i + ahead]);
      output_stage(kind, plans[i]);
    }
  }

  // The score/exp/output buffer set of group g: they rotate over the groups in flight.
  int buffer_set(int64_t g) const { return static_cast<int>(g % (m_stages_ahead + 1)); }

  // Which keys of the pass one Q group computes.
  struct GroupPlan {
    int64_t g = 0;
    int p = 0;                            // buffer set
    int64_t q_first = 0, q_last = 0;      // query positions, counted from the pass's first active key
    int64_t visible_keys = 0;             // keys past it are hidden from every query of the group
    int64_t first_key = 0;                // keys before it too (a multiple of 128)
    int64_t first_tile = 0, n_tiles = 0;  // 512-key score tiles computed
    bool sink = false;
    int64_t stat_cols = 0;  // tile max/sum columns, the sink's included
  };

  GroupPlan group_plan(PassKind kind, int64_t keys, int64_t g) const {
    const bool active = kind == PassKind::kActive;
    const int64_t W = m_p.sliding_window;
    // The group's query positions, counted from the first active key of the pass (the task's origin).
    const int64_t q_first = g * kQGroup - m_task.origin, q_last = q_first + kQGroup - 1;
    GroupPlan plan;
    plan.g = g;
    plan.p = buffer_set(g);
    plan.q_first = q_first;
    plan.q_last = q_last;
    // Static compute skipping in the active pass: keys past the group's diagonal, and with a window the
    // 128-key blocks every query of the group has left behind. kvp_offset bounds are runtime values.
    plan.visible_keys = active && !m_p.kvp_offset ? std::min(keys, q_last + 1) : keys;
    plan.first_key = active && W > 0 ? std::max<int64_t>(0, q_first - (W - 1)) / kVTile * kVTile : 0;
    plan.first_tile = plan.first_key / kKTile;
    plan.n_tiles = ceil_div(plan.visible_keys, kKTile) - plan.first_tile;
    plan.sink = active && m_p.sink;
    plan.stat_cols = plan.n_tiles + (plan.sink ? 1 : 0);
    return plan;
  }

  // QK^T, masked and scaled, the row max and the running max's update; the accumulator's prefetch.
  void scores_stage(PassKind kind, const GroupPlan& plan) {
    const int64_t g = plan.g, visible_keys = plan.visible_keys, first_tile = plan.first_tile,
                  n_tiles = plan.n_tiles;
    const int p = plan.p;
    const int32_t d = static_cast<int32_t>(m_p.d);
    const bool active = kind == PassKind::kActive;
    const bool kvp = m_p.kvp_offset;
    const int64_t W = m_p.sliding_window;
    const MaskBounds& bounds = m_bounds.at(m_task.origin);
    const int64_t q_first = plan.q_first, q_last = plan.q_last;
    const AccessPattern q_group = columns(partitions(m_q.ap, 0, d), g * kQGroup, kQGroup);
    // Visible: lower <= key (cmp0 ge) and key (upper_cmp) upper, per query row.
    const AccessPattern lower = kind == PassKind::kWindowPrior ? columns(bounds.prior_lower.ap, g, 1)
                                : active && W > 0              ? columns(bounds.window_lower.ap, g, 1)
                                                               : m_zero.ap;
    const AccessPattern upper = kvp && active                    ? columns(m_kvp_active_bound.ap, g, 1)
                                : kvp                            ? columns(m_kvp_prior_bound.ap, g, 1)
                                : kind == PassKind::kPartial     ? m_partial.ap
                                : kind == PassKind::kWindowPrior ? bounds.eff_prior.ap
                                                                 : columns(bounds.causal.ap, g, 1);
    const CmpOp upper_cmp = active || kvp ? CmpOp::kLe : CmpOp::kLt;

    // QK^T, masked, scaled, with each tile's row max.
    for (int64_t i = 0; i < n_tiles; ++i) {
      const int64_t t = first_tile + i;
      const int64_t k0 = t * kKTile, w = std::min(kKTile, visible_keys - k0);
      Buffer psum = m_b.psum_at_bank("mm1_psum", static_cast<int32_t>(t % kScoreBanks), DType::kFloat32,
                                     kQGroup, {kKTile});
      const AccessPattern scores = columns(psum.ap, 0, w);
      m_b.matmul(scores, q_group, columns(partitions(m_tiles.k[t].ap, 0, d), 0, w), false);
      const AccessPattern masked = columns(m_scores[p].ap, k0, w);
      const AccessPattern tile_max = columns(m_tile_max[p].ap, i, 1);
      // Whether some key of the tile is hidden from some query of the group.
      const bool needs_mask = kvp || kind == PassKind::kPartial || kind == PassKind::kWindowPrior ||
                              (active && (k0 + w - 1 > q_first || (W > 0 && k0 <= q_last - W)));
      if (kvp) {
        // Scale, then mask: a hidden key's score is then -FLT_MAX at any scale, so a query that sees no
        // key of a pass keeps finite statistics (neg_max = FLT_MAX, its merge weight 0: kernels.md §4.2)
        // where -FLT_MAX * scale would overflow to -inf above scale 1 and exp(-inf + inf) give NaN.
        m_b.tensor_scalar(masked, scores, AluOp::kMultiply, imm(static_cast<float>(m_p.scale)));
        m_b.range_select(masked, masked, CmpOp::kGe, lower, upper_cmp, upper, static_cast<float>(k0), kFmin,
                         some(tile_max));
        continue;
      }
      AccessPattern src = scores;
      if (needs_mask) {
        // Hidden keys get the most negative float, before scaling so that it stays hugely negative
        // (kernels.md §1.6).
        m_b.range_select(masked, scores, CmpOp::kGe, lower, upper_cmp, upper, static_cast<float>(k0), kFmin,
                         {});
        src = masked;
      }
      m_b.tensor_scalar_reduce(masked, src, AluOp::kMultiply, imm(static_cast<float>(m_p.scale)), AluOp::kMax,
                               tile_max);
    }
    const int64_t stat_cols = plan.stat_cols;
    if (plan.sink)  // the sink joins the row max as one more column (kernels.md §1.2)
      m_b.tensor_copy(columns(m_tile_max[p].ap, n_tiles, 1), m_sink.ap);

    // Online softmax: running holds -max; corr = exp(m_old - m_new) rescales what earlier passes summed.
    const AccessPattern pass_max = m_pass_max[p].ap;
    const AccessPattern running = columns(m_running_max.ap, g, 1);
    m_b.tensor_reduce(pass_max, columns(m_tile_max[p].ap, 0, stat_cols), AluOp::kMax, true);
    if (active) {
      m_b.tensor_copy(running, pass_max);
    } else {
      m_b.activation(m_prev_max[p].ap, running, ActFunc::kCopy, imm(-1.0f));
      m_b.tensor_tensor(running, running, pass_max, AluOp::kMin);
      m_b.activation(m_corr[p].ap, m_prev_max[p].ap, ActFunc::kExp, imm(1.0f), some(running));
      m_b.dma_copy(m_out_queue, m_o[p].ap, accumulator_rows(g));
    }
  }

  // exp(s - max) with per-tile row sums; the transposed blocks feed P.V; the running sum and the
  // unnormalised output (in private HBM between passes).
  void output_stage(PassKind kind, const GroupPlan& plan) {
    const int64_t g = plan.g, visible_keys = plan.visible_keys, first_tile = plan.first_tile,
                  n_tiles = plan.n_tiles, stat_cols = plan.stat_cols;
    const int p = plan.p;
    const bool active = kind == PassKind::kActive;
    const AccessPattern running = columns(m_running_max.ap, g, 1);
    for (int64_t i = 0; i < n_tiles; ++i) {
      const int64_t k0 = (first_tile + i) * kKTile, w = std::min(kKTile, visible_keys - k0);
      m_b.activation(columns(m_exp[p].ap, k0, w), columns(m_scores[p].ap, k0, w), ActFunc::kExp, imm(1.0f),
                     some(running), some(columns(m_tile_sum[p].ap, i, 1)));
    }
    if (plan.sink) {
      m_b.activation(columns(m_tile_sum[p].ap, n_tiles, 1), m_sink.ap, ActFunc::kExp, imm(1.0f),
                     some(running));
    }
    const int64_t first_block = plan.first_key / kVTile, n_blocks = ceil_div(visible_keys, kVTile);
    for (int64_t v = first_block; v < n_blocks; ++v) {
      const int64_t rows = std::min(kVTile, visible_keys - v * kVTile);
      m_b.dma_transpose(
          m_exp_queue,
          columns(partitions(m_exp_tp[p].ap, 0, static_cast<int32_t>(rows)), v * kQGroup, kQGroup),
          columns(m_exp[p].ap, v * kVTile, rows));
    }
    Buffer pv = m_b.psum_at_bank("mm2_psum", kPvFirstBank + static_cast<int32_t>(plan.g % 2), DType::kFloat32,
                                 kQGroup, {m_p.d});
    for (int64_t v = first_block; v < n_blocks; ++v) {
      const int32_t rows = static_cast<int32_t>(std::min(kVTile, visible_keys - v * kVTile));
      m_b.matmul(pv.ap, columns(partitions(m_exp_tp[p].ap, 0, rows), v * kQGroup, kQGroup),
                 partitions(m_tiles.v[v].ap, 0, rows), v > first_block);
    }

    const AccessPattern pass_sum = m_pass_sum[p].ap;
    const AccessPattern running_sum = columns(m_running_sum.ap, g, 1);
    m_b.tensor_reduce(pass_sum, columns(m_tile_sum[p].ap, 0, stat_cols), AluOp::kAdd);
    const AccessPattern o = m_o[p].ap;
    if (active) {
      m_b.tensor_copy(running_sum, pass_sum);
      m_b.tensor_copy(o, pv.ap, Engine::kAct);
    } else {
      m_b.tensor_scalar(running_sum, running_sum, AluOp::kMultiply, column(m_corr[p].ap), AluOp::kAdd,
                        column(pass_sum));
      m_b.scalar_tensor_tensor(o, o, AluOp::kMultiply, column(m_corr[p].ap), AluOp::kAdd, pv.ap);
    }
    m_b.dma_copy(m_out_queue, accumulator_rows(g), o);
  }

  // ---- §3.3 step 8: out = o / sum [* v_scale], in the q dtype, transposed for tp_out ----
  void normalise() {
    const int64_t bq = m_task.bq, sq = m_p.seqlen_q, d = m_p.d;
    const int32_t di = static_cast<int32_t>(d);
    const int64_t g0 = m_task.group_begin, n_groups = m_task.group_end - g0;
    m_b.reciprocal(columns(m_recip.ap, g0, n_groups), columns(m_running_sum.ap, g0, n_groups));
    for (int64_t g = g0; g < m_task.group_end; ++g) {
      const int p = buffer_set(g);
      m_b.dma_copy(m_out_queue, m_o[p].ap, accumulator_rows(g));
      const AccessPattern recip = columns(m_recip.ap, g, 1);
      if (m_p.kv_scales) {
        m_b.tensor_scalar(m_final[p].ap, m_o[p].ap, AluOp::kMultiply, column(recip), AluOp::kMultiply,
                          column(m_v_scale.ap));
      } else {
        m_b.tensor_scalar(m_final[p].ap, m_o[p].ap, AluOp::kMultiply, column(recip));
      }
      if (!m_p.tp_out) {
        m_b.dma_copy(m_out_queue,
                     hbm_rows(tensor("out"), m_p.dtype, bq * sq * d, d, g * kQGroup, kQGroup, 0, d),
                     m_final[p].ap);
        continue;
      }
      Buffer tp = m_b.psum_at_bank("tp_out_psum", kTpOutBank, m_p.dtype, di, {kQGroup});
      m_b.pe_transpose(tp.ap, m_final[p].ap);
      m_b.tensor_copy(m_final_tp[p].ap, tp.ap, Engine::kAct);
      m_b.dma_copy(m_out_queue,
                   hbm_rows(tensor("out"), m_p.dtype, bq * d * sq, sq, 0, d, g * kQGroup, kQGroup),
                   m_final_tp[p].ap);
    }
    if (m_p.kvp_offset) {
      // §3.1: the statistics token-ordered, element [bq, g*128 + p] from tile [p, g] (DMA pattern
      // [[1,128],[128,G]]).
      auto token_ordered = [&](const char* name) {
        return hbm_ap(tensor(name), DType::kFloat32, bq * sq, {1, kQGroup}, {{kQGroup, m_groups}});
      };
      m_b.dma_copy(m_out_queue, token_ordered("neg_max"), m_running_max.ap);
      m_b.dma_copy(m_out_queue, token_ordered("sum_recip"), m_recip.ap);
    }
  }

  const AttentionSegmentedCteParams& m_p;
  ProgramBuilder& m_b;
  int64_t m_groups = 0, m_blocks_per_seg = 0, m_window_blocks = 0, m_max_keys = 0, m_table_width = 0;
  int64_t m_slot = 0;
  int64_t m_stages_ahead = 1;  // groups whose scores are issued ahead of an output stage
  std::map<std::string, int32_t> m_tensor;
  int32_t m_q_queue = -1, m_exp_queue = -1, m_out_queue = -1;
  KvCacheQueues m_queues;
  KvCacheTiles m_tiles;
  Buffer m_q, m_scores[kSets], m_exp[kSets], m_exp_tp[kSets], m_tile_max[kSets], m_tile_sum[kSets],
      m_pass_max[kSets], m_pass_sum[kSets];
  Buffer m_prev_max[kSets], m_corr[kSets], m_o[kSets], m_final[kSets], m_final_tp[kSets];
  Buffer m_running_max, m_running_sum, m_recip;
  Buffer m_nfull, m_partial, m_is_partial, m_active_blk, m_prior_blk;
  Buffer m_zero, m_sink, m_k_scale, m_v_scale, m_origin_blk;
  std::vector<HeadTask> m_tasks;
  HeadTask m_task;                         // the one being generated
  std::map<int64_t, MaskBounds> m_bounds;  // per task origin
  Buffer m_kvp, m_kvp_active_bound, m_prior_pos, m_kvp_shift, m_kvp_prior_bound, m_last_partial_key;  // kvp
};

bool is_power_of_two(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

}  // namespace

std::vector<KernelTensor> attention_segmented_cte_inputs(const AttentionSegmentedCteParams& p) {
  const int64_t bsq = p.bs_q(), n_kv = p.num_kv_heads, bs = p.block_size, d = p.d;
  std::vector<KernelTensor> t = {
      {"q", p.dtype,
       p.tp_q ? std::vector<int64_t>{bsq, p.seqlen_q, d} : std::vector<int64_t>{bsq, d, p.seqlen_q}},
      {"k_cache", p.kv_dtype,
       p.k_pre_transposed ? std::vector<int64_t>{p.num_blocks * n_kv, d, bs}
                          : std::vector<int64_t>{p.num_blocks, n_kv, bs, d}},
      {"v_cache", p.kv_dtype, {p.num_blocks, n_kv, bs, d}},
      {"block_tables", DType::kInt32, {p.batch, p.max_blocks}},
      {"prior_tokens", DType::kInt32, {1, 1}}};
  if (p.sink)
    t.push_back({"sink", DType::kFloat32, {bsq, 1}});
  if (p.kvp_offset)
    t.push_back({"kvp_offset", DType::kInt32, {1, 1}});
  if (p.kv_scales) {
    t.push_back({"k_scale", DType::kFloat32, {128, 1}});
    t.push_back({"v_scale", DType::kFloat32, {128, 1}});
  }
  return t;
}

std::vector<KernelTensor> attention_segmented_cte_outputs(const AttentionSegmentedCteParams& p) {
  std::vector<KernelTensor> t = {{"out", p.dtype,
                                  p.tp_out ? std::vector<int64_t>{p.bs_q(), p.d, p.seqlen_q}
                                           : std::vector<int64_t>{p.bs_q(), p.seqlen_q, p.d}}};
  if (p.kvp_offset) {
    t.push_back({"neg_max", DType::kFloat32, {p.bs_q(), p.seqlen_q}});
    t.push_back({"sum_recip", DType::kFloat32, {p.bs_q(), p.seqlen_q}});
  }
  return t;
}

void check_attention_segmented_cte_params(const AttentionSegmentedCteParams& p) {
  // The kernel's constraints (kernels.md §3.1), each named by parameter and rule.
  // Every extent is bounded on its own first, so that no product below can overflow.
  if (p.batch < 1 || p.batch > kMaxHeads)
    reject("batch", "must be in 1.." + std::to_string(kMaxHeads));
  if (p.num_kv_heads < 1 || p.num_kv_heads > kMaxHeads)
    reject("num_kv_heads", "must be in 1.." + std::to_string(kMaxHeads));
  if (p.num_q_heads < 1 || p.num_q_heads > kMaxHeads || p.num_q_heads % p.num_kv_heads != 0) {
    reject("num_q_heads",
           "must be a multiple of num_kv_heads (grouped KV heads) in 1.." + std::to_string(kMaxHeads));
  }
  if (p.seqlen_q <= 0 || p.seqlen_q % kQGroup != 0 || p.seqlen_q > kMaxExactInt)
    reject("seqlen_q", "must be a positive multiple of 128, at most 2^24");
  if (p.d < 1 || p.d > 128) {
    reject("d",
           "must be in 1..128 (the d > 128 tiling of newer upstream versions is not generated by trnsim "
           "yet)");
  }
  if (!is_power_of_two(p.block_size))
    reject("block_size", "must be a power of two (the block offset is a right shift by log2(block_size))");
  if (kKTile % p.block_size != 0)
    reject("block_size", "the K tile (512) must be a multiple of block_size");
  if (p.seqlen_q % p.block_size != 0)
    reject("seqlen_q", "must be a multiple of block_size");
  if (p.prior_seg_size <= 0 || p.prior_seg_size % p.block_size != 0 || p.prior_seg_size > kMaxExactInt)
    reject("prior_seg_size", "must be a positive multiple of block_size, at most 2^24");
  if (p.num_blocks < 1 || p.num_blocks > std::numeric_limits<int32_t>::max())
    reject("num_blocks", "the cache holds 1..2^31-1 blocks (block indices are int32)");
  if (p.max_blocks > kMaxExactInt / p.block_size)
    reject("max_blocks", "max_blocks * block_size must stay below 2^24 (runtime values travel in fp32)");
  if (p.max_blocks < 1 || p.max_blocks * p.block_size < p.seqlen_q)
    reject("max_blocks", "the block table must hold at least the seqlen_q active tokens' blocks");
  if (p.dtype != DType::kBFloat16)
    reject("dtype", "q and the output must be bfloat16");
  if (p.kv_dtype != DType::kBFloat16 && p.kv_dtype != DType::kFloat8E4M3 && p.kv_dtype != DType::kFloat8E5M2)
    reject("kv_dtype", "the caches must be bfloat16, float8_e4m3 or float8_e5m2");
  if (!(p.scale > 0) || !std::isfinite(p.scale))
    reject("scale", "must be positive and finite (masked scores are filled with -FLT_MAX before scaling)");
  if (p.sliding_window < 0 || p.sliding_window % p.block_size != 0 || p.sliding_window > kMaxExactInt)
    reject("sliding_window", "must be 0 (none) or a positive multiple of block_size, at most 2^24");
  if (p.kvp_offset && p.sliding_window > 0)
    reject("kvp_offset", "the KV-parallel mode has no sliding window (kernels.md §4.1)");
  if (p.kvp_offset && p.lnc != 1)
    reject("lnc", "the KV-parallel mode disables the LNC split (the caller shards, kernels.md §3.1); use 1");
  if (p.lnc != 1 && p.lnc != 2)
    reject("lnc", "must be 1 or 2");
  if (p.lnc == 2 && p.bs_q() % 2 == 1 && (p.seqlen_q / kQGroup + 1) / 2 * kQGroup % p.block_size != 0) {
    reject("lnc",
           "with an odd batch * num_q_heads, core 0's ceil(G/2) Q groups of the remainder head must end on a "
           "block boundary (ceil(seqlen_q / 256) * 128 a multiple of block_size)");
  }
  if (p.bs_q() > kMaxHeads)
    reject("batch", "batch * num_q_heads must be at most 4096 (one program unrolls every head)");
}

double attention_segmented_cte_instruction_estimate(const AttentionSegmentedCteParams& p) {
  // Instructions per trip, fitted to the generator's real counts (kernel_estimate_test.cpp).
  constexpr double kPerHead = 200, kPerGather = 10, kPerTile = 45;
  const int64_t groups = ceil_div(p.seqlen_q, kQGroup);
  const auto pass = [&](int64_t keys, bool causal) {
    double n = kPerGather * static_cast<double>(keys / p.block_size + ceil_div(keys, kVTile));
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t seen = causal ? std::min(keys, (g + 1) * kQGroup) : keys;
      n += kPerTile * static_cast<double>(ceil_div(seen, kKTile));
    }
    return n;
  };
  double per_head = kPerHead + pass(p.seqlen_q, true);
  if (p.sliding_window > 0) {
    const int64_t window_blocks =
        std::max(ceil_div(p.sliding_window - 1, p.block_size), kKTile / p.block_size);
    per_head += pass(window_blocks * p.block_size, false);
  } else {
    per_head += 2 * pass(p.prior_seg_size, false);  // the partial and the full segments' loop bodies
  }
  return static_cast<double>(p.bs_q()) * per_head;
}

std::vector<Program> build_attention_segmented_cte(const AttentionSegmentedCteParams& p,
                                                   const MemoryLimits& limits) {
  check_attention_segmented_cte_params(p);
  std::vector<Program> programs;
  for (int32_t core = 0; core < p.lnc; ++core) {
    ProgramBuilder b("attention_segmented_cte", limits, static_cast<uint32_t>(core));
    SegmentedCteBindings bindings;
    for (const KernelTensor& t : attention_segmented_cte_inputs(p))
      bindings.tensors[t.name] = b.hbm_tensor(t.name, t.dtype, t.shape, TensorKind::kInput);
    for (const KernelTensor& t : attention_segmented_cte_outputs(p))
      bindings.tensors[t.name] = b.hbm_tensor(t.name, t.dtype, t.shape, TensorKind::kOutput);
    // The core suffix of the scratch names predates tensor scopes; it keeps LNC2 program hashes.
    bindings.scratch_suffix = p.lnc == 1 ? "" : "_nc" + std::to_string(core);
    SegmentedGenerator(b, p, core, bindings).generate();
    programs.push_back(b.finish());
  }
  return programs;
}

void attention_segmented_cte_subkernel(ProgramBuilder& b, const AttentionSegmentedCteParams& p,
                                       const SegmentedCteBindings& bindings) {
  check_attention_segmented_cte_params(p);
  if (p.lnc != 1)
    throw KernelParamError(
        "attention_segmented_cte: lnc: a sub-kernel call runs on the caller's core (lnc 1)");
  const ProgramBuilder::Mark mark = b.mark();
  SegmentedGenerator(b, p, 0, bindings).generate();
  b.release(mark);
}

}  // namespace tn::kernels
