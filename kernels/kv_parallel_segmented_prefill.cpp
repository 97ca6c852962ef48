#include "kernels/kv_parallel_segmented_prefill.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/builder/program_builder.hpp"

namespace tn::kernels {

using namespace isa;

namespace {

constexpr int64_t kTile = 128;  // tokens per merge tile (partitions)

[[noreturn]] void reject(const std::string& param, const std::string& rule) {
  throw KernelParamError("kv_parallel_segmented_prefill: " + param + ": " + rule);
}

bool is_power_of_two(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

// A flat view of `n` elements from element `offset`.
AccessPattern flat(int32_t t, DType dt, int64_t n, int64_t offset = 0) {
  return hbm_ap(t, dt, offset, {n, 1}, {{1, n}});
}

class KvParallelGenerator {
 public:
  KvParallelGenerator(const KvParallelPrefillParams& p, const MemoryLimits& limits, int32_t core)
      : m_p(p), m_b("kv_parallel_segmented_prefill", limits, static_cast<uint32_t>(core)), m_core(core) {
    const int64_t G = p.group_size, S = p.seqlen, D = p.d, lnc = p.lnc;
    for (const KernelTensor& t : kv_parallel_prefill_inputs(p))
      m_in[t.name] = m_b.hbm_tensor(t.name, t.dtype, t.shape, TensorKind::kInput);
    m_out = m_b.hbm_tensor("out", p.dtype, kv_parallel_prefill_outputs(p)[0].shape, TensorKind::kOutput);
    // Shared HBM of the rank (kernels.md §4.2): collectives take no kernel I/O, so Q is copied first.
    m_q_src = m_b.hbm_tensor("q_src", p.dtype, {lnc, S, D}, TensorKind::kInternal);
    m_q_full = m_b.hbm_tensor("q_full", p.dtype, {G, S, D}, TensorKind::kInternal);
    m_partial_out = m_b.hbm_tensor("partial_out", DType::kFloat32, {G, S, D}, TensorKind::kInternal);
    m_neg_max = m_b.hbm_tensor("neg_max", DType::kFloat32, {G, S}, TensorKind::kInternal);
    m_sum_recip = m_b.hbm_tensor("sum_recip", DType::kFloat32, {G, S}, TensorKind::kInternal);
    m_send =
        m_b.hbm_tensor("send_packed", DType::kFloat32, {p.ranks(), lnc, S, D + 2}, TensorKind::kInternal);
    m_recv =
        m_b.hbm_tensor("recv_packed", DType::kFloat32, {p.ranks(), lnc, S, D + 2}, TensorKind::kInternal);
    std::vector<int32_t> row(static_cast<size_t>(p.ranks()));
    std::iota(row.begin(), row.end(), 0);
    m_group = m_b.replica_group({row});
    m_q_queue = m_b.dma_queue("qSyncIO0");
    m_stat_queue = m_b.dma_queue("qSyncIO1");
    m_tile_queue = m_b.dma_queue("qSyncIO2");
    m_out_queue = m_b.dma_queue("qSyncIO3");
    m_cc = m_b.cc_core(0);
  }

  Program generate() {
    gather_q();
    for (int64_t c = 0; c < m_p.seqlen / m_p.seg_size; ++c)
      local_chunk(c);
    pack_and_exchange();
    merge();
    return m_b.finish();
  }

 private:
  // 1. Each core's head into q_src[core], then all_gather: q_full[r * lnc + c] = rank r's head c.
  void gather_q() {
    const int64_t S = m_p.seqlen, D = m_p.d;
    m_b.dma_copy(m_q_queue,
                 hbm_ap(m_q_src, m_p.dtype, m_core * S * D, {D, static_cast<int32_t>(S)}, {{1, D}}),
                 hbm_ap(m_in.at("q"), m_p.dtype, m_core * S * D, {D, static_cast<int32_t>(S)}, {{1, D}}));
    m_b.all_gather(m_cc, flat(m_q_full, m_p.dtype, m_p.group_size * S * D),
                   flat(m_q_src, m_p.dtype, m_p.lnc * S * D), m_group);
  }

  // 2. Chunk c of this core's heads against the local shard, then its results into the partial buffers.
  void local_chunk(int64_t c) {
    const int64_t S = m_p.seqlen, D = m_p.d, seg = m_p.seg_size, hpn = m_p.heads_per_core();
    const int64_t q_start = c * seg, first_head = m_core * hpn;
    const AttentionSegmentedCteParams sp = m_p.chunk_params();
    const std::string prefix = "chunk" + std::to_string(c) + "_";
    const auto priv = [&](const std::string& name, DType dt, std::vector<int64_t> shape) {
      return m_b.hbm_tensor(prefix + name, dt, std::move(shape), TensorKind::kInternal,
                            TensorScope::kPrivate);
    };
    const int32_t q_chunk = priv("q", m_p.dtype, {hpn, seg, D});
    const int32_t prior = priv("prior_tokens", DType::kInt32, {1, 1});
    const int32_t kvp = priv("kvp_offset", DType::kInt32, {1, 1});
    const int32_t out = priv("out", m_p.dtype, {hpn, seg, D});
    const int32_t nm = priv("neg_max", DType::kFloat32, {hpn, seg});
    const int32_t sr = priv("sum_recip", DType::kFloat32, {hpn, seg});
    for (int64_t h = 0; h < hpn; ++h) {
      m_b.dma_copy(m_q_queue, hbm_rows(q_chunk, m_p.dtype, h * seg * D, D, 0, seg, 0, D),
                   hbm_rows(m_q_full, m_p.dtype, (first_head + h) * S * D, D, q_start, seg, 0, D));
    }
    // The compile-time prior length, through SBUF into its (1, 1) tensor; kvp_offset + q_start at run time.
    const ProgramBuilder::Mark mark = m_b.mark();
    Buffer p_sb = m_b.sbuf("prior_tokens_c", DType::kInt32, 1, {1});
    m_b.memset(p_sb.ap, static_cast<float>(m_p.prior_tokens(c)));
    m_b.dma_copy(m_q_queue, hbm_rows(prior, DType::kInt32, 0, 1, 0, 1, 0, 1), p_sb.ap);
    Buffer k_sb = m_b.sbuf("kvp_offset_c", DType::kInt32, 1, {1});
    m_b.dma_copy(m_q_queue, k_sb.ap, hbm_rows(m_in.at("kvp_offset"), DType::kInt32, 0, 1, 0, 1, 0, 1));
    m_b.tensor_scalar(k_sb.ap, k_sb.ap, AluOp::kAdd, imm(static_cast<float>(q_start)));
    m_b.dma_copy(m_q_queue, hbm_rows(kvp, DType::kInt32, 0, 1, 0, 1, 0, 1), k_sb.ap);
    m_b.release(mark);

    SegmentedCteBindings bind;
    bind.scratch_prefix = prefix;
    bind.tensors = {{"q", q_chunk},
                    {"k_cache", m_in.at("k_cache")},
                    {"v_cache", m_in.at("v_cache")},
                    {"block_tables", m_in.at("block_tables")},
                    {"prior_tokens", prior},
                    {"kvp_offset", kvp},
                    {"out", out},
                    {"neg_max", nm},
                    {"sum_recip", sr}};
    try {
      attention_segmented_cte_subkernel(m_b, sp, bind);
    } catch (const KernelParamError& e) {
      // The sub-kernel's seqlen_q and prior_seg_size are both seg_size (kernels.md §4.2).
      reject("seg_size", "the per-chunk attention_segmented_cte (seqlen_q = prior_seg_size = seg_size " +
                             std::to_string(m_p.seg_size) + ") refuses it: " + e.what());
    }

    // Into the shared partial buffers (fp32), heads first_head.., tokens q_start..
    for (int64_t h = 0; h < hpn; ++h) {
      m_b.dma_copy(m_out_queue,
                   hbm_rows(m_partial_out, DType::kFloat32, (first_head + h) * S * D, D, q_start, seg, 0, D),
                   hbm_rows(out, m_p.dtype, h * seg * D, D, 0, seg, 0, D));
    }
    m_b.dma_copy(m_out_queue, hbm_rows(m_neg_max, DType::kFloat32, first_head * S, S, 0, hpn, q_start, seg),
                 hbm_rows(nm, DType::kFloat32, 0, seg, 0, hpn, 0, seg));
    m_b.dma_copy(m_out_queue, hbm_rows(m_sum_recip, DType::kFloat32, first_head * S, S, 0, hpn, q_start, seg),
                 hbm_rows(sr, DType::kFloat32, 0, seg, 0, hpn, 0, seg));
  }

  // 3. send_packed[hh] (= [hh / lnc, hh % lnc]) = [partial out | neg_max | sum_recip] of head hh, for this
  //    core's heads, in three strided DMAs; then all_to_all.
  void pack_and_exchange() {
    const int64_t S = m_p.seqlen, D = m_p.d, hpn = m_p.heads_per_core(), W = D + 2;
    const int64_t rows = hpn * S, head0 = m_core * hpn;
    const int32_t r = static_cast<int32_t>(rows);
    m_b.dma_copy(m_q_queue, hbm_ap(m_send, DType::kFloat32, head0 * S * W, {W, r}, {{1, D}}),
                 hbm_ap(m_partial_out, DType::kFloat32, head0 * S * D, {D, r}, {{1, D}}));
    m_b.dma_copy(m_stat_queue, hbm_ap(m_send, DType::kFloat32, head0 * S * W + D, {W, r}, {{1, 1}}),
                 hbm_ap(m_neg_max, DType::kFloat32, head0 * S, {1, r}, {{1, 1}}));
    m_b.dma_copy(m_stat_queue, hbm_ap(m_send, DType::kFloat32, head0 * S * W + D + 1, {W, r}, {{1, 1}}),
                 hbm_ap(m_sum_recip, DType::kFloat32, head0 * S, {1, r}, {{1, 1}}));
    const int64_t n = m_p.group_size * S * W;
    m_b.all_to_all(m_cc, flat(m_recv, DType::kFloat32, n), flat(m_send, DType::kFloat32, n), m_group);
  }

  // 4. Core s merges its rank's head s: per 128-token tile, the R partials weighted by
  //    f_r = exp(m_r - m) S_r / sum_r' exp(m_r' - m) S_r' (kernels.md §4.2, neg_max = -m, S = 1 / sum_recip).
  void merge() {
    const int64_t S = m_p.seqlen, D = m_p.d, W = D + 2, R = m_p.ranks(), lnc = m_p.lnc;
    const int32_t di = static_cast<int32_t>(D);
    constexpr int kSets = 2;  // tiles in flight
    Buffer nm[kSets], sr[kSets], gmin[kSets], e[kSets], sum[kSets], f[kSets], total[kSets], inv[kSets],
        acc[kSets], part[kSets], res[kSets], res_t[kSets];
    for (int i = 0; i < kSets; ++i) {
      nm[i] = m_b.sbuf("merge_neg_max", DType::kFloat32, kTile, {R});
      sr[i] = m_b.sbuf("merge_sum_recip", DType::kFloat32, kTile, {R});
      gmin[i] = m_b.sbuf("merge_global_neg_max", DType::kFloat32, kTile, {1});
      e[i] = m_b.sbuf("merge_exp", DType::kFloat32, kTile, {R});
      sum[i] = m_b.sbuf("merge_sum", DType::kFloat32, kTile, {R});
      f[i] = m_b.sbuf("merge_weight", DType::kFloat32, kTile, {R});
      total[i] = m_b.sbuf("merge_total", DType::kFloat32, kTile, {1});
      inv[i] = m_b.sbuf("merge_total_recip", DType::kFloat32, kTile, {1});
      acc[i] = m_b.sbuf("merge_out", DType::kFloat32, kTile, {D});
      part[i] = m_b.sbuf("merge_partial", DType::kFloat32, kTile, {D});
      res[i] = m_b.sbuf("merge_result", m_p.dtype, kTile, {D});
      if (m_p.tp_out)
        res_t[i] = m_b.sbuf("merge_result_tp", m_p.dtype, di, {kTile});
    }
    for (int64_t t = 0; t < S / kTile; ++t) {
      const int i = static_cast<int>(t % kSets);
      // Element (r, core, token, channel) of recv_packed; the stats of every rank as [128, R].
      const int64_t base = (m_core * S + t * kTile) * W;
      const ApDim tokens{W, static_cast<int32_t>(kTile)};
      m_b.dma_copy(m_stat_queue, nm[i].ap,
                   hbm_ap(m_recv, DType::kFloat32, base + D, tokens, {{lnc * S * W, R}}));
      m_b.dma_copy(m_stat_queue, sr[i].ap,
                   hbm_ap(m_recv, DType::kFloat32, base + D + 1, tokens, {{lnc * S * W, R}}));
      m_b.tensor_reduce(gmin[i].ap, nm[i].ap, AluOp::kMin);
      m_b.activation(e[i].ap, nm[i].ap, ActFunc::kExp, imm(-1.0f), some(gmin[i].ap));  // exp(m_r - m)
      m_b.activation(sum[i].ap, sr[i].ap, ActFunc::kReciprocal);
      m_b.tensor_tensor(f[i].ap, e[i].ap, sum[i].ap, AluOp::kMultiply);
      m_b.tensor_reduce(total[i].ap, f[i].ap, AluOp::kAdd);
      m_b.activation(inv[i].ap, total[i].ap, ActFunc::kReciprocal);
      m_b.activation(f[i].ap, f[i].ap, ActFunc::kCopy, column(inv[i].ap));
      m_b.memset(acc[i].ap, 0.0f);
      for (int64_t r = 0; r < R; ++r) {
        m_b.dma_copy(m_tile_queue, part[i].ap,
                     hbm_ap(m_recv, DType::kFloat32, base + r * lnc * S * W, tokens, {{1, D}}));
        m_b.tensor_scalar(part[i].ap, part[i].ap, AluOp::kMultiply, column(columns(f[i].ap, r, 1)));
        m_b.tensor_tensor(acc[i].ap, acc[i].ap, part[i].ap, AluOp::kAdd);
      }
      m_b.tensor_copy(res[i].ap, acc[i].ap);
      if (!m_p.tp_out) {
        m_b.dma_copy(m_out_queue, hbm_rows(m_out, m_p.dtype, m_core * S * D, D, t * kTile, kTile, 0, D),
                     res[i].ap);
        continue;
      }
      Buffer tp = m_b.psum_at_bank("merge_tp_psum", i, m_p.dtype, di, {kTile});
      m_b.pe_transpose(tp.ap, res[i].ap);
      m_b.tensor_copy(res_t[i].ap, tp.ap, Engine::kAct);
      m_b.dma_copy(m_out_queue, hbm_rows(m_out, m_p.dtype, m_core * D * S, S, 0, D, t * kTile, kTile),
                   res_t[i].ap);
    }
  }

  const KvParallelPrefillParams& m_p;
  ProgramBuilder m_b;
  int32_t m_core;
  std::map<std::string, int32_t> m_in;
  int32_t m_out = -1, m_q_src = -1, m_q_full = -1, m_partial_out = -1, m_neg_max = -1, m_sum_recip = -1,
          m_send = -1, m_recv = -1, m_group = -1;
  int32_t m_q_queue = -1, m_stat_queue = -1, m_tile_queue = -1, m_out_queue = -1, m_cc = -1;
};

}  // namespace

int64_t KvParallelPrefillParams::prior_tokens(int64_t chunk) const {
  return std::min(chunk * seg_size + global_q_offset, local_kv_len() - seg_size);
}

AttentionSegmentedCteParams KvParallelPrefillParams::chunk_params() const {
  AttentionSegmentedCteParams s;
  s.batch = 1;
  s.num_q_heads = heads_per_core();
  s.num_kv_heads = 1;
  s.seqlen_q = seg_size;
  s.d = d;
  s.block_size = block_size;
  s.prior_seg_size = seg_size;
  s.num_blocks = num_blocks;
  s.max_blocks = num_blocks;
  s.dtype = dtype;
  s.kv_dtype = dtype;
  s.scale = scale;
  s.tp_q = true;
  s.tp_out = false;
  s.kvp_offset = true;
  return s;
}

std::vector<KernelTensor> kv_parallel_prefill_inputs(const KvParallelPrefillParams& p) {
  return {{"q", p.dtype, {p.lnc, p.seqlen, p.d}},
          {"k_cache", p.dtype, {p.num_blocks, 1, p.block_size, p.d}},
          {"v_cache", p.dtype, {p.num_blocks, 1, p.block_size, p.d}},
          {"block_tables", DType::kInt32, {1, p.num_blocks}},
          {"kvp_offset", DType::kInt32, {1, 1}}};
}

std::vector<KernelTensor> kv_parallel_prefill_outputs(const KvParallelPrefillParams& p) {
  return {
      {"out", p.dtype,
       p.tp_out ? std::vector<int64_t>{p.lnc, p.d, p.seqlen} : std::vector<int64_t>{p.lnc, p.seqlen, p.d}}};
}

void check_kv_parallel_prefill_params(const KvParallelPrefillParams& p) {
  // The kernel's assertions (kernels.md §4.1) and what its segmented calls need (§3.1), each bounded on
  // its own before any product.
  if (p.lnc != 1 && p.lnc != 2)
    reject("lnc", "must be 1 or 2");
  if (p.group_size < 1 || p.group_size > 4096 || p.group_size % p.lnc != 0)
    reject("group_size", "must be a positive multiple of lnc, at most 4096 (group_size % lnc == 0)");
  if (p.d < 1 || p.d > 128)
    reject("d", "must be in 1..128 (q.D == k_cache.D; the d > 128 tiling is not generated)");
  if (!is_power_of_two(p.block_size) || 512 % p.block_size != 0)
    reject("block_size", "must be a power of two dividing 512 (k_cache.shape[2] == block_size)");
  if (p.seg_size < 128 || p.seg_size > (int64_t{1} << 16) || p.seg_size % 128 != 0 ||
      p.seg_size % p.block_size != 0)
    reject("seg_size", "must be a multiple of 128 and of block_size, at most 65536");
  if (p.seqlen < 1 || p.seqlen > (int64_t{1} << 20) || p.seqlen % p.seg_size != 0)
    reject("seqlen", "must be a positive multiple of seg_size, at most 2^20 (S % seg_size == 0)");
  if (p.num_blocks < 1 || p.num_blocks > (int64_t{1} << 24) / p.block_size)
    reject("num_blocks", "local_kv_len = num_blocks * block_size must be in 1..2^24");
  if (p.local_kv_len() < p.seg_size)
    reject("num_blocks", "local_kv_len (" + std::to_string(p.local_kv_len()) + ") must hold a seg_size (" +
                             std::to_string(p.seg_size) +
                             ") segment: prior_tokens_c = min(q_start + offset, L - seg)");
  if (p.global_q_offset < 0 || p.global_q_offset > (int64_t{1} << 24) ||
      p.global_q_offset % p.block_size != 0)
    reject("global_q_offset",
           "must be a non-negative multiple of block_size, at most 2^24 (prior_tokens_c is whole blocks)");
  if (!(p.scale > 0) || !std::isfinite(p.scale))
    reject("scale", "must be positive and finite");
  if (p.dtype != DType::kBFloat16)
    reject("dtype", "q and the caches must be bfloat16");
  if (p.group_size * p.seqlen > (int64_t{1} << 24))
    reject("seqlen", "group_size x seqlen must stay below 2^24 (the packed rows of one DMA)");
  if (p.ranks() * p.local_kv_len() + p.seqlen > (int64_t{1} << 24))
    reject("num_blocks", "ranks x local_kv_len must stay below 2^24 (kvp_offset travels in fp32)");
}

double kv_parallel_prefill_instruction_estimate(const KvParallelPrefillParams& p) {
  constexpr double kPerChunk = 20, kPerMergedTile = 12;  // fitted (kernel_estimate_test.cpp)
  const double chunks = static_cast<double>(p.seqlen / p.seg_size);
  return static_cast<double>(p.lnc) * chunks *
         (kPerChunk + attention_segmented_cte_instruction_estimate(p.chunk_params()) +
          kPerMergedTile * static_cast<double>(p.seg_size / kTile));
}

std::vector<Program> build_kv_parallel_prefill(const KvParallelPrefillParams& p, const MemoryLimits& limits) {
  check_kv_parallel_prefill_params(p);
  check_attention_segmented_cte_params(p.chunk_params());
  std::vector<Program> programs;
  for (int32_t core = 0; core < p.lnc; ++core)
    programs.push_back(KvParallelGenerator(p, limits, core).generate());
  return programs;
}

}  // namespace tn::kernels
