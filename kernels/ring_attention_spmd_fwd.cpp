#include "kernels/ring_attention_spmd_fwd.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <string>

#include "kernels/builder/program_builder.hpp"

namespace tn::kernels {

using namespace isa;

namespace {

constexpr int64_t kQGroup = 128;            // queries per group: the statistics' partitions
constexpr int64_t kMaxGroupsPerTile = 128;  // output groups per reduction tile (kernels.md §5.3)
// Ring sizes: 1M tokens at 16K per rank is 64 ranks (the API's headline); positions stay exact in fp32
// while N * S <= 2^24.
constexpr int64_t kMaxWorkers = 1024;
constexpr int64_t kMaxExactPosition = int64_t{1} << 24;
// The DMA queue's registers the rank positions are read into (each stream has 64, kernels.md §6.6).
constexpr int32_t kMyPositionReg = 0, kSourcePositionReg = 1;

[[noreturn]] void reject(const std::string& param, const std::string& rule) {
  throw KernelParamError("ring_attention_spmd_fwd: " + param + ": " + rule);
}

AccessPattern flat(int32_t t, DType dt, int64_t n) { return hbm_ap(t, dt, 0, {n, 1}, {{1, n}}); }

// The softmax statistics of `n` groups from group g0 of one batch of a [bs, 128, G] tensor, as [128, n].
AccessPattern stats_ap(int32_t t, DType dt, int64_t batch, int64_t groups, int64_t g0, int64_t n) {
  return hbm_ap(t, dt, batch * kQGroup * groups + g0, {groups, static_cast<int32_t>(kQGroup)}, {{1, n}});
}

// Output groups [g0, g0 + k) of one batch of a [bs, S, d] tensor as [128 rows, k groups, d]: row p of group
// g is token g * 128 + p (the kernel's pattern [[d, 128], [128 d, k], [1, d]]).
AccessPattern out_tile_ap(int32_t t, DType dt, int64_t batch, int64_t seqlen, int64_t d, int64_t g0,
                          int64_t k) {
  return hbm_ap(t, dt, (batch * seqlen + g0 * kQGroup) * d, {d, static_cast<int32_t>(kQGroup)},
                {{kQGroup * d, k}, {1, d}});
}

// The HBM tensors of one attention step's results.
struct StepOutputs {
  int32_t out = -1, neg_max = -1, sum = -1;
};

// A part of a core's share: batch `batch`, groups [g0, g1).
struct ShareRange {
  int64_t batch, g0, g1;
};

class RingGenerator {
 public:
  RingGenerator(const RingAttentionParams& p, const MemoryLimits& limits, int32_t core)
      : m_p(p),
        m_cte(p.step_params()),
        m_b("ring_attention_spmd_fwd", limits, static_cast<uint32_t>(core)),
        m_core(core) {
    const int64_t bs = p.bs(), S = p.seqlen, D = p.d, G = p.groups();
    for (const KernelTensor& t : ring_attention_inputs(p))
      m_in[t.name] = m_b.hbm_tensor(t.name, t.dtype, t.shape, TensorKind::kInput);
    for (const KernelTensor& t : ring_attention_outputs(p))
      m_out[t.name] = m_b.hbm_tensor(t.name, t.dtype, t.shape, TensorKind::kOutput);
    // The four ring buffers in shared HBM (collectives take no kernel I/O); K keeps k's layout.
    const std::vector<int64_t> k_shape = attention_cte_k_shape(m_cte), v_shape = attention_cte_v_shape(m_cte);
    m_send_k = m_b.hbm_tensor("send_k_buf", p.dtype, k_shape, TensorKind::kInternal);
    m_recv_k = m_b.hbm_tensor("recv_k_buf", p.dtype, k_shape, TensorKind::kInternal);
    m_send_v = m_b.hbm_tensor("send_v_buf", p.dtype, v_shape, TensorKind::kInternal);
    m_recv_v = m_b.hbm_tensor("recv_v_buf", p.dtype, v_shape, TensorKind::kInternal);
    const auto step_outputs = [&](const std::string& suffix) {
      return StepOutputs{
          m_b.hbm_tensor("o" + suffix, p.dtype, {bs, S, D}, TensorKind::kInternal),
          m_b.hbm_tensor("neg_max" + suffix, DType::kFloat32, {bs, kQGroup, G}, TensorKind::kInternal),
          m_b.hbm_tensor("sum" + suffix, DType::kFloat32, {bs, kQGroup, G}, TensorKind::kInternal)};
    };
    m_prev = step_outputs("_prev");
    m_cur[0] = step_outputs("_cur0");
    m_cur[1] = step_outputs("_cur1");
    m_group = m_b.replica_group(p.rings());
    // The rank-table read takes its row from a register at run time: a DGE's job (hardware.md §1.8), here
    // the Sync sequencer's hardware DGE (ring attention runs on v3+ only).
    m_rank_queue = m_b.dma_queue("qRingIO0", DgeMode::kHardware, Engine::kSp);
    m_load_queue = m_b.dma_queue("qRingIO1");
    m_load_cur_queue = m_b.dma_queue("qRingIO2");
    m_store_queue = m_b.dma_queue("qRingIO3");
    const AttentionCteShare share = attention_cte_share(m_cte, core);
    for (int64_t b = share.batch_begin; b < share.batch_end; ++b)
      m_share.push_back({b, 0, G});
    if (share.split_batch >= 0 && share.group_begin < share.group_end)
      m_share.push_back({share.split_batch, share.group_begin, share.group_end});
    m_copies_split_batch = share.split_batch >= 0 && core == 0;
    m_split_batch = share.split_batch;
  }

  Program generate() {
    const int64_t N = m_p.num_workers;
    if (m_cte.has_cp()) {
      m_cp_offset =
          m_b.hbm_tensor("cp_offset", DType::kFloat32, {1, 1}, TensorKind::kInternal, TensorScope::kPrivate);
      load_rank_table();
      m_my_position = rank_position(kMyPositionReg, 0);
      write_cp_offset(0);
    }
    const int32_t first = m_b.begin_region("step 0: attention_cte");
    attention(m_in.at("k"), m_in.at("v"), m_prev);
    m_b.end_region(first);
    int32_t cur_k = m_send_k, nxt_k = m_recv_k, cur_v = m_send_v, nxt_v = m_recv_v;
    if (N > 1) {
      init_send_buffers();
      if (m_p.lnc == 2) {
        // Both cores wrote the send buffers: neither may send them before the other is done.
        m_b.core_barrier(flat(cur_k, m_p.dtype, ring_elements()));
        m_b.core_barrier(flat(cur_v, m_p.dtype, ring_elements()));
      }
      permute(cur_k, nxt_k, cur_v, nxt_v);
    }
    for (int64_t step = 1; step < N; ++step) {
      if (m_cte.has_cp())
        write_cp_offset(step);
      const StepOutputs& cur = m_cur[step % 2];
      const std::string name = "step " + std::to_string(step) + ": ";
      const int32_t attend = m_b.begin_region(name + "attention_cte");
      attention(nxt_k, nxt_v, cur);
      m_b.end_region(attend);
      std::swap(cur_k, nxt_k);
      std::swap(cur_v, nxt_v);
      // Issued after the step's attention_cte and before its reduction, so that the two overlap (§5.2 step
      // 4): triggered once the attention is done, not as soon as the ring buffers allow.
      if (step < N - 1)
        permute(cur_k, nxt_k, cur_v, nxt_v, m_b.region_end(attend));
      const int32_t merge = m_b.begin_region(name + "reduction");
      reduce(cur);
      m_b.end_region(merge);
    }
    const int32_t last = m_b.begin_region("normalise");
    normalise();
    m_b.end_region(last);
    return m_b.finish();
  }

 private:
  // Every ring buffer holds bs x S x d elements (K in either layout).
  int64_t ring_elements() const { return m_cte.bs * m_cte.seqlen_kv * m_cte.d; }

  // iota_nw [1, N] fp32 = 0..N-1: POOL iota into SBUF, then into (private) HBM.
  void load_rank_table() {
    const int64_t N = m_p.num_workers;
    m_rank_table =
        m_b.hbm_tensor("iota_nw", DType::kFloat32, {1, N}, TensorKind::kInternal, TensorScope::kPrivate);
    const ProgramBuilder::Mark mark = m_b.mark();
    Buffer iota = m_b.sbuf("iota_nw_sb", DType::kFloat32, 1, {N});
    m_b.iota(iota.ap, 0, 0, {1, 0, 0, 0});
    m_b.dma_copy(m_rank_queue, flat(m_rank_table, DType::kFloat32, N), iota.ap);
    m_b.release(mark);
  }

  // _load_rank_sb: the ring position of the rank whose data step `iteration` processes, as a [128, 1] fp32
  // column: current_processing_rank_id into a register of the rank queue, the table entry it indexes
  // through a register-offset DMA into partition 0, then stream_shuffle_broadcast.
  Buffer rank_position(int32_t reg, int64_t iteration) {
    Buffer column = m_b.sbuf("rank_sb", DType::kFloat32, static_cast<int32_t>(kQGroup), {1});
    m_b.processing_rank_id(m_rank_queue, reg, m_group, static_cast<int32_t>(iteration));
    m_b.dma_copy_reg_offset(m_rank_queue, partitions(column.ap, 0, 1),
                            hbm_ap(m_rank_table, DType::kFloat32, 0, {1, 1}, {{1, 1}}), reg, 1, false);
    m_b.stream_shuffle_broadcast(column.ap);
    return column;
  }

  // The step's causal offset into cp_offset (kernels.md §5.1): 0 at step 0; then contiguous
  // (my - src) * S, striped -(my < src).
  void write_cp_offset(int64_t step) {
    const ProgramBuilder::Mark mark = m_b.mark();
    Buffer offset = m_b.sbuf("cp_offset_sb", DType::kFloat32, static_cast<int32_t>(kQGroup), {1});
    if (step == 0) {
      m_b.memset(partitions(offset.ap, 0, 1), 0.0f);
    } else {
      const Buffer source = rank_position(kSourcePositionReg, step);
      if (m_p.striped_input) {
        m_b.tensor_tensor(offset.ap, m_my_position.ap, source.ap, AluOp::kIsLt);
        m_b.tensor_scalar(offset.ap, offset.ap, AluOp::kMultiply, imm(-1.0f));
      } else {
        m_b.tensor_tensor(offset.ap, m_my_position.ap, source.ap, AluOp::kSubtract);
        m_b.tensor_scalar(offset.ap, offset.ap, AluOp::kMultiply, imm(static_cast<float>(m_p.seqlen)));
      }
    }
    m_b.dma_copy(m_rank_queue, flat(m_cp_offset, DType::kFloat32, 1), partitions(offset.ap, 0, 1));
    m_b.release(mark);
  }

  void attention(int32_t k, int32_t v, const StepOutputs& out) {
    std::map<std::string, int32_t> bind = {
        {"q", m_in.at("q")}, {"k", k}, {"v", v}, {"out", out.out}, {"out_neg_max", out.neg_max},
        {"out_sum", out.sum}};
    if (m_cte.has_cp())
      bind["cp_offset"] = m_cp_offset;
    attention_cte_subkernel(m_b, m_cte, m_core, bind);
  }

  // Each core copies its batches of k and v into the send buffers; core 0 also the odd batch.
  void init_send_buffers() {
    std::set<int64_t> batches;
    for (const ShareRange& r : m_share) {
      if (r.batch != m_split_batch)
        batches.insert(r.batch);
    }
    if (m_copies_split_batch)
      batches.insert(m_split_batch);
    const int64_t per_batch = m_cte.seqlen_kv * m_cte.d;
    const int32_t rows = static_cast<int32_t>(m_cte.tp_k ? m_cte.seqlen_kv : m_cte.d);
    const int64_t cols = per_batch / rows;
    for (int64_t b : batches) {
      m_b.dma_copy(m_rank_queue, hbm_ap(m_send_k, m_p.dtype, b * per_batch, {cols, rows}, {{1, cols}}),
                   hbm_ap(m_in.at("k"), m_p.dtype, b * per_batch, {cols, rows}, {{1, cols}}));
      m_b.dma_copy(m_rank_queue,
                   hbm_ap(m_send_v, m_p.dtype, b * per_batch,
                          {m_cte.d, static_cast<int32_t>(m_cte.seqlen_kv)}, {{1, m_cte.d}}),
                   hbm_ap(m_in.at("v"), m_p.dtype, b * per_batch,
                          {m_cte.d, static_cast<int32_t>(m_cte.seqlen_kv)}, {{1, m_cte.d}}));
    }
  }

  // collective_permute_implicit of K and V: each rank's `from` to its successor's `to`, K on CC-core 0 and
  // V on CC-core 1 so that both are in flight at once (collectives.md §1: 2 CC-cores per NeuronCore).
  // `after`: the trigger (ProgramBuilder::collective_permute).
  void permute(int32_t from_k, int32_t to_k, int32_t from_v, int32_t to_v,
               const std::vector<isa::InstrRef>& after = {}) {
    const int64_t n = ring_elements();
    m_b.collective_permute(m_b.cc_core(0), flat(to_k, m_p.dtype, n), flat(from_k, m_p.dtype, n), m_group, 0,
                           after);
    m_b.collective_permute(m_b.cc_core(1), flat(to_v, m_p.dtype, n), flat(from_v, m_p.dtype, n), m_group, 0,
                           after);
  }

  // _tiled_reduce_attention (kernels.md §5.3): per batch of the core's share, the statistics of all its
  // groups at once, then the outputs in tiles of up to 128 groups, o_prev updated in place.
  void reduce(const StepOutputs& cur) {
    const int64_t G = m_p.groups(), D = m_p.d;
    const int32_t P = static_cast<int32_t>(kQGroup);
    const int64_t tile_groups = std::min(G, kMaxGroupsPerTile);
    const ProgramBuilder::Mark mark = m_b.mark();
    Buffer nm_prev = m_b.sbuf("neg_max_prev_sb", DType::kFloat32, P, {G});
    Buffer sum_prev = m_b.sbuf("sum_prev_sb", DType::kFloat32, P, {G});
    Buffer nm_cur = m_b.sbuf("neg_max_curr_sb", DType::kFloat32, P, {G});
    Buffer sum_cur = m_b.sbuf("sum_curr_sb", DType::kFloat32, P, {G});
    Buffer o_prev = m_b.sbuf("o_prev_sb", DType::kBFloat16, P, {tile_groups, D});
    Buffer o_cur = m_b.sbuf("o_curr_sb", DType::kBFloat16, P, {tile_groups, D});
    Buffer o_new = m_b.sbuf("o_new", DType::kBFloat16, P, {tile_groups, D});
    Buffer o_tmp = m_b.sbuf("o_tmp", DType::kBFloat16, P, {tile_groups, D});
    for (const ShareRange& r : m_share) {
      const ProgramBuilder::Mark batch_mark = m_b.mark();
      const int64_t n = r.g1 - r.g0;
      const auto cols = [n](const Buffer& b) { return columns(b.ap, 0, n); };
      m_b.dma_copy(m_load_queue, cols(nm_prev),
                   stats_ap(m_prev.neg_max, DType::kFloat32, r.batch, G, r.g0, n));
      m_b.dma_copy(m_load_queue, cols(sum_prev), stats_ap(m_prev.sum, DType::kFloat32, r.batch, G, r.g0, n));
      m_b.dma_copy(m_load_cur_queue, cols(nm_cur),
                   stats_ap(cur.neg_max, DType::kFloat32, r.batch, G, r.g0, n));
      m_b.dma_copy(m_load_cur_queue, cols(sum_cur), stats_ap(cur.sum, DType::kFloat32, r.batch, G, r.g0, n));
      // The 8 instructions of _reduce_attention_stats on [128, n].
      Buffer nm_new = m_b.sbuf("neg_max_new", DType::kFloat32, P, {n});
      Buffer sum_new = m_b.sbuf("exp_sum_new", DType::kFloat32, P, {n});
      Buffer corr_prev = m_b.sbuf("corr_running", DType::kFloat32, P, {n});
      Buffer corr_cur = m_b.sbuf("corr_curr", DType::kFloat32, P, {n});
      Buffer tmp = m_b.sbuf("exp_sum_tmp", DType::kFloat32, P, {n});
      m_b.tensor_tensor(nm_new.ap, cols(nm_prev), cols(nm_cur), AluOp::kMin);
      m_b.tensor_tensor(corr_prev.ap, nm_new.ap, cols(nm_prev), AluOp::kSubtract);
      m_b.activation(corr_prev.ap, corr_prev.ap, ActFunc::kExp);
      m_b.tensor_tensor(corr_cur.ap, nm_new.ap, cols(nm_cur), AluOp::kSubtract);
      m_b.activation(corr_cur.ap, corr_cur.ap, ActFunc::kExp);
      m_b.tensor_tensor(sum_new.ap, cols(sum_prev), corr_prev.ap, AluOp::kMultiply);
      m_b.tensor_tensor(tmp.ap, cols(sum_cur), corr_cur.ap, AluOp::kMultiply);
      m_b.tensor_tensor(sum_new.ap, sum_new.ap, tmp.ap, AluOp::kAdd);
      for (int64_t t0 = r.g0; t0 < r.g1; t0 += tile_groups) {
        const int64_t k = std::min(tile_groups, r.g1 - t0);
        const auto tile = [k, D](const Buffer& b) { return reshape(b.ap, 0, {{D, k}, {1, D}}); };
        // [128, k] factors seen as [128, k, d]: a zero stride over d.
        const auto broadcast = [&](const Buffer& f) { return reshape(f.ap, t0 - r.g0, {{1, k}, {0, D}}); };
        m_b.dma_copy(m_load_queue, tile(o_prev),
                     out_tile_ap(m_prev.out, m_p.dtype, r.batch, m_p.seqlen, D, t0, k));
        m_b.dma_copy(m_load_cur_queue, tile(o_cur),
                     out_tile_ap(cur.out, m_p.dtype, r.batch, m_p.seqlen, D, t0, k));
        m_b.tensor_tensor(tile(o_new), tile(o_prev), broadcast(corr_prev), AluOp::kMultiply);
        m_b.tensor_tensor(tile(o_tmp), tile(o_cur), broadcast(corr_cur), AluOp::kMultiply);
        m_b.tensor_tensor(tile(o_new), tile(o_new), tile(o_tmp), AluOp::kAdd);
        m_b.dma_copy(m_store_queue, out_tile_ap(m_prev.out, m_p.dtype, r.batch, m_p.seqlen, D, t0, k),
                     tile(o_new));
      }
      m_b.dma_copy(m_store_queue, stats_ap(m_prev.neg_max, DType::kFloat32, r.batch, G, r.g0, n), nm_new.ap);
      m_b.dma_copy(m_store_queue, stats_ap(m_prev.sum, DType::kFloat32, r.batch, G, r.g0, n), sum_new.ap);
      m_b.release(batch_mark);
    }
    m_b.release(mark);
  }

  // _normalize_and_write_output: out = o_prev * (1 / sum) per tile of up to 128 groups; with training,
  // lse = -neg_max + log(sum) in lse_dtype.
  void normalise() {
    const int64_t G = m_p.groups(), D = m_p.d;
    const int32_t P = static_cast<int32_t>(kQGroup);
    for (const ShareRange& r : m_share) {
      const ProgramBuilder::Mark mark = m_b.mark();
      const int64_t n = r.g1 - r.g0, tile_groups = std::min(n, kMaxGroupsPerTile);
      Buffer sum = m_b.sbuf("sum_sb", DType::kFloat32, P, {n});
      Buffer recip = m_b.sbuf("sum_recip_sb", DType::kFloat32, P, {n});
      Buffer o = m_b.sbuf("o_sb", DType::kBFloat16, P, {tile_groups, D});
      m_b.dma_copy(m_load_queue, sum.ap, stats_ap(m_prev.sum, DType::kFloat32, r.batch, G, r.g0, n));
      m_b.reciprocal(recip.ap, sum.ap);
      for (int64_t t0 = r.g0; t0 < r.g1; t0 += tile_groups) {
        const int64_t k = std::min(tile_groups, r.g1 - t0);
        const AccessPattern tile = reshape(o.ap, 0, {{D, k}, {1, D}});
        m_b.dma_copy(m_load_queue, tile, out_tile_ap(m_prev.out, m_p.dtype, r.batch, m_p.seqlen, D, t0, k));
        m_b.tensor_tensor(tile, tile, reshape(recip.ap, t0 - r.g0, {{1, k}, {0, D}}), AluOp::kMultiply);
        m_b.dma_copy(m_store_queue, out_tile_ap(m_out.at("out"), m_p.dtype, r.batch, m_p.seqlen, D, t0, k),
                     tile);
      }
      if (m_p.training) {
        Buffer nm = m_b.sbuf("neg_max_sb", DType::kFloat32, P, {n});
        Buffer lse = m_b.sbuf("lse_tile", m_p.lse_dtype, P, {n});
        Buffer log_sum = m_b.sbuf("log_s", m_p.lse_dtype, P, {n});
        m_b.dma_copy(m_load_queue, nm.ap, stats_ap(m_prev.neg_max, DType::kFloat32, r.batch, G, r.g0, n));
        m_b.tensor_scalar(lse.ap, nm.ap, AluOp::kMultiply, imm(-1.0f));
        m_b.activation(log_sum.ap, sum.ap, ActFunc::kLog);
        m_b.tensor_tensor(lse.ap, lse.ap, log_sum.ap, AluOp::kAdd);
        m_b.dma_copy(m_store_queue, stats_ap(m_out.at("lse"), m_p.lse_dtype, r.batch, G, r.g0, n), lse.ap);
      }
      m_b.release(mark);
    }
  }

  const RingAttentionParams& m_p;
  const AttentionCteParams m_cte;
  ProgramBuilder m_b;
  int32_t m_core;
  std::map<std::string, int32_t> m_in, m_out;
  int32_t m_send_k = -1, m_recv_k = -1, m_send_v = -1, m_recv_v = -1, m_group = -1;
  int32_t m_rank_table = -1, m_cp_offset = -1;
  StepOutputs m_prev, m_cur[2];
  int32_t m_rank_queue = -1, m_load_queue = -1, m_load_cur_queue = -1, m_store_queue = -1;
  std::vector<ShareRange> m_share;
  bool m_copies_split_batch = false;
  int64_t m_split_batch = -1;
  Buffer m_my_position;
};

}  // namespace

double RingAttentionParams::attention_scale() const {
  if (use_causal_mask)
    return 1.0;
  return softmax_scale.value_or(1.0 / std::sqrt(static_cast<double>(d)));
}

ReplicaGroup RingAttentionParams::rings() const {
  if (!replica_groups.empty())
    return replica_groups;
  std::vector<int32_t> row(static_cast<size_t>(num_workers));
  std::iota(row.begin(), row.end(), 0);
  return {row};
}

AttentionCteParams RingAttentionParams::step_params() const {
  AttentionCteParams a;
  a.bs = bs();
  a.bs_kv = bs();
  a.seqlen_q = seqlen;
  a.seqlen_kv = seqlen;
  a.d = d;
  a.dtype = dtype;
  a.scale = attention_scale();
  a.causal = use_causal_mask;
  a.tp_q = tp_q;
  a.tp_k = tp_k;
  a.tp_out = false;
  a.lnc = lnc;
  if (use_causal_mask && num_workers > 1) {
    a.global_cp_deg = num_workers;
    a.cp_striped_input = striped_input;
    a.cp_offset_dtype = DType::kFloat32;
    a.max_cp_deg = kMaxWorkers;
  }
  a.cache_softmax = true;
  a.skip_output_normalization = true;
  return a;
}

std::vector<KernelTensor> ring_attention_inputs(const RingAttentionParams& p) {
  const std::vector<int64_t> seq_major{p.b, p.h, p.seqlen, p.d}, d_major{p.b, p.h, p.d, p.seqlen};
  return {{"q", p.dtype, p.tp_q ? seq_major : d_major},
          {"k", p.dtype, p.tp_k ? seq_major : d_major},
          {"v", p.dtype, seq_major}};
}

std::vector<KernelTensor> ring_attention_outputs(const RingAttentionParams& p) {
  std::vector<KernelTensor> t = {{"out", p.dtype, {p.b, p.h, p.seqlen, p.d}}};
  if (p.training)
    t.push_back({"lse", p.lse_dtype, {p.b, p.h, kQGroup, p.seqlen / kQGroup}});
  return t;
}

void check_ring_attention_params(const RingAttentionParams& p) {
  // The kernel's assertions (kernels.md §5.1, the API doc's notes), then what its attention_cte calls need,
  // each bounded on its own before any product.
  if (p.neuron_core_version <= 2)
    reject("hardware", "not supported on trn1 (NeuronCore-v2): needs Trainium2 or later");
  if (p.b < 1 || p.b > 512 || p.h < 1 || p.h > 512 || p.b * p.h > 512)
    reject("b", "b and h must be positive with b * h <= 512 (attention_cte's batch limit)");
  if (p.kv_heads != p.h)
    reject("kv_heads",
           "expects q_heads == kv_heads (MHA only): broadcast K and V to every Q head before "
           "calling");
  if (p.d < 1 || p.d > 128)
    reject("d", "head_dim must be <= 128 (and positive)");
  if (p.seqlen < 128 || p.seqlen > 131072 || p.seqlen % 128 != 0)
    reject("seqlen", "must be a multiple of 128 in 128..131072 (seqlen % 128 == 0)");
  if (p.num_workers < 1 || p.num_workers > kMaxWorkers)
    reject("num_workers", "must be in 1.." + std::to_string(kMaxWorkers));
  if (p.num_workers * p.seqlen > kMaxExactPosition)
    reject("num_workers", "num_workers x seqlen must be at most 2^24 (global positions travel in fp32)");
  if (p.striped_input && !p.use_causal_mask)
    reject("striped_input", "requires use_causal_mask=True");
  if (p.softmax_scale && !std::isfinite(*p.softmax_scale))
    reject("softmax_scale", "must be finite");
  if (p.use_causal_mask && p.softmax_scale && *p.softmax_scale != 1.0)
    reject("softmax_scale",
           "must be 1.0 (or absent) with use_causal_mask: the kernel runs attention_cte in CP mode at scale "
           "1.0, so the caller pre-scales q by the softmax scale");
  if (p.lse_dtype != DType::kFloat32 && p.lse_dtype != DType::kBFloat16 && p.lse_dtype != DType::kFloat16)
    reject("lse_dtype", "must be float32, bfloat16 or float16");
  if (p.lnc != 1 && p.lnc != 2)
    reject("lnc", "must be 1 or 2");
  for (size_t i = 0; i < p.replica_groups.size(); ++i) {
    const auto& row = p.replica_groups[i];
    if (int64_t(row.size()) != p.num_workers)
      reject("replica_groups", "row " + std::to_string(i) + " has " + std::to_string(row.size()) +
                                   " ranks; every ring has num_workers = " + std::to_string(p.num_workers));
  }
  std::set<int32_t> seen;
  for (const auto& row : p.rings()) {
    for (int32_t r : row) {
      if (r < 0 || !seen.insert(r).second)
        reject("replica_groups", "rank " + std::to_string(r) + " is negative or in two rings");
    }
  }
  check_attention_cte_params(p.step_params());
}

double ring_attention_instruction_estimate(const RingAttentionParams& p) {
  constexpr double kPerMergedTile = 12;  // fitted (kernel_estimate_test.cpp)
  const double steps = static_cast<double>(p.num_workers);
  return steps * (attention_cte_instruction_estimate(p.step_params()) +
                  kPerMergedTile * static_cast<double>(p.bs() * p.groups()));
}

std::vector<Program> build_ring_attention(const RingAttentionParams& p, const MemoryLimits& limits) {
  check_ring_attention_params(p);
  std::vector<Program> programs;
  for (int32_t core = 0; core < p.lnc; ++core)
    programs.push_back(RingGenerator(p, limits, core).generate());
  return programs;
}

}  // namespace tn::kernels
