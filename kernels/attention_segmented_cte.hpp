// attention_segmented_cte (nkilib.core.attention, seed API doc 001; kernels.md §3): prefill attention
// over a paged KV cache. The P prior tokens (a runtime value) sit in cache blocks listed by the block
// table; the Sq active tokens' K/V follow them in the same table. One program serves every P: the number
// of prior segments the kernel visits is a runtime loop trip count computed on the engines (§3.3):
//   nfull = floor(P / prior_seg_size), partial = P - nfull * prior_seg_size, per Q head:
//   1. the active pass: causal attention over the Sq active keys (and the sink), unnormalised output to a
//      private HBM accumulator, running max and sum in SBUF;
//   2. a loop of trip count (partial > 0): the partial prior segment, keys past `partial` masked;
//   3. a loop of trip count nfull: the full prior segments, newest first, each merged by online softmax
//      (the accumulator round-trips through HBM);
//   4. normalisation (and v_scale), written in the q dtype, transposed for tp_out.
// With a sliding window W (§3.4) steps 2-3 become one pass over the window's prior blocks, the
// max(ceil((W-1)/block_size), 512/block_size) blocks before the active ones, masked at run time.
// kvp_offset moves every pass's visibility bound to a runtime one and adds the statistics outputs; LNC2
// gives each core its heads (an odd one split by Q groups, core 1 seeing core 0's active keys as a pass).
// Differences from the real kernel (README "Known differences"): the partial segment is merged by the same
// online-softmax step as the full segments instead of a separate pass and HBM reduce (§3.5), with the same
// visiting order and the same math; with SWA the window's prior keys are a second pass merged the same way
// rather than prior tiles of one pass; K blocks are transposed on PE per 128 keys instead of by the DGE's
// transposing gather; Q groups are pipelined in two stages (scores ahead of outputs) rather than
// attention_cte's three; with LNC2 and one Q group, core 1 skips the remainder head rather than running a
// dummy path.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "kernels/attention_cte.hpp"
#include "kernels/builder/program_builder.hpp"

namespace tn::kernels {

struct AttentionSegmentedCteParams {
  int64_t batch = 1;  // sequences; bs_q = batch * num_q_heads Q heads
  int64_t num_q_heads = 1;
  int64_t num_kv_heads = 1;
  int64_t seqlen_q = 0;  // active tokens per sequence
  int64_t d = 0;
  int64_t block_size = 0;
  int64_t prior_seg_size = 0;
  int64_t num_blocks = 0;             // blocks in the cache
  int64_t max_blocks = 0;             // block_tables columns: P + Sq <= max_blocks * block_size
  DType dtype = DType::kBFloat16;     // q and out
  DType kv_dtype = DType::kBFloat16;  // the caches (bf16, or fp8 e4m3 / e5m2 with kv_scales)
  double scale = 1.0;
  bool tp_q = true, tp_out = false;
  bool sink = false;              // runtime input sink (bs_q, 1) fp32
  bool k_pre_transposed = false;  // k_cache (num_blocks * n_kv, d, block_size)
  bool kv_scales = false;         // runtime inputs k_scale, v_scale (128, 1) fp32
  int64_t sliding_window = 0;     // W > 0: key k hidden from query i when k < P + i - (W - 1) (§3.4)
  // KV-parallel mode (§3.1): a runtime input kvp_offset (1, 1) int32 replaces the causal diagonal (key j of
  // the gathered prior + active sequence visible to query i iff j <= i + kvp_offset, prior keys included),
  // and the outputs gain neg_max and sum_recip (bs_q, Sq) fp32, token-ordered. Not with a sliding window.
  bool kvp_offset = false;
  // 2 (§3.3 LNC2): one program per NeuronCore, the Q heads split evenly between them and an odd remainder
  // head split by Q groups (core 0 ceil(G/2)); not with kvp_offset (the caller shards).
  int32_t lnc = 1;

  int64_t bs_q() const { return batch * num_q_heads; }
  // The largest P the block table can describe.
  int64_t max_prior_tokens() const { return max_blocks * block_size - seqlen_q; }
};

// Inputs in the order the NKI tests draw them (q, k_cache, v_cache), then block_tables, prior_tokens and
// the optional sink, kvp_offset, k_scale, v_scale; the outputs `out` and in kvp mode neg_max, sum_recip
// (-row max and 1 / row sum of the scaled scores, sink included).
std::vector<KernelTensor> attention_segmented_cte_inputs(const AttentionSegmentedCteParams& p);
std::vector<KernelTensor> attention_segmented_cte_outputs(const AttentionSegmentedCteParams& p);

void check_attention_segmented_cte_params(const AttentionSegmentedCteParams& p);

// The instructions build_attention_segmented_cte emits over all its cores, estimated from its loops' trip
// counts without building (tools/run_estimate.hpp): per Q head the active pass (causal) and the prior
// passes (a runtime loop's body is emitted once, whatever prior_tokens), each costing its block gathers
// and, per Q group, each 512-key tile it computes. Within a factor of 1.5 of the
// real count (kernels/tests/kernel_estimate_test.cpp), except with a sliding window, whose pass is cheaper
// than this counts (1K queries, 1K window: 2260 estimated, 775 real): an overestimate, so a safe refusal.
double attention_segmented_cte_instruction_estimate(const AttentionSegmentedCteParams& p);

std::vector<isa::Program> build_attention_segmented_cte(const AttentionSegmentedCteParams& p,
                                                        const isa::MemoryLimits& limits);

// How a caller hands the kernel its tensors when it runs as a sub-kernel on the caller's builder: its
// inputs and outputs by API name (attention_segmented_cte_inputs / _outputs, with those dtypes and shapes),
// and the names of the private scratch tensors it declares (prefix + name + suffix; one name per call).
struct SegmentedCteBindings {
  std::map<std::string, int32_t> tensors;
  std::string scratch_prefix, scratch_suffix;
  std::string scratch_name(const std::string& name) const { return scratch_prefix + name + scratch_suffix; }
};

// The kernel as a sub-kernel (kv_parallel_segmented_prefill calls it per Q chunk): its instructions on
// `b`'s streams (the caller's core; p.lnc must be 1), its SBUF and PSUM released when it returns, its
// registers reused (the register instructions of one stream run in order). Any number of calls.
void attention_segmented_cte_subkernel(ProgramBuilder& b, const AttentionSegmentedCteParams& p,
                                       const SegmentedCteBindings& bindings);

}  // namespace tn::kernels
